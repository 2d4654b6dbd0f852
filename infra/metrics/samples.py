"""What a metric sample is, and which resources and metrics a stack has.

A resource id is the config path of what it measures ("services.api", "database", "redis",
"network.connector"), so a sample, its capacity and the key a scaler changes line up by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from infra.config import StackConfig

# The metrics each kind of resource reports, and what each one counts.
SERVICE_METRICS = ("instances",)  # Cloud Run instance count
DATABASE_METRICS = ("connections",)  # postgres backends
REDIS_METRICS = ("clients", "memory_ratio")  # connected clients; used memory / memory size (0..1)
CONNECTOR_METRICS = ("instances", "cpu_ratio")  # connector instances; CPU utilisation (0..1)

MAX_PROBLEMS = 20  # a bad file reports this many problems, then stops reading


class MetricsError(Exception):
    """Metrics that cannot be used; `problems` holds one line each, naming source, line and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Sample:
    timestamp: datetime  # tz-aware, UTC
    resource: str  # config path: services.<name>, database, redis, network.connector
    metric: str
    value: float


def stack_metrics(cfg: StackConfig) -> dict[str, tuple[str, ...]]:
    """resource id -> the metrics it reports, for this stack's resources, in config order."""
    known: dict[str, tuple[str, ...]] = {f"services.{name}": SERVICE_METRICS for name in cfg.services}
    known["database"] = DATABASE_METRICS
    known["redis"] = REDIS_METRICS
    known["network.connector"] = CONNECTOR_METRICS
    return known
