"""Generated metrics files, as a careless or hostile hand writes them, through `infra forecast` and `infra scale
auto --dry-run`: CSV and JSON lines with random nesting, NaN and infinity tokens, numbers past any float and
huge integers, odd timestamps, secrets as keys and values, lines cut short, among the stack's own names.

Whatever the file holds, a command exits 0, 1 or 2, never with a traceback; bad input is one line a problem,
each naming the file, and a planted secret is never repeated. GOLDEN_PATH_DEBUG is set, so an error the
command did not expect raises here with its traceback.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import cli
from infra.metrics.file_source import FIELDS
from infra.metrics.samples import MAX_PROBLEMS, iso
from tests.conftest import REPO
from tests.pulumi_stack_files import CIPHERTEXT

SECRET = "sk_live_" + "Qx7RkP3mWz9TbN2vLc8HyJ4d"  # shaped like a Stripe secret key
# Pulumi.staging.yaml's series, so that generated samples reach the forecast and the scaler.
SERIES = (("services.api", "instances"), ("services.web", "instances"), ("services.worker", "instances"),
          ("database", "connections"), ("redis", "clients"), ("redis", "memory_ratio"),
          ("network.connector", "instances"), ("network.connector", "cpu_ratio"))
# Minutes ago, so that the scaler's window holds samples and it decides; a day ahead, not yet observed.
RECENT = tuple(iso(datetime.now(UTC) + timedelta(minutes=minutes)) for minutes in (-1, -5, -10, 24 * 60))
TIMESTAMPS = (*RECENT, *RECENT, "2024-05-01T12:00:00Z", "2024-05-01T12:05:00+02:00", "2024-05-08T00:00:00.5+00:00",
              "2024-05-02T00:00:00-11:30", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
ODD_TIMESTAMPS = ("2024-05-01T12:00:00", "2024-02-30T00:00:00Z", "0001-01-01T00:00:00+01:00",
                  "9999-12-31T23:59:59-01:00", "2024-05-01", "20240501T120000Z", "yesterday", "", " ")
NUMBERS = ("0", "1", "4", "7.5", "0.5", "0.99", "80", "400", "1e12", "-0", "1e-400", "0.000001", "999999999999")
ODD_NUMBERS = ("1e12000", "-1", "1.0000001e12", "9" * 400, "2" + "0" * 308, str(2**70), "1_000", "0x10", "NaN",
               "Infinity", "-Infinity", "nan", "inf", "-inf")  # JSON's tokens, and Python's spellings
ODD = (*ODD_TIMESTAMPS, *ODD_NUMBERS, "services.nope", "services", "redis.memory", "cpu", SECRET,
       f"secure: {CIPHERTEXT}", "x" * 300, '"', "[[[", "{", "\u00e9", "\x00")
MAX_DEPTH = 4  # of generated JSON nesting; the reader's limit is 8, reached by a bracket run


class Hand:
    """How careless the hand writing one file is: in `wild` of 20 draws it writes something odd."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.wild = data.draw(st.sampled_from((0, 0, 1, 4, 10)))

    def slips(self) -> bool:
        return self.data.draw(st.integers(min_value=0, max_value=19)) < self.wild

    def text(self, plausible: tuple[str, ...]) -> str:
        if not self.slips():
            return self.data.draw(st.sampled_from(plausible))
        return self.data.draw(st.one_of(st.sampled_from(ODD), st.text(max_size=8)))

    def json_value(self, plausible: tuple[str, ...], depth: int = 0) -> str:
        """A JSON value, as text: a plausible string or number, or now and then a raw token, a list or an object."""
        if not self.slips():
            text = self.data.draw(st.sampled_from(plausible))
            return text if plausible is NUMBERS and self.data.draw(st.booleans()) else json.dumps(text)
        kind = self.data.draw(st.sampled_from(("text", "raw", "list", "object", "brackets") if depth < MAX_DEPTH
                                              else ("text", "raw")))
        if kind == "text":
            return json.dumps(self.text(plausible))
        if kind == "raw":  # numbers past any float and NaN tokens, as JSON text holds them
            return self.data.draw(st.sampled_from((*ODD_NUMBERS, "true", "null", "-", "1e")))
        if kind == "brackets":
            levels = self.data.draw(st.integers(min_value=1, max_value=12))
            return "[" * levels + json.dumps(SECRET) + "]" * levels
        items = [self.json_value(plausible, depth + 1) for _ in range(self.data.draw(st.integers(0, 3)))]
        if kind == "list":
            return "[" + ", ".join(items) + "]"
        return "{" + ", ".join(f"{json.dumps(self.key())}: {item}" for item in items) + "}"

    def key(self) -> str:
        return self.data.draw(st.one_of(st.sampled_from((SECRET, "note", "")), st.text(max_size=6)))

    def fields(self) -> list[str]:
        """A sample's field names; a slip leaves one out or adds another."""
        return [name for name in FIELDS if not self.slips()] + ([self.key()] if self.slips() else [])

    def plausible(self, names: list[str]) -> list[tuple[str, ...]]:
        """What is plausible for each field of one sample: a time, one of the stack's series, a value."""
        resource, metric = self.data.draw(st.sampled_from(SERIES))
        known = {"timestamp": TIMESTAMPS, "resource": (resource,), "metric": (metric,)}
        return [known.get(name, NUMBERS) for name in names]


