"""When each resource runs out of capacity, from the trend of its samples.

Per (resource, metric) series: a Theil-Sen trend (the median of pairwise slopes, so a few spikes or
outages do not bend it), the trend's value now, and the days until it reaches THRESHOLD of
capacity. A series is flagged when that is under FLAG_DAYS; a flagged series comes with the change
that sizes it for SIZE_FOR_DAYS of the same trend, within the caps the scaler keeps to
(infra.scaling.scalable: GCP's limits, the tier's size, and the environment's capacity caps when given).

The trend's cost is bounded per series. Up to 316 points (MAX_PAIRS pairs) the slope is exact, the
median of all pairs; beyond, it is the median of MAX_PAIRS pairs drawn uniformly with a fixed seed
(a week of 5-minute samples is 2016 points: all their 2 million pairs, for each of 305 series, made
`forecast` of 300 services take 12 s). Tolerance: the sampled slope lies between the 49th and 51st
percentiles of all the pairwise slopes, the exact slope being the 50th; a median of 50,000 pairs falls
outside that band with a probability of about 1e-5 (fewer usable pairs, and a wider band, only when
many samples share a time). In slope units, for a week of 5-minute samples of a trend with noise of
standard deviation s: the band is ±0.015 s a day, and the sampled slope typically 0.003 s a day from
the exact one, a quarter of the exact slope's own spread from the noise (0.011 s a day). On a clean
line every pair has the line's slope, so the sampled slope is exact. The seed is fixed: a series gives
the same slope on every run. tests/infra/scaling/test_forecast.py checks the band against an exact
O(n^2) Theil-Sen on clean, noisy, outlier, flat and step series.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

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
MAX_PAIRS = 50_000  # Theil-Sen uses every pair up to this (316 points), and this many sampled pairs beyond
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
    Up to MAX_PAIRS pairs all are used; beyond that MAX_PAIRS pairs drawn with a fixed seed (see the
    module's docstring for the tolerance), so the answer is the same on every run.
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
        i, j = _sampled_pairs(n)
        dt = t[j] - t[i]
        usable = dt != 0
        slopes = (v[j] - v[i])[usable] / dt[usable]
    slope = float(np.median(slopes)) if slopes.size else 0.0
    intercept = float(np.median(v - slope * t))
    return slope, intercept


@functools.lru_cache(maxsize=4)
def _sampled_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """MAX_PAIRS pairs of distinct indexes below n, uniform over the n(n-1)/2 pairs, from a fixed seed.
    Cached: a stack's series mostly have the same length, and drawing costs as much as using them."""
    rng = np.random.default_rng(0)
    i = rng.integers(0, n, MAX_PAIRS)
    j = (i + rng.integers(1, n, MAX_PAIRS)) % n  # any index but i, each as likely
    i.setflags(write=False)
    j.setflags(write=False)
    return i, j


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
    # Columns of the samples, built in C (attrgetter, fromiter) and split per series with one stable sort:
    # a Python loop over a week of 5-minute samples of 300 services (600,000) took 0.3 s.
    count = len(samples)
    whens = list(map(attrgetter("timestamp"), samples))
    seconds = dict.fromkeys(whens)  # the distinct times: series share them, and timestamp() is not free
    for when in seconds:
        seconds[when] = when.timestamp()
    all_t = np.fromiter(map(seconds.__getitem__, whens), float, count)
    all_v = np.fromiter(map(attrgetter("value"), samples), float, count)
    keys = list(map(attrgetter("resource", "metric"), samples))
    index = {key: number for number, key in enumerate(dict.fromkeys(keys))}  # series -> its number
    numbers = np.fromiter(map(index.__getitem__, keys), np.intp, count)
    by_series = np.argsort(numbers, kind="stable")  # each series' samples together, in the samples' order
    starts = np.concatenate(([0], np.cumsum(np.bincount(numbers))))
    end = as_of.timestamp() if as_of is not None else float(all_t.max())

    order = [(r, m) for r, metrics in stack_metrics(cfg).items() for m in metrics]
    known = set(order)
    unknown = sorted(f"{r} {m}" for r, m in index if (r, m) not in known)
    if unknown:
        raise ValueError(f"samples for series that stack {cfg.stack} does not have: {', '.join(unknown)}")

    rows = {(row.resource, row.metric): row for row in scalables(cfg, caps)}
    capacity = capacities(cfg)
    result = []
    for resource, metric in order:
        number = index.get((resource, metric))
        if number is None:
            continue
        take = by_series[starts[number]:starts[number + 1]]
        t = (all_t[take] - end) / SECONDS_PER_DAY
        v = all_v[take]
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
    if t.min() == t.max():
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
