"""`infra check --format sarif`: SARIF 2.1.0 for GitHub code scanning, one run per stack.

GitHub keeps the alerts of each run apart by its category, `automationDetails.id` (it takes precedence
over upload-sarif's `category:` input), so each stack's upload replaces only that stack's alerts. What
code scanning reads of a rule (docs.github.com, "SARIF support for code scanning"): `help.markdown`
(else `help.text`), `properties.tags`, `precision`, `problem.severity`, and `security-severity` for
rules tagged security; it ignores `helpUri`, so the documentation link is in the help as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.reports import markdown
from infra.reports.links import RepositoryLinks
from infra.reports.model import (
    TOOL_NAME,
    ConfigProblem,
    PolicyInfo,
    Report,
    StackResult,
    Violation,
    relative_path,
    sorted_violations,
    tool_version,
    waiver_of,
)
from infra.reports.placement import stack_file_line
from infra.reports.stack_config import RULE, STACK_CONFIG
from policies.pack import SECURITY

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"mandatory": "error", "advisory": "warning"}
# GitHub reads security-severity as over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
_PROBLEM_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "recommendation"}

# No partialFingerprints: code scanning uses only `primaryLocationLineHash` (a custom key is ignored), and
# upload-sarif computes it from the stack file's line when a result has none (github/codeql-action,
# src/fingerprints.ts). One we computed ourselves would not be that line hash, and upload-sarif warns on
# every result whose given hash differs from its own.


def automation_id(stack: str) -> str:
    """The run's category (DESIGN.md): golden-path/check/<stack>/."""
    return f"{TOOL_NAME}/check/{stack}/"


def as_sarif(report: Report) -> dict[str, Any]:
    """One run per stack, each with every rule (the policies and stack-config) and its stack's results."""
    rules = (*report.rules(), RULE)
    descriptors = [_descriptor(rule, report.repository) for rule in rules]
    index = {rule.name: i for i, rule in enumerate(rules)}
    driver: dict[str, Any] = {"name": TOOL_NAME, "informationUri": report.repository.absolute("README.md")}
    if tool_version():
        driver["version"] = tool_version()
    runs = [_run(report, s, {**driver, "rules": descriptors}, index) for s in report.stacks]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


def _descriptor(rule: PolicyInfo, links: RepositoryLinks) -> dict[str, Any]:
    url = links.absolute(rule.url) if rule.url else None
    parts = [part for part in (rule.description, rule.remediation_steps) if part] or [rule.name]
    descriptor: dict[str, Any] = {
        "id": rule.name,
        "name": rule.name,
        "shortDescription": {"text": rule.description.splitlines()[0] if rule.description else rule.name},
        "fullDescription": {"text": rule.description or rule.name},
        "help": {
            "text": "\n\n".join([*parts, f"See {url}"] if url else parts),
            "markdown": "\n\n".join([markdown.text(part) for part in parts]
                                      + ([f"[{markdown.text(rule.url)}]({url})"] if rule.url and url else [])),
        },
        "properties": _properties(rule),
    }
    if url:
        descriptor["helpUri"] = url
    if rule.enforcement in _LEVELS:
        descriptor["defaultConfiguration"] = {"level": _LEVELS[rule.enforcement]}
    return descriptor


def _properties(rule: PolicyInfo) -> dict[str, Any]:
    # every check reads declared values, nothing is guessed: a finding is a true finding
    properties: dict[str, Any] = {"tags": list(rule.tags), "precision": "very-high"}
    if rule.severity in _PROBLEM_SEVERITY:
        properties["problem.severity"] = _PROBLEM_SEVERITY[rule.severity]
        if SECURITY in rule.tags:
            properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    return properties


def _run(report: Report, s: StackResult, driver: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    artifact = _artifact(s.path, report.root)
    located = {**artifact, "index": 0}
    results = [_config_result(e, located, index) for e in s.errors]
    results += [_violation_result(s, v, located, index) for v in sorted_violations(s.violations)]
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": automation_id(s.stack)},
        "originalUriBaseIds": {"SRCROOT": {"uri": report.root.resolve().as_uri() + "/"}},
        "artifacts": [{"location": artifact}],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }


def _artifact(path: Path, root: Path) -> dict[str, Any]:
    """Relative to the repository root, as code scanning matches files; a file URI outside it."""
    relative = relative_path(path, root)
    return {"uri": relative, "uriBaseId": "SRCROOT"} if relative is not None else {"uri": path.resolve().as_uri()}


def _violation_result(s: StackResult, v: Violation, artifact: dict[str, Any],
                      index: dict[str, int]) -> dict[str, Any]:
    waiver = waiver_of(v)
    return {
        "ruleId": v.policy,
        "ruleIndex": index[v.policy],
        "level": "note" if v.waived else _LEVELS.get(v.enforcement, "warning"),
        "message": {"text": v.message or v.policy},
        "locations": [{
            "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": stack_file_line(s, v)}},
            "logicalLocations": [{
                "name": v.resource,
                "fullyQualifiedName": f"{s.stack}::{v.resource_type}::{v.resource}",
                "kind": "resource",
            }],
        }],
        # SARIF 2.1.0 3.27.23: suppressions on every result of a run or on none; [] is "not suppressed"
        "suppressions": [{"kind": "external", "status": "accepted", "justification": waiver.text}] if waiver else [],
        "properties": {"stack": s.stack, "resourceType": v.resource_type, "enforcement": v.enforcement,
                       "waived": v.waived},
    }


def _config_result(e: ConfigProblem, artifact: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": e.line or 1}},
    }
    if e.key:
        location["logicalLocations"] = [{"name": e.key, "fullyQualifiedName": f"{e.stack}::{e.key}",
                                         "kind": "property"}]
    return {
        "ruleId": STACK_CONFIG,
        "ruleIndex": index[STACK_CONFIG],
        "level": "error",
        "message": {"text": f"{e.key}: {e.message}" if e.key else e.message},
        "locations": [location],
        "suppressions": [],
        "properties": {"stack": e.stack},
    }
