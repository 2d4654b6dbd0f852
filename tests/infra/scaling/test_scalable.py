"""infra.scaling.scalable: the one table of what the scaler and the forecast may change."""

from __future__ import annotations

import json

import pytest

from infra import config
from infra.scaling.policy_limits import from_policy_config
from infra.scaling.scalable import Scalable, max_connections_ceiling, scalables
from policies import limits
from policies.rules import capacity
from tests.conftest import GCP_STAGING, REPO


def prod_caps() -> dict[str, int]:
    return dict(from_policy_config(json.loads((REPO / "policies" / "config" / "prod.json").read_text())).caps)


def by_key(rows: list[Scalable]) -> dict[str, Scalable]:
    return {row.key: row for row in rows}


def test_one_row_per_key_in_config_order():
    rows = scalables(config.load(REPO / "Pulumi.prod.yaml"))
    assert [(r.resource, r.metric, r.key, r.unit, r.current) for r in rows] == [
        ("services.api", "instances", "services.api.max_instances", "instances", 20),
        ("services.web", "instances", "services.web.max_instances", "instances", 5),
        ("services.worker", "instances", "services.worker.max_instances", "instances", 4),
        ("database", "connections", "database.max_connections", "connections", 400),
        ("redis", "memory_ratio", "redis.memory_gb", "GB", 5),
        ("network.connector", "instances", "network.connector.max_instances", "instances", 5),
    ]


def test_without_caps_each_key_stops_at_the_gcp_limit_or_the_tier_size():
    rows = by_key(scalables(config.load(REPO / "Pulumi.prod.yaml")))
    assert rows["services.api.max_instances"].limit is limits.RUN_MAX_INSTANCES
    assert (rows["services.api.max_instances"].cap, rows["services.api.max_instances"].cap_why) == (
        1000, "Cloud Run's max instances per service at the default regional quota is 1 to 1000")
    redis = rows["redis.memory_gb"]
    assert (redis.cap, redis.cap_why) == (300, "Memorystore memory (GB) is 1 to 300")
    assert rows["network.connector.max_instances"].cap == 10
    database = rows["database.max_connections"]
    assert database.limit is limits.SQL_MAX_CONNECTIONS and database.cap_property is None
    assert database.cap == 500  # db-custom-4-15360: 15 GiB
    assert database.cap_why.startswith("tier db-custom-4-15360's documented size (")


def test_the_environment_caps_lower_the_cap_where_they_are_lower():
    rows = by_key(scalables(config.load(REPO / "Pulumi.prod.yaml"), prod_caps()))
    api = rows["services.api.max_instances"]
    assert (api.cap_property, api.cap) == (capacity.MAX_INSTANCES_PER_SERVICE, 50)
    assert api.cap_why == "this environment's capacity-caps.maxInstancesPerService in its policy config"
    assert (rows["redis.memory_gb"].cap_property, rows["redis.memory_gb"].cap) == (capacity.MAX_REDIS_MEMORY_GB, 16)
    connector = rows["network.connector.max_instances"]  # prod's cap of 10 is GCP's limit: GCP's words stay
    assert (connector.cap_property, connector.cap) == (capacity.MAX_CONNECTOR_INSTANCES, 10)
    assert connector.cap_why == "the connector's max_instances range is 3 to 10"


def test_floors():
    rows = by_key(scalables(config.load(REPO / "Pulumi.prod.yaml")))
    assert (rows["services.api.max_instances"].floor, rows["services.api.max_instances"].floor_why) == (
        2, "max(min_instances, 1)")
    assert (rows["services.web.max_instances"].floor, rows["database.max_connections"].floor) == (1, 14)
    assert (rows["redis.memory_gb"].floor, rows["redis.memory_gb"].floor_why) == (1, "Memorystore's minimum")
    connector = rows["network.connector.max_instances"]
    assert (connector.floor, connector.floor_why) == (3, "above min_instances and at least 3")


def test_read_replicas_raise_the_redis_floor(write_stack):
    cfg = config.load(write_stack(GCP_STAGING + "  golden-path:redis:\n    tier: STANDARD_HA\n    memory_gb: 8\n"
                                                "    read_replicas: 1\n", "staging"))
    redis = by_key(scalables(cfg))["redis.memory_gb"]
    assert (redis.floor, redis.floor_why) == (5, "read replicas need 5 GB")


def test_the_local_database_stops_at_the_flags_range():
    size, why = max_connections_ceiling(config.load(REPO / "Pulumi.local.yaml"))
    assert size == 262143
    assert why.startswith("the flag's range (")


@pytest.mark.parametrize(("key", "capacity_", "in_units"), [
    ("services.api.max_instances", 20.0, 15.0),  # a count: 15 instances are 15 instances
    ("redis.memory_gb", 1.0, 0.75 * 5),  # a ratio of memory_gb 5
])
def test_capacity_and_units(key, capacity_, in_units):
    row = by_key(scalables(config.load(REPO / "Pulumi.prod.yaml")))[key]
    assert row.capacity == capacity_
    assert row.in_units(15.0 if not row.ratio else 0.75) == in_units


def test_with_floor_only_raises_it():
    database = by_key(scalables(config.load(REPO / "Pulumi.prod.yaml")))["database.max_connections"]
    assert database.with_floor(10, "lower") is database
    raised = database.with_floor(312, "the budget")
    assert (raised.floor, raised.floor_why, raised.cap) == (312, "the budget", database.cap)
