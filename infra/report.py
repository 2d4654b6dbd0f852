"""The report of `infra check`: table (people), json (DESIGN.md's shape), SARIF 2.1.0 (code scanning)
and JUnit XML (Jenkins, GitLab).

Input is what the check found, per stack: the stack file and the policy runner's violations. Nothing
here plans or evaluates; rendering is pure, so every format is tested on the same report.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

TOOL_NAME = "golden-path"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FORMATS = ("table", "json", "sarif", "junit")
NAMESPACE = "golden-path"


class Violation(Protocol):
    """What policies.runner reports (policies.runner.Violation has these fields)."""

    policy: str
    resource: str
    resource_type: str
    message: str
    enforcement: str  # mandatory | advisory
    waived: bool


@dataclass(frozen=True)
class PolicyInfo:
    """A policy of the pack, as the SARIF rules and the JUnit passing cases name it."""

    name: str
    description: str
    url: str | None = None
    enforcement: str | None = None  # the pack's default level, when it has one


@dataclass(frozen=True)
class StackResult:
    stack: str
    path: Path  # the stack file that was checked
    violations: tuple[Violation, ...]
    policy_config: Path | None = None
    seconds: float = 0.0
    # line of a config key path, e.g. line_of("golden-path:services", "api", "max_instances")
    line_of: Callable[..., int | None] | None = field(default=None, compare=False, repr=False)
    services: tuple[str, ...] = ()  # the stack's service names, to place a resource in the file


@dataclass(frozen=True)
class Report:
    stacks: tuple[StackResult, ...]
    policies: tuple[PolicyInfo, ...]
    root: Path  # the repository root: SARIF locations are relative to it

    @property
    def passed(self) -> bool:
        return not any(failing(v) for s in self.stacks for v in s.violations)

    def counts(self) -> dict[str, int]:
        found = {"mandatory": 0, "advisory": 0, "waived": 0}
        for s in self.stacks:
            for v in s.violations:
                kind = "waived" if v.waived else v.enforcement
                found[kind] = found.get(kind, 0) + 1
        return found


def failing(v: Violation) -> bool:
    """A violation fails the check when it is mandatory and not waived."""
    return v.enforcement == "mandatory" and not v.waived


def render(report: Report, fmt: str) -> str:
    if fmt == "table":
        return as_table(report)
    if fmt == "json":
        return json.dumps(as_json(report), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(as_sarif(report), indent=2) + "\n"
    if fmt == "junit":
        return as_junit(report)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def _sorted(violations: Iterable[Violation]) -> list[Violation]:
    """Failing first, then advisory, then waived; by policy and resource within each."""
    rank = {"mandatory": 0, "advisory": 1}
    return sorted(violations, key=lambda v: (v.waived, rank.get(v.enforcement, 2), v.policy, v.resource))


def _display_path(path: Path, root: Path) -> str:
    relative = _relative(path, root)
    return relative if relative is not None else str(path)


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


# --- table --------------------------------------------------------------------------------------
def as_table(report: Report) -> str:
    lines: list[str] = []
    for s in report.stacks:
        where = _display_path(s.path, report.root)
        config = f", policy config {_display_path(s.policy_config, report.root)}" if s.policy_config else ""
        if not s.violations:
            lines.append(f"{s.stack} ({where}{config}): clean")
            continue
        lines.append(f"{s.stack} ({where}{config}):")
        for v in _sorted(s.violations):
            label = "WAIVED" if v.waived else v.enforcement.upper()
            lines.append(f"  {label:<9} {v.policy}  {v.resource} ({v.resource_type})")
            lines.extend(f"            {line}" for line in v.message.splitlines() or [""])
    counts = report.counts()
    verdict = "passed" if report.passed else "FAILED"
    stacks = len(report.stacks)
    lines.append(f"{verdict}: {stacks} stack{'s' if stacks != 1 else ''} checked, "
                 f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, {counts['waived']} waived")
    return "\n".join(lines) + "\n"


# --- json ---------------------------------------------------------------------------------------
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
            for s in report.stacks for v in _sorted(s.violations)
        ],
    }


# --- where in the stack file ---------------------------------------------------------------------
# The variables of DESIGN.md that services receive -> the config key they come from.
_VARIABLES: dict[str, tuple[str, ...]] = {
    "DATABASE_POOL_SIZE": ("pool", "size"),
    "DATABASE_MAX_OVERFLOW": ("pool", "max_overflow"),
    "DATABASE_POOL_TIMEOUT": ("pool", "timeout_s"),
    "DATABASE_POOL_RECYCLE": ("pool", "recycle_s"),
    "WEBSOCKET_HEARTBEAT_TIMEOUT": ("websocket", "heartbeat_s"),
    "WEBSOCKET_CONNECTION_TIMEOUT": ("websocket", "connection_timeout_s"),
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SERVICES = f"{NAMESPACE}:services"
_DATABASE = f"{NAMESPACE}:database"


def _section(resource: str, services: Sequence[str]) -> tuple[str, ...]:
    """The config section a resource comes from, by the names infra/platform.py gives resources."""
    for service in sorted(services, key=len, reverse=True):
        if resource == f"service-{service}" or resource.startswith(f"service-{service}-"):
            return (_SERVICES, service)
    head = resource.split("-", 1)[0]
    return {
        "database": (_DATABASE,),
        "postgres": (_DATABASE,),
        "redis": (f"{NAMESPACE}:redis",),
        "connector": (f"{NAMESPACE}:network", "connector"),
        "network": (f"{NAMESPACE}:network",),
        "monitoring": (f"{NAMESPACE}:monitoring",),
    }.get(head, ())


def stack_file_line(result: StackResult, v: Violation) -> int:
    """The line of the stack file key most related to a violation; 1 when none is found.

    The resource gives the section (a service, the database, ...); the first word of the message
    that is a key there (max_connections, port), one of its env or secret variables
    (EMERGENCY_BYPASS) or a variable DESIGN.md derives from a key (DATABASE_POOL_TIMEOUT ->
    pool.timeout_s, falling back to database.pool when the service does not override it) gives
    the line. Stack-wide findings fall back to the first section key the message names.
    """
    if result.line_of is None:
        return 1
    section = _section(v.resource, result.services)
    candidates: list[tuple[str, ...]] = []
    for word in dict.fromkeys(_WORD.findall(v.message)):
        if word in _VARIABLES:
            candidates.append(section + _VARIABLES[word])
            if section[:1] == (_SERVICES,) and _VARIABLES[word][0] == "pool":
                candidates.append((_DATABASE, *_VARIABLES[word]))
        elif section:
            candidates.extend([section + (word,), section + ("env", word), section + ("secrets", word)])
        else:
            candidates.append((f"{NAMESPACE}:{word}",))
    for path in candidates:
        line = _exact_line(result.line_of, path)
        if line is not None:
            return line
    if section:
        line = _exact_line(result.line_of, section)
        if line is not None:
            return line
    return 1


def _exact_line(line_of: Callable[..., int | None], path: tuple[str, ...]) -> int | None:
    """line_of gives the deepest present parent for a missing key; only take exact hits."""
    line = line_of(*path)
    if line is None or line == line_of(*path[:-1]):
        return None
    return line


# --- SARIF 2.1.0 --------------------------------------------------------------------------------
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
        relative = _relative(s.path, report.root)
        artifact: dict[str, Any] = (
            {"uri": relative, "uriBaseId": "SRCROOT"} if relative is not None
            else {"uri": s.path.resolve().as_uri()}
        )
        if artifact["uri"] not in artifacts:
            artifacts[artifact["uri"]] = len(artifact_list)
            artifact_list.append({"location": dict(artifact)})
        artifact_ref = {**artifact, "index": artifacts[artifact["uri"]]}
        seen: dict[str, int] = {}
        for v in _sorted(s.violations):
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


# --- JUnit XML ----------------------------------------------------------------------------------
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("?", text)


def as_junit(report: Report) -> str:
    """One testsuite per stack; per policy, one testcase per resource it flagged, or one passing case.

    Mandatory violations are failures, waived ones skipped, advisory ones pass with the message in
    system-out (Jenkins and GitLab show it, neither fails on it).
    """
    suites = ET.Element("testsuites", name=TOOL_NAME)
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    names = [p.name for p in report.policies]
    for s in report.stacks:
        for v in s.violations:
            if v.policy not in names:
                names.append(v.policy)
        suite = ET.SubElement(suites, "testsuite", name=s.stack)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="stack_file", value=_xml_text(_display_path(s.path, report.root)))
        if s.policy_config:
            ET.SubElement(props, "property", name="policy_config",
                          value=_xml_text(_display_path(s.policy_config, report.root)))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for policy in names:
            by_resource: dict[str, list[Violation]] = {}
            for v in s.violations:
                if v.policy == policy:
                    by_resource.setdefault(v.resource, []).append(v)
            classname = f"{s.stack}.{policy}"
            if not by_resource:
                ET.SubElement(suite, "testcase", classname=classname, name=f"{policy}: every resource", time="0")
                counts["tests"] += 1
                continue
            for resource, found in sorted(by_resource.items()):
                case = ET.SubElement(suite, "testcase", classname=classname, name=resource, time="0")
                counts["tests"] += 1
                failures = [v for v in found if failing(v)]
                waived = [v for v in found if v.waived]
                advisory = [v for v in found if not v.waived and not failing(v)]
                if failures:
                    text = "\n\n".join(v.message for v in failures)
                    failure = ET.SubElement(case, "failure", type="mandatory",
                                            message=_xml_text(_first_line(failures[0].message)))
                    failure.text = _xml_text(f"{found[0].resource_type} {resource}\n{text}")
                    counts["failures"] += 1
                elif waived and not advisory:
                    ET.SubElement(case, "skipped", message=_xml_text(_first_line(waived[0].message)))
                    counts["skipped"] += 1
                others = [v for v in found if v not in failures]
                if others:
                    out = ET.SubElement(case, "system-out")
                    out.text = _xml_text("\n\n".join(
                        f"{'waived' if v.waived else v.enforcement}: {v.message}" for v in others))
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{s.seconds:.3f}")
        for key in totals:
            totals[key] += counts[key]
    suites.set("tests", str(totals["tests"]))
    suites.set("failures", str(totals["failures"]))
    suites.set("errors", "0")
    suites.set("skipped", str(totals["skipped"]))
    suites.set("time", f"{sum(s.seconds for s in report.stacks):.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[0]
