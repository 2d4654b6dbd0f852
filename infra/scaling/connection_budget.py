"""The connection budget as arithmetic the scaler can solve: what max_connections a set of pools
needs, and what pool fits a service when the database cannot grow.

The budget is the connection-budget policy's inequality (policies/rules/connections.py):

    sum over services of instances x (pool size + max_overflow)
        <= floor(headroom x (max_connections - reservedConnections))

`instances` is max_instances on Cloud Run and 1 on Docker (one container per service), as the
policy counts them. headroom and reservedConnections come from the environment's policy config
(infra.scaling.policy_limits), and the arithmetic is the policy's own function
(policies.rules.connections.budget), so the scaler proposes exactly what the policy accepts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.config import StackConfig
from infra.scaling.scalable import MAX_CONNECTIONS_KEY, max_instances_key, pool_key
from policies import limits
from policies.rules import connections
from policies.rules.resources import Pool


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
class Sizes:
    """What the budget counts, read from a config with proposed changes laid over it (dotted key ->
    new value), so the same questions answer "now" and "after these changes"."""

    cfg: StackConfig
    proposed: Mapping[str, Any] = field(default_factory=dict)

    def instances(self, service: str) -> int:
        """Instances the policy counts for a service: max_instances on Cloud Run, one container on Docker."""
        if self.cfg.target == "docker":
            return 1
        return self.proposed.get(max_instances_key(service), self.cfg.services[service].max_instances)

    def pool(self, service: str) -> Pool:
        """The service's pool, counted as the policy counts it."""
        pool = self.cfg.pool_for(service)
        return Pool(self.proposed.get(pool_key(service, "size"), pool.size),
                    self.proposed.get(pool_key(service, "max_overflow"), pool.max_overflow))

    def max_connections(self) -> int:
        return self.proposed.get(MAX_CONNECTIONS_KEY, self.cfg.database.max_connections)

    def demand(self) -> int:
        """Connections all services' pools can hold at once."""
        return int(sum(self.instances(name) * self.pool(name).connections for name in self.cfg.services))

    def demand_terms(self) -> str:
        """`api 30 x (5 + 5) + web 5 x (3 + 2)`: how demand() adds up, for messages."""
        return " + ".join(f"{name} {self.instances(name)} x {self.pool(name).describe()}" for name in self.cfg.services)


def fit_pool(sizes: Sizes, service: str, budget: Budget, max_connections: int) -> Pool | None:
    """The largest pool (overflow given up first, size kept >= 1) under which the service fits the
    budget at max_connections, the other services' pools as proposed; None if even 1 + 0 does not."""
    count = sizes.instances(service)
    pool = sizes.pool(service)
    others = sizes.demand() - count * pool.connections
    room = budget.allowed(max_connections) - others
    allowed = int(room // count) if room > 0 else 0
    if allowed < 1:
        return None
    size = min(pool.size, allowed)
    return Pool(size, min(pool.max_overflow, allowed - size))
