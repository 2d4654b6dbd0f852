"""What a metric sample is, and which resources and metrics a stack has.

A resource id is the config path of what it measures ("services.api", "database", "redis",
"network.connector"), so a sample, its capacity and the key a scaler changes line up by name.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import NamedTuple

from infra.config import StackConfig
from policies.redaction import shown

# Resource ids: the config path of what a sample measures.
SERVICES = "services"  # services.<name>, one per configured service (service_resource)
DATABASE = "database"
REDIS = "redis"
CONNECTOR = "network.connector"

# Metric names, and what each one counts.
INSTANCES = "instances"  # Cloud Run or connector instances
CONNECTIONS = "connections"  # postgres backends
CLIENTS = "clients"  # connected Redis clients
MEMORY_RATIO = "memory_ratio"  # used memory / memory size (0..1)
CPU_RATIO = "cpu_ratio"  # CPU utilisation (0..1)

# The metrics each kind of resource reports.
SERVICE_METRICS = (INSTANCES,)
DATABASE_METRICS = (CONNECTIONS,)
REDIS_METRICS = (CLIENTS, MEMORY_RATIO)
CONNECTOR_METRICS = (INSTANCES, CPU_RATIO)

MAX_PROBLEMS = 20  # a bad file reports this many problems, then stops reading
# A week of 1-minute points for a few hundred series is some tens of MB; a larger file is not metrics.
MAX_METRICS_FILE_BYTES = 256 * 1024 * 1024
# No count or ratio this platform measures comes near a trillion; larger values are corrupt, and near
# the float maximum the trend's arithmetic would overflow.
MAX_METRIC_VALUE = 1e12
VALUES_ALLOWED = f"a value is a count or ratio, from 0 to {MAX_METRIC_VALUE:g}"
# A JSON-lines sample is one flat object (depth 1); 8 lets a list or object where a value belongs be named as
# such, and stays far below Python's recursion limit (json.loads recurses once per level).
MAX_JSON_LINE_DEPTH = 8


class MetricsError(Exception):
    """Metrics that cannot be used; `problems` holds one line each, naming source, line and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Sample(NamedTuple):
    """One measurement. A named tuple: a week of 5-minute samples of 300 services is 600,000 of them, and a
    frozen dataclass took twice as long to build."""

    timestamp: datetime  # tz-aware, UTC
    resource: str  # config path: services.<name>, database, redis, network.connector
    metric: str
    value: float


def value_problem(value: float) -> str | None:
    """Why a sample's value cannot be used (shown as the redaction rule allows), or None when it can."""
    if not math.isfinite(value):
        return f"{shown(value)} is not a finite number; {VALUES_ALLOWED}"
    if value > MAX_METRIC_VALUE:
        return f"{shown(value)} is above {MAX_METRIC_VALUE:g}, more than any count or ratio this platform measures"
    if value < 0:
        return f"{shown(value)} is negative; counts and ratios are at least 0"
    return None


def iso(when: datetime) -> str:
    """A time as samples and scaling.last_scaled write it: 2024-05-01T12:00:00Z (UTC, whole seconds)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def service_resource(service: str) -> str:
    """The resource id of a configured service: services.api."""
    return f"{SERVICES}.{service}"


def stack_metrics(cfg: StackConfig) -> dict[str, tuple[str, ...]]:
    """resource id -> the metrics it reports, for this stack's resources, in config order."""
    known: dict[str, tuple[str, ...]] = {service_resource(name): SERVICE_METRICS for name in cfg.services}
    known[DATABASE] = DATABASE_METRICS
    known[REDIS] = REDIS_METRICS
    known[CONNECTOR] = CONNECTOR_METRICS
    return known
