"""`infra check --format markdown`: a short summary for a pull request ($GITHUB_STEP_SUMMARY, a PR comment).

Per stack: passed or failed; each finding with its rule (linked to its documentation) and severity, the
stack file line it points at (linked: infra/reports/links.py), what was found and the fix (the message's
"Fix: ..."); waivers with their owner and expiry; then how to fix each rule that found something (its
remediation steps).
"""

from __future__ import annotations

import html
import re

from infra.reports.model import (
    ConfigProblem,
    PolicyInfo,
    Report,
    StackResult,
    Violation,
    display_path,
    failing,
    finding_text,
    relative_path,
    sorted_violations,
    split_fix,
    waiver_of,
)
from infra.reports.placement import stack_file_line
from infra.reports.stack_config import RULE, STACK_CONFIG

_PASSED, _FAILED, _ADVISORY, _WAIVED = "✅", "❌", "⚠️", "💤"
_MARKDOWN = re.compile(r"([\\`*\[\]|])")


def text(plain: str) -> str:
    """Plain text as markdown shows it: HTML and markdown characters escaped, on one line."""
    return _MARKDOWN.sub(r"\\\1", html.escape(" ".join(plain.split()), quote=False))


def as_markdown(report: Report) -> str:
    rules = {rule.name: rule for rule in (*report.rules(), RULE)}
    lines = [f"## {_PASSED if report.passed else _FAILED} infra check {'passed' if report.passed else 'failed'}",
             "", report.tally()]
    for s in report.stacks:
        lines += ["", *_stack(report, s, rules)]
    return "\n".join(lines) + "\n"


def _stack(report: Report, s: StackResult, rules: dict[str, PolicyInfo]) -> list[str]:
    where = f"`{display_path(s.path, report.root)}`"
    if s.policy_config:
        where += f" with policy config `{display_path(s.policy_config, report.root)}`"
    lines = [f"### {_PASSED if s.passed else _FAILED} {text(s.stack)}: {'passed' if s.passed else 'failed'}",
             "", where + ("" if s.errors or s.violations else ": no findings.")]
    findings = [line for e in s.errors for line in _config_error(report, s, e)]
    findings += [line for v in sorted_violations(s.violations) for line in _violation(report, s, v, rules)]
    if findings:
        lines += ["", *findings]
    names = ([STACK_CONFIG] if s.errors else []) + [v.policy for v in sorted_violations(s.violations)]
    found = [rules[name] for name in dict.fromkeys(names)]
    steps = [f"- {_rule_link(report, rule)}: {text(rule.remediation_steps)}"
             for rule in found if rule.remediation_steps]
    if steps:
        lines += ["", "**How to fix**", "", *steps]
    return lines


def _config_error(report: Report, s: StackResult, e: ConfigProblem) -> list[str]:
    key = f" `{e.key}`" if e.key else ""
    head = (f"- {_FAILED} **config error** {_rule_link(report, RULE)}{key} at "
            f"{_place(report, s, e.line)}")
    return [head, f"  - {text(e.message)}"]


def _violation(report: Report, s: StackResult, v: Violation, rules: dict[str, PolicyInfo]) -> list[str]:
    rule = rules[v.policy]
    severity = f" ({rule.severity})" if rule.severity else ""
    waiver = waiver_of(v)
    if failing(v):
        kind = f"{_FAILED} **{v.enforcement}**"
    elif waiver is not None:
        kind = f"{_WAIVED} **waived**" + (f" until {waiver.expires}" if waiver.expires else "")
    else:
        kind = f"{_ADVISORY} **{v.enforcement}**"
    lines = [f"- {kind} {_rule_link(report, rule)}{severity} on `{text(v.resource)}` at "
             f"{_place(report, s, stack_file_line(s, v))}"]
    found, fix = split_fix(finding_text(v))
    lines.append(f"  - {text(found)}")
    if fix:
        lines.append(f"  - **Fix:** {text(fix)}")
    if waiver is not None:
        lines.append(f"  - **Waiver:** {text(waiver.text)}")
    return lines


def _rule_link(report: Report, rule: PolicyInfo) -> str:
    name = f"`{rule.name}`"
    return f"[{name}]({report.repository.href(rule.url)})" if rule.url else name


def _place(report: Report, s: StackResult, line: int | None) -> str:
    """file:line of the stack file, linked when the file is in the repository."""
    relative = relative_path(s.path, report.root)
    shown = f"{display_path(s.path, report.root)}:{line}" if line else display_path(s.path, report.root)
    if relative is None:
        return f"`{shown}`"
    return f"[`{shown}`]({report.repository.href(relative + (f'#L{line}' if line else ''))})"
