"""The offline runner: enforcement levels, a bad config refused, violations in the check JSON shape."""

from __future__ import annotations

import json

import pytest

from policies.contract import RUN_SERVICE
from policies.pack import CAPACITY_CAPS, CLOUD_RUN_LIMITS
from policies.runner import PolicyConfigError, evaluate
from tests.policy_fixtures import run_service


def levels(config):
    return {(v.policy, v.enforcement) for v in evaluate([run_service(cpu="9", memory="4Gi")], config)}


def test_default_is_mandatory():
    assert levels({}) == {(CLOUD_RUN_LIMITS, "mandatory")}


@pytest.mark.parametrize("config, expected", [
    ({CLOUD_RUN_LIMITS: "advisory"}, {(CLOUD_RUN_LIMITS, "advisory")}),
    ({CLOUD_RUN_LIMITS: {"enforcementLevel": "advisory"}}, {(CLOUD_RUN_LIMITS, "advisory")}),
    ({CLOUD_RUN_LIMITS: "disabled"}, set()),
    ({CLOUD_RUN_LIMITS: "remediate"}, {(CLOUD_RUN_LIMITS, "mandatory")}),
    ({"all": "advisory"}, {(CLOUD_RUN_LIMITS, "advisory")}),
    ({"all": "disabled", CLOUD_RUN_LIMITS: "mandatory"}, {(CLOUD_RUN_LIMITS, "mandatory")}),
    ({"all": "advisory", CLOUD_RUN_LIMITS: {"waivers": []}}, {(CLOUD_RUN_LIMITS, "advisory")}),
])
def test_enforcement_levels(config, expected):
    assert levels(config) == expected


def test_disabled_policy_is_not_run_at_all():
    """Properties without a level do not switch a disabled policy back on."""
    assert levels({"all": "disabled", CAPACITY_CAPS: {"maxInstancesPerService": 1}}) == set()


def test_evaluate_refuses_a_bad_config_too():
    with pytest.raises(PolicyConfigError, match="unknown policy"):
        evaluate([], {"no-such-policy": "mandatory"})


def test_violation_fields_match_the_check_json_contract():
    (v,) = evaluate([run_service(cpu="9", memory="4Gi")], {})
    assert json.loads(json.dumps(v.__dict__)) == {
        "policy": CLOUD_RUN_LIMITS, "resource": "service-api-service", "resource_type": RUN_SERVICE,
        "message": v.message, "enforcement": "mandatory", "waived": False}
