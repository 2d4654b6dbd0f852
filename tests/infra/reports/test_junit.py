"""`--format junit`: JUnit XML as the common report actions read it.

mikepenz/action-junit-report and EnricoMi/publish-unit-test-result-action place an annotation at a test
case's `file` and `line`; `<failure>`/`<error>` fail, `<skipped>` is listed without failing. The XML is
parsed back, its counts checked against its cases.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from infra import stackfile
from infra.cli import main
from infra.reports.formats import render
from policies.pack import POLICY_NAMES
from tests.broken_stacks import EXPECTED
from tests.conftest import REPO
from tests.report_fixtures import BUDGET, CONNECTOR_MAX, PROD


def _suites(report) -> list[ET.Element]:
    return ET.fromstring(render(report, "junit").encode()).findall("testsuite")


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in suite.iter("testcase")}


def test_a_suite_per_stack_and_a_case_per_policy_and_resource(mixed):
    suites = _suites(mixed)
    assert [s.get("name") for s in suites] == ["prod", "staging", "canary"]

    prod = _cases(suites[0])
    # one case per policy x flagged resource, one passing case per policy with none
    assert len(prod) == len(POLICY_NAMES)
    budget = prod["prod: connection-budget on database-instance"]
    assert budget.get("classname") == "prod.connection-budget"
    failure = budget.find("failure")
    assert failure is not None and failure.get("type") == "mandatory"
    assert failure.get("message") == BUDGET.message
    assert "gcp:sql/databaseInstance:DatabaseInstance database-instance" in failure.text
    assert "prod: health-checks on every resource" in prod

    staging = _cases(suites[1])
    assert len(staging) == len(POLICY_NAMES)
    assert all(len(case) == 0 for case in staging.values())  # all passing


def test_advisory_and_waived_findings_are_skipped_cases_that_say_what_they_are(mixed):
    prod = _cases(_suites(mixed)[0])
    advisory = prod["prod: timeout-coherence on service-web-service"]
    assert advisory.find("failure") is None
    assert advisory.find("skipped").get("message").startswith("advisory: Cloud Run service gp-prod-web: ")
    assert advisory.find("system-out").text.startswith("advisory: ")
    assert '<&> "quoted"?' in advisory.find("system-out").text  # escaped; the control character replaced
    waived = prod["prod: no-bypass-flags on service-api-service"]
    assert waived.find("failure") is None
    assert waived.find("skipped").get("message").startswith("waived until 2099-01-01: Cloud Run service gp-prod-api")
    assert "load test INC-7" in waived.find("system-out").text


def test_every_case_names_the_stack_file_and_findings_their_line(mixed, outside):
    suites = _suites(mixed)
    prod = _cases(suites[0])
    lines = stackfile.read(PROD)
    assert all(case.get("file") == "Pulumi.prod.yaml" for case in prod.values())
    budget = prod["prod: connection-budget on database-instance"]
    assert budget.get("line") == str(lines.line_of("golden-path:database", "max_connections"))
    assert prod["prod: health-checks on every resource"].get("line") is None  # a passing case points nowhere
    canary = _cases(suites[2])["canary: capacity-caps on stack"]
    assert canary.get("file") == str(outside)
    assert canary.get("line") == str(stackfile.read(outside).line_of("golden-path:services"))


def test_counts_match_the_cases(mixed):
    root = ET.fromstring(render(mixed, "junit").encode())
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            assert int(suite.get(key)) == sum(c.find(tag) is not None for c in cases)
        assert suite.get("time") == "0"  # no durations: the report is a function of its inputs
        assert suite.find("properties/property[@name='stack_file']") is not None
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in root.findall("testsuite"))
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        str(3 * len(POLICY_NAMES)), "2", "0", "2")


def test_config_errors_are_errored_stack_config_cases_at_their_line(incident):
    bad, clean = _suites(incident)
    [problem] = incident.errors
    [case] = bad.findall("testcase")  # nothing was planned: no policy ran
    assert (case.get("classname"), case.get("name")) == (
        "incident.stack-config", "incident: stack-config at network.connector.max_instances")
    assert (case.get("file"), case.get("line")) == (str(problem.path),
                                                   str(stackfile.read(PROD).line_of(*CONNECTOR_MAX)))
    error = case.find("error")
    assert error.get("type") == "stack-config"
    assert error.get("message") == f"network.connector.max_instances: {problem.message}"
    assert error.text == problem.text
    assert (bad.get("tests"), bad.get("errors"), bad.get("failures")) == ("1", "1", "0")
    assert clean.get("tests") == str(len(POLICY_NAMES)) and clean.get("errors") == "0"


def test_from_the_cli_for_a_broken_stack(capsys, tmp_path, monkeypatch, broken_stacks):
    monkeypatch.chdir(REPO)
    out = tmp_path / "junit.xml"
    path = broken_stacks["Pulumi.ports.yaml"]
    code = main(["check", "--stack-file", str(path), "--format", "junit", "--output", str(out)])
    capsys.readouterr()
    assert code == 1
    text = out.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    [suite] = ET.fromstring(text.encode()).findall("testsuite")
    assert suite.get("name") == "ports"
    [failed] = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert (failed.get("classname"), failed.get("name")) == (
        "ports.no-port-conflicts", "ports: no-port-conflicts on service-worker-container")
    [expected] = EXPECTED["Pulumi.ports.yaml"]["violations"]
    assert failed.get("file") == str(path)
    assert failed.get("line") == str(stackfile.read(path).line_of(*expected["sarif_key"]))
