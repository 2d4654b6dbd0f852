"""The pack under Pulumi's conventions: a secret from the stack config reaches no-plaintext-secrets the
way the engine sends it (over the Analyzer protocol, the pack served as the CLI serves it, and
in-process through policies.runner, with the same verdicts), and a policy config with ESC
`environments` (Pulumi 3.230) is read as the CLI reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import offline
from infra.cli import main
from policies import runner
from policies.pack import NO_PLAINTEXT_SECRETS
from policies.runner import PolicyConfigError, load_policy_config
from tests.conftest import REPO
from tests.pack_server import analyze_stack_request, configure, configure_stack
from tests.policy_fixtures import CONFIG_DIR, LOCAL_CONFIG, PROD_CONFIG
from tests.pulumi_stack_files import ENVIRONMENT, KMS, pulumi_stack, secret_env

Finding = tuple[str, str]  # resource name, message


def on_the_wire(analyzer, plan: offline.Plan, policy_config: dict[str, Any]) -> list[Finding]:
    """no-plaintext-secrets' findings when the CLI sends the plan's resources to the served pack."""
    configure_stack(analyzer, plan.stack)
    configure(analyzer, policy_config)
    names = {r.urn: r.name for r in plan.resources}
    response = analyzer.AnalyzeStack(analyze_stack_request(plan.resources))
    # pulumi_policy puts the policy's description on the first line of each message
    return sorted((names[d.urn], d.message.split("\n", 1)[1]) for d in response.diagnostics
                  if d.policyName == NO_PLAINTEXT_SECRETS)


def in_process(plan: offline.Plan, policy_config: dict[str, Any]) -> list[Finding]:
    return sorted((v.resource, v.message) for v in runner.evaluate(plan.resources, policy_config)
                  if v.policy == NO_PLAINTEXT_SECRETS)


def test_a_secret_in_a_cloud_run_env_value_fails_alike_on_the_wire_and_offline(analyzer, tmp_path: Path) -> None:
    plan = offline.plan(pulumi_stack(tmp_path, "prod", KMS + ENVIRONMENT, secret_env("prod")))
    found = in_process(plan, PROD_CONFIG)
    assert found == on_the_wire(analyzer, plan, PROD_CONFIG)
    (resource, message), = found
    assert resource == "service-api-service"
    assert message.startswith("Cloud Run service gp-prod-api: SENTRY_DSN is a Pulumi secret delivered as a plain "
                              "environment value (value hidden): anyone with run.services.get reads it")


def test_a_secret_in_a_docker_env_value_passes_alike_on_the_wire_and_offline(analyzer, tmp_path: Path) -> None:
    plan = offline.plan(pulumi_stack(tmp_path, "local", edits=secret_env("local")))
    assert in_process(plan, LOCAL_CONFIG) == on_the_wire(analyzer, plan, LOCAL_CONFIG) == []


# --- ESC environments in a policy config -------------------------------------------------------------------
def policy_file(tmp_path: Path, **entries: Any) -> Path:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({**json.loads((CONFIG_DIR / "prod.json").read_text()), **entries}))
    return path


def test_environments_are_not_a_policy(tmp_path: Path) -> None:
    path = policy_file(tmp_path, environments=["golden-path/policy-secrets", "golden-path/prod"])
    assert load_policy_config(path)["environments"] == ["golden-path/policy-secrets", "golden-path/prod"]


@pytest.mark.parametrize(("environments", "expected"), [
    ("golden-path/prod", "environments: 'golden-path/prod' is not a list"),
    (["golden-path/prod", 3], "environments[1]: 3 is not a string"),
])
def test_environments_are_a_list_of_names_as_the_cli_requires(tmp_path: Path, environments, expected) -> None:
    path = policy_file(tmp_path, environments=environments)
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert str(raised.value) == f"{path}: {expected}"


def test_check_reads_a_policy_config_with_environments(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    path = policy_file(tmp_path, environments=["golden-path/policy-secrets"])
    assert main(["check", "--stack", "prod", "--policy-config", str(path)]) == 0, capsys.readouterr()
