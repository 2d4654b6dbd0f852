"""Utilisation -> proposed stack config changes: the decision half of `infra scale auto`.

`decide(cfg, samples, now)` returns the changes to write, each a stackfile_edit.Change (dotted key,
old, new, reason); `assess(...)` returns the same plus notes on what was not changed and why.
Nothing here writes or validates: infra/commands/scale.py puts the changes through the same checks
as `scale set` (config model, offline plan, policies) and writes all of them or none.

Behaviour, per resource (the metric, and the key it changes):
    services.<name>     instances     -> services.<name>.max_instances
    database            connections   -> database.max_connections
    redis               memory_ratio  -> redis.memory_gb    (clients: reported only, see below)
    network.connector   instances     -> network.connector.max_instances

- Observation: the PEAK over the window [now - W, now], W = max(scaling.cooldown_s, MIN_WINDOW_S).
  Peak, not latest: capacity runs out at peaks, a single quiet sample must not trigger a scale-down,
  and a scale-down then needs the whole window to be quiet. The window is the cooldown because that
  is the time since the resource could last have changed; at least MIN_WINDOW_S because Cloud
  Monitoring points are 5-minute maxima that arrive minutes late. A resource without samples in
  the window is not changed (stale metrics never drive a change) and gets a note. The window of a
  resource scaled within it starts at that change: earlier samples measured the old size.
- utilisation = peak / capacity (infra.scaling.capacity). Thresholds are inclusive:
  utilisation >= scale_up_at raises, <= scale_down_at lowers.
- Raise: ceil(current x step), capped at the GCP limit (Cloud Run 1000 instances, the connector's
  10, Memorystore's 300 GB), at the environment's capacity-caps (maxInstancesPerService,
  maxTotalInstances: later services' raises are trimmed first; maxConnectorInstances,
  maxRedisMemoryGb) and, for max_connections, at the tier's documented size
  (limits.sql_tier_connections; above it a person decides, with `scale set` or a larger tier).
  ceil/floor see x step and / step rounded to 9 decimals: 10 x 1.1 is 11, not 12.
- Lower: floor(current / step), but never below the floor (services max(min_instances, 1); redis
  1 GB, 5 with read replicas; max_connections what the connection budget needs for the proposed
  pools, and 14) and never so low that the observed peak would be at or above scale_up_at (which
  would raise it again at the next run). The connector is lowered only with force=True: GCP
  replaces a connector whose instances are lowered (limits.CONNECTOR_NEVER_SCALES_DOWN).
- Cooldown: a resource whose scaling.last_scaled entry is less than cooldown_s before now is
  skipped (exactly cooldown_s ago is allowed). Every change also sets
  scaling.last_scaled."<resource>" = now (ISO 8601 UTC, whole seconds) in the same edit.
- Coupled changes (infra.scaling.couple): when raised services' pools would break the connection
  budget, the database's max_connections is raised in the same decision to what fits (up to the
  tier's size; this ignores the database's own cooldown, because it is arithmetic, not load); if
  the tier cannot hold it, the raised service's pool is shrunk (max_overflow first, size >= 1);
  if even a 1 + 0 pool does not fit, that raise is dropped with a note saying why.
- A database max_connections change says that applying it restarts PostgreSQL (the setting is
  read only at server start).
- Redis clients are reported when at or above scale_up_at of Memorystore's 65,000: the limit
  cannot be raised, only the number of clients lowered.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.config import StackConfig
from infra.metrics.samples import Sample
from infra.scaling import couple
from infra.scaling.capacity import capacity
from infra.stackfile_edit import Change, join_key
from policies import limits

MIN_WINDOW_S = 900  # three 5-minute Cloud Monitoring alignment periods
LAST_SCALED = ("scaling", "last_scaled")
# PostgreSQL reads max_connections only at server start, so a change restarts the instance.
RESTARTS = f"applying it restarts the database ({limits.POSTGRES_CONNECTION_DOCS})"


@dataclass(frozen=True)
class Target:
    """What the scaler changes for one resource, and how."""

    resource: str  # services.api, database, redis, network.connector
    metric: str
    key: str  # the dotted config key it changes
    unit: str  # how reasons count the key: "instances", "connections", "GB"
    cap: int  # the most the scaler proposes
    cap_why: str
    floor: int  # the least the scaler proposes
    floor_why: str


@dataclass
class Decision:
    """The changes to write (config changes, then last_scaled entries) and notes on the rest."""

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def assignments(self) -> dict[str, Any]:
        return {c.key: c.new for c in self.changes}


def decide(cfg: StackConfig, samples: Iterable[Sample], now: datetime, *,
           policy: couple.PolicyLimits | None = None, force: bool = False) -> list[Change]:
    """The changes utilisation calls for; see the module docstring for the rules.

    policy: the environment's connection budget and capacity caps (couple.from_policy_config);
    None proposes within GCP's limits only. force: allow lowering the connector (a replacement).
    """
    return assess(cfg, samples, now, policy=policy, force=force).changes


def assess(cfg: StackConfig, samples: Iterable[Sample], now: datetime, *,
           policy: couple.PolicyLimits | None = None, force: bool = False) -> Decision:
    """decide(), with notes on what was not changed and why (cooldown, caps, floors, stale data)."""
    policy = policy or couple.PolicyLimits()
    budget = policy.budget
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    scaling = cfg.scaling
    window = timedelta(seconds=max(scaling.cooldown_s, MIN_WINDOW_S))
    starts = _window_starts(cfg, now - window)
    peaks, latest = _peaks(samples, starts, now - window, now)
    decision = Decision()
    proposed: dict[str, Change] = {}  # key -> change
    scaled: list[str] = []  # resources given a last_scaled entry, in order

    def propose(target: Target, new: int, reason: str) -> None:
        proposed[target.key] = Change(target.key, _current(cfg, target.key), new, reason)
        if target.resource not in scaled:
            scaled.append(target.resource)

    all_targets = targets(cfg, policy.caps)
    for target in all_targets:
        if target.resource == "database":
            continue  # after the services: its floor depends on their pools
        _step(cfg, target, peaks, latest, now, starts.get(target.resource, now - window), force, decision,
              propose)

    if policy.caps.total_instances is not None:
        _cap_total(cfg, policy.caps.total_instances, proposed, scaled, decision)
    raised = [k.split(".")[1] for k, c in proposed.items()
              if k.startswith("services.") and c.new > c.old]
    database = next(t for t in all_targets if t.resource == "database")
    values = {k: c.new for k, c in proposed.items()}
    if budget is not None:
        needed = budget.max_connections_for(couple.demand(cfg, values))
        database = _with_floor(database, needed, "what the connection budget needs for the pools")
    _step(cfg, database, peaks, latest, now, starts.get("database", now - window), force, decision, propose)

    if budget is not None and raised:
        _couple(cfg, budget, raised, proposed, scaled, decision)

    _redis_clients(cfg, peaks, decision)
    _connector_cpu(cfg, peaks, decision)
    decision.changes = list(proposed.values())
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for resource in scaled:
        key = join_key((*LAST_SCALED, resource))
        decision.changes.append(Change(key, scaling.last_scaled.get(resource), stamp,
                                       f"{resource}: scaled now; the next change waits "
                                       f"{scaling.cooldown_s} s (scaling.cooldown_s)"))
    return decision


def targets(cfg: StackConfig, caps: couple.Caps | None = None) -> list[Target]:
    """The resources the scaler sizes, with their caps and floors, in config order."""
    caps = caps or couple.Caps()
    found = []
    run_max, run_why = _cap(int(limits.RUN_MAX_INSTANCES.maximum),
                            f"Cloud Run's per-service limit ({limits.RUN_MAX_INSTANCES_DOCS})",
                            caps.per_service, "maxInstancesPerService")
    for name, service in cfg.services.items():
        floor = max(service.min_instances, 1)
        found.append(Target(f"services.{name}", "instances", f"services.{name}.max_instances", "instances",
                            run_max, run_why, floor, "max(min_instances, 1)"))
    tier_size = couple.ceiling(cfg)
    where = "the flag's range" if cfg.target == "docker" else f"tier {cfg.database.tier}'s documented size"
    found.append(Target("database", "connections", "database.max_connections", "connections",
                        tier_size, f"{where} ({limits.SQL_QUOTAS_DOCS}); beyond it choose a larger tier",
                        int(limits.SQL_MAX_CONNECTIONS.minimum), "Cloud SQL's minimum"))
    redis = cfg.redis
    redis_floor = limits.REDIS_READ_REPLICAS_MIN_GB if redis.read_replicas else int(limits.REDIS_MEMORY_GB.minimum)
    redis_max, redis_why = _cap(int(limits.REDIS_MEMORY_GB.maximum),
                                f"Memorystore's maximum ({limits.REDIS_TIER_DOCS})", caps.redis_gb, "maxRedisMemoryGb")
    redis_floor_why = "read replicas need 5 GB" if redis.read_replicas else "Memorystore's minimum"
    found.append(Target("redis", "memory_ratio", "redis.memory_gb", "GB", redis_max, redis_why, redis_floor,
                        redis_floor_why))
    connector = cfg.network.connector
    connector_max, connector_why = _cap(int(limits.CONNECTOR_MAX_INSTANCES.maximum),
                                        f"the connector's maximum ({limits.CONNECTOR_SPEC})",
                                        caps.connector, "maxConnectorInstances")
    found.append(Target("network.connector", "instances", "network.connector.max_instances", "instances",
                        connector_max, connector_why,
                        max(connector.min_instances + 1, int(limits.CONNECTOR_MAX_INSTANCES.minimum)),
                        "above min_instances and at least 3"))
    return found


def _cap(gcp: int, gcp_why: str, policy: int | None, name: str) -> tuple[int, str]:
    """The lower of GCP's limit and the environment's capacity-caps entry, and why."""
    if policy is not None and policy < gcp:
        return policy, f"this environment's capacity-caps.{name} in its policy config"
    return gcp, gcp_why


# --- one resource ---------------------------------------------------------------------------------


def _step(cfg: StackConfig, target: Target, peaks: dict[tuple[str, str], float],
          latest: dict[tuple[str, str], datetime], now: datetime, start: datetime, force: bool,
          decision: Decision, propose) -> None:
    """Decide one resource: raise, lower or leave; notes say why not."""
    series = (target.resource, target.metric)
    if series not in peaks:
        if series in latest:
            decision.notes.append(f"{target.resource}: no {target.metric} samples since {_iso(start)} "
                                  f"(latest {_iso(latest[series])}); older samples do not count")
        return
    current = _current(cfg, target.key)
    peak = peaks[series]
    used = peak / capacity(cfg, target.resource, target.metric)
    scaling = cfg.scaling
    observed = _observed(target, peak, current, used)
    if used >= scaling.scale_up_at:
        new = min(target.cap, max(current + 1, math.ceil(round(current * scaling.step, 9))))
        if new <= current:
            decision.notes.append(f"{observed} >= {_pct(scaling.scale_up_at)} scale-up threshold, but "
                                  f"{target.key} is at the scaler's cap {target.cap} ({target.cap_why})")
            return
        capped = f", capped at {target.cap} ({target.cap_why})" if new == target.cap else ""
        why = (f"{observed} >= {_pct(scaling.scale_up_at)} scale-up threshold; {target.key} "
               f"{current} -> {new} (x{limits.fmt(scaling.step)}{capped})")
    elif used <= scaling.scale_down_at:
        # a new value under which the peak stays below scale_up_at, so the next run does not raise it
        load = used * current
        steady = math.floor(round(load / scaling.scale_up_at, 9)) + 1
        new = max(target.floor, steady, math.floor(round(current / scaling.step, 9)))
        if new >= current:
            decision.notes.append(f"{observed} <= {_pct(scaling.scale_down_at)} scale-down threshold, but "
                                  f"{target.key} {current} is at its floor ({_floor_why(target, steady)})")
            return
        why = (f"{observed} <= {_pct(scaling.scale_down_at)} scale-down threshold; {target.key} "
               f"{current} -> {new} (/{limits.fmt(scaling.step)}, floor {max(target.floor, steady)}: "
               f"{_floor_why(target, steady)})")
        if target.resource == "network.connector":
            if not force:
                decision.notes.append(f"{why}: not proposed, {limits.CONNECTOR_NEVER_SCALES_DOWN}; "
                                      "run with --force to replace it")
                return
            why += f"; --force: {limits.CONNECTOR_NEVER_SCALES_DOWN}"
    else:
        return
    if target.resource == "database":
        why += f"; {RESTARTS}"
    waiting = _cooldown(cfg, target.resource, now)
    if waiting:
        decision.notes.append(f"{why}: skipped, {waiting}")
        return
    propose(target, new, why)


def _observed(target: Target, peak: float, current: int, used: float) -> str:
    """`services.api: 15 of 20 instances (75%)`."""
    if target.metric == "memory_ratio":
        return f"{target.resource}: memory {_pct(used)} of {current} GB"
    return f"{target.resource}: {limits.fmt(round(peak, 2))} of {current} {target.unit} ({_pct(used)})"


def _floor_why(target: Target, steady: int) -> str:
    if steady > target.floor:
        return "keeps the peak below the scale-up threshold"
    return target.floor_why


def _with_floor(target: Target, floor: int, why: str) -> Target:
    if floor <= target.floor:
        return target
    return Target(target.resource, target.metric, target.key, target.unit, target.cap, target.cap_why,
                  floor, why)


def _cooldown(cfg: StackConfig, resource: str, now: datetime) -> str | None:
    """Why the resource must wait, or None when it may change now."""
    scaling = cfg.scaling
    last_text = scaling.last_scaled.get(resource)
    if last_text is None:
        return None
    key = join_key((*LAST_SCALED, resource))
    try:
        last = datetime.fromisoformat(last_text)
    except ValueError:
        return f"{key} is {last_text!r}, not an ISO 8601 time such as 2026-11-22T10:00:00Z; fix or remove it"
    if last.tzinfo is None:
        return f"{key} is {last_text!r}, without a UTC offset; write it as 2026-11-22T10:00:00Z"
    elapsed = now - last
    if elapsed < timedelta(seconds=scaling.cooldown_s):
        until = last + timedelta(seconds=scaling.cooldown_s)
        return f"scaled at {_iso(last)}, within the {scaling.cooldown_s} s cooldown (until {_iso(until)})"
    return None


def _cap_total(cfg: StackConfig, cap: int, proposed: dict[str, Change], scaled: list[str],
               decision: Decision) -> None:
    """Trim service raises (in config order) so all services together stay within maxTotalInstances."""
    why = f"capacity-caps.maxTotalInstances {cap} in this environment's policy config"
    for name in cfg.services:
        key = f"services.{name}.max_instances"
        change = proposed.get(key)
        if change is None or change.new <= change.old:
            continue
        values = {k: c.new for k, c in proposed.items()}
        excess = sum(couple.instances(cfg, values, n) for n in cfg.services) - cap
        if excess <= 0:
            return
        if change.new - excess > change.old:
            new = change.new - excess
            proposed[key] = Change(key, change.old, new, f"{change.reason}; limited to {new} by {why}")
        else:
            del proposed[key]
            scaled.remove(f"services.{name}")
            decision.notes.append(f"{change.reason}: not proposed, all services together would exceed {why}")


# --- coupled changes ------------------------------------------------------------------------------


def _couple(cfg: StackConfig, budget: couple.Budget, raised: list[str], proposed: dict[str, Change],
            scaled: list[str], decision: Decision) -> None:
    """Keep the connection budget whole after raising services: grow the database, else shrink
    the raised services' pools, else drop the raise."""
    values = {k: c.new for k, c in proposed.items()}
    current_mc = couple.value(cfg, values, "database.max_connections")
    if budget.fits(couple.demand(cfg, values), current_mc):
        return
    ceiling = couple.ceiling(cfg)
    room = max(current_mc, ceiling)
    for name in raised:
        values = {k: c.new for k, c in proposed.items()}
        if budget.fits(couple.demand(cfg, values), room):
            break
        key = f"services.{name}.max_instances"
        fit = couple.fit_pool(cfg, values, name, budget, room)
        if fit is None:
            change = proposed.pop(key)
            if not any(k.startswith(f"services.{name}.") for k in proposed):
                scaled.remove(f"services.{name}")
            at = f"tier {cfg.database.tier}'s size" if room == ceiling else "its current value"
            decision.notes.append(
                f"{change.reason}: refused by the connection budget: {couple.demand_terms(cfg, values)} = "
                f"{budget.arithmetic(couple.demand(cfg, values), room)} with max_connections at {room} "
                f"({at}), and {name} does not fit even with a 1 + 0 pool; choose a larger database "
                "tier, or lower other services' pools")
            continue
        pool_why = (f"{name} raised to {values[key]} instances needs {couple.demand_terms(cfg, values)} = "
                    f"{budget.arithmetic(couple.demand(cfg, values), room)}; tier {cfg.database.tier} allows "
                    f"max_connections up to {ceiling}, so {name}'s pool shrinks to "
                    f"{fit.size} + {fit.max_overflow} (max_overflow first, size >= 1)")
        for field_name, new in (("size", fit.size), ("max_overflow", fit.max_overflow)):
            pool_key = f"services.{name}.pool.{field_name}"
            old = couple.value(cfg, values, pool_key)
            if new != old:
                proposed[pool_key] = Change(pool_key, old, new, pool_why)
    values = {k: c.new for k, c in proposed.items()}
    total = couple.demand(cfg, values)
    needed = budget.max_connections_for(total)
    if needed <= current_mc:
        return
    key = "database.max_connections"
    old = cfg.database.max_connections
    why = (f"database: the raised services need {couple.demand_terms(cfg, values)} = "
           f"{budget.arithmetic(total, current_mc)} (connection-budget); {key} {old} -> {needed}, "
           f"where {budget.arithmetic(total, needed)} (within tier {cfg.database.tier}'s {ceiling}); {RESTARTS}")
    proposed[key] = Change(key, old, needed, why)
    if "database" not in scaled:
        scaled.append("database")


