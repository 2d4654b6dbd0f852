"""`infra check --format sarif`: SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

from typing import Any

from infra.reports.model import TOOL_NAME, PolicyInfo, Report, relative_path, sorted_violations
from infra.reports.placement import stack_file_line

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"mandatory": "error", "advisory": "warning"}


def as_sarif(report: Report) -> dict[str, Any]:
    """One run, tool golden-path with every policy as a rule; one result per violation."""
    policies = list(report.policies)
    known = {p.name for p in policies}
    # a violation of a policy the pack does not list (e.g. a policy that raised) still gets a rule
    for s in report.stacks:
        for v in s.violations:
            if v.policy not in known:
                known.add(v.policy)
                policies.append(PolicyInfo(v.policy, v.policy))
    index = {p.name: i for i, p in enumerate(policies)}
    rules = []
    for p in policies:
        rule: dict[str, Any] = {
            "id": p.name,
            "name": p.name,
            "shortDescription": {"text": p.description.splitlines()[0] if p.description else p.name},
            "fullDescription": {"text": p.description or p.name},
        }
        if p.url:
            rule["helpUri"] = p.url
            rule["help"] = {"text": f"{p.description}\nSee {p.url}"}
        if p.enforcement in _LEVELS:
            rule["defaultConfiguration"] = {"level": _LEVELS[p.enforcement]}
        rules.append(rule)

    results = []
    artifacts: dict[str, int] = {}
    artifact_list: list[dict[str, Any]] = []
    for s in report.stacks:
        relative = relative_path(s.path, report.root)
        artifact: dict[str, Any] = (
            {"uri": relative, "uriBaseId": "SRCROOT"} if relative is not None
            else {"uri": s.path.resolve().as_uri()}
        )
        if artifact["uri"] not in artifacts:
            artifacts[artifact["uri"]] = len(artifact_list)
            artifact_list.append({"location": dict(artifact)})
        artifact_ref = {**artifact, "index": artifacts[artifact["uri"]]}
        seen: dict[str, int] = {}
        for v in sorted_violations(s.violations):
            fingerprint = f"{s.stack}:{v.policy}:{v.resource}"
            seen[fingerprint] = seen.get(fingerprint, 0) + 1
            result: dict[str, Any] = {
                "ruleId": v.policy,
                "ruleIndex": index[v.policy],
                "level": "note" if v.waived else _LEVELS.get(v.enforcement, "warning"),
                "message": {"text": v.message or v.policy},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact_ref,
                        "region": {"startLine": stack_file_line(s, v)},
                    },
                    "logicalLocations": [{
                        "name": v.resource,
                        "fullyQualifiedName": f"{s.stack}::{v.resource_type}::{v.resource}",
                        "kind": "resource",
                    }],
                }],
                # stable across runs while the finding stays (the message's numbers may change)
                "partialFingerprints": {"goldenPath/v1": f"{fingerprint}:{seen[fingerprint]}"},
                "properties": {"stack": s.stack, "resourceType": v.resource_type,
                               "enforcement": v.enforcement, "waived": v.waived},
            }
            if v.waived:
                result["suppressions"] = [{"kind": "external", "status": "accepted",
                                           "justification": _justification(v.message)}]
            results.append(result)

    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL_NAME, "rules": rules}},
        "automationDetails": {"id": "golden-path/check/"},
        "originalUriBaseIds": {"SRCROOT": {"uri": report.root.resolve().as_uri() + "/"}},
        "artifacts": artifact_list,
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _justification(message: str) -> str:
    """The waiver the runner appends to a waived violation ("<message> (waived: <reason> (owner ...,
    until ...))"), else the whole message."""
    _, marker, waiver = message.rpartition(" (waived: ")
    if marker and waiver.endswith(")"):
        return waiver[:-1]
    return message or "waived in the policy config"


