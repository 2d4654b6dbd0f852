"""What the scaler and the forecast may change, per resource: one table.

A row names the series that sizes a config key (resource id and metric), the key, the unit reasons
count it in, GCP's range for it (policies/limits.py), the capacity-caps property that caps it in an
environment's policy config (policies/rules/capacity.py), and the floor the scaler never lowers it
below. infra.scaling.decide raises and lowers these keys, infra.scaling.forecast proposes raises of
them, and infra.scaling.capacity measures utilisation against them, so none keeps its own limits.

Two series size no key here: Redis clients (Memorystore's fixed maximum: reported only) and the
connector's CPU (the forecast proposes a larger machine type; the scaler only reports it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from infra.config import StackConfig
from infra.metrics.samples import (
    CONNECTIONS,
    CONNECTOR,
    DATABASE,
    INSTANCES,
    MEMORY_RATIO,
    REDIS,
    service_resource,
)
from policies import limits
from policies.limits import fmt
from policies.pack import CAPACITY_CAPS
from policies.rules import capacity

MAX_CONNECTIONS_KEY = f"{DATABASE}.max_connections"
REDIS_MEMORY_KEY = f"{REDIS}.memory_gb"
CONNECTOR_MAX_INSTANCES_KEY = f"{CONNECTOR}.max_instances"
CONNECTOR_MACHINE_TYPE_KEY = f"{CONNECTOR}.machine_type"
# PostgreSQL reads max_connections only at server start, so a change restarts the instance.
MAX_CONNECTIONS_RESTARTS = f"applying it restarts the database ({limits.POSTGRES_CONNECTION_DOCS})"


def max_instances_key(service: str) -> str:
    return f"{service_resource(service)}.max_instances"


def pool_key(service: str, setting: str) -> str:
    """The key of one of a service's pool settings (size, max_overflow): the connection budget's lever."""
    return f"{service_resource(service)}.pool.{setting}"


@dataclass(frozen=True)
class Scalable:
    """One config key the scaler and the forecast may change, sized by one metric."""

    resource: str  # services.api, database, redis, network.connector
    metric: str  # the series that sizes the key
    key: str  # the dotted config key
    unit: str  # how reasons count the key: instances, connections, GB
    current: int  # the key's value in this config
    ratio: bool  # the metric is a share of the key (memory used / memory_gb), not a count in its unit
    limit: limits.Range  # GCP's range for the key
    cap_property: str | None  # the capacity-caps property that caps the key in a policy config
    cap: int  # the most proposed: GCP's limit, the tier's size or the environment's cap, the lowest
    cap_why: str
    floor: int  # the least the scaler proposes
    floor_why: str

    @property
    def capacity(self) -> float:
        """The denominator of the metric's utilisation: the key's value, or 1 for a ratio."""
        return 1.0 if self.ratio else float(self.current)

    def in_units(self, value: float) -> float:
        """A value of the metric in the key's unit: a memory ratio of 0.8 on 5 GB is 4 GB."""
        return self.current * value if self.ratio else value

    def with_floor(self, floor: int, why: str) -> Scalable:
        """This row with a higher floor (a lower one changes nothing)."""
        return self if floor <= self.floor else dataclasses.replace(self, floor=floor, floor_why=why)


def scalables(cfg: StackConfig, caps: Mapping[str, int] | None = None) -> list[Scalable]:
    """The table for one stack, in config order. caps: the environment's capacity-caps (property ->
    cap, infra.scaling.policy_limits); None proposes within GCP's limits only."""
    caps = caps or {}
    rows = []
    for name, service in cfg.services.items():
        run = limits.RUN_MAX_INSTANCES
        rows.append(_row(service_resource(name), INSTANCES, max_instances_key(name), "instances",
                         service.max_instances, run, capacity.MAX_INSTANCES_PER_SERVICE, caps,
                         floor=max(service.min_instances, int(run.minimum)),
                         floor_why=f"max(min_instances, {fmt(run.minimum)})"))
    ceiling, ceiling_why = max_connections_ceiling(cfg)
    sql = limits.SQL_MAX_CONNECTIONS
    rows.append(Scalable(DATABASE, CONNECTIONS, MAX_CONNECTIONS_KEY, "connections", cfg.database.max_connections,
                         False, sql, None, ceiling, ceiling_why, int(sql.minimum), "Cloud SQL's minimum"))
    redis, memory = cfg.redis, limits.REDIS_MEMORY_GB
    rows.append(_row(REDIS, MEMORY_RATIO, REDIS_MEMORY_KEY, "GB", redis.memory_gb, memory,
                     capacity.MAX_REDIS_MEMORY_GB, caps, ratio=True,
                     floor=limits.REDIS_READ_REPLICAS_MIN_GB if redis.read_replicas else int(memory.minimum),
                     floor_why=(f"read replicas need {limits.REDIS_READ_REPLICAS_MIN_GB} GB" if redis.read_replicas
                                else "Memorystore's minimum")))
    connector, instances = cfg.network.connector, limits.CONNECTOR_MAX_INSTANCES
    rows.append(_row(CONNECTOR, INSTANCES, CONNECTOR_MAX_INSTANCES_KEY, "instances", connector.max_instances,
                     instances, capacity.MAX_CONNECTOR_INSTANCES, caps,
                     floor=max(connector.min_instances + 1, int(instances.minimum)),
                     floor_why=f"above min_instances and at least {fmt(instances.minimum)}"))
    return rows


def max_connections_ceiling(cfg: StackConfig) -> tuple[int, str]:
    """The most max_connections the scaler proposes, and why: the tier's documented size
    (limits.sql_tier_connections; above it a person decides, with `scale set` or a larger tier)."""
    if cfg.target == "docker":  # a local postgres container: no tier, only the flag's range
        size, where = int(limits.SQL_MAX_CONNECTIONS.maximum), "the flag's range"
    else:
        size, where = limits.sql_tier_connections(cfg.database.tier), f"tier {cfg.database.tier}'s documented size"
    return size, f"{where} ({limits.SQL_QUOTAS_DOCS}); beyond it choose a larger tier"


def _row(resource: str, metric: str, key: str, unit: str, current: int, limit: limits.Range,
         cap_property: str, caps: Mapping[str, int], *, floor: int, floor_why: str, ratio: bool = False) -> Scalable:
    """A row whose cap is the lower of GCP's limit and the environment's cap."""
    cap, cap_why = int(limit.maximum), f"{limit.what} is {limit.allowed()}"
    environment_cap = caps.get(cap_property)
    if environment_cap is not None and environment_cap < cap:
        cap, cap_why = environment_cap, f"this environment's {CAPACITY_CAPS}.{cap_property} in its policy config"
    return Scalable(resource, metric, key, unit, current, ratio, limit, cap_property, cap, cap_why, floor, floor_why)
