"""The four formats of `infra check` (infra/report.py): table, json, SARIF 2.1.0 and JUnit XML.

A report with every kind of finding (mandatory, advisory, waived; a clean stack; a stack file
outside the repository) is rendered in each format. SARIF is validated against the vendored
OASIS schema, from a hand-made report and from the CLI over every committed and broken stack,
with each result's line checked against the stack file. JUnit is parsed back and its counts
checked against its cases.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from infra import report, stackfile
from infra.cli import main
from infra.commands.check import policy_infos
from policies.pack import POLICIES
from policies.runner import Violation
from tests.sarif_schema import validate_sarif

REPO = Path(__file__).resolve().parent.parent
BROKEN = REPO / "tests" / "broken_stacks"
EXPECTED = json.loads((BROKEN / "expected.json").read_text())
SERVICES = ("api", "web", "worker")

BUDGET = Violation("connection-budget", "database-instance", "gcp:sql/databaseInstance:DatabaseInstance",
                   "Cloud SQL instance gp-prod-pg: 2041 connections above the budget 152 (200 max_connections). "
                   "Fix: raise max_connections.", "mandatory")
TIMEOUT = Violation("timeout-coherence", "service-web-service", "gcp:cloudrunv2/service:Service",
                    "Cloud Run service gp-prod-web: WEBSOCKET_HEARTBEAT_TIMEOUT 30s <&> \"quoted\"\x01. "
                    "Fix: lower it.", "advisory")
WAIVED = Violation("no-bypass-flags", "service-api-service", "gcp:cloudrunv2/service:Service",
                   "Cloud Run service gp-prod-api: bypass flag EMERGENCY_BYPASS=true is on in prod. Fix: remove it. "
                   "(waived: load test INC-7 (owner team-api, until 2099-01-01))", "mandatory", waived=True)
CAPS = Violation("capacity-caps", "stack", "pulumi:pulumi:Stack",
                 "stack: services may scale to 120 instances, above the cap of 100. Fix: lower max_instances.",
                 "mandatory")


def _result(stack: str, path: Path, *violations: Violation) -> report.StackResult:
    return report.StackResult(stack=stack, path=path, violations=violations, seconds=0.25,
                              line_of=stackfile.read(path).line_of, services=SERVICES)


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A stack file outside the repository (--stack-file takes any path)."""
    path = tmp_path_factory.mktemp("elsewhere") / "Pulumi.canary.yaml"
    path.write_text((REPO / "Pulumi.staging.yaml").read_text())
    return path


@pytest.fixture(scope="module")
def mixed(outside) -> report.Report:
    """prod: mandatory, advisory, waived; staging: clean; canary (outside the repo): stack-wide."""
    return report.Report(
        stacks=(
            _result("prod", REPO / "Pulumi.prod.yaml", WAIVED, TIMEOUT, BUDGET),
            _result("staging", REPO / "Pulumi.staging.yaml"),
            _result("canary", outside, CAPS),
        ),
        policies=policy_infos(),
        root=REPO,
    )


@pytest.fixture(scope="module")
def harmless() -> report.Report:
    """Only advisory and waived findings: the check passes."""
    return report.Report(stacks=(_result("prod", REPO / "Pulumi.prod.yaml", WAIVED, TIMEOUT),),
                         policies=policy_infos(), root=REPO)


def test_passed_means_no_unwaived_mandatory_violation(mixed, harmless):
    assert mixed.passed is False
    assert harmless.passed is True
    assert mixed.counts() == {"mandatory": 2, "advisory": 1, "waived": 1}


# --- table ----------------------------------------------------------------------------------------
def test_table_lists_each_stack_policy_resource_and_message(mixed, outside):
    text = report.render(mixed, "table")
    lines = text.splitlines()
    assert lines[0] == "prod (Pulumi.prod.yaml):"
    # failing first, then advisory, then waived
    labels = [line.split()[0] for line in lines[1:] if line.startswith("  ") and not line.startswith("    ")]
    assert labels[:3] == ["MANDATORY", "ADVISORY", "WAIVED"]
    assert "  MANDATORY connection-budget  database-instance (gcp:sql/databaseInstance:DatabaseInstance)" in lines
    assert any("2041 connections above the budget 152" in line for line in lines)
    assert "staging (Pulumi.staging.yaml): clean" in lines
    assert f"canary ({outside}):" in lines
    assert lines[-1] == "FAILED: 3 stacks checked, 2 mandatory, 1 advisory, 1 waived"


