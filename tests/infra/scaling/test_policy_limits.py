"""infra.scaling.policy_limits: the budget and caps an environment's policy config sets."""

from __future__ import annotations

import json

import pytest

from infra.scaling.connection_budget import Budget
from infra.scaling.policy_limits import PolicyLimits, from_policy_config
from policies.policy_config import PolicyConfigError
from tests.conftest import REPO


def committed(environment: str) -> dict:
    return json.loads((REPO / "policies" / "config" / f"{environment}.json").read_text())


def test_the_prod_policy_config():
    assert from_policy_config(committed("prod")) == PolicyLimits(Budget(0.8, 10), {
        "maxInstancesPerService": 50, "maxTotalInstances": 100, "maxConnectorInstances": 10,
        "maxDatabaseVcpus": 16, "maxRedisMemoryGb": 16})


def test_unset_properties_take_the_schema_defaults_and_unset_caps_cap_nothing():
    assert from_policy_config({}) == PolicyLimits(Budget(0.8, 10), {})


def test_disabled_policies_set_nothing():
    config = {"connection-budget": "disabled", "capacity-caps": {"enforcementLevel": "disabled",
                                                                 "maxTotalInstances": 3}}
    assert from_policy_config(config) == PolicyLimits(None, {})


def test_advisory_policies_are_kept_to():
    config = {"connection-budget": {"enforcementLevel": "advisory", "headroom": 0.5},
              "capacity-caps": {"enforcementLevel": "advisory", "maxRedisMemoryGb": 2.5}}
    assert from_policy_config(config) == PolicyLimits(Budget(0.5, 10), {"maxRedisMemoryGb": 2})


def test_an_unusable_policy_config_is_refused():
    with pytest.raises(PolicyConfigError):
        from_policy_config({"connection-budget": {"headroom": "lots"}})
