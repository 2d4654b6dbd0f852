"""capacity-caps: per-environment caps from the policy config."""

from __future__ import annotations

from tests.policy_fixtures import (
    LOCAL_CONFIG,
    connector,
    docker_stack,
    gcp_stack,
    patch,
    redis_instance,
    run_service,
    sql_instance,
    violations,
    with_config,
)


def caps(**values):
    return with_config("capacity-caps", **values)


def test_committed_shapes_pass():
    assert violations(gcp_stack(), "capacity-caps") == []
    assert violations(docker_stack(), "capacity-caps", LOCAL_CONFIG) == []


def test_instances_per_service_at_and_above_the_cap():
    assert violations([run_service(max_instances=50)], "capacity-caps", caps(maxInstancesPerService=50)) == []
    (v,) = violations([run_service(max_instances=51)], "capacity-caps", caps(maxInstancesPerService=50))
    assert v.resource == "gp-prod-api" and v.enforcement == "mandatory"
    assert "max instances 51 is above this environment's cap of 50" in v.message
    assert "capacity-caps.maxInstancesPerService" in v.message and "Fix: lower max_instances to at most 50" in v.message


def test_unset_max_instances_counts_as_cloud_runs_default():
    service = patch(run_service(), "template.scaling.maxInstanceCount", None)
    (v,) = violations([service], "capacity-caps", caps(maxInstancesPerService=50))
    assert "Cloud Run's default" in v.message and "100 is above" in v.message


def test_total_instances_is_a_stack_violation_with_the_sum():
    stack = gcp_stack()  # 20 + 5 + 4 = 29
    assert violations(stack, "capacity-caps", caps(maxTotalInstances=29)) == []
    (v,) = violations(stack, "capacity-caps", caps(maxTotalInstances=28))
    assert v.resource == "stack" and v.resource_type == "pulumi:pulumi:Stack"
    assert "20 [gp-prod-api] + 5 [gp-prod-web] + 4 [gp-prod-worker] = 29 instances" in v.message
    assert "by 1 in total" in v.message


def test_docker_containers_count_one_instance_each():
    (v,) = violations(docker_stack(), "capacity-caps", caps(maxTotalInstances=2))
    assert "= 3 instances" in v.message


def test_connector_database_and_redis_caps():
    resources = [connector(maxInstances=6), sql_instance(), redis_instance(memorySizeGb=5)]
    assert violations(resources, "capacity-caps",
                      caps(maxConnectorInstances=6, maxDatabaseVcpus=4, maxRedisMemoryGb=5)) == []
    found = {v.resource: v.message for v in violations(
        resources, "capacity-caps", caps(maxConnectorInstances=5, maxDatabaseVcpus=2, maxRedisMemoryGb=4))}
    assert "maxInstances 6 is above this environment's cap of 5" in found["gp-prod-conn"]
    assert "never scales down" in found["gp-prod-conn"]
    assert "tier db-custom-4-15360 has 4 vCPUs" in found["gp-prod-db"]
    assert "memorySizeGb 5 is above this environment's cap of 4" in found["gp-prod-redis"]


def test_connector_without_max_counts_as_the_default_ten():
    (v,) = violations([patch(connector(), "maxInstances", None)], "capacity-caps", caps(maxConnectorInstances=5))
    assert "not set: default 10" in v.message


def test_no_caps_no_checks():
    assert violations([run_service(max_instances=1000)], "capacity-caps", caps()) == []
