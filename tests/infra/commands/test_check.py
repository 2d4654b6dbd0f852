"""`infra check` end to end: stacks planned under mocks, the real policy pack, the real CLI.

Exit codes (0 clean, 1 mandatory violations, 2 bad input), --output, DESIGN.md's JSON shape,
waivers (active: reported as waived, not failing; expired: failing, "expired on"), config errors
reported as findings while the other stacks are still checked, and the broken stacks of
tests/broken_stacks/, each compared exactly with expected.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import offline
from infra.cli import main
from tests.broken_stacks import EXPECTED, stack_file_names
from tests.conftest import REPO, STACKS
from tests.report_fixtures import incident_file

DESIGN_KEYS = {"policy", "resource", "resource_type", "message", "enforcement", "waived"}
PROD_POLICY_CONFIG = REPO / "policies" / "config" / "prod.json"


def check(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys, *args: str) -> tuple[int, dict]:
    code, out, err = check(capsys, *args, "--format", "json")
    assert out, f"no JSON on stdout (exit {code}): {err}"
    return code, json.loads(out)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    """Stacks and default policy configs are found from the project root, as in CI."""
    monkeypatch.chdir(REPO)


# --- exit codes -----------------------------------------------------------------------------------
def test_committed_stacks_pass_with_all(capsys):
    code, report = check_json(capsys, "--all")
    failing = [v for v in report["violations"] if v["enforcement"] == "mandatory" and not v["waived"]]
    assert failing == []
    assert report["passed"] is True
    assert code == 0


def test_all_as_a_subprocess_exits_0_and_prints_the_table():
    """The console script CI runs, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-m", "infra.cli", "check", "--all"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for stack in ("local", "staging", "prod"):
        assert f"{stack} (Pulumi.{stack}.yaml" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("passed: 3 stacks checked")


def test_a_broken_stack_exits_1(capsys, broken_stacks):
    code, out, _ = check(capsys, "--stack-file", str(broken_stacks["Pulumi.budget.yaml"]))
    assert code == 1
    assert "MANDATORY connection-budget  database-instance" in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED: 1 stack checked, 1 mandatory")


def test_missing_stack_file_exits_2(capsys, tmp_path):
    missing = tmp_path / "Pulumi.nowhere.yaml"
    code, out, err = check(capsys, "--stack-file", str(missing))
    assert (code, out) == (2, "")
    assert str(missing) in err and "no such stack file" in err


def test_a_file_not_named_as_a_stack_exits_2(capsys, tmp_path):
    path = tmp_path / "prod.yaml"
    path.write_text((REPO / "Pulumi.prod.yaml").read_text())
    code, out, err = check(capsys, "--stack-file", str(path))
    assert (code, out) == (2, "")
    assert "a stack file is named Pulumi.<stack>.yaml" in err


def test_malformed_yaml_exits_2_naming_file_and_line(capsys, write_stack):
    path = write_stack("config:\n  golden-path:environment: prod\n  golden-path:target: [gcp\n", name="bad")
    code, out, err = check(capsys, "--stack-file", str(path))
    assert code == 2
    assert f"  ERROR     stack-config  {path}:4" in out.splitlines()
    assert "malformed YAML" in out
    assert err == ""  # the table on stdout is for people: said once


def test_config_the_model_refuses_exits_2(capsys, tmp_path):
    path = incident_file(tmp_path)
    code, out, _ = check(capsys, "--stack-file", str(path))
    assert code == 2
    assert "network.connector.max_instances" in out and "100 is above 10" in out
    assert out.splitlines()[-1] == "FAILED: 1 stack checked, 0 mandatory, 0 advisory, 0 waived, 1 config error"


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "markdown"])
def test_config_errors_reach_every_format_and_people_on_stderr(capsys, tmp_path, fmt):
    path = incident_file(tmp_path)
    code, out, err = check(capsys, "--stack-file", str(path), "--format", fmt)
    assert code == 2
    assert "100 is above 10" in out
    assert f"{path}:" in err and "network.connector.max_instances: 100 is above 10" in err


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of this project's stacks and policy configs, the working directory: --all checks its stacks."""
    for name in ("Pulumi.yaml", *(f"Pulumi.{stack}.yaml" for stack in STACKS)):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "policies" / "config", tmp_path / "policies" / "config")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_all_goes_on_past_a_bad_stack_and_reports_every_stack(capsys, project, broken_stacks):
    incident_file(project)
    shutil.copy(broken_stacks["Pulumi.budget.yaml"], project / "Pulumi.budget.yaml")
    code, report = check_json(capsys, "--all")
    assert code == 2  # bad input wins over violations
    assert [(e["stack"], e["file"], e["key"]) for e in report["errors"]] == [
        ("incident", "Pulumi.incident.yaml", "network.connector.max_instances")]
    assert [(v["stack"], v["policy"]) for v in report["violations"]] == [("budget", "connection-budget")]
    code, out, _ = check(capsys, "--all")
    headers = [line.split(" ", 1)[0] for line in out.splitlines() if not line.startswith(" ")][:-1]
    assert headers == [*STACKS, "budget", "incident"]  # the good ones fully, in --all's order


