"""`infra check --format table`: the report for people."""

from __future__ import annotations

from infra.reports.model import Report, display_path, sorted_violations


def as_table(report: Report) -> str:
    lines: list[str] = []
    for s in report.stacks:
        where = display_path(s.path, report.root)
        config = f", policy config {display_path(s.policy_config, report.root)}" if s.policy_config else ""
        if not s.violations:
            lines.append(f"{s.stack} ({where}{config}): clean")
            continue
        lines.append(f"{s.stack} ({where}{config}):")
        for v in sorted_violations(s.violations):
            label = "WAIVED" if v.waived else v.enforcement.upper()
            lines.append(f"  {label:<9} {v.policy}  {v.resource} ({v.resource_type})")
            lines.extend(f"            {line}" for line in v.message.splitlines() or [""])
    counts = report.counts()
    verdict = "passed" if report.passed else "FAILED"
    stacks = len(report.stacks)
    lines.append(f"{verdict}: {stacks} stack{'s' if stacks != 1 else ''} checked, "
                 f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, {counts['waived']} waived")
    return "\n".join(lines) + "\n"


