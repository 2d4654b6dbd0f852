"""The committed stacks, planned offline, pass every policy under their committed policy config."""

from __future__ import annotations

import pytest

from policies.runner import evaluate, load_policy_config
from tests.policy_fixtures import CONFIG_DIR, patch

REPO = CONFIG_DIR.parent.parent
offline = pytest.importorskip("infra.offline")


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_committed_stack_passes_its_policies(stack):
    plan = offline.plan(REPO / f"Pulumi.{stack}.yaml")
    assert plan.config.environment == stack
    found = evaluate(plan.resources, load_policy_config(CONFIG_DIR / f"{stack}.json"))
    assert found == []  # nothing mandatory, advisory or waived: the committed stacks are the golden path


def incident(resource):
    """DESIGN.md's incident, applied to the planned prod resources (the config models refuse it earlier):
    connector min 10 / max 100 on e2-standard-8; 100 instances with pools of 50 + 50 and a 600 s pool
    timeout; a database allowing 200 connections."""
    if resource.type == "gcp:vpcaccess/connector:Connector":
        return patch(patch(patch(resource, "minInstances", 10), "maxInstances", 100), "machineType", "e2-standard-8")
    if resource.type == "gcp:cloudrunv2/service:Service":
        values = {"DATABASE_POOL_SIZE": "50", "DATABASE_MAX_OVERFLOW": "50", "DATABASE_POOL_TIMEOUT": "600"}
        envs = [{**e, "value": values[e["name"]]} if e["name"] in values else e
                for e in resource.props["template"]["containers"][0]["envs"]]
        return patch(patch(resource, "template.containers.0.envs", envs), "template.scaling.maxInstanceCount", 100)
    if resource.type == "gcp:sql/databaseInstance:DatabaseInstance":
        return patch(resource, "settings.databaseFlags", [{"name": "max_connections", "value": "200"}])
    return resource


def test_the_incident_is_refused_by_each_policy_it_breaks():
    plan = offline.plan(REPO / "Pulumi.prod.yaml")
    found = evaluate([incident(r) for r in plan.resources], load_policy_config(CONFIG_DIR / "prod.json"))
    policies = {v.policy for v in found if v.enforcement == "mandatory" and not v.waived}
    assert {"vpc-connector-limits", "connection-budget", "timeout-coherence", "capacity-caps"} <= policies
