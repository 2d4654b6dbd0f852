"""`infra check --format json`: DESIGN.md's shape."""

from __future__ import annotations

from typing import Any

from infra.reports.model import Report, display_path, sorted_violations


def as_json(report: Report) -> dict[str, Any]:
    """DESIGN.md's shape; each violation also names its stack (--all mixes stacks)."""
    return {
        "passed": report.passed,
        "violations": [
            {
                "policy": v.policy,
                "resource": v.resource,
                "resource_type": v.resource_type,
                "message": v.message,
                "enforcement": v.enforcement,
                "waived": v.waived,
                "stack": s.stack,
            }
            for s in report.stacks for v in sorted_violations(s.violations)
        ],
        "errors": [
            {
                "stack": e.stack,
                "file": display_path(e.path, report.root),
                "line": e.line,
                "key": e.key,
                "message": e.message,
            }
            for e in report.errors
        ],
    }
