"""The connection budget, as arithmetic the scaler can solve: what max_connections a set of pools
needs, and what pool fits a service when the database cannot grow.

The budget is the connection-budget policy's inequality (policies/rules/connections.py):

    sum over services of instances x (pool size + max_overflow)
        <= floor(headroom x (max_connections - reservedConnections))

`instances` is max_instances on Cloud Run and 1 on Docker (one container per service), as the
policy counts them. headroom and reservedConnections come from the environment's policy config
(policies/config/<env>.json), and the arithmetic is the policy's own function, so the scaler
proposes exactly what the policy accepts. The capacity-caps policy's ceilings are read here too.
Values are read from a StackConfig with proposed changes laid over it (`proposed`: dotted key ->
new value), so the same functions answer "now" and "after these changes".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel

from infra.config import StackConfig
from policies import limits
from policies.pack import DEFAULT_ENFORCEMENT, POLICIES
from policies.policy_config import resolve
from policies.rules import connections

BUDGET_POLICY = "connection-budget"
CAPS_POLICY = "capacity-caps"


@dataclass(frozen=True)
class Budget:
    """The connection-budget policy's settings; its arithmetic is the policy's own function."""

    headroom: float  # share of the usable connections the pools may take (0..1]
    reserved: int  # connections kept for admins, migrations, operators

    def allowed(self, max_connections: int) -> int:
        """Connections the pools may hold under this max_connections."""
        return connections.budget(max_connections, self.headroom, self.reserved)

    def fits(self, demand: int, max_connections: int) -> bool:
        return demand <= self.allowed(max_connections)

    def max_connections_for(self, demand: int) -> int:
        """The smallest max_connections whose budget holds `demand` connections."""
        guess = max(math.ceil(demand / self.headroom) + self.reserved, int(limits.SQL_MAX_CONNECTIONS.minimum))
        while not self.fits(demand, guess):
            guess += 1
        while guess > limits.SQL_MAX_CONNECTIONS.minimum and self.fits(demand, guess - 1):
            guess -= 1
        return guess

    def arithmetic(self, demand: int, max_connections: int) -> str:
        """`341 connections > 0.8 x (400 - 10) = 312`: the policy's inequality with the numbers in."""
        sign = "<=" if self.fits(demand, max_connections) else ">"
        return (f"{demand} connections {sign} {limits.fmt(self.headroom)} x ({max_connections} - "
                f"{self.reserved}) = {self.allowed(max_connections)}")


@dataclass(frozen=True)
class Caps:
    """The capacity-caps policy's ceilings for this environment; None: not capped."""

    per_service: int | None = None  # maxInstancesPerService
    total_instances: int | None = None  # maxTotalInstances
    connector: int | None = None  # maxConnectorInstances
    redis_gb: int | None = None  # maxRedisMemoryGb


@dataclass(frozen=True)
class PolicyLimits:
    """What the environment's policy config asks of capacity: the scaler proposes within it."""

    budget: Budget | None = None  # None: connection-budget disabled
    caps: Caps = Caps()


def from_policy_config(policy_config: Mapping[str, Any]) -> PolicyLimits:
    """The budget and caps an environment's policy config sets, resolved as the policy runner
    resolves them (levels, "all", schema defaults). A disabled policy sets nothing; an advisory
    one is still kept to, so the scaler never adds a warning. PolicyConfigError if unusable."""
    settings = resolve(policy_config, POLICIES, DEFAULT_ENFORCEMENT)
    budget_settings, caps_settings = settings[BUDGET_POLICY], settings[CAPS_POLICY]
    budget = None
    if budget_settings.level != EnforcementLevel.DISABLED:
        budget = Budget(float(budget_settings.properties["headroom"]),
                        int(budget_settings.properties["reservedConnections"]))
    if caps_settings.level == EnforcementLevel.DISABLED:
        return PolicyLimits(budget)

    def cap(name: str) -> int | None:
        found = caps_settings.properties.get(name)
        return None if found is None else math.floor(found)

    caps = Caps(cap("maxInstancesPerService"), cap("maxTotalInstances"), cap("maxConnectorInstances"),
                cap("maxRedisMemoryGb"))
    return PolicyLimits(budget, caps)


# --- values of a config with proposed changes laid over it ----------------------------------------


def value(cfg: StackConfig, proposed: Mapping[str, Any], key: str) -> Any:
    """The value of a scaler key (see KEYS below) after `proposed`."""
    if key in proposed:
        return proposed[key]
    head, _, rest = key.partition(".")
    if head == "services":
        name, _, field = rest.partition(".")
        if field == "max_instances":
            return cfg.services[name].max_instances
        if field in ("pool.size", "pool.max_overflow"):
            return getattr(cfg.pool_for(name), field.removeprefix("pool."))
    elif key == "database.max_connections":
        return cfg.database.max_connections
    raise KeyError(key)


def instances(cfg: StackConfig, proposed: Mapping[str, Any], service: str) -> int:
    """Instances the policy counts for a service: max_instances on Cloud Run, one container on Docker."""
    if cfg.target == "docker":
        return 1
    return value(cfg, proposed, f"services.{service}.max_instances")


def per_instance(cfg: StackConfig, proposed: Mapping[str, Any], service: str) -> int:
    """Connections one instance of the service can hold: pool size + max_overflow."""
    return (value(cfg, proposed, f"services.{service}.pool.size")
            + value(cfg, proposed, f"services.{service}.pool.max_overflow"))


def demand(cfg: StackConfig, proposed: Mapping[str, Any]) -> int:
    """Connections all services' pools can hold at once."""
    return sum(instances(cfg, proposed, name) * per_instance(cfg, proposed, name) for name in cfg.services)


def demand_terms(cfg: StackConfig, proposed: Mapping[str, Any]) -> str:
    """`api 30 x (5 + 5) + web 5 x (3 + 2)`: how demand() adds up, for messages."""
    terms = []
    for name in cfg.services:
        size = value(cfg, proposed, f"services.{name}.pool.size")
        overflow = value(cfg, proposed, f"services.{name}.pool.max_overflow")
        terms.append(f"{name} {instances(cfg, proposed, name)} x ({size} + {overflow})")
    return " + ".join(terms)


def ceiling(cfg: StackConfig) -> int:
    """The most max_connections the scaler proposes for the tier (limits.sql_tier_connections)."""
    if cfg.target == "docker":  # a local postgres container: no tier, only the flag's range
        return int(limits.SQL_MAX_CONNECTIONS.maximum)
    return limits.sql_tier_connections(cfg.database.tier)


@dataclass(frozen=True)
class PoolFit:
    size: int
    max_overflow: int


def fit_pool(cfg: StackConfig, proposed: Mapping[str, Any], service: str, budget: Budget,
             max_connections: int) -> PoolFit | None:
    """The largest pool (overflow given up first, size kept >= 1) under which the service fits the
    budget at max_connections, the other services' pools as proposed; None if even 1 + 0 does not."""
    others = demand(cfg, proposed) - instances(cfg, proposed, service) * per_instance(cfg, proposed, service)
    room = budget.allowed(max_connections) - others
    count = instances(cfg, proposed, service)
    allowed = room // count if room > 0 else 0
    if allowed < 1:
        return None
    size = value(cfg, proposed, f"services.{service}.pool.size")
    overflow = value(cfg, proposed, f"services.{service}.pool.max_overflow")
    new_size = min(size, allowed)
    return PoolFit(new_size, min(overflow, allowed - new_size))
