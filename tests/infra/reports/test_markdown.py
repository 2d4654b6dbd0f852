"""`--format markdown`: the summary a pull request shows ($GITHUB_STEP_SUMMARY, a PR comment).

Per stack passed or failed; each finding with its rule (linked to its documentation), severity, the stack
file line (linked: to GitHub in Actions, relative elsewhere), what was found and the fix; waivers with their
expiry; the remediation steps of each rule that found something; config errors at their line.
"""

from __future__ import annotations

from infra import stackfile
from infra.cli import main
from infra.reports.formats import render
from infra.reports.links import RepositoryLinks
from infra.reports.model import Report
from policies.pack import POLICIES
from tests.conftest import REPO
from tests.report_fixtures import CONNECTOR_MAX, PROD, config_errors, incident_file, report_of

REMEDIATION = {p.name: p.remediation_steps for p in POLICIES}


def _line(key: tuple[str, ...]) -> int:
    return stackfile.read(PROD).line_of(*key)


def test_a_heading_and_the_counts_then_each_stack(mixed):
    lines = render(mixed, "markdown").splitlines()
    assert lines[:3] == ["## ❌ infra check failed", "", "3 stacks checked, 2 mandatory, 1 advisory, 1 waived"]
    assert "### ❌ prod: failed" in lines
    assert "### ✅ staging: passed" in lines
    assert "`Pulumi.staging.yaml`: no findings." in lines
    assert "### ❌ canary: failed" in lines


def test_each_finding_links_its_rule_and_its_line_and_says_the_fix(mixed):
    lines = render(mixed, "markdown").splitlines()
    line = _line(("golden-path:database", "max_connections"))
    at = lines.index(f"- ❌ **mandatory** [`connection-budget`](policies/README.md#connection-budget) (critical) "
                     f"on `database-instance` at [`Pulumi.prod.yaml:{line}`](Pulumi.prod.yaml#L{line})")
    assert lines[at + 1:at + 3] == [
        "  - Cloud SQL instance gp-prod-pg: 2041 connections above the budget 152 (200 max_connections).",
        "  - **Fix:** raise max_connections."]


def test_advisory_findings_are_escaped_and_waivers_show_their_expiry(mixed):
    lines = render(mixed, "markdown").splitlines()
    advisory = next(i for i, line in enumerate(lines) if line.startswith("- ⚠️ **advisory** [`timeout-coherence`]"))
    assert lines[advisory + 1].startswith('  - Cloud Run service gp-prod-web: WEBSOCKET_HEARTBEAT_TIMEOUT 30s '
                                          '&lt;&amp;&gt; "quoted"')
    waived = next(i for i, line in enumerate(lines) if line.startswith("- 💤 **waived** until 2099-01-01 "))
    assert "[`no-bypass-flags`](policies/README.md#no-bypass-flags) (high) on `service-api-service`" in lines[waived]
    assert lines[waived + 1:waived + 4] == [
        "  - Cloud Run service gp-prod-api: bypass flag EMERGENCY_BYPASS=true is on in prod.",
        "  - **Fix:** remove it.",
        "  - **Waiver:** load test INC-7 (owner team-api, until 2099-01-01)"]


def test_a_file_outside_the_repository_is_named_not_linked(mixed, outside):
    line = stackfile.read(outside).line_of("golden-path:services")
    assert f"on `stack` at `{outside}:{line}`" in render(mixed, "markdown")


def test_how_to_fix_gives_each_rule_that_found_something_once(mixed):
    text = render(mixed, "markdown")
    prod = text.split("### ❌ prod: failed")[1].split("###")[0]
    steps = prod.split("**How to fix**")[1].strip().splitlines()
    assert [step.split("`")[1] for step in steps] == ["connection-budget", "timeout-coherence", "no-bypass-flags"]
    assert steps[0].endswith(REMEDIATION["connection-budget"])


def test_in_github_actions_links_open_github_at_the_checked_commit(mixed):
    actions = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/golden-path",
               "GITHUB_SHA": "0123abc"}
    text = render(report_of(*mixed.stacks, links=RepositoryLinks.from_environment(REPO, actions)), "markdown")
    blob = "https://github.com/acme/golden-path/blob/0123abc"
    line = _line(("golden-path:database", "max_connections"))
    assert f"[`connection-budget`]({blob}/policies/README.md#connection-budget)" in text
    assert f"[`Pulumi.prod.yaml:{line}`]({blob}/Pulumi.prod.yaml#L{line})" in text


def test_config_errors_at_their_line(tmp_path):
    path = incident_file(tmp_path)
    report = Report(stacks=(config_errors(path),), policies=(), root=tmp_path)
    lines = render(report, "markdown").splitlines()
    [problem] = report.errors
    line = _line(CONNECTOR_MAX)
    assert lines[:3] == ["## ❌ infra check failed", "", "1 stack checked, 0 mandatory, 0 advisory, 0 waived, "
                                                          "1 config error"]
    at = lines.index("- ❌ **config error** [`stack-config`](policies/README.md#stack-config) "
                     f"`network.connector.max_instances` at [`Pulumi.incident.yaml:{line}`]"
                     f"(Pulumi.incident.yaml#L{line})")
    assert lines[at + 1] == f"  - {problem.message}"
    assert lines[-1].startswith("- [`stack-config`](policies/README.md#stack-config): Change the value")


def test_from_the_cli(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["check", "--all", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## ✅ infra check passed\n")
    assert "### ✅ prod: passed" in out