def test_table_verdict_passes_with_only_advisory_and_waived(harmless):
    assert report.render(harmless, "table").splitlines()[-1] == (
        "passed: 1 stack checked, 0 mandatory, 1 advisory, 1 waived")


# --- json -----------------------------------------------------------------------------------------
def test_json_is_designs_shape_with_the_stack_added(mixed):
    doc = json.loads(report.render(mixed, "json"))
    assert set(doc) == {"passed", "violations"}
    assert doc["passed"] is False
    assert [(v["stack"], v["policy"], v["enforcement"], v["waived"]) for v in doc["violations"]] == [
        ("prod", "connection-budget", "mandatory", False),
        ("prod", "timeout-coherence", "advisory", False),
        ("prod", "no-bypass-flags", "mandatory", True),
        ("canary", "capacity-caps", "mandatory", False),
    ]
    for v in doc["violations"]:
        assert set(v) == {"policy", "resource", "resource_type", "message", "enforcement", "waived", "stack"}
    assert doc["violations"][1]["message"] == TIMEOUT.message  # exactly, special characters and all


# --- SARIF ----------------------------------------------------------------------------------------
def test_sarif_is_valid_and_describes_every_policy(mixed):
    doc = json.loads(report.render(mixed, "sarif"))
    validate_sarif(doc)
    assert doc["version"] == "2.1.0"
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "golden-path"
    assert [r["id"] for r in driver["rules"]] == [p.name for p in POLICIES]
    for rule, policy in zip(driver["rules"], POLICIES, strict=True):
        assert rule["fullDescription"]["text"] == policy.description
        assert rule.get("helpUri") == policy.url
        assert rule["defaultConfiguration"]["level"] == "error"  # the pack's default is mandatory
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_levels_suppressions_and_locations(mixed, outside):
    results = json.loads(report.render(mixed, "sarif"))["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert {rule: r["level"] for rule, r in by_rule.items()} == {
        "connection-budget": "error", "timeout-coherence": "warning", "no-bypass-flags": "note",
        "capacity-caps": "error"}

    waived = by_rule["no-bypass-flags"]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "load test INC-7 (owner team-api, until 2099-01-01)"}]
    assert all("suppressions" not in r for r in results if r is not waived)

    prod = stackfile.read(REPO / "Pulumi.prod.yaml")
    budget = by_rule["connection-budget"]["locations"][0]
    assert budget["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.prod.yaml"
    assert budget["physicalLocation"]["artifactLocation"]["uriBaseId"] == "SRCROOT"
    assert budget["physicalLocation"]["region"]["startLine"] == prod.line_of("golden-path:database",
                                                                             "max_connections")
    assert budget["logicalLocations"] == [{
        "name": "database-instance", "kind": "resource",
        "fullyQualifiedName": "prod::gcp:sql/databaseInstance:DatabaseInstance::database-instance"}]
    heartbeat = by_rule["timeout-coherence"]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert heartbeat == prod.line_of("golden-path:services", "web", "websocket", "heartbeat_s")
    bypass = by_rule["no-bypass-flags"]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert bypass == prod.line_of("golden-path:services", "api")  # the flag is not in this file

    # outside the repository: an absolute file URI, and a line in that file
    canary = by_rule["capacity-caps"]["locations"][0]["physicalLocation"]
    assert canary["artifactLocation"]["uri"] == outside.resolve().as_uri()
    assert "uriBaseId" not in canary["artifactLocation"]
    assert canary["region"]["startLine"] == stackfile.read(outside).line_of("golden-path:services")


def test_sarif_fingerprints_tell_apart_findings_on_one_resource():
    second = Violation(BUDGET.policy, BUDGET.resource, BUDGET.resource_type, "another finding. Fix: it.", "mandatory")
    doc = report.as_sarif(report.Report(stacks=(_result("prod", REPO / "Pulumi.prod.yaml", BUDGET, second),),
                                        policies=policy_infos(), root=REPO))
    fingerprints = [r["partialFingerprints"]["goldenPath/v1"] for r in doc["runs"][0]["results"]]
    assert fingerprints == ["prod:connection-budget:database-instance:1", "prod:connection-budget:database-instance:2"]


def test_sarif_of_a_clean_run_is_valid_with_no_results():
    clean = report.Report(stacks=(_result("prod", REPO / "Pulumi.prod.yaml"),), policies=policy_infos(), root=REPO)
    doc = json.loads(report.render(clean, "sarif"))
    validate_sarif(doc)
    assert doc["runs"][0]["results"] == []
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == len(POLICIES)


def test_sarif_from_the_cli_is_valid_and_points_at_the_culprit_key(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["check", "--all", "--format", "sarif"]) == 0
    validate_sarif(json.loads(capsys.readouterr().out))

    for file_name, expected in EXPECTED.items():
        out = tmp_path / f"{file_name}.sarif"
        main(["check", "--stack-file", str(BROKEN / file_name), "--format", "sarif", "--output", str(out)])
        capsys.readouterr()
        doc = json.loads(out.read_text())
        validate_sarif(doc)
        lines = stackfile.read(BROKEN / file_name)
        results = doc["runs"][0]["results"]
        assert len(results) == len(expected["violations"])
        for e in expected["violations"]:
            [result] = [r for r in results if r["ruleId"] == e["policy"]
                        and r["locations"][0]["logicalLocations"][0]["name"] == e["resource"]]
            location = result["locations"][0]["physicalLocation"]
            assert location["artifactLocation"]["uri"] == f"tests/broken_stacks/{file_name}"
            assert location["region"]["startLine"] == lines.line_of(*e["sarif_key"]), file_name


# --- JUnit XML ------------------------------------------------------------------------------------
def _cases(suite: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(case.get("classname"), case.get("name")): case for case in suite.iter("testcase")}


def test_junit_has_a_suite_per_stack_and_a_case_per_policy_and_resource(mixed):
    root = ET.fromstring(report.render(mixed, "junit").encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["prod", "staging", "canary"]
    names = [p.name for p in POLICIES]

    prod = _cases(suites[0])
    # one case per policy x flagged resource, one passing case per policy with none
    assert len(prod) == len(names)
    failure = prod[("prod.connection-budget", "database-instance")].find("failure")
    assert failure is not None and failure.get("type") == "mandatory"
    assert failure.get("message") == BUDGET.message
    assert "gcp:sql/databaseInstance:DatabaseInstance database-instance" in failure.text
    skipped = prod[("prod.no-bypass-flags", "service-api-service")]
    assert skipped.find("skipped") is not None and skipped.find("failure") is None
    assert "waived:" in skipped.find("system-out").text
    advisory = prod[("prod.timeout-coherence", "service-web-service")]
    assert advisory.find("failure") is None and advisory.find("skipped") is None
    assert advisory.find("system-out").text.startswith("advisory: ")
    assert '<&> "quoted"?' in advisory.find("system-out").text  # escaped; the control character replaced
    assert ("prod.health-checks", "health-checks: every resource") in prod

    staging = _cases(suites[1])
    assert len(staging) == len(names)
    assert all(len(case) == 0 for case in staging.values())  # all passing


def test_junit_counts_match_the_cases(mixed):
    root = ET.fromstring(report.render(mixed, "junit").encode())
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert suite.get("errors") == "0"
        assert float(suite.get("time")) == pytest.approx(0.25)
        assert suite.find("properties/property[@name='stack_file']") is not None
    for key in ("tests", "failures", "skipped"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in root.findall("testsuite"))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == (
        str(3 * len(POLICIES)), "2", "1")


def test_junit_from_the_cli_for_a_broken_stack(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "junit.xml"
    code = main(["check", "--stack-file", str(BROKEN / "Pulumi.ports.yaml"), "--format", "junit",
                 "--output", str(out)])
    capsys.readouterr()
    assert code == 1
    text = out.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    [suite] = ET.fromstring(text.encode()).findall("testsuite")
    assert suite.get("name") == "ports"
    failed = [(c.get("classname"), c.get("name")) for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == [("ports.no-port-conflicts", "service-worker-container")]


def test_unknown_format_is_refused(mixed):
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        report.render(mixed, "yaml")
