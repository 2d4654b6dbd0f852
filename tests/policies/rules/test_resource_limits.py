"""vpc-connector-limits, cloud-run-limits, cloud-sql-limits, redis-limits at their boundaries."""

from __future__ import annotations

import pytest

from policies import limits
from policies.pack import CLOUD_RUN_LIMITS, CLOUD_SQL_LIMITS, REDIS_LIMITS, VPC_CONNECTOR_LIMITS
from tests.policy_fixtures import connector, messages, patch, redis_instance, run_policy, run_service, sql_instance


# --- vpc-connector-limits -----------------------------------------------------------------------
@pytest.mark.parametrize("key, inside, outside", [
    ("minInstances", 2, 1), ("minInstances", 4, 10),  # max is 5 in prod; 10 is out of 2-9
    ("maxInstances", 10, 11), ("maxInstances", 3, 2),
])
def test_connector_instance_ranges(key, inside, outside):
    assert messages(run_policy(VPC_CONNECTOR_LIMITS, [patch(connector(), key, inside)])) == []
    found = messages(run_policy(VPC_CONNECTOR_LIMITS, [patch(connector(), key, outside)]))
    assert any(f"{key} {outside} is" in m and limits.CONNECTOR_SPEC in m for m in found), found


def test_connector_min_must_be_below_max():
    assert messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(minInstances=4, maxInstances=5)])) == []
    (message,) = messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(minInstances=5, maxInstances=5)]))
    assert "minInstances 5 is not below maxInstances 5" in message
    assert "Fix: make minInstances lower than maxInstances" in message


def test_incident_connector_is_refused_on_every_count():
    incident = connector(minInstances=10, maxInstances=100, machineType="e2-standard-8")
    found = messages(run_policy(VPC_CONNECTOR_LIMITS, [incident]))
    assert any("minInstances 10 is above 9" in m for m in found)
    assert any("maxInstances 100 is above 10" in m for m in found)
    assert any("'e2-standard-8' is not one of f1-micro, e2-micro, e2-standard-4" in m for m in found)


@pytest.mark.parametrize("key, inside, outside, why", [
    ("minThroughput", 900, 1000, "above 900"), ("minThroughput", 200, 100, "below 200"),
    ("minThroughput", 300, 250, "not a multiple of 100"),
    ("maxThroughput", 1000, 1100, "above 1000"), ("maxThroughput", 300, 200, "below 300"),
])
def test_connector_throughput_ranges_and_steps(key, inside, outside, why):
    base = patch(patch(patch(connector(), "minInstances", None), "maxInstances", None), key, None)
    other = {"minThroughput": ("maxThroughput", 1000), "maxThroughput": ("minThroughput", 200)}[key]
    base = patch(base, other[0], other[1])
    assert messages(run_policy(VPC_CONNECTOR_LIMITS, [patch(base, key, inside)])) == []
    found = messages(run_policy(VPC_CONNECTOR_LIMITS, [patch(base, key, outside)]))
    assert any(f"{key} {outside} is {why}" in m for m in found), found


def test_connector_throughput_and_instances_are_exclusive():
    found = messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(minThroughput=200)]))
    assert any("both minThroughput and minInstances are set" in m for m in found)


def test_connector_name_length():
    assert messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(name="c" * 20)])) == []
    (message,) = messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(name="c" * 21)]))
    assert "name is 21 characters" in message and limits.CONNECTOR_DOCS in message


def test_connector_needs_a_dedicated_28():
    (message,) = messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(ipCidrRange="10.8.0.0/27")]))
    assert "ipCidrRange 10.8.0.0/27 is a /27" in message and limits.CONNECTOR_SUBNET_DOCS in message


def test_connector_needs_exactly_one_of_network_or_subnet():
    subnet_only = patch(patch(connector(), "network", None), "ipCidrRange", None)
    assert messages(run_policy(VPC_CONNECTOR_LIMITS, [patch(subnet_only, "subnet", {"name": "gp-conn-subnet"})])) == []
    assert any("found both" in m for m in messages(run_policy(VPC_CONNECTOR_LIMITS, [connector(subnet={"name": "s"})])))
    assert any("found neither" in m for m in messages(run_policy(VPC_CONNECTOR_LIMITS, [subnet_only])))
    cidr_without_network = patch(patch(connector(), "network", None), "subnet", {"name": "s"})
    assert any("ipCidrRange is set without network" in m
               for m in messages(run_policy(VPC_CONNECTOR_LIMITS, [cidr_without_network])))


