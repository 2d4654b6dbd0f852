"""Utilisation -> proposed stack config changes: the decision half of `infra scale auto`.

`assess(cfg, samples, now)` returns a Decision: the changes to write, each an infra.change.Change
(dotted key, old, new, reason), and notes on what was not changed and why. Nothing here writes or
validates: infra/commands/scale.py puts the changes through the same checks as `scale set`
(infra.candidate) and writes all of them or none.

Per resource, the keys of infra.scaling.scalable (services' max_instances, the database's
max_connections, Redis memory_gb, the connector's max_instances), each sized by its metric:

- Observation: the peak in the window (infra.scaling.window). A resource without samples in the
  window is not changed (stale metrics never drive a change) and gets a note.
- utilisation = peak / capacity. Thresholds are inclusive: utilisation >= scale_up_at raises,
  <= scale_down_at lowers.
- Raise: ceil(current x step), capped at the row's cap (GCP's limit, the tier's documented size for
  max_connections, the environment's capacity-caps). ceil/floor see x step and / step rounded to 9
  decimals: 10 x 1.1 is 11, not 12.
- Lower: floor(current / step), but never below the row's floor (max_connections: also what the
  connection budget needs for the proposed pools) and never so low that the observed peak would be
  at or above scale_up_at (which would raise it again at the next run). The connector is lowered
  only with force=True: GCP replaces a connector whose instances are lowered
  (limits.CONNECTOR_NEVER_SCALES_DOWN).
- Cooldown (infra.scaling.window): a resource scaled less than cooldown_s ago is skipped. Every
  change also sets scaling.last_scaled."<resource>" = now (ISO 8601 UTC, whole seconds) in the same edit.
- Coupled changes (infra.scaling.coupled_changes): the total-instances cap, and the connection
  budget kept whole by a larger max_connections or smaller pools.
- A database max_connections change says that applying it restarts PostgreSQL.
- Redis clients are reported when at or above scale_up_at of Memorystore's 65,000: the limit
  cannot be raised, only the number of clients lowered. Connector CPU is reported, not sized.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.change import Change
from infra.config import StackConfig
from infra.metrics.samples import CLIENTS, CONNECTOR, CPU_RATIO, DATABASE, MEMORY_RATIO, REDIS, Sample, iso
from infra.scaling import window
from infra.scaling.connection_budget import Sizes
from infra.scaling.coupled_changes import keep_budget, keep_total_within
from infra.scaling.policy_limits import PolicyLimits
from infra.scaling.proposal import Proposal
from infra.scaling.scalable import (
    CONNECTOR_MACHINE_TYPE_KEY,
    MAX_CONNECTIONS_RESTARTS,
    Scalable,
    max_instances_key,
    scalables,
)
from infra.scaling.window import Series
from policies import limits
from policies.rules.capacity import MAX_TOTAL_INSTANCES


@dataclass
class Decision:
    """The changes to write (config changes, then last_scaled entries) and notes on the rest."""

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def assignments(self) -> dict[str, Any]:
        return {c.key: c.new for c in self.changes}


def assess(cfg: StackConfig, samples: Iterable[Sample], now: datetime, *,
           policy: PolicyLimits | None = None, force: bool = False) -> Decision:
    """The changes utilisation calls for, with notes on what was not changed and why (cooldown, caps,
    floors, stale data); see the module docstring for the rules.

    policy: the environment's connection budget and capacity caps (policy_limits.from_policy_config);
    None proposes within GCP's limits only. force: allow lowering the connector (a replacement).
    """
    policy = policy or PolicyLimits()
    budget = policy.budget
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    start = window.window_start(cfg, now)
    starts = window.window_starts(cfg, start)
    peaks, latest = window.peaks(samples, starts, start, now)
    decision = Decision()
    proposal = Proposal()

    rows = scalables(cfg, policy.caps)
    for row in rows:
        if row.resource == DATABASE:
            continue  # after the services: its floor depends on their pools
        _step(cfg, row, peaks, latest, now, starts.get(row.resource, start), force, decision.notes, proposal)

    total_cap = policy.caps.get(MAX_TOTAL_INSTANCES)
    if total_cap is not None:
        keep_total_within(cfg, total_cap, proposal, decision.notes)
    raised = [name for name in cfg.services
              if (change := proposal.changes.get(max_instances_key(name))) is not None and change.new > change.old]
    database = next(row for row in rows if row.resource == DATABASE)
    if budget is not None:
        needed = budget.max_connections_for(Sizes(cfg, proposal.values()).demand())
        database = database.with_floor(needed, "what the connection budget needs for the pools")
    _step(cfg, database, peaks, latest, now, starts.get(DATABASE, start), force, decision.notes, proposal)
    if budget is not None and raised:
        keep_budget(cfg, budget, raised, proposal, decision.notes)

    _redis_clients(cfg, peaks, decision.notes)
    _connector_cpu(cfg, peaks, decision.notes)
    decision.changes = list(proposal.changes.values())
    for resource in proposal.scaled:
        decision.changes.append(Change(window.last_scaled_key(resource), cfg.scaling.last_scaled.get(resource),
                                       iso(now), f"{resource}: scaled now; the next change waits "
                                                 f"{cfg.scaling.cooldown_s} s (scaling.cooldown_s)"))
    return decision


def _step(cfg: StackConfig, row: Scalable, peaks: dict[Series, float], latest: dict[Series, datetime],
          now: datetime, start: datetime, force: bool, notes: list[str], proposal: Proposal) -> None:
    """Decide one resource: raise, lower or leave; notes say why not."""
    series = (row.resource, row.metric)
    if series not in peaks:
        if series in latest:
            notes.append(f"{row.resource}: no {row.metric} samples since {iso(start)} "
                         f"(latest {iso(latest[series])}); older samples do not count")
        return
    current = row.current
    peak = peaks[series]
    used = peak / row.capacity
    scaling = cfg.scaling
    observed = _observed(row, peak, used)
    if used >= scaling.scale_up_at:
        new = min(row.cap, max(current + 1, math.ceil(round(current * scaling.step, 9))))
        if new <= current:
            notes.append(f"{observed} >= {_pct(scaling.scale_up_at)} scale-up threshold, but "
                         f"{row.key} is at the scaler's cap {row.cap} ({row.cap_why})")
            return
        capped = f", capped at {row.cap} ({row.cap_why})" if new == row.cap else ""
        why = (f"{observed} >= {_pct(scaling.scale_up_at)} scale-up threshold; {row.key} "
               f"{current} -> {new} (x{limits.fmt(scaling.step)}{capped})")
    elif used <= scaling.scale_down_at:
        # a new value under which the peak stays below scale_up_at, so the next run does not raise it
        load = used * current
        steady = math.floor(round(load / scaling.scale_up_at, 9)) + 1
        new = max(row.floor, steady, math.floor(round(current / scaling.step, 9)))
        if new >= current:
            notes.append(f"{observed} <= {_pct(scaling.scale_down_at)} scale-down threshold, but "
                         f"{row.key} {current} is at its floor ({_floor_why(row, steady)})")
            return
        why = (f"{observed} <= {_pct(scaling.scale_down_at)} scale-down threshold; {row.key} "
               f"{current} -> {new} (/{limits.fmt(scaling.step)}, floor {max(row.floor, steady)}: "
               f"{_floor_why(row, steady)})")
        if row.resource == CONNECTOR:
            if not force:
                notes.append(f"{why}: not proposed, {limits.CONNECTOR_NEVER_SCALES_DOWN}; "
                             "run with --force to replace it")
                return
            why += f"; --force: {limits.CONNECTOR_NEVER_SCALES_DOWN}"
    else:
        return
    if row.resource == DATABASE:
        why += f"; {MAX_CONNECTIONS_RESTARTS}"
    waiting = window.cooldown(cfg, row.resource, now)
    if waiting:
        notes.append(f"{why}: skipped, {waiting}")
        return
    proposal.add(row.resource, Change(row.key, current, new, why))


def _observed(row: Scalable, peak: float, used: float) -> str:
    """`services.api: 15 of 20 instances (75%)`."""
    if row.metric == MEMORY_RATIO:
        return f"{row.resource}: memory {_pct(used)} of {row.current} {row.unit}"
    return f"{row.resource}: {limits.fmt(round(peak, 2))} of {row.current} {row.unit} ({_pct(used)})"


def _floor_why(row: Scalable, steady: int) -> str:
    if steady > row.floor:
        return "keeps the peak below the scale-up threshold"
    return row.floor_why


# --- reported only --------------------------------------------------------------------------------


def _redis_clients(cfg: StackConfig, peaks: dict[Series, float], notes: list[str]) -> None:
    peak = peaks.get((REDIS, CLIENTS))
    if peak is None:
        return
    used = peak / limits.REDIS_MAX_CLIENTS
    if used >= cfg.scaling.scale_up_at:
        notes.append(
            f"{REDIS}: {limits.fmt(round(peak))} of {limits.REDIS_MAX_CLIENTS} clients ({_pct(used)}) >= "
            f"{_pct(cfg.scaling.scale_up_at)}: Memorystore allows {limits.REDIS_MAX_CLIENTS} clients per "
            f"instance and it cannot be raised ({limits.REDIS_CLIENTS_SOURCE}); lower the clients "
            "(fewer connections per instance, a shared client pool)")


def _connector_cpu(cfg: StackConfig, peaks: dict[Series, float], notes: list[str]) -> None:
    peak = peaks.get((CONNECTOR, CPU_RATIO))
    if peak is not None and peak >= cfg.scaling.scale_up_at:
        notes.append(
            f"{CONNECTOR}: CPU {_pct(peak)} >= {_pct(cfg.scaling.scale_up_at)}: the scaler sizes "
            f"instances, not the machine type ({cfg.network.connector.machine_type}); a larger "
            f"{CONNECTOR_MACHINE_TYPE_KEY} replaces the connector, change it by hand")


def _pct(share: float) -> str:
    """0.75 -> 75%, 0.6999 -> 69.99%: never rounded onto the threshold it is compared with."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"
