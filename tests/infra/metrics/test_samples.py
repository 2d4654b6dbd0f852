"""infra.metrics.samples: the resources and metrics a stack has, and how times are written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from infra import config
from infra.metrics.samples import iso, stack_metrics
from tests.conftest import REPO


def test_stack_metrics_in_config_order():
    assert stack_metrics(config.load(REPO / "Pulumi.prod.yaml")) == {
        "services.api": ("instances",),
        "services.web": ("instances",),
        "services.worker": ("instances",),
        "database": ("connections",),
        "redis": ("clients", "memory_ratio"),
        "network.connector": ("instances", "cpu_ratio"),
    }


def test_iso_is_utc_in_whole_seconds():
    when = datetime(2024, 5, 1, 14, 5, 7, 999_000, tzinfo=timezone(timedelta(hours=2)))
    assert iso(when) == "2024-05-01T12:05:07Z"