# --- cloud-run-limits ---------------------------------------------------------------------------
def test_cloud_run_fixture_passes():
    assert messages(run_policy(CLOUD_RUN_LIMITS, [run_service()])) == []


@pytest.mark.parametrize("path, inside, outside, expected", [
    ("template.timeout", "3600s", "3601s", "request timeout 3601 is above 3600"),
    ("template.maxInstanceRequestConcurrency", 1000, 1001, "concurrency 1001 is above 1000"),
    ("template.scaling.maxInstanceCount", 1000, 1001, "template.scaling.maxInstanceCount 1001 is above 1000"),
    ("template.containers.0.resources.limits.cpu", "8", "9", "cpu 9 is above 8"),
    ("template.containers.0.resources.limits.cpu", "2", "1.5", "1.5 is not a whole number"),
    ("template.containers.0.resources.limits.memory", "512Mi", "256Mi", "memory 256 is below 512"),
    ("template.containers.0.startupProbe.initialDelaySeconds", 240, 241, "initialDelaySeconds 241 is above 240"),
    ("template.containers.0.livenessProbe.initialDelaySeconds", 3600, 3601, "initialDelaySeconds 3601 is above"),
    ("template.containers.0.startupProbe.periodSeconds", 240, 241, "periodSeconds 241 is above 240"),
    ("template.containers.0.livenessProbe.failureThreshold", 1, 0, "failureThreshold 0 is below 1"),
    ("template.vpcAccess.egress", "ALL_TRAFFIC", "SOME_TRAFFIC", "'SOME_TRAFFIC' is not one of"),
])
def test_cloud_run_boundaries(path, inside, outside, expected):
    service = run_service(memory="4Gi")  # enough memory for 8 cpu
    assert messages(run_policy(CLOUD_RUN_LIMITS, [patch(service, path, inside)])) == []
    found = messages(run_policy(CLOUD_RUN_LIMITS, [patch(service, path, outside)]))
    assert any(expected in m for m in found), found


def test_cloud_run_memory_needs_cpu():
    assert messages(run_policy(CLOUD_RUN_LIMITS, [run_service(cpu="2", memory="8Gi")])) == []
    (message,) = messages(run_policy(CLOUD_RUN_LIMITS, [run_service(cpu="2", memory="9Gi")]))
    assert "memory 9216Mi needs at least 4 cpu, not 2" in message and limits.RUN_MEMORY_DOCS in message


def test_cloud_run_fractional_cpu_allows_concurrency_one_only():
    assert messages(run_policy(CLOUD_RUN_LIMITS, [run_service(cpu="500m", concurrency=1)])) == []
    (message,) = messages(run_policy(CLOUD_RUN_LIMITS, [run_service(cpu="500m", concurrency=2)]))
    assert "cpu 0.5 allows concurrency 1 only, not 2" in message and limits.RUN_CONCURRENCY_DOCS in message
    # not set: Cloud Run's default concurrency 80 applies
    unset = patch(run_service(cpu="500m"), "template.maxInstanceRequestConcurrency", None)
    assert any("not 80" in m for m in messages(run_policy(CLOUD_RUN_LIMITS, [unset])))


def test_cloud_run_probe_period_may_not_be_below_timeout():
    probe = run_service().props["template"]["containers"][0]["startupProbe"]
    period = int(probe["periodSeconds"])
    equal = patch(run_service(), "template.containers.0.startupProbe.timeoutSeconds", period)
    assert messages(run_policy(CLOUD_RUN_LIMITS, [equal])) == []  # GCP accepts period == timeout
    above = patch(run_service(), "template.containers.0.startupProbe.timeoutSeconds", period + 1)
    found = messages(run_policy(CLOUD_RUN_LIMITS, [above]))
    assert any(f"timeoutSeconds {period + 1} is above periodSeconds {period}" in m for m in found)


def test_cloud_run_min_instances_above_max():
    (message,) = messages(run_policy(CLOUD_RUN_LIMITS, [run_service(min_instances=6, max_instances=5)]))
    assert "minInstanceCount 6 is above maxInstanceCount 5" in message
    assert "services.api.min_instances" in message