# --- reported only --------------------------------------------------------------------------------


def _redis_clients(cfg: StackConfig, peaks: dict[tuple[str, str], float], decision: Decision) -> None:
    peak = peaks.get(("redis", "clients"))
    if peak is None:
        return
    used = peak / limits.REDIS_MAX_CLIENTS
    if used >= cfg.scaling.scale_up_at:
        decision.notes.append(
            f"redis: {limits.fmt(round(peak))} of {limits.REDIS_MAX_CLIENTS} clients ({_pct(used)}) >= "
            f"{_pct(cfg.scaling.scale_up_at)}: Memorystore allows {limits.REDIS_MAX_CLIENTS} clients per "
            f"instance and it cannot be raised ({limits.REDIS_CLIENTS_SOURCE}); lower the clients "
            "(fewer connections per instance, a shared client pool)")


def _connector_cpu(cfg: StackConfig, peaks: dict[tuple[str, str], float], decision: Decision) -> None:
    peak = peaks.get(("network.connector", "cpu_ratio"))
    if peak is not None and peak >= cfg.scaling.scale_up_at:
        decision.notes.append(
            f"network.connector: CPU {_pct(peak)} >= {_pct(cfg.scaling.scale_up_at)}: the scaler sizes "
            f"instances, not the machine type ({cfg.network.connector.machine_type}); a larger "
            "network.connector.machine_type replaces the connector, change it by hand")