def json_lines(hand: Hand) -> str:
    lines = []
    for _ in range(hand.data.draw(st.integers(min_value=0, max_value=8))):
        if hand.slips() and hand.slips():
            lines.append(hand.json_value(ODD))  # any JSON at all where an object belongs
        else:
            names = hand.fields()
            lines.append("{" + ", ".join(f"{json.dumps(name)}: {hand.json_value(plausible)}"
                                         for name, plausible in zip(names, hand.plausible(names), strict=True)) + "}")
    return "\n".join(lines) + "\n"


def csv_text(hand: Hand) -> str:
    header = hand.fields()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for _ in range(hand.data.draw(st.integers(min_value=0, max_value=8))):
        fields = [hand.text(plausible) for plausible in hand.plausible(header)]
        # now and then a row cut short
        writer.writerow(fields[:hand.data.draw(st.integers(0, len(fields)))] if hand.slips() else fields)
    return out.getvalue()


def metrics_file(folder: Path, data: st.DataObject) -> Path:
    """A generated CSV or JSON-lines file, now and then cut short anywhere."""
    hand = Hand(data)
    suffix = data.draw(st.sampled_from((".csv", ".jsonl")))
    text = csv_text(hand) if suffix == ".csv" else json_lines(hand)
    if hand.slips():
        text = text[:data.draw(st.integers(min_value=0, max_value=len(text)))]
    path = folder / f"metrics{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


# Generous: an example takes well under a second; only a runaway (a scan or a fit that is not linear) comes near
# it. Derandomized, so every run tries the same files; no example database is kept.
GENERATED = settings(deadline=timedelta(seconds=20), derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Path:
    return Path(shutil.copy(REPO / "Pulumi.staging.yaml", tmp_path_factory.mktemp("generated")))


def run_on_generated(stack: Path, capsys, monkeypatch, data: st.DataObject, *argv: str) -> int:
    """Write a generated metrics file, run `infra ARGV --metrics file:PATH` on it, and check what bad input owes."""
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")  # an unexpected error raises, with its traceback
    path = metrics_file(stack.parent, data)
    code = cli.main([*argv, "--stack-file", str(stack), "--metrics", f"file:{path}"])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err
    assert SECRET not in out + err and CIPHERTEXT not in out + err
    if code == 2:  # the metrics file, the only bad input here, is refused before anything is decided
        lines = err.splitlines()
        assert lines and all(line.startswith(f"{path}") for line in lines), err  # each names the file
        assert len(lines) <= MAX_PROBLEMS + 1  # then "stopped after ..."
    return code


@settings(GENERATED, max_examples=80)
@given(data=st.data())
def test_forecast_takes_any_generated_metrics_file(stack: Path, capsys, monkeypatch, data: st.DataObject) -> None:
    code = run_on_generated(stack, capsys, monkeypatch, data, "forecast")
    assert code in (0, 2)  # a forecast is advice: it refuses nothing


@settings(GENERATED, max_examples=50)
@given(data=st.data())
def test_scale_auto_takes_any_generated_metrics_file(stack: Path, capsys, monkeypatch, data: st.DataObject) -> None:
    before = stack.read_bytes()
    run_on_generated(stack, capsys, monkeypatch, data, "scale", "auto", "--dry-run")
    assert stack.read_bytes() == before
