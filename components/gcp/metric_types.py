"""The Cloud Monitoring metrics the platform watches, written once: the alert policies
(components/gcp/monitoring.py) and the metrics reader (infra/metrics/gcp_source.py) use them.
Source: https://cloud.google.com/monitoring/api/metrics_gcp
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricType:
    metric: str  # metric.type
    resource: str  # resource.type of the monitored resource

    def filter(self) -> str:
        """The Cloud Monitoring filter for this metric on its resource type; callers add label terms."""
        return f'metric.type = "{self.metric}" AND resource.type = "{self.resource}"'


RUN_INSTANCES = MetricType("run.googleapis.com/container/instance_count", "cloud_run_revision")
SQL_BACKENDS = MetricType("cloudsql.googleapis.com/database/postgresql/num_backends", "cloudsql_database")
REDIS_CLIENTS = MetricType("redis.googleapis.com/clients/connected", "redis_instance")
REDIS_MEMORY_RATIO = MetricType("redis.googleapis.com/stats/memory/usage_ratio", "redis_instance")
CONNECTOR_INSTANCES = MetricType("vpcaccess.googleapis.com/connector/instances", "vpc_access_connector")
CONNECTOR_CPU = MetricType("vpcaccess.googleapis.com/connector/cpu/utilizations", "vpc_access_connector")
