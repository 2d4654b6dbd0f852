"""The offline runner: enforcement levels, config files and their errors, speed."""

from __future__ import annotations

import json
import time

import pytest

from policies.pack import POLICY_NAMES
from policies.runner import PolicyConfigError, evaluate, load_policy_config
from tests.policy_fixtures import CONFIG_DIR, PROD_CONFIG, docker_stack, gcp_stack, run_service, violations

REPO_CONFIGS = ("local", "staging", "prod")


def levels(config):
    return {(v.policy, v.enforcement) for v in evaluate([run_service(cpu="9", memory="4Gi")], config)}


def test_default_is_mandatory():
    assert levels({}) == {("cloud-run-limits", "mandatory")}


@pytest.mark.parametrize("config, expected", [
    ({"cloud-run-limits": "advisory"}, {("cloud-run-limits", "advisory")}),
    ({"cloud-run-limits": {"enforcementLevel": "advisory"}}, {("cloud-run-limits", "advisory")}),
    ({"cloud-run-limits": "disabled"}, set()),
    ({"cloud-run-limits": "remediate"}, {("cloud-run-limits", "mandatory")}),
    ({"all": "advisory"}, {("cloud-run-limits", "advisory")}),
    ({"all": "disabled", "cloud-run-limits": "mandatory"}, {("cloud-run-limits", "mandatory")}),
    ({"all": "advisory", "cloud-run-limits": {"waivers": []}}, {("cloud-run-limits", "advisory")}),
])
def test_enforcement_levels(config, expected):
    assert levels(config) == expected


def test_disabled_policy_is_not_run_at_all():
    found = violations([run_service(cpu="9", memory="4Gi")], None, {**PROD_CONFIG, "all": "disabled"})
    assert found == []


@pytest.mark.parametrize("name", REPO_CONFIGS)
def test_committed_configs_load_and_name_every_policy(name):
    config = load_policy_config(CONFIG_DIR / f"{name}.json")
    assert set(config) == set(POLICY_NAMES)
    assert config["security-baseline"]["environment"] == name
    assert config["no-bypass-flags"]["environment"] == name


def write(tmp_path, text):
    path = tmp_path / "policy.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, expected", [
    ("{", "policy.json:1:2: not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"capacity-cap": "mandatory"}', "unknown policy 'capacity-cap'; did you mean capacity-caps?"),
    ('{"health-checks": "strict"}', "health-checks: 'strict' is not an enforcement level (advisory, mandatory"),
    ('{"health-checks": {"enforcementLevel": 1}}', "health-checks: 1 is not an enforcement level"),
    ('{"health-checks": 3}', "health-checks: 3 is not an enforcement level"),
    ('{"capacity-caps": {"maxTotalInstance": 5}}', "capacity-caps.maxTotalInstance: unknown property; "
                                                   "did you mean maxTotalInstances?"),
    ('{"capacity-caps": {"maxTotalInstances": "5"}}', 'capacity-caps.maxTotalInstances: "5" is not an integer'),
    ('{"capacity-caps": {"maxTotalInstances": 0}}', "capacity-caps.maxTotalInstances: 0 is below the minimum 1"),
    ('{"connection-budget": {"headroom": 1.5}}', "connection-budget.headroom: 1.5 is above the maximum 1"),
    ('{"security-baseline": {"environment": "dev"}}', 'security-baseline.environment: "dev" is not one of'),
    ('{"all": {"enforcementLevel": "advisory", "headroom": 1}}', "all: takes an enforcement level only"),
    ('{"health-checks": {"waivers": [{"resource": "x", "reason": "r", "owner": "o"}]}}',
     "health-checks.waivers[0]: expires is required"),
    ('{"health-checks": {"waivers": [{"resource": "x", "reason": "r", "owner": "o", "expires": "soon"}]}}',
     'health-checks.waivers[0].expires: "soon" does not match'),
    ('{"health-checks": {"waivers": [{"resource": "x", "reason": "", "owner": "o", "expires": "2026-01-01"}]}}',
     "health-checks.waivers[0].reason: \"\" is shorter than 1 characters"),
])
def test_config_errors_name_the_file_and_the_problem(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert str(raised.value).startswith(str(path)) and expected in str(raised.value)


def test_every_problem_is_listed(tmp_path):
    path = write(tmp_path, '{"capacity-cap": "mandatory", "health-checks": "strict"}')
    with pytest.raises(PolicyConfigError) as raised:
        load_policy_config(path)
    assert len(str(raised.value).splitlines()) == 2


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(PolicyConfigError, match="no such policy config file"):
        load_policy_config(tmp_path / "nope.json")
    assert load_policy_config(write(tmp_path, "  \n")) == {}


def test_evaluate_refuses_a_bad_config_too():
    with pytest.raises(PolicyConfigError, match="unknown policy"):
        evaluate([], {"no-such-policy": "mandatory"})


def test_violation_fields_match_the_check_json_contract():
    (v,) = evaluate([run_service(cpu="9", memory="4Gi")], {})
    assert json.loads(json.dumps(v.__dict__)) == {
        "policy": "cloud-run-limits", "resource": "gp-prod-api", "resource_type": "gcp:cloudrunv2/service:Service",
        "message": v.message, "enforcement": "mandatory", "waived": False}


def test_thirty_resources_take_well_under_50_ms():
    resources = gcp_stack() * 2 + docker_stack() * 2  # 28 resources, every policy busy
    config = load_policy_config(CONFIG_DIR / "prod.json")
    evaluate(resources, config)  # warm up
    best = min(_timed(lambda: evaluate(resources, config)) for _ in range(5))
    assert best < 0.05, f"{best * 1000:.1f} ms"


def _timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start
