"""`infra check --format table`: the report for people."""

from __future__ import annotations

from infra.reports.model import PolicyInfo, Report, display_path, sorted_violations
from infra.reports.stack_config import RULE, STACK_CONFIG

_INDENT = " " * 12  # under the policy name


def as_table(report: Report) -> str:
    rules = {p.name: p for p in (*report.rules(), RULE)}
    lines: list[str] = []
    for s in report.stacks:
        where = display_path(s.path, report.root)
        config = f", policy config {display_path(s.policy_config, report.root)}" if s.policy_config else ""
        if not s.violations and not s.errors:
            lines.append(f"{s.stack} ({where}{config}): clean")
            continue
        lines.append(f"{s.stack} ({where}{config}):")
        for e in s.errors:
            place = f"{where}:{e.line}" if e.line else where
            lines.append(f"  {'ERROR':<9} {STACK_CONFIG}  {place}" + (f" {e.key}" if e.key else ""))
            lines.extend(f"{_INDENT}{line}" for line in e.message.splitlines() or [""])
            lines.extend(_about(RULE))
        for v in sorted_violations(s.violations):
            label = "WAIVED" if v.waived else v.enforcement.upper()
            lines.append(f"  {label:<9} {v.policy}  {v.resource} ({v.resource_type})")
            lines.extend(f"{_INDENT}{line}" for line in v.message.splitlines() or [""])
            lines.extend(_about(rules[v.policy]))
    lines.append(f"{'passed' if report.passed else 'FAILED'}: {report.tally()}")
    return "\n".join(lines) + "\n"


def _about(rule: PolicyInfo) -> list[str]:
    """A line with the rule's severity and where it is documented, when it has them."""
    parts = []
    if rule.severity:
        parts.append(f"severity {rule.severity}")
    if rule.url:
        parts.append(rule.url)
    return [_INDENT + "; ".join(parts)] if parts else []
