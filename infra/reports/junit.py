"""`infra check --format junit`: JUnit XML for CI test-report views (Jenkins, GitLab, GitHub actions)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from infra.reports.model import TOOL_NAME, Report, Violation, display_path, failing

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
        ET.SubElement(props, "property", name="stack_file", value=_xml_text(display_path(s.path, report.root)))
        if s.policy_config:
            ET.SubElement(props, "property", name="policy_config",
                          value=_xml_text(display_path(s.policy_config, report.root)))
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
