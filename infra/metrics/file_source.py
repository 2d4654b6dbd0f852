"""Metric samples from a file: CSV with a header, or JSON lines, chosen by the file's extension.

CSV (.csv):           timestamp,resource,metric,value
                      2024-05-01T12:00:00Z,services.api,instances,4
JSON lines (.jsonl, .json): {"timestamp": "2024-05-01T12:00:00Z", "resource": "services.api",
                      "metric": "instances", "value": 4}

Every problem is reported as `FILE:LINE: field: reason`, up to MAX_PROBLEMS of them.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.config import StackConfig
from infra.metrics.samples import (
    MAX_JSON_LINE_DEPTH,
    MAX_METRIC_VALUE,
    MAX_METRICS_FILE_BYTES,
    MAX_PROBLEMS,
    VALUES_ALLOWED,
    MetricsError,
    Sample,
    stack_metrics,
    value_problem,
)
from policies import bounded_json
from policies.redaction import shown, shown_name
from policies.regular_file import UnreadableFile, read_regular_file

FIELDS = ("timestamp", "resource", "metric", "value")
CSV_SUFFIXES = (".csv",)
JSON_LINES_SUFFIXES = (".jsonl", ".json")
TIMESTAMP_EXAMPLE = "2024-05-01T12:00:00Z"


class _TooManyProblems(Exception):
    pass


class _Checker:
    """Turns one row's raw fields into a Sample, or records why it cannot."""

    def __init__(self, where: str, cfg: StackConfig) -> None:
        self.where = where
        self.known = stack_metrics(cfg)
        self.samples: list[Sample] = []
        self.problems: list[str] = []
        # Series share timestamps and names: parse each timestamp once, keep one copy of each name.
        self._times: dict[str, datetime] = {}
        self._series = {(r, m): (r, m) for r, metrics in self.known.items() for m in metrics}

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(f"{self.where}:{line}: {message}" if line else f"{self.where}: {message}")
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooManyProblems

    def add(self, line: int, timestamp: Any, resource: Any, metric: Any, value: Any) -> None:
        when = self._timestamp(line, timestamp)
        series = self._resource_metric(line, resource, metric)
        number = self._value(line, value)
        if when is not None and series is not None and number is not None:
            self.samples.append(Sample(when, series[0], series[1], number))

    def _timestamp(self, line: int, text: Any) -> datetime | None:
        if not isinstance(text, str):
            self.problem(line, f"timestamp: {shown(text)} is not a string; write an ISO 8601 time "
                               f"such as {TIMESTAMP_EXAMPLE}")
            return None
        when = self._times.get(text)
        if when is not None:
            return when
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            self.problem(line, f"timestamp: {shown(text)} is not an ISO 8601 time such as {TIMESTAMP_EXAMPLE}")
            return None
        if when.tzinfo is None:
            # A time without an offset could be any zone; guessing would shift the whole series.
            self.problem(line, f"timestamp: {shown(text)} has no UTC offset; write it as {TIMESTAMP_EXAMPLE} "
                               "or with +HH:MM")
            return None
        try:
            when = when.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC, which Python has not
            self.problem(line, f"timestamp: {shown(text)} is outside the years 1 to 9999 in UTC")
            return None
        self._times[text] = when
        return when

    def _resource_metric(self, line: int, resource: Any, metric: Any) -> tuple[str, str] | None:
        # Names only: a list or an object where a name belongs is no key to look up.
        names = isinstance(resource, str) and isinstance(metric, str)
        series = self._series.get((resource, metric)) if names else None
        if series is not None:
            return series
        if not isinstance(resource, str) or resource not in self.known:
            self.problem(line, f"resource: unknown resource {shown(resource)}; this stack has "
                               f"{', '.join(sorted(self.known))}")
        else:
            self.problem(line, f"metric: unknown metric {shown(metric)} for {resource}; {resource} has "
                               f"{', '.join(self.known[resource])}")
        return None

    def _value(self, line: int, raw: Any) -> float | None:
        # CSV: every field is text (and JSON "4" is taken as 4 too); JSON numbers past any float never get here
        number = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else _number(raw)
        if number is None:
            self.problem(line, f"value: {shown(raw)} is not a number; {VALUES_ALLOWED}")
            return None
        value = float(number)
        problem = value_problem(value)
        if problem is not None:
            self.problem(line, f"value: {problem}")
            return None
        return value


