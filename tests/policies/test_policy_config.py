"""Policy config files as `infra check` and the pack read them: the committed ones, and every kind of error."""

from __future__ import annotations

import pytest

from infra.stacks import STACKS
from policies.pack import NO_BYPASS_FLAGS, POLICY_NAMES, SECURITY_BASELINE
from policies.policy_config import read_policy_config
from policies.runner import PolicyConfigError, load_policy_config
from tests.policy_fixtures import CONFIG_DIR


@pytest.mark.parametrize("name", STACKS)
def test_committed_configs_load_and_name_every_policy(name):
    config = load_policy_config(CONFIG_DIR / f"{name}.json")
    assert set(config) == set(POLICY_NAMES)
    assert config[SECURITY_BASELINE]["environment"] == name
    assert config[NO_BYPASS_FLAGS]["environment"] == name


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


@pytest.mark.parametrize(("text", "problem"), [
    ('{"connection-budget": {"headroom": NaN}}', "NaN is not a number a policy can compare with"),
    ('{"capacity-caps": {"maxTotalInstances": Infinity}}', "Infinity is not a number a policy can compare with"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper than a policy config can be read"),
])
def test_numbers_no_policy_can_compare_and_deep_nesting_are_refused(tmp_path, text, problem):
    path = tmp_path / "policy.json"
    path.write_text(text)
    with pytest.raises(PolicyConfigError, match=problem):
        read_policy_config(path)


def test_a_byte_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "policy.json"
    path.write_bytes(b'{"capacity-caps": "advis\xe9ory"}')
    with pytest.raises(PolicyConfigError, match=r"policy\.json: not valid utf-8 \(byte 24\)"):
        read_policy_config(path)
