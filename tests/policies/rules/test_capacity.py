"""capacity-caps: per-environment caps from the policy config."""

from __future__ import annotations

from policies.pack import CAPACITY_CAPS
from tests.policy_fixtures import (
    LOCAL_CONFIG,
    connector,
    docker_stack,
    gcp_stack,
    patch,
    redis_instance,
    run_policy,
    run_service,
    sql_instance,
    with_config,
)


def caps(**values):
    return with_config(CAPACITY_CAPS, **values)


def test_committed_shapes_pass():
    assert run_policy(CAPACITY_CAPS, gcp_stack()) == []
    assert run_policy(CAPACITY_CAPS, docker_stack(), LOCAL_CONFIG) == []


def test_instances_per_service_at_and_above_the_cap():
    assert run_policy(CAPACITY_CAPS, [run_service(max_instances=50)], caps(maxInstancesPerService=50)) == []
    (v,) = run_policy(CAPACITY_CAPS, [run_service(max_instances=51)], caps(maxInstancesPerService=50))
    assert v.resource == "service-api-service" and v.enforcement == "mandatory"
    assert "max instances 51 is above this environment's cap of 50" in v.message
    assert "capacity-caps.maxInstancesPerService" in v.message and "Fix: lower max_instances to at most 50" in v.message


def test_unset_max_instances_counts_as_cloud_runs_default():
    service = patch(run_service(), "template.scaling.maxInstanceCount", None)
    (v,) = run_policy(CAPACITY_CAPS, [service], caps(maxInstancesPerService=50))
    assert "Cloud Run's default" in v.message and "100 is above" in v.message


def test_total_instances_is_a_stack_violation_with_the_sum():
    stack = gcp_stack()  # 20 + 5 + 4 = 29
    assert run_policy(CAPACITY_CAPS, stack, caps(maxTotalInstances=29)) == []
    (v,) = run_policy(CAPACITY_CAPS, stack, caps(maxTotalInstances=28))
    assert v.resource == "stack" and v.resource_type == "pulumi:pulumi:Stack"
    assert "20 [gp-prod-api] + 5 [gp-prod-web] + 4 [gp-prod-worker] = 29 instances" in v.message
    assert "by 1 in total" in v.message


def test_docker_containers_count_one_instance_each():
    (v,) = run_policy(CAPACITY_CAPS, docker_stack(), caps(maxTotalInstances=2))
    assert "= 3 instances" in v.message


def test_connector_database_and_redis_caps():
    resources = [connector(maxInstances=6), sql_instance(), redis_instance(memorySizeGb=5)]
    assert run_policy(CAPACITY_CAPS, resources, caps(maxConnectorInstances=6, maxDatabaseVcpus=4,
                                                     maxRedisMemoryGb=5)) == []
    found = {v.resource: v.message for v in run_policy(
        CAPACITY_CAPS, resources, caps(maxConnectorInstances=5, maxDatabaseVcpus=2, maxRedisMemoryGb=4))}
    assert "maxInstances 6 is above this environment's cap of 5" in found["connector-connector"]
    assert "never scales down" in found["connector-connector"]
    assert "tier db-custom-4-15360 has 4 vCPUs" in found["database-instance"]
    assert "memorySizeGb 5 is above this environment's cap of 4" in found["redis-instance"]


def test_connector_without_max_counts_as_the_default_ten():
    unset = patch(connector(), "maxInstances", None)
    (v,) = run_policy(CAPACITY_CAPS, [unset], caps(maxConnectorInstances=5))
    assert "not set: default 10" in v.message


def test_no_caps_no_checks():
    assert run_policy(CAPACITY_CAPS, [run_service(max_instances=1000)], caps()) == []
