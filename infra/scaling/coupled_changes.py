"""Changes one resource's raise brings to others, decided after each resource has been sized alone.

- All services together stay within the environment's capacity-caps total: later services' raises
  are trimmed first, or dropped with a note.
- The connection budget stays whole: when raised services' pools would break it, the database's
  max_connections is raised in the same decision to what fits (up to the tier's size; this ignores
  the database's own cooldown, because it is arithmetic, not load); if the tier cannot hold it, the
  raised service's pool shrinks (max_overflow first, size >= 1); if even a 1 + 0 pool does not fit,
  that raise is dropped with a note saying why.
"""

from __future__ import annotations

from infra.change import Change
from infra.config import StackConfig
from infra.metrics.samples import DATABASE, service_resource
from infra.scaling.connection_budget import Budget, Sizes, fit_pool
from infra.scaling.proposal import Proposal
from infra.scaling.scalable import (
    MAX_CONNECTIONS_KEY,
    MAX_CONNECTIONS_RESTARTS,
    max_connections_ceiling,
    max_instances_key,
    pool_key,
)
from policies.pack import CAPACITY_CAPS, CONNECTION_BUDGET
from policies.rules.capacity import MAX_TOTAL_INSTANCES


def keep_total_within(cfg: StackConfig, cap: int, proposal: Proposal, notes: list[str]) -> None:
    """Trim service raises (in config order) so all services together stay within the total cap."""
    why = f"{CAPACITY_CAPS}.{MAX_TOTAL_INSTANCES} {cap} in this environment's policy config"
    for name in cfg.services:
        key = max_instances_key(name)
        change = proposal.changes.get(key)
        if change is None or change.new <= change.old:
            continue
        sizes = Sizes(cfg, proposal.values())
        excess = sum(sizes.instances(n) for n in cfg.services) - cap
        if excess <= 0:
            return
        if change.new - excess > change.old:
            new = change.new - excess
            limited = Change(key, change.old, new, f"{change.reason}; limited to {new} by {why}")
            proposal.add(service_resource(name), limited)
        else:
            proposal.drop(service_resource(name), key)
            notes.append(f"{change.reason}: not proposed, all services together would exceed {why}")


def keep_budget(cfg: StackConfig, budget: Budget, raised: list[str], proposal: Proposal, notes: list[str]) -> None:
    """Keep the connection budget whole after raising services: grow the database, else shrink the
    raised services' pools, else drop the raise."""
    current_mc = Sizes(cfg, proposal.values()).max_connections()
    if budget.fits(Sizes(cfg, proposal.values()).demand(), current_mc):
        return
    ceiling, _ = max_connections_ceiling(cfg)
    room = max(current_mc, ceiling)
    for name in raised:
        sizes = Sizes(cfg, proposal.values())
        if budget.fits(sizes.demand(), room):
            break
        key = max_instances_key(name)
        fit = fit_pool(sizes, name, budget, room)
        if fit is None:
            change = proposal.drop(service_resource(name), key)
            at = f"tier {cfg.database.tier}'s size" if room == ceiling else "its current value"
            notes.append(
                f"{change.reason}: refused by the connection budget: {sizes.demand_terms()} = "
                f"{budget.arithmetic(sizes.demand(), room)} with max_connections at {room} "
                f"({at}), and {name} does not fit even with a 1 + 0 pool; choose a larger database "
                "tier, or lower other services' pools")
            continue
        pool_why = (f"{name} raised to {proposal.changes[key].new} instances needs {sizes.demand_terms()} = "
                    f"{budget.arithmetic(sizes.demand(), room)}; tier {cfg.database.tier} allows "
                    f"max_connections up to {ceiling}, so {name}'s pool shrinks to "
                    f"{fit.size} + {fit.max_overflow} (max_overflow first, size >= 1)")
        pool = sizes.pool(name)
        for setting, old, new in (("size", pool.size, fit.size), ("max_overflow", pool.max_overflow, fit.max_overflow)):
            if new != old:
                proposal.add(service_resource(name), Change(pool_key(name, setting), old, new, pool_why))
    sizes = Sizes(cfg, proposal.values())
    total = sizes.demand()
    needed = budget.max_connections_for(total)
    if needed <= current_mc:
        return
    old = cfg.database.max_connections
    why = (f"database: the raised services need {sizes.demand_terms()} = {budget.arithmetic(total, current_mc)} "
           f"({CONNECTION_BUDGET}); {MAX_CONNECTIONS_KEY} {old} -> {needed}, where {budget.arithmetic(total, needed)} "
           f"(within tier {cfg.database.tier}'s {ceiling}); {MAX_CONNECTIONS_RESTARTS}")
    proposal.add(DATABASE, Change(MAX_CONNECTIONS_KEY, old, needed, why))
