"""`--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

Validated against the vendored OASIS schema, from hand-made reports and from the CLI over every committed
and broken stack (each result's line checked against the stack file) and over the incident's connector.
One run per stack, each its own category; every rule explains itself (help, documentation link, tags,
precision, severity); suppressions on every result or none; config errors are stack-config results.
"""

from __future__ import annotations

import json

from infra import stackfile
from infra.cli import main
from infra.reports.formats import render
from infra.reports.links import RepositoryLinks
from infra.reports.model import tool_version
from infra.reports.sarif import automation_id
from policies.pack import POLICIES, POLICY_NAMES, SECURITY
from tests.broken_stacks import EXPECTED
from tests.conftest import REPO
from tests.report_fixtures import CONNECTOR_MAX, PROD, incident_file, report_of, stack_result
from tests.sarif_schema import validate_sarif

RULE_IDS = [*POLICY_NAMES, "stack-config"]
# GitHub reads security-severity as: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
GITHUB_SEVERITY_BANDS = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}


def sarif(report) -> dict:
    doc = json.loads(render(report, "sarif"))
    validate_sarif(doc)
    return doc


def test_one_run_per_stack_each_its_own_category(mixed):
    doc = sarif(mixed)
    assert doc["version"] == "2.1.0"
    assert [run["automationDetails"]["id"] for run in doc["runs"]] == [
        "golden-path/check/prod/", "golden-path/check/staging/", "golden-path/check/canary/"]
    for run, stack in zip(doc["runs"], ("prod", "staging", "canary"), strict=True):
        assert {result["properties"]["stack"] for result in run["results"]} <= {stack}
        assert len(run["artifacts"]) == 1
        driver = run["tool"]["driver"]
        assert [rule["id"] for rule in driver["rules"]] == RULE_IDS  # the same rules in every run
        for result in run["results"]:
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert [len(run["results"]) for run in doc["runs"]] == [3, 0, 1]


def test_the_tool_names_its_version_and_documentation(mixed):
    driver = sarif(mixed)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "golden-path"
    assert driver["version"] == tool_version()
    assert driver["informationUri"] == (REPO / "README.md").resolve().as_uri()


def test_every_rule_explains_itself(mixed):
    rules = sarif(mixed)["runs"][0]["tool"]["driver"]["rules"]
    for rule, policy in zip(rules[:-1], POLICIES, strict=True):
        url = (REPO / "policies" / "README.md").resolve().as_uri() + "#" + policy.name
        assert rule["fullDescription"]["text"] == policy.description
        assert rule["helpUri"] == url
        assert rule["help"]["text"] == f"{policy.description}\n\n{policy.remediation_steps}\n\nSee {url}"
        assert rule["help"]["markdown"].endswith(f"[{policy.url}]({url})")
        assert "<" not in rule["help"]["markdown"]  # escaped: GitHub would take <name> for HTML and drop it
        assert rule["defaultConfiguration"]["level"] == "error"  # the pack's default is mandatory
        properties = rule["properties"]
        assert properties["tags"] == policy.tags
        assert properties["precision"] == "very-high"
        assert properties["problem.severity"] in ("error", "warning", "recommendation")
        if SECURITY in policy.tags:
            low, high = GITHUB_SEVERITY_BANDS[policy.severity.value]
            assert low <= float(properties["security-severity"]) <= high, policy.name
        else:
            assert "security-severity" not in properties  # it would make the rule's alerts security alerts
    config = rules[-1]
    assert (config["id"], config["defaultConfiguration"]["level"]) == ("stack-config", "error")
    assert config["helpUri"].endswith("policies/README.md#stack-config")


def test_in_github_actions_the_documentation_links_to_github(mixed):
    actions = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/golden-path",
               "GITHUB_SHA": "0123abc"}
    on_github = report_of(*mixed.stacks, links=RepositoryLinks.from_environment(REPO, actions))
    run = sarif(on_github)["runs"][0]
    blob = "https://github.com/acme/golden-path/blob/0123abc"
    assert run["tool"]["driver"]["informationUri"] == f"{blob}/README.md"
    rule = run["tool"]["driver"]["rules"][POLICY_NAMES.index("connection-budget")]
    assert rule["helpUri"] == f"{blob}/policies/README.md#connection-budget"
    assert f"({blob}/policies/README.md#connection-budget)" in rule["help"]["markdown"]