def _number(text: Any) -> float | None:
    """A number written as text, or None."""
    if not isinstance(text, str):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def load(path: Path, cfg: StackConfig) -> list[Sample]:
    """The samples in a .csv or .jsonl/.json file, checked against the stack's resources."""
    where = str(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + JSON_LINES_SUFFIXES:
        raise MetricsError([f"{where}: unknown file type {suffix or '(none)'!r}; metrics files are .csv "
                            f"(header {','.join(FIELDS)}) or .jsonl/.json (one JSON object a line)"])
    try:
        text = read_regular_file(path, MAX_METRICS_FILE_BYTES, "metrics file").decode("utf-8-sig")  # -sig: a BOM
    except UnreadableFile as exc:
        raise MetricsError([str(exc)]) from None
    except UnicodeDecodeError as exc:
        raise MetricsError([f"{where}: not UTF-8 text (byte {exc.start})"]) from None

    checker = _Checker(where, cfg)
    try:
        if suffix in CSV_SUFFIXES:
            _read_csv(text, checker)
        else:
            _read_json_lines(text, checker)
    except _TooManyProblems:
        checker.problems.append(f"{where}: stopped after {MAX_PROBLEMS} problems")
    if checker.problems:
        raise MetricsError(checker.problems)
    return checker.samples


def _read_csv(text: str, checker: _Checker) -> None:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        checker.problem(None, f"empty file; expected the header {','.join(FIELDS)} and one sample a row")
        return
    names = [name.strip() for name in header]
    missing = [name for name in FIELDS if name not in names]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        checker.problem(1, f"missing column{plural} {', '.join(missing)} (the header must name "
                           f"{', '.join(FIELDS)}; found {', '.join(map(shown_name, names)) or 'nothing'})")
        return
    at = [names.index(name) for name in FIELDS]
    width = max(at) + 1
    rows = 0
    # The usual row (a time already parsed, a known series, a value in range) is added here, inline: a
    # week of 300 services is 600,000 rows, and a call per row took a third of the reading. Any other row
    # goes through checker.add(), which names its problem.
    times, series_of, append = checker._times, checker._series, checker.samples.append
    at_time, at_resource, at_metric, at_value = at
    try:
        for row in reader:
            if len(row) >= width:
                when = times.get(row[at_time])
                series = series_of.get((row[at_resource].strip(), row[at_metric].strip()))
                if when is not None and series is not None:
                    try:
                        number = float(row[at_value])
                    except ValueError:
                        number = -1.0
                    if 0 <= number <= MAX_METRIC_VALUE:  # NaN fails both comparisons
                        rows += 1
                        append(Sample(when, series[0], series[1], number))
                        continue
            if not row or not any(map(str.strip, row)):
                continue  # blank line
            rows += 1
            if len(row) < width:
                checker.problem(reader.line_num, f"expected {len(names)} fields "
                                                 f"({', '.join(map(shown_name, names))}), found {len(row)}")
                continue
            checker.add(reader.line_num, row[at_time], row[at_resource].strip(), row[at_metric].strip(),
                        row[at_value])
    except csv.Error as exc:  # e.g. a field longer than the csv module reads
        checker.problem(reader.line_num, f"not CSV the reader can take ({exc}); stopped here")
        return
    if rows == 0:
        checker.problem(None, f"no samples: the header and no rows; expected one sample a row "
                              f"({','.join(FIELDS)})")


def _read_json_lines(text: str, checker: _Checker) -> None:
    rows = 0
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        rows += 1
        try:
            record = bounded_json.loads(raw, MAX_JSON_LINE_DEPTH)
        except json.JSONDecodeError as exc:
            checker.problem(line, f"not JSON: {exc.msg} (column {exc.colno}); expected one JSON object "
                                  f"a line with {', '.join(FIELDS)}")
            continue
        except bounded_json.TooDeep as exc:
            checker.problem(line, f"nested deeper than {exc.limit} levels (column {exc.offset + 1}); expected one "
                                  f"flat JSON object a line with {', '.join(FIELDS)}")
            continue
        unusable = list(bounded_json.unusable_numbers(record))
        for where, number in unusable:
            allowed = f"; {VALUES_ALLOWED}" if where == "value" else ""
            checker.problem(line, f"{where or 'the line'}: {number} {number.reason}{allowed}")
        if unusable:
            continue
        if not isinstance(record, dict):
            checker.problem(line, f"expected a JSON object with {', '.join(FIELDS)}; "
                                  f"found {_json_kind(record)}")
            continue
        missing = [name for name in FIELDS if name not in record]
        if missing:
            for name in missing:
                checker.problem(line, f"{name}: missing (each line needs {', '.join(FIELDS)})")
            continue
        checker.add(line, record["timestamp"], record["resource"], record["metric"], record["value"])
    if rows == 0:
        checker.problem(None, f"no samples: expected one JSON object a line with {', '.join(FIELDS)}")
