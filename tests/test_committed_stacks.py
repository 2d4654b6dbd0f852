"""The committed stacks (Pulumi.<stack>.yaml), planned offline, pass every policy under their committed
policy config; DESIGN.md's incident applied to prod's plan is refused by each policy it breaks."""

from __future__ import annotations

import pytest

from infra import offline
from infra.stacks import REPO_ROOT, STACKS
from policies.contract import CONNECTOR, RUN_SERVICE, RUN_SERVICE_LABEL, SQL_INSTANCE
from policies.pack import CAPACITY_CAPS, CONNECTION_BUDGET, TIMEOUT_COHERENCE, VPC_CONNECTOR_LIMITS
from policies.runner import evaluate, load_policy_config
from tests.policy_fixtures import CONFIG_DIR, PROD_CONFIG, gcp_stack, patch, patch_all, run_env


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_passes_its_policies(stack):
    plan = offline.plan(REPO_ROOT / f"Pulumi.{stack}.yaml")
    assert plan.config.environment == stack
    found = evaluate(plan.resources, load_policy_config(CONFIG_DIR / f"{stack}.json"))
    assert found == []  # nothing mandatory, advisory or waived: the committed stacks are the golden path


def incident(resource):
    """DESIGN.md's incident, applied to the planned prod resources (the config models refuse it earlier):
    connector min 10 / max 100 on e2-standard-8; 100 instances with pools of 50 + 50 and a 600 s pool
    timeout; a database allowing 200 connections."""
    if resource.type == CONNECTOR:
        return patch_all(resource, {"minInstances": 10, "maxInstances": 100, "machineType": "e2-standard-8"})
    if resource.type == RUN_SERVICE:
        envs = run_env(resource.props["labels"][RUN_SERVICE_LABEL], pool=(50, 50), pool_timeout=600)
        return patch_all(resource, {"template.containers.0.envs": envs, "template.scaling.maxInstanceCount": 100})
    if resource.type == SQL_INSTANCE:
        return patch(resource, "settings.databaseFlags", [{"name": "max_connections", "value": "200"}])
    return resource


def test_the_incident_is_refused_by_each_policy_it_breaks():
    found = evaluate([incident(r) for r in gcp_stack()], PROD_CONFIG)
    policies = {v.policy for v in found if v.enforcement == "mandatory" and not v.waived}
    assert {VPC_CONNECTOR_LIMITS, CONNECTION_BUDGET, TIMEOUT_COHERENCE, CAPACITY_CAPS} <= policies
