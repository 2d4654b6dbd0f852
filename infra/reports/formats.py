"""The report formats of `infra check`, by the name --format takes."""

from __future__ import annotations

import json
from collections.abc import Callable

from infra.reports import json_report, junit, markdown, sarif, table
from infra.reports.model import Report

FORMATS: dict[str, Callable[[Report], str]] = {
    "table": table.as_table,
    "json": lambda report: json.dumps(json_report.as_json(report), indent=2) + "\n",
    "sarif": lambda report: json.dumps(sarif.as_sarif(report), indent=2) + "\n",
    "junit": junit.as_junit,
    "markdown": markdown.as_markdown,
}


def render(report: Report, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return FORMATS[fmt](report)
