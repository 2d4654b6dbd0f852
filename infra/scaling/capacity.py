"""How much of each resource a stack has: the denominator of utilisation.

Capacity is in the metric's own unit: instances, connections, clients, or 1.0 for ratios.
"""

from __future__ import annotations

from infra.config import StackConfig
from infra.metrics.samples import Sample
from policies import limits


def capacity(cfg: StackConfig, resource: str, metric: str) -> float:
    """The most of `metric` that `resource` can have under this config; ValueError if unknown."""
    if resource.startswith("services.") and metric == "instances":
        service = cfg.services.get(resource.removeprefix("services."))
        if service is not None:
            return float(service.max_instances)
    elif resource == "database" and metric == "connections":
        return float(cfg.database.max_connections)
    elif resource == "redis" and metric == "clients":
        return float(limits.REDIS_MAX_CLIENTS)  # a Memorystore limit, not a config value
    elif resource == "redis" and metric == "memory_ratio":
        return 1.0
    elif resource == "network.connector" and metric == "instances":
        return float(cfg.network.connector.max_instances)
    elif resource == "network.connector" and metric == "cpu_ratio":
        return 1.0
    raise ValueError(f"no capacity for {resource} {metric} in stack {cfg.stack}")


def utilisation(cfg: StackConfig, sample: Sample) -> float:
    """The sample's share of its capacity: 0.5 is half full, above 1.0 is over."""
    return sample.value / capacity(cfg, sample.resource, sample.metric)