def test_levels_suppressions_and_locations(mixed, outside):
    runs = sarif(mixed)["runs"]
    results = [result for run in runs for result in run["results"]]
    by_rule = {r["ruleId"]: r for r in results}
    assert {rule: r["level"] for rule, r in by_rule.items()} == {
        "connection-budget": "error", "timeout-coherence": "warning", "no-bypass-flags": "note",
        "capacity-caps": "error"}

    # SARIF 2.1.0 3.27.23: on every result of a run or on none; [] means not suppressed
    waived = by_rule["no-bypass-flags"]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "load test INC-7 (owner team-api, until 2099-01-01)"}]
    assert all(r["suppressions"] == [] for r in results if r is not waived)

    prod = stackfile.read(PROD)
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


def test_results_leave_fingerprints_to_upload_sarif(mixed):
    """Code scanning uses only primaryLocationLineHash, which upload-sarif computes from the line."""
    assert all("partialFingerprints" not in r for run in sarif(mixed)["runs"] for r in run["results"])


def test_a_clean_run_is_valid_with_no_results():
    [run] = sarif(report_of(stack_result("prod", PROD)))["runs"]
    assert run["results"] == []
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == RULE_IDS


def test_config_errors_are_stack_config_results_at_their_line(incident):
    bad, clean = sarif(incident)["runs"]
    [problem] = incident.errors
    [result] = bad["results"]
    assert (result["ruleId"], result["level"], result["suppressions"]) == ("stack-config", "error", [])
    assert result["message"]["text"] == f"network.connector.max_instances: {problem.message}"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == problem.path.resolve().as_uri()
    assert location["physicalLocation"]["region"]["startLine"] == stackfile.read(PROD).line_of(*CONNECTOR_MAX)
    assert location["logicalLocations"][0]["name"] == "network.connector.max_instances"
    assert bad["automationDetails"]["id"] == "golden-path/check/incident/"
    assert clean["results"] == []


def test_from_the_cli_valid_and_pointing_at_the_culprit_key(capsys, tmp_path, monkeypatch, broken_stacks):
    monkeypatch.chdir(REPO)
    assert main(["check", "--all", "--format", "sarif"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate_sarif(doc)
    assert [run["automationDetails"]["id"] for run in doc["runs"]] == [
        automation_id(stack) for stack in ("local", "staging", "prod")]

    for file_name, expected in EXPECTED.items():
        out = tmp_path / f"{file_name}.sarif"
        main(["check", "--stack-file", str(broken_stacks[file_name]), "--format", "sarif", "--output", str(out)])
        capsys.readouterr()
        doc = json.loads(out.read_text())
        validate_sarif(doc)
        lines = stackfile.read(broken_stacks[file_name])
        [run] = doc["runs"]
        results = run["results"]
        assert len(results) == len(expected["violations"])
        for e in expected["violations"]:
            [result] = [r for r in results if r["ruleId"] == e["policy"]
                        and r["locations"][0]["logicalLocations"][0]["name"] == e["resource"]]
            location = result["locations"][0]["physicalLocation"]
            assert location["artifactLocation"]["uri"] == broken_stacks[file_name].resolve().as_uri()
            assert location["region"]["startLine"] == lines.line_of(*e["sarif_key"]), file_name


def test_the_incident_from_the_cli_is_a_stack_config_result(capsys, tmp_path, monkeypatch):
    """It used to print nothing and exit 2, so the upload step skipped and the PR showed nothing."""
    monkeypatch.chdir(REPO)
    path = incident_file(tmp_path)
    assert main(["check", "--stack-file", str(path), "--format", "sarif"]) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    validate_sarif(doc)
    [result] = doc["runs"][0]["results"]
    assert result["ruleId"] == "stack-config"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == stackfile.read(PROD).line_of(
        *CONNECTOR_MAX)
    assert "network.connector.max_instances: 100 is above 10" in err  # people reading the log see it too


def test_two_stacks_uploaded_apart_have_distinct_categories(capsys, monkeypatch):
    """The pull-request workflow uploads each stack's SARIF on its own; each must keep its own alerts."""
    monkeypatch.chdir(REPO)
    categories = []
    for stack in ("staging", "prod"):
        assert main(["check", "--stack", stack, "--format", "sarif"]) == 0
        [run] = json.loads(capsys.readouterr().out)["runs"]
        categories.append(run["automationDetails"]["id"])
    assert categories == ["golden-path/check/staging/", "golden-path/check/prod/"]
