"""When each resource runs out of capacity, from the trend of its samples.

Per (resource, metric) series: a Theil-Sen trend (the median of pairwise slopes, so a few spikes or
outages do not bend it), the trend's value now, and the days until it reaches THRESHOLD of
capacity. A series is flagged when that is under FLAG_DAYS; a flagged series comes with the change
that sizes it for SIZE_FOR_DAYS of the same trend, within the caps the scaler keeps to
(infra.scaling.scalable: GCP's limits, the tier's size, and the environment's capacity caps when given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from infra.change import Change
from infra.config import StackConfig
from infra.metrics.samples import (
    CLIENTS,
    CONNECTOR,
    CPU_RATIO,
    INSTANCES,
    MAX_METRIC_VALUE,
    REDIS,
    Sample,
    stack_metrics,
)
from infra.scaling.capacity import capacities
from infra.scaling.scalable import CONNECTOR_MACHINE_TYPE_KEY, Scalable, scalables
from policies import limits

THRESHOLD = 0.95  # share of capacity that counts as full
FLAG_DAYS = 14.0  # flag a series that is full sooner than this
SIZE_FOR_DAYS = 28.0  # a proposed change keeps the trend below THRESHOLD this long
MAX_PAIRS = 2_500_000  # Theil-Sen uses every pair up to this (2236 points: a week at 5 min is 2016)
SECONDS_PER_DAY = 86400.0
# Connector machine types, listed from smallest to largest; micro types run out of CPU credits under load.
CONNECTOR_MACHINE_ORDER = limits.CONNECTOR_MACHINE_TYPES.values


@dataclass(frozen=True)
class Forecast:
    resource: str
    metric: str
    capacity: float
    points: int
    slope_per_day: float  # trend, in the metric's unit per day
    current: float  # the trend's value at the forecast time
    days_until_full: float | None  # until the trend reaches THRESHOLD of capacity; None: never
    change: Change | None  # for a flagged series, the stack file edit (None when no config key helps)
    note: str  # why there is no change, or what limits it; "" when nothing to say
    # History, for charts: days relative to the forecast time (<= 0), and values.
    t_days: np.ndarray = field(compare=False, repr=False)
    values: np.ndarray = field(compare=False, repr=False)

    @property
    def utilisation(self) -> float:
        return self.current / self.capacity

    @property
    def flagged(self) -> bool:
        return self.days_until_full is not None and self.days_until_full < FLAG_DAYS

    def trend_at(self, days: float | np.ndarray) -> float | np.ndarray:
        """The trend's value `days` after the forecast time."""
        return self.current + self.slope_per_day * days


def describe(change: Change) -> str:
    """A change as an instruction: raise services.api.max_instances from 10 to 20."""
    numbers = isinstance(change.old, int) and isinstance(change.new, int)
    verb = "raise" if numbers and change.new > change.old else "change"
    return f"{verb} {change.key} from {change.old} to {change.new}"