# --- helpers --------------------------------------------------------------------------------------


def _window_starts(cfg: StackConfig, start: datetime) -> dict[str, datetime]:
    """Resources scaled after `start`: their window starts at that change, because earlier samples
    measured the old size (a memory ratio of 5 GB says nothing about 10 GB)."""
    starts = {}
    for resource, text in cfg.scaling.last_scaled.items():
        try:
            last = datetime.fromisoformat(text)
        except ValueError:
            continue  # _cooldown reports it
        if last.tzinfo is not None and last > start:
            starts[resource] = last
    return starts


def _peaks(samples: Iterable[Sample], starts: dict[str, datetime], start: datetime, end: datetime
           ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], datetime]]:
    """Per (resource, metric): the peak within [its start, end], and the latest time seen at all."""
    peaks: dict[tuple[str, str], float] = {}
    latest: dict[tuple[str, str], datetime] = {}
    for sample in samples:
        series = (sample.resource, sample.metric)
        if sample.timestamp > end:
            continue  # from after `now`: not yet observed
        if series not in latest or sample.timestamp > latest[series]:
            latest[series] = sample.timestamp
        if sample.timestamp >= starts.get(sample.resource, start) and sample.value > peaks.get(series, -1.0):
            peaks[series] = sample.value
    return peaks, latest


def _current(cfg: StackConfig, key: str) -> Any:
    if key == "redis.memory_gb":
        return cfg.redis.memory_gb
    if key == "network.connector.max_instances":
        return cfg.network.connector.max_instances
    return couple.value(cfg, {}, key)


def _pct(share: float) -> str:
    """0.75 -> 75%, 0.6999 -> 69.99%: never rounded onto the threshold it is compared with."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
