"""`infra check --format junit`: JUnit XML for CI test-report views.

What the common GitHub report actions read of a test case (their sources): `file` and `line`
(mikepenz/action-junit-report and EnricoMi/publish-unit-test-result-action place annotations with them;
dorny/test-reporter reads them in its phpunit-junit parser); `<failure>` and `<error>` fail; `<skipped>`
is listed and counted as skipped without failing; `<system-out>` is shown only by EnricoMi's, and only
in the details of a failed case. So:

- a mandatory violation is a `<failure>`, a config error an `<error>` of the case `stack-config`;
- an advisory or waived finding is `<skipped>` with the finding as its message, so the actions list it,
  and `<system-out>` holds the whole text for Jenkins and GitLab;
- a policy that found nothing is one passing case.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from infra.reports.model import (
    TOOL_NAME,
    ConfigProblem,
    Report,
    StackResult,
    Violation,
    display_path,
    failing,
    sorted_violations,
    waiver_of,
)
from infra.reports.placement import stack_file_line
from infra.reports.stack_config import STACK_CONFIG

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COUNTS = ("tests", "failures", "errors", "skipped")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("?", text)


def as_junit(report: Report) -> str:
    """One testsuite per stack; per policy, one testcase per resource it flagged, or one passing case."""
    suites = ET.Element("testsuites", name=TOOL_NAME)
    totals = dict.fromkeys(_COUNTS, 0)
    names = [rule.name for rule in report.rules()]
    for s in report.stacks:
        where = display_path(s.path, report.root)
        suite = ET.SubElement(suites, "testsuite", name=s.stack, file=_xml_text(where))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="stack_file", value=_xml_text(where))
        if s.policy_config:
            ET.SubElement(props, "property", name="policy_config",
                          value=_xml_text(display_path(s.policy_config, report.root)))
        for e in s.errors:
            _config_case(suite, e, where)
        if not s.errors:  # with config errors nothing was planned: no policy ran
            for policy in names:
                _policy_cases(suite, s, policy, where)
        counts = _counts(suite)
        for key in _COUNTS:
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("time", "0")  # no durations: the same inputs give the same report, byte for byte
    for key in _COUNTS:
        suites.set(key, str(totals[key]))
    suites.set("time", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _case(suite: ET.Element, stack: str, rule: str, subject: str, where: str, line: int | None) -> ET.Element:
    """A test case named for its stack, rule and subject, placed at a line of the stack file when known."""
    case = ET.SubElement(suite, "testcase", classname=f"{stack}.{rule}", name=_xml_text(f"{stack}: {rule} {subject}"),
                         file=_xml_text(where), time="0")
    if line is not None:
        case.set("line", str(line))
    return case


def _config_case(suite: ET.Element, e: ConfigProblem, where: str) -> None:
    case = _case(suite, e.stack, STACK_CONFIG, f"at {e.key or where}", where, e.line)
    error = ET.SubElement(case, "error", type=STACK_CONFIG,
                          message=_xml_text(f"{e.key}: {e.message}" if e.key else e.message))
    error.text = _xml_text(e.text)


def _policy_cases(suite: ET.Element, s: StackResult, policy: str, where: str) -> None:
    by_resource: dict[str, list[Violation]] = {}
    for v in sorted_violations(s.violations):
        if v.policy == policy:
            by_resource.setdefault(v.resource, []).append(v)
    if not by_resource:
        _case(suite, s.stack, policy, "on every resource", where, None)
        return
    for resource, found in sorted(by_resource.items()):
        case = _case(suite, s.stack, policy, f"on {resource}", where, stack_file_line(s, found[0]))
        failures = [v for v in found if failing(v)]
        others = [v for v in found if not failing(v)]
        if failures:
            failure = ET.SubElement(case, "failure", type="mandatory",
                                    message=_xml_text(_first_line(failures[0].message)))
            failure.text = _xml_text(f"{found[0].resource_type} {resource}\n"
                                     + "\n\n".join(v.message for v in failures))
        else:
            ET.SubElement(case, "skipped", message=_xml_text(_first_line(_label(others[0]) + others[0].message)))
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n\n".join(_label(v) + v.message for v in others))


def _label(v: Violation) -> str:
    """What a finding that does not fail is: advisory, or waived (until when)."""
    waiver = waiver_of(v)
    if waiver is None:
        return f"{v.enforcement}: "
    return f"waived until {waiver.expires}: " if waiver.expires else "waived: "


def _counts(suite: ET.Element) -> dict[str, int]:
    cases = suite.findall("testcase")

    def having(tag: str) -> int:
        return sum(case.find(tag) is not None for case in cases)

    return {"tests": len(cases), "failures": having("failure"), "errors": having("error"),
            "skipped": having("skipped")}


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[0]
