"""connection-budget: the database connections services can open must fit max_connections.

A service uses the database when its environment sets DATABASE_POOL_SIZE. Each instance holds up to
pool_size + max_overflow connections (SQLAlchemy QueuePool), so the stack can open
    sum over services of max_instances x (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW)
which must stay within headroom x (max_connections - reservedConnections). A Docker container is one
instance. On Cloud Run one instance may hold at most 100 connections to Cloud SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from policies import contract
from policies import limits as gcp
from policies.contract import RUN_SERVICE
from policies.limits import fmt
from policies.rules.messages import problem
from policies.rules.props import dig, number
from policies.rules.resources import (
    Count,
    Pool,
    Resource,
    StackReport,
    display_name,
    env_dict,
    host_names,
    is_database,
    is_workload,
    max_connections,
    max_instances,
    pool,
    where,
)

# The config properties, named once: the scaler (infra/scaling/) reads the budget by these names.
HEADROOM = "headroom"
RESERVED_CONNECTIONS = "reservedConnections"

CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    HEADROOM: {"type": "number", "minimum": 0.05, "maximum": 1, "default": 0.8,
               "description": "Share of the usable connections services may plan to open."},
    RESERVED_CONNECTIONS: {"type": "integer", "minimum": 0, "default": 10,
                           "description": "Connections kept for superusers, migrations and operators."},
}
POOL_KEYS = f"{contract.DATABASE_POOL_SIZE} + {contract.DATABASE_MAX_OVERFLOW} (services.<name>.pool or database.pool)"


def budget(limit: float, headroom: float, reserved: float) -> int:
    """Connections services may plan for: headroom x (max_connections - reserved), rounded down."""
    return math.floor(headroom * (limit - reserved) + 1e-9)


def check_connection_budget(resources: Sequence[Resource], config: Mapping[str, Any],
                            report: StackReport) -> None:
    headroom = number(config.get(HEADROOM, CONFIG_PROPERTIES[HEADROOM]["default"]), HEADROOM)
    reserved = number(config.get(RESERVED_CONNECTIONS, CONFIG_PROPERTIES[RESERVED_CONNECTIONS]["default"]),
                      RESERVED_CONNECTIONS)

    users: list[tuple[Resource, Pool, Count]] = []
    for resource in resources:
        if not is_workload(resource) or (workload_pool := pool(resource)) is None:
            continue
        users.append((resource, workload_pool, max_instances(resource)))
        if resource.resource_type == RUN_SERVICE and (
                bad := gcp.RUN_CONNECTIONS_PER_INSTANCE_TO_SQL.problem(workload_pool.connections)):
            report(resource, problem(where(resource), f"one instance's pool {workload_pool.describe()} = "
                                                      f"{fmt(workload_pool.connections)} connections: {bad}",
                                     f"keep {POOL_KEYS} at most "
                                     f"{fmt(gcp.RUN_CONNECTIONS_PER_INSTANCE_TO_SQL.maximum)}"))

    databases = [r for r in resources if is_database(r)]
    for database, members in _attribute(users, databases).items():
        if members:
            _check_database(database, members, headroom, reserved, report)


def _attribute(users: list[tuple[Resource, Pool, Count]],
               databases: list[Resource]) -> dict[Resource, list[tuple[Resource, Pool, Count]]]:
    """Which database each service uses. With one database, all; otherwise by DATABASE_HOST, and a
    service whose host names none of them counts against each (we cannot tell, so assume the worst)."""
    result: dict[Resource, list[tuple[Resource, Pool, Count]]] = {db: [] for db in databases}
    names = {name: db for db in databases for name in host_names(db)}
    for user in users:
        host_var = env_dict(user[0]).get(contract.DATABASE_HOST)
        host = host_var.value if host_var is not None else None
        target = databases[0] if len(databases) == 1 else names.get(host) if isinstance(host, str) else None
        for db in [target] if target is not None else databases:
            result[db].append(user)
    return result


def _check_database(database: Resource, members: list[tuple[Resource, Pool, Count]], headroom: float,
                    reserved: float, report: StackReport) -> None:
    at = where(database)
    limit = max_connections(database)
    if limit is None:
        tier = dig(database.props, "settings", "tier")
        report(database, problem(at, f"max_connections is not set and tier {tier} has no documented default "
                                     f"({gcp.SQL_FAQ}); the connection budget cannot be checked",
                                 "set the max_connections database flag (database.max_connections)"))
        return
    allowed = budget(limit.value, headroom, reserved)
    demand = sum(count.value * p.connections for _, p, count in members)
    if demand <= allowed:
        return
    terms = " + ".join(f"{fmt(count.value)} x {p.describe()} [{display_name(r)}]" for r, p, count in members)
    fixes = []
    fitting_pool = _largest_pool_that_fits(members, allowed)
    if fitting_pool is not None:
        fixes.append(f"cap every instance's pool at {fitting_pool} connection{'s' * (fitting_pool != 1)} "
                     f"({POOL_KEYS})")
    else:
        fixes.append("lower max_instances: even one connection per instance does not fit")
    needed = _max_connections_that_fits(demand, headroom, reserved)
    if needed <= gcp.SQL_MAX_CONNECTIONS.maximum:
        fixes.append(f"raise max_connections to at least {needed} (database.max_connections; more connections "
                     "need more database memory)")
    report(database, problem(
        at, f"services can open max_instances x (pool_size + max_overflow) = {terms} = {fmt(demand)} connections, "
            f"above the budget {fmt(headroom)} x ({fmt(limit.value)} max_connections ({limit.how}) - "
            f"{fmt(reserved)} reserved) = {allowed} (pool semantics {gcp.SQLALCHEMY_POOL}; "
            f"headroom and reserve from the connection-budget policy config)",
        ", or ".join(fixes)))


def _largest_pool_that_fits(members: list[tuple[Resource, Pool, Count]], allowed: int) -> int | None:
    """The largest per-instance pool P such that capping every service's pool at P fits the budget."""

    def demand(cap: int) -> float:
        return sum(count.value * min(p.connections, cap) for _, p, count in members)

    low, high = 0, int(max(p.connections for _, p, _ in members))
    while low < high:  # invariant: demand(low) fits (or low == 0)
        middle = (low + high + 1) // 2
        if demand(middle) <= allowed:
            low = middle
        else:
            high = middle - 1
    return low or None


def _max_connections_that_fits(demand: float, headroom: float, reserved: float) -> int:
    needed = math.ceil(demand / headroom + reserved - 1e-9)
    while budget(needed, headroom, reserved) < demand:
        needed += 1
    return needed
