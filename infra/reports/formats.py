"""The report formats of `infra check`, by the name --format takes."""

from __future__ import annotations

import json
from collections.abc import Callable

from infra.reports import junit, sarif, table
from infra.reports.json_report import as_json
from infra.reports.model import Report

FORMATS: dict[str, Callable[[Report], str]] = {
    "table": table.as_table,
    "json": lambda report: json.dumps(as_json(report), indent=2) + "\n",
    "sarif": lambda report: json.dumps(sarif.as_sarif(report), indent=2) + "\n",
    "junit": junit.as_junit,
}


def render(report: Report, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return FORMATS[fmt](report)
