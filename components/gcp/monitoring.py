"""Monitoring: an email channel and alerts before connections and instances run out."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import monitoring

from components.gcp.metric_types import RUN_INSTANCES, SQL_BACKENDS


@dataclass(frozen=True)
class MonitoringArgs:
    name: str  # e.g. gp-prod
    notification_email: str | None
    alert_at: float  # utilisation ratio, e.g. 0.8
    max_connections: int
    service_max_instances: dict[str, int]  # Cloud Run service name -> max instances


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("golden-path:gcp:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        channels = []
        if args.notification_email:
            channel = monitoring.NotificationChannel(
                f"{name}-email", display_name=f"{args.name} on-call", type="email",
                labels={"email_address": args.notification_email}, opts=child)
            channels.append(channel.id)

        def threshold(display: str, metric_filter: str, value: float) -> dict:
            return {
                "display_name": display,
                "condition_threshold": {
                    "filter": metric_filter,
                    "comparison": "COMPARISON_GT",
                    "threshold_value": value,
                    "duration": "300s",
                    "aggregations": [{"alignment_period": "60s", "per_series_aligner": "ALIGN_MAX"}],
                },
            }

        conditions = [threshold(
            f"Cloud SQL connections above {args.alert_at:.0%} of {args.max_connections}",
            SQL_BACKENDS.filter(),
            args.alert_at * args.max_connections)]
        conditions += [threshold(
            f"{service} instances above {args.alert_at:.0%} of {maximum}",
            f'{RUN_INSTANCES.filter()} AND resource.label.service_name="{service}"',
            args.alert_at * maximum) for service, maximum in sorted(args.service_max_instances.items())]
        monitoring.AlertPolicy(
            f"{name}-capacity",
            display_name=f"{args.name}: capacity running out",
            combiner="OR",
            conditions=conditions,
            notification_channels=channels,
            opts=child,
        )
        self.register_outputs({})
