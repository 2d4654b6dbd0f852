"""How much of each resource a stack has: the denominator of utilisation.

Capacity is in the metric's own unit: instances, connections, clients, or 1.0 for ratios. The
series that size a config key take it from that key (infra.scaling.scalable); the others from here.
"""

from __future__ import annotations

from infra.config import StackConfig
from infra.metrics.samples import CLIENTS, CONNECTOR, CPU_RATIO, REDIS, Sample
from infra.scaling.scalable import scalables
from policies import limits

# Series no config key sizes: (resource, metric) -> capacity.
FIXED = {
    (REDIS, CLIENTS): float(limits.REDIS_MAX_CLIENTS),  # a Memorystore limit, not a config value
    (CONNECTOR, CPU_RATIO): 1.0,
}


def capacities(cfg: StackConfig) -> dict[tuple[str, str], float]:
    """(resource, metric) -> capacity, for every series this stack has a capacity for."""
    return {**{(row.resource, row.metric): row.capacity for row in scalables(cfg)}, **FIXED}


def capacity(cfg: StackConfig, resource: str, metric: str) -> float:
    """The most of `metric` that `resource` can have under this config; ValueError if unknown."""
    found = capacities(cfg).get((resource, metric))
    if found is None:
        raise ValueError(f"no capacity for {resource} {metric} in stack {cfg.stack}")
    return found


def utilisation(cfg: StackConfig, sample: Sample) -> float:
    """The sample's share of its capacity: 0.5 is half full, above 1.0 is over."""
    return sample.value / capacity(cfg, sample.resource, sample.metric)