def theil_sen(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(slope, intercept at t=0) of the Theil-Sen line through points (t, v).

    Pairs with equal t carry no slope and are skipped; with no usable pair the slope is 0.
    Up to MAX_PAIRS pairs all are used; beyond that MAX_PAIRS pairs drawn with a fixed seed, so the
    answer is the same on every run.
    """
    n = len(t)
    if n == 0:
        raise ValueError("theil_sen needs at least one point")
    if n * (n - 1) // 2 <= MAX_PAIRS:
        # Pairs (i, i+k) for each offset k: O(n^2) work in n vector operations, no index arrays.
        parts = []
        for k in range(1, n):
            dt = t[k:] - t[:-k]
            dv = v[k:] - v[:-k]
            usable = dt != 0
            parts.append(dv[usable] / dt[usable])
        slopes = np.concatenate(parts) if parts else np.empty(0)
    else:
        rng = np.random.default_rng(0)
        i = rng.integers(0, n, MAX_PAIRS)
        j = rng.integers(0, n, MAX_PAIRS)
        dt = t[j] - t[i]
        usable = dt != 0
        slopes = (v[j] - v[i])[usable] / dt[usable]
    slope = float(np.median(slopes)) if slopes.size else 0.0
    intercept = float(np.median(v - slope * t))
    return slope, intercept


def days_until(current: float, slope_per_day: float, level: float) -> float | None:
    """Days until a trend at `current` now reaches `level`: 0 if there already, None if it never does."""
    if current >= level:
        return 0.0
    if slope_per_day <= 0:
        return None
    return (level - current) / slope_per_day


def forecast(cfg: StackConfig, samples: Sequence[Sample], as_of: datetime | None = None,
             caps: Mapping[str, int] | None = None) -> list[Forecast]:
    """One Forecast per series in `samples`, in config order, with trends evaluated at `as_of`
    (default: the latest sample). caps: the environment's capacity caps (infra.scaling.policy_limits);
    None proposes within GCP's limits only."""
    if not samples:
        return []
    times: dict[tuple[str, str], list[float]] = {}
    values: dict[tuple[str, str], list[float]] = {}
    for s in samples:
        key = (s.resource, s.metric)
        if key not in times:
            times[key] = []
            values[key] = []
        times[key].append(s.timestamp.timestamp())
        values[key].append(s.value)
    end = as_of.timestamp() if as_of is not None else max(max(ts) for ts in times.values())

    order = [(r, m) for r, metrics in stack_metrics(cfg).items() for m in metrics]
    unknown = sorted(f"{r} {m}" for r, m in times if (r, m) not in order)
    if unknown:
        raise ValueError(f"samples for series that stack {cfg.stack} does not have: {', '.join(unknown)}")

    rows = {(row.resource, row.metric): row for row in scalables(cfg, caps)}
    capacity = capacities(cfg)
    result = []
    for resource, metric in order:
        if (resource, metric) not in times:
            continue
        t = (np.asarray(times[(resource, metric)]) - end) / SECONDS_PER_DAY
        v = np.asarray(values[(resource, metric)], dtype=float)
        if not (np.isfinite(v).all() and np.abs(v).max() <= MAX_METRIC_VALUE):
            # The metric sources refuse such values; near the float maximum the pairwise differences overflow.
            raise ValueError(f"samples of {resource} {metric} beyond ±{MAX_METRIC_VALUE:g}")
        result.append(_forecast_series(cfg, rows, resource, metric, capacity[(resource, metric)], t, v))
    return result


def _forecast_series(cfg: StackConfig, rows: dict[tuple[str, str], Scalable], resource: str, metric: str,
                     cap: float, t: np.ndarray, v: np.ndarray) -> Forecast:
    slope, current = theil_sen(t, v)
    days = days_until(current, slope, THRESHOLD * cap)
    change, note = None, ""
    if days is not None and days < FLAG_DAYS:
        # Size for the higher of now and SIZE_FOR_DAYS ahead (a falling series already over stays over).
        peak = max(current, current + slope * SIZE_FOR_DAYS)
        why = (f"forecast: {resource} {metric} is {_days(days)} from {limits.fmt(THRESHOLD * 100)}% of "
               f"capacity; sized for {limits.fmt(round(peak, 2))}, the trend in {limits.fmt(SIZE_FOR_DAYS)} days")
        change, note = _proposal(cfg, rows, resource, metric, peak, why)
    if len(np.unique(t)) < 2:
        note = "; ".join(part for part in ("one point in time: no trend", note) if part)
    return Forecast(resource, metric, cap, len(t), slope, current, days, change, note, t, v)


def _days(days: float) -> str:
    return "0 days" if days == 0 else f"{days:.1f} days"


def _proposal(cfg: StackConfig, rows: dict[tuple[str, str], Scalable], resource: str, metric: str, peak: float,
              why: str) -> tuple[Change | None, str]:
    """The change that keeps `peak` below THRESHOLD of capacity, or why there is none."""
    row = rows.get((resource, metric))
    if row is not None:
        return _raise_to(row, _needed(row.in_units(peak)), why)
    if (resource, metric) == (CONNECTOR, CPU_RATIO):
        machine_type = cfg.network.connector.machine_type
        position = CONNECTOR_MACHINE_ORDER.index(machine_type)
        if position + 1 < len(CONNECTOR_MACHINE_ORDER):
            bigger = CONNECTOR_MACHINE_ORDER[position + 1]
            return Change(CONNECTOR_MACHINE_TYPE_KEY, machine_type, bigger, why), ""
        # Already the largest machine: spread the load over more instances.
        instances = rows[(CONNECTOR, INSTANCES)]
        return _raise_to(instances, _needed(instances.current * peak), why)
    if (resource, metric) == (REDIS, CLIENTS):
        return None, (f"no config key raises it: Memorystore allows {limits.REDIS_MAX_CLIENTS} clients "
                      f"({limits.REDIS_CLIENTS_SOURCE}); open fewer connections per service instance")
    raise ValueError(f"no proposal for {resource} {metric}")


def _needed(peak: float) -> int:
    """The smallest whole capacity that holds `peak` below THRESHOLD."""
    return math.floor(peak / THRESHOLD) + 1


def _raise_to(row: Scalable, needed: int, reason: str) -> tuple[Change | None, str]:
    """Raise the row's key to `needed`, at least by one and at most to its cap."""
    if row.current >= row.cap:
        return None, f"{row.key} is already {row.current}, the most allowed: {row.cap_why}"
    new = min(row.cap, max(row.current + 1, needed))
    note = f"capped at {row.cap}: {row.cap_why}; the trend needs {needed}" if needed > row.cap else ""
    return Change(row.key, row.current, new, reason), note