def test_cloud_run_unparseable_memory_is_a_violation_not_a_crash():
    (message,) = messages(run_policy(CLOUD_RUN_LIMITS, [run_service(memory="1.5Gi")]))
    assert "'1.5Gi' is not a memory size" in message and "Fix:" in message


# --- cloud-sql-limits ---------------------------------------------------------------------------
@pytest.mark.parametrize("tier, expected", [
    ("db-custom-3-7680", "3 vCPUs is not 1 or an even number"),
    ("db-custom-2-7000", "7000 MiB is not a multiple of 256"),
    ("db-custom-2-3584", "3584 MiB is below 3840 MiB"),
    ("db-custom-2-13568", "outside"),
    ("db-n1-standard-2", "is not db-f1-micro, db-g1-small or db-custom"),
])
def test_cloud_sql_tiers(tier, expected):
    (message,) = messages(run_policy(CLOUD_SQL_LIMITS, [patch(sql_instance(), "settings.tier", tier)]))
    assert expected in message and limits.SQL_TIER_DOCS in message


@pytest.mark.parametrize("tier", ["db-f1-micro", "db-g1-small", "db-custom-1-3840", "db-custom-2-13312",
                                  "db-custom-96-638976"])
def test_cloud_sql_valid_tiers(tier):
    assert messages(run_policy(CLOUD_SQL_LIMITS, [patch(sql_instance(), "settings.tier", tier)])) == []


def test_cloud_sql_availability_flag_and_log_retention():
    multi = patch(sql_instance(), "settings.availabilityType", "MULTI")
    assert any("'MULTI' is not one of ZONAL, REGIONAL" in m for m in messages(run_policy(CLOUD_SQL_LIMITS, [multi])))
    assert messages(run_policy(CLOUD_SQL_LIMITS, [sql_instance(max_connections=262143)])) == []
    assert any("max_connections 262144 is above 262143" in m
               for m in messages(run_policy(CLOUD_SQL_LIMITS, [sql_instance(max_connections=262144)])))
    eight_days = patch(sql_instance(), "settings.backupConfiguration.transactionLogRetentionDays", 8)
    assert any("transactionLogRetentionDays 8 is above 7" in m
               for m in messages(run_policy(CLOUD_SQL_LIMITS, [eight_days])))
    assert messages(run_policy(CLOUD_SQL_LIMITS, [patch(eight_days, "settings.edition", "ENTERPRISE_PLUS")])) == []


# --- redis-limits -------------------------------------------------------------------------------
def test_redis_tier_memory_and_name():
    assert messages(run_policy(REDIS_LIMITS, [redis_instance()])) == []
    assert any("'PREMIUM' is not one of BASIC, STANDARD_HA" in m
               for m in messages(run_policy(REDIS_LIMITS, [redis_instance(tier="PREMIUM")])))
    assert messages(run_policy(REDIS_LIMITS, [redis_instance(memorySizeGb=300)])) == []
    assert any("memorySizeGb 301 is above 300" in m and limits.REDIS_TIER_DOCS in m
               for m in messages(run_policy(REDIS_LIMITS, [redis_instance(memorySizeGb=301)])))
    assert any("does not match" in m for m in messages(run_policy(REDIS_LIMITS, [redis_instance(name="Gp_Redis")])))
    assert messages(run_policy(REDIS_LIMITS, [redis_instance(name="a" * 41)])) == []
    assert any("does not match" in m for m in messages(run_policy(REDIS_LIMITS, [redis_instance(name="a" * 42)])))


def test_redis_read_replicas():
    good = redis_instance(readReplicasMode="READ_REPLICAS_ENABLED", replicaCount=5)
    assert messages(run_policy(REDIS_LIMITS, [good])) == []
    bad = redis_instance(readReplicasMode="READ_REPLICAS_ENABLED", replicaCount=6, tier="BASIC", memorySizeGb=4)
    found = messages(run_policy(REDIS_LIMITS, [bad]))
    assert any("read replicas need tier STANDARD_HA, not BASIC" in m for m in found)
    assert any("read replicas need memorySizeGb >= 5, not 4" in m for m in found)
    assert any("replicaCount 6 is above 5" in m and limits.REDIS_REPLICA_DOCS in m for m in found)