def test_several_stacks_go_on_past_a_bad_one(capsys, project):
    incident_file(project)
    code, out, _ = check(capsys, "--stack", "incident", "--stack", "prod")
    assert code == 2
    assert "prod (Pulumi.prod.yaml, policy config policies/config/prod.json): clean" in out


@pytest.fixture
def planned(monkeypatch) -> list[str]:
    """The stack files offline.plan is called with, in order."""
    calls: list[str] = []
    real = offline.plan

    def counting(path, text=None):
        calls.append(Path(path).name)
        return real(path, text)

    monkeypatch.setattr(offline, "plan", counting)
    return calls


def test_each_stack_is_planned_once(capsys, planned):
    assert check(capsys, "--all", "--format", "sarif")[0] == 0
    assert planned == ["Pulumi.local.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]


def test_unknown_stack_exits_2_before_planning_anything(capsys, planned):
    code, out, err = check(capsys, "--stack", "prod", "--stack", "qa")
    assert planned == []
    assert (code, out) == (2, "")
    assert "no stack 'qa'" in err and "local, prod, staging" in err


@pytest.mark.parametrize(("content", "expected"), [
    ('{"connection-budget": "mandatory",', "not valid JSON"),
    ('{"conection-budget": "mandatory"}', "unknown policy 'conection-budget'; did you mean connection-budget?"),
    ('{"connection-budget": "fatal"}', "'fatal' is not an enforcement level"),
    ('{"connection-budget": {"headroom": 3}}', "connection-budget.headroom: 3 is above the maximum 1"),
    ('["mandatory"]', "expected a JSON object"),
])
def test_bad_policy_config_exits_2_before_planning(capsys, tmp_path, planned, content, expected):
    config = tmp_path / "policy.json"
    config.write_text(content)
    code, out, err = check(capsys, "--stack", "prod", "--policy-config", str(config))
    assert (code, out, planned) == (2, "", [])
    assert str(config) in err and expected in err


def test_missing_policy_config_exits_2(capsys, tmp_path):
    code, out, err = check(capsys, "--stack", "prod", "--policy-config", str(tmp_path / "none.json"))
    assert (code, out) == (2, "")
    assert "none.json: no such policy config" in err


# --- output ---------------------------------------------------------------------------------------
def test_output_writes_the_report_to_the_file(capsys, tmp_path, broken_stacks):
    target = tmp_path / "report.json"
    code, out, err = check(capsys, "--stack-file", str(broken_stacks["Pulumi.zonal.yaml"]), "--format", "json",
                           "--output", str(target))
    assert code == 1
    assert out == ""
    assert "FAILED: 1 stack checked" in err  # the verdict still reaches a person
    written = json.loads(target.read_text())
    assert written["passed"] is False
    assert [(v["policy"], v["resource"]) for v in written["violations"]] == [("security-baseline",
                                                                              "database-instance")]


def test_output_to_an_unwritable_place_exits_2(capsys, tmp_path):
    code, _, err = check(capsys, "--stack", "prod", "--output", str(tmp_path / "missing-dir" / "r.json"))
    assert code == 2
    assert "cannot be written" in err


def test_json_has_exactly_designs_shape(capsys, broken_stacks):
    stacks = ("budget", "bypass", "ports")
    for name in stacks:
        code, report = check_json(capsys, "--stack-file", str(broken_stacks[f"Pulumi.{name}.yaml"]))
        assert code == 1
        assert set(report) == {"passed", "violations", "errors"}
        assert report["passed"] is False
        assert report["violations"]
        assert report["errors"] == []
        for v in report["violations"]:
            # DESIGN.md's keys, plus the stack (--all mixes stacks)
            assert set(v) == DESIGN_KEYS | {"stack"}
            assert v["stack"] == name
            assert all(isinstance(v[k], str) and v[k] for k in DESIGN_KEYS - {"waived"})
            assert v["enforcement"] in ("mandatory", "advisory")
            assert isinstance(v["waived"], bool)


def test_several_stacks_are_reported_once_each_in_the_order_given(capsys):
    code, out, _ = check(capsys, "--stack", "prod", "--stack", "local", "--stack", "prod")
    assert code == 0
    headers = [line.split(" ", 1)[0] for line in out.splitlines() if not line.startswith(" ")][:-1]
    assert headers == ["prod", "local"]


# --- waivers --------------------------------------------------------------------------------------
def _policy_config_with_waiver(tmp_path: Path, expires: str) -> Path:
    config = json.loads(PROD_POLICY_CONFIG.read_text())
    entry = config["connection-budget"]
    entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
    entry["waivers"] = [{"resource": "database-*", "reason": "migration to pgbouncer under way (INC-2211)",
                         "owner": "team-platform", "expires": expires}]
    config["connection-budget"] = entry
    path = tmp_path / "prod-waived.json"
    path.write_text(json.dumps(config))
    return path


def test_an_active_waiver_is_reported_as_waived_and_does_not_fail(capsys, tmp_path, broken_stacks):
    config = _policy_config_with_waiver(tmp_path, "2099-12-31")
    code, report = check_json(capsys, "--stack-file", str(broken_stacks["Pulumi.budget.yaml"]),
                              "--policy-config", str(config))
    assert code == 0
    assert report["passed"] is True
    [violation] = report["violations"]
    assert (violation["policy"], violation["resource"], violation["enforcement"], violation["waived"]) == (
        "connection-budget", "database-instance", "mandatory", True)
    assert "= 2041 connections" in violation["message"]  # what was waived stays visible
    assert "INC-2211" in violation["message"] and "until 2099-12-31" in violation["message"]


def test_an_expired_waiver_fails_and_says_when_it_expired(capsys, tmp_path, broken_stacks):
    config = _policy_config_with_waiver(tmp_path, "2020-01-31")
    code, report = check_json(capsys, "--stack-file", str(broken_stacks["Pulumi.budget.yaml"]),
                              "--policy-config", str(config))
    assert code == 1
    assert report["passed"] is False
    [violation] = report["violations"]
    assert (violation["policy"], violation["waived"], violation["enforcement"]) == (
        "connection-budget", False, "mandatory")
    assert "expired on 2020-01-31" in violation["message"]
    assert "= 2041 connections" in violation["message"]


def test_an_advisory_policy_reports_but_does_not_fail(capsys, tmp_path, broken_stacks):
    config = json.loads(PROD_POLICY_CONFIG.read_text())
    config["security-baseline"] = {**config["security-baseline"], "enforcementLevel": "advisory"}
    path = tmp_path / "prod-advisory.json"
    path.write_text(json.dumps(config))
    code, report = check_json(capsys, "--stack-file", str(broken_stacks["Pulumi.zonal.yaml"]),
                              "--policy-config", str(path))
    assert code == 0
    assert report["passed"] is True
    assert [(v["policy"], v["enforcement"], v["waived"]) for v in report["violations"]] == [
        ("security-baseline", "advisory", False)]


# --- broken stacks --------------------------------------------------------------------------------
def test_every_broken_stack_file_has_an_expectation():
    files = stack_file_names()
    assert files == sorted(EXPECTED)
    assert len(files) >= 10


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_broken_stack_gives_exactly_the_expected_violations(capsys, broken_stacks, file_name):
    expected = EXPECTED[file_name]["violations"]
    code, report = check_json(capsys, "--stack-file", str(broken_stacks[file_name]))

    found = sorted((v["policy"], v["resource"], v["enforcement"], v["waived"]) for v in report["violations"])
    wanted = sorted((e["policy"], e["resource"], e["enforcement"], False) for e in expected)
    assert found == wanted, "\n".join(f"{v['policy']} {v['resource']}: {v['message']}"
                                      for v in report["violations"])
    assert code == (1 if any(e["enforcement"] == "mandatory" for e in expected) else 0)
    assert report["passed"] is (code == 0)

    for e in expected:
        [violation] = [v for v in report["violations"] if (v["policy"], v["resource"]) == (e["policy"], e["resource"])]
        message = violation["message"]
        missing = [part for part in e["message_contains"] if part not in message]
        assert not missing, f"{file_name}: {message!r} lacks {missing}"
        # every message: the values, where the limit comes from, and what to do
        assert "Fix: " in message
        assert "http" in message or "policy config" in message or "policies/README.md" in message
