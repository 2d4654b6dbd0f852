"""Metric samples from files: CSV and JSON lines, and the errors bad files get."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import config, metrics
from infra.metrics import MetricsError, Sample
from infra.metrics.samples import MAX_JSON_LINE_DEPTH, MAX_METRIC_VALUE, MAX_PROBLEMS
from tests.conftest import GCP_STAGING, TWO_SERVICES

STACK = GCP_STAGING + TWO_SERVICES
NOW = datetime(2024, 5, 8, tzinfo=UTC)
KNOWN = "database, network.connector, redis, services.api, services.web"
ALLOWED = "a value is a count or ratio, from 0 to 1e+12"


@pytest.fixture
def cfg(write_stack):
    return config.load(write_stack(STACK, "staging"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(source: str, cfg) -> list[str]:
    with pytest.raises(MetricsError) as caught:
        metrics.load(source, cfg, NOW)
    return caught.value.problems


def test_csv_samples_are_utc_and_typed(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n"
                                    "2024-05-01T12:00:00Z,services.api,instances,4\n"
                                    "\n"
                                    "2024-05-01T14:05:00+02:00,redis,memory_ratio,0.5\n")
    assert metrics.load(f"file:{path}", cfg, NOW) == [
        Sample(datetime(2024, 5, 1, 12, tzinfo=UTC), "services.api", "instances", 4.0),
        Sample(datetime(2024, 5, 1, 12, 5, tzinfo=UTC), "redis", "memory_ratio", 0.5),
    ]


def test_csv_columns_in_any_order_and_extra_columns_are_ignored(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "value, metric,note,resource,timestamp\n"
                                    "7,connections,peak,database,2024-05-01T12:00:00Z\n")
    assert metrics.load(f"file:{path}", cfg, NOW) == [
        Sample(datetime(2024, 5, 1, 12, tzinfo=UTC), "database", "connections", 7.0)]


@pytest.mark.parametrize("name", ["m.jsonl", "m.json"])
def test_json_lines(tmp_path, cfg, name):
    rows = [{"timestamp": "2024-05-01T12:00:00Z", "resource": "network.connector", "metric": "instances",
             "value": 3},
            {"timestamp": "2024-05-01T12:05:00.5+00:00", "resource": "network.connector",
             "metric": "cpu_ratio", "value": 0.25}]
    path = write(tmp_path, name, "\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert metrics.load(f"file:{path}", cfg, NOW) == [
        Sample(datetime(2024, 5, 1, 12, tzinfo=UTC), "network.connector", "instances", 3.0),
        Sample(datetime(2024, 5, 1, 12, 5, 0, 500000, tzinfo=UTC), "network.connector", "cpu_ratio", 0.25),
    ]


def test_missing_columns(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric\n2024-05-01T12:00:00Z,database,connections\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:1: missing column value (the header must name timestamp, resource, metric, value; "
        "found timestamp, resource, metric)"]
    path = write(tmp_path, "n.csv", "time,value\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:1: missing columns timestamp, resource, metric (the header must name timestamp, resource, "
        "metric, value; found time, value)"]


def test_unknown_resource_names_the_known_ones(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n"
                                    "2024-05-01T12:00:00Z,services.api,instances,4\n"
                                    "2024-05-01T12:00:00Z,services.nope,instances,4\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:3: resource: unknown resource 'services.nope'; this stack has {KNOWN}"]


def test_unknown_metric_names_the_resources_metrics(tmp_path, cfg):
    path = write(tmp_path, "m.jsonl", '{"timestamp": "2024-05-01T12:00:00Z", "resource": "redis", '
                                      '"metric": "cpu", "value": 1}\n')
    assert problems(f"file:{path}", cfg) == [
        f"{path}:1: metric: unknown metric 'cpu' for redis; redis has clients, memory_ratio"]


def test_bad_timestamps(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n"
                                    "yesterday,database,connections,4\n"
                                    "2024-05-01T12:00:00,database,connections,4\n"
                                    "2024-13-01T12:00:00Z,database,connections,4\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:2: timestamp: 'yesterday' is not an ISO 8601 time such as 2024-05-01T12:00:00Z",
        f"{path}:3: timestamp: '2024-05-01T12:00:00' has no UTC offset; write it as 2024-05-01T12:00:00Z "
        "or with +HH:MM",
        f"{path}:4: timestamp: '2024-13-01T12:00:00Z' is not an ISO 8601 time such as 2024-05-01T12:00:00Z",
    ]


def test_bad_values(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n"
                                    "2024-05-01T12:00:00Z,database,connections,many\n"
                                    "2024-05-01T12:00:00Z,database,connections,nan\n"
                                    "2024-05-01T12:00:00Z,database,connections,-1\n"
                                    "2024-05-01T12:00:00Z,database,connections\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:2: value: 'many' is not a number; {ALLOWED}",
        f"{path}:3: value: nan is not a finite number; {ALLOWED}",
        f"{path}:4: value: -1 is negative; counts and ratios are at least 0",
        f"{path}:5: expected 4 fields (timestamp, resource, metric, value), found 3",
    ]


def test_bad_json_lines(tmp_path, cfg):
    path = write(tmp_path, "m.jsonl", '{"timestamp": "2024-05-01T12:00:00Z", "resource": "database"}\n'
                                      '{"timestamp": 1714564800, "resource": "database", '
                                      '"metric": "connections", "value": true}\n'
                                      '[1, 2]\n'
                                      '{"timestamp": \n')
    assert problems(f"file:{path}", cfg) == [
        f"{path}:1: metric: missing (each line needs timestamp, resource, metric, value)",
        f"{path}:1: value: missing (each line needs timestamp, resource, metric, value)",
        f"{path}:2: timestamp: 1714564800 is not a string; write an ISO 8601 time such as "
        "2024-05-01T12:00:00Z",
        f"{path}:2: value: true is not a number; {ALLOWED}",
        f"{path}:3: expected a JSON object with timestamp, resource, metric, value; found an array",
        f"{path}:4: not JSON: Expecting value (column 15); expected one JSON object a line with "
        "timestamp, resource, metric, value",
    ]


def test_empty_series(tmp_path, cfg):
    header_only = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n\n")
    assert problems(f"file:{header_only}", cfg) == [
        f"{header_only}: no samples: the header and no rows; expected one sample a row "
        "(timestamp,resource,metric,value)"]
    empty = write(tmp_path, "e.csv", "")
    assert problems(f"file:{empty}", cfg) == [
        f"{empty}: empty file; expected the header timestamp,resource,metric,value and one sample a row"]
    blank = write(tmp_path, "m.jsonl", "\n  \n")
    assert problems(f"file:{blank}", cfg) == [
        f"{blank}: no samples: expected one JSON object a line with timestamp, resource, metric, value"]


def test_reading_stops_after_twenty_problems(tmp_path, cfg):
    rows = "".join(f"2024-05-01T12:00:00Z,services.nope,instances,{i}\n" for i in range(100))
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n" + rows)
    found = problems(f"file:{path}", cfg)
    assert len(found) == 21
    assert found[-1] == f"{path}: stopped after 20 problems"


def test_sources_that_are_not_metrics(tmp_path, cfg):
    accepted = "file:PATH (a .csv, .jsonl or .json file) or gcp:PROJECT (Cloud Monitoring)"
    assert problems("prometheus:localhost:9090", cfg) == [
        f"metrics source 'prometheus:localhost:9090': expected {accepted}"]
    assert problems("file:", cfg) == [f"metrics source 'file:': expected {accepted}"]
    assert problems(f"file:{tmp_path}/none.csv", cfg) == [f"{tmp_path}/none.csv: no such metrics file"]
    text = write(tmp_path, "m.txt", "")
    assert problems(f"file:{text}", cfg) == [
        f"{text}: unknown file type '.txt'; metrics files are .csv (header timestamp,resource,metric,value) "
        "or .jsonl/.json (one JSON object a line)"]


def test_lines_no_metric_could_be_are_problems_not_crashes(tmp_path, cfg):
    head = '{"timestamp": "2024-05-01T12:00:00Z", '
    path = write(tmp_path, "m.jsonl",
                 '{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n"  # nested past Python's json reader
                 + head + '"resource": ["services.api"], "metric": "instances", "value": 1}\n'
                 + head + '"resource": "services.api", "metric": "instances", "value": 1' + "0" * 400 + "}\n"
                 + head + '"resource": "services.api", "metric": "instances", "value": 1.7e308}\n'
                 + head + '"resource": "services.api", "metric": "instances", "value": "sk_live_Zq7RkP3mWx9TbN2v"}\n')
    assert problems(f"file:{path}", cfg) == [
        f"{path}:1: nested deeper than 8 levels (column 49); expected one flat JSON object a line with timestamp, "
        "resource, metric, value",
        f"{path}:2: resource: unknown resource a list of 1 item; this stack has database, network.connector, "
        "redis, services.api, services.web",
        f"{path}:3: value: a 401-digit number is beyond the range of a float (about 1.8e308); {ALLOWED}",
        f"{path}:4: value: 1.7e+308 is above 1e+12, more than any count or ratio this platform measures",
        f"{path}:5: value: a 24-character string is not a number; {ALLOWED}",
    ]


def test_a_fifo_is_refused_without_waiting(tmp_path, cfg):
    fifo = tmp_path / "m.csv"
    os.mkfifo(fifo)
    assert problems(f"file:{fifo}", cfg) == [
        f"{fifo}: not a regular file (a directory, FIFO or device); a metrics file is a file"]


SECRET = "sk_live_Zq7RkP3mWx9TbN2vLc8H"  # shaped like a Stripe key
HEAD = '{"timestamp": "2024-05-01T12:00:00Z", "resource": "services.api", "metric": "instances", '


def test_numbers_no_float_holds_are_named_at_their_field(tmp_path, cfg):
    path = write(tmp_path, "m.jsonl", HEAD + '"value": NaN}\n'
                                      + HEAD + '"value": -Infinity}\n'
                                      + HEAD + '"value": 1e400}\n'
                                      + HEAD + '"value": ' + "9" * 5000 + "}\n"
                                      + '{"timestamp": Infinity, "resource": "redis", "metric": "clients", '
                                        '"value": 1}\n'
                                      + "NaN\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:1: value: NaN is not a finite number; {ALLOWED}",
        f"{path}:2: value: -Infinity is not a finite number; {ALLOWED}",
        f"{path}:3: value: 1e400 is beyond the range of a float (about 1.8e308); {ALLOWED}",
        f"{path}:4: value: a 5000-digit number is beyond the range of a float (about 1.8e308); {ALLOWED}",
        f"{path}:5: timestamp: Infinity is not a finite number",
        f"{path}:6: the line: NaN is not a finite number",
    ]


def test_a_csv_field_past_the_csv_modules_limit_is_a_problem_line(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n"
                                    f"2024-05-01T12:00:00Z,services.api,instances,{'1' * 200_000}\n")
    assert problems(f"file:{path}", cfg) == [
        f"{path}:2: not CSV the reader can take (field larger than field limit (131072)); stopped here"]


def test_a_csv_value_past_any_float_is_not_finite(tmp_path, cfg):
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n"
                                    "2024-05-01T12:00:00Z,services.api,instances,1e400\n"
                                    f"2024-05-01T12:00:00Z,services.api,instances,{'9' * 5000}\n")
    assert problems(f"file:{path}", cfg) == [f"{path}:2: value: inf is not a finite number; {ALLOWED}",
                                             f"{path}:3: value: inf is not a finite number; {ALLOWED}"]


def test_values_near_the_float_maximum_are_refused(tmp_path, cfg):
    rows = "".join(f"2024-05-0{day}T12:00:00Z,services.api,instances,{value!r}\n"
                   for day, value in enumerate((1.7976931348623157e308, 1.79e308, 1e12 + 1), start=1))
    path = write(tmp_path, "m.csv", "timestamp,resource,metric,value\n" + rows)
    above = "more than any count or ratio this platform measures"
    assert problems(f"file:{path}", cfg) == [
        f"{path}:2: value: 1.7976931348623157e+308 is above 1e+12, {above}",
        f"{path}:3: value: 1.79e+308 is above 1e+12, {above}",
        f"{path}:4: value: 1000000000001 is above 1e+12, {above}",
    ]


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"])
def test_timestamps_past_the_years_python_has_in_utc(tmp_path, cfg, text):
    path = write(tmp_path, "m.csv", f"timestamp,resource,metric,value\n{text},services.api,instances,1\n")
    assert problems(f"file:{path}", cfg) == [f"{path}:2: timestamp: '{text}' is outside the years 1 to 9999 in UTC"]


@pytest.mark.parametrize("name, text", [
    ("m.csv", f"timestamp,resource,{SECRET},value\n"),
    ("m.csv", f"timestamp,resource,metric,value,{SECRET}\n2024-05-01T12:00:00Z,redis\n"),
    ("m.csv", f"timestamp,resource,metric,value\n{SECRET},{SECRET},{SECRET},{SECRET}\n"),
    ("m.csv", f"timestamp,resource,metric,value\n2024-05-01T12:00:00Z,redis,{SECRET},-{SECRET}\n"),
    ("m.jsonl", HEAD + f'"value": ["{SECRET}"]}}\n'),
    ("m.jsonl", HEAD + f'"value": {{"token": "{SECRET}"}}}}\n'),
    ("m.jsonl", f'{{"timestamp": ["{SECRET}"], "resource": {{"{SECRET}": 1}}, "metric": 1, "value": 1}}\n'),
    ("m.jsonl", f'{{"{SECRET}": NaN}}\n'),
    ("m.jsonl", f'["{SECRET}"]\n'),
])
def test_a_secret_in_any_field_is_never_repeated(tmp_path, cfg, name, text):
    path = write(tmp_path, name, text)
    found = problems(f"file:{path}", cfg)
    assert found and all(line.startswith(f"{path}:") and SECRET not in line for line in found)


# --- generated JSON-lines files ------------------------------------------------------------------------
LINE_VALUES = ('"2024-05-01T12:00:00Z"', '"2024-05-01T12:00:00"', '"0001-01-01T00:00:00+01:00"', '"services.api"',
               '"redis"', '"instances"', '"clients"', '"memory_ratio"', "0", "4", "0.5", "-1", "1e12", "1.7e308",
               "1e400", "NaN", "-Infinity", "9" * 400, "true", "null", '""', f'"{SECRET}"', "[]", "{}",
               f'["{SECRET}"]', f'{{"{SECRET}": 1}}')


def _json_line(data) -> str:
    """One line: the four fields (some missing, some odd, some secret), now and then a bracket run or junk."""
    kind = data.draw(st.sampled_from(("object", "object", "object", "brackets", "junk")))
    if kind == "brackets":  # around the reader's nesting limit
        levels = data.draw(st.integers(min_value=1, max_value=2 * MAX_JSON_LINE_DEPTH))
        return '{"value": ' + "[" * levels + "]" * levels + "}"
    if kind == "junk":
        return json.dumps(data.draw(st.text(max_size=20)))[1:-1]
    fields = [f'"{name}": {data.draw(st.sampled_from(LINE_VALUES))}'
              for name in ("timestamp", "resource", "metric", "value", SECRET) if data.draw(st.integers(0, 5))]
    return "{" + ", ".join(fields) + "}"


@settings(max_examples=60, deadline=timedelta(seconds=20), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_generated_json_lines_file_gives_samples_or_problem_lines(tmp_path, cfg, data):
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(_json_line(data) for _ in range(data.draw(st.integers(0, 30)))) + "\n")
    try:
        samples = metrics.load(f"file:{path}", cfg, NOW)
    except MetricsError as exc:
        assert 0 < len(exc.problems) <= MAX_PROBLEMS + 1  # then "stopped after 20 problems"
        assert all(line.startswith(f"{path}:") and "\n" not in line for line in exc.problems)
        assert len(exc.problems) == len(set(exc.problems))
        assert SECRET not in str(exc)
    else:
        assert samples and all(0 <= s.value <= MAX_METRIC_VALUE and s.timestamp.tzinfo is UTC for s in samples)
