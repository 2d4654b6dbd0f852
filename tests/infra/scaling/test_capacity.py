"""Capacity and utilisation: the config value (or GCP limit) each metric is measured against."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra import config
from infra.metrics import Sample
from infra.scaling.capacity import capacity, utilisation
from tests.conftest import GCP_STAGING

STACK = GCP_STAGING + """\
  golden-path:network:
    connector:
      min_instances: 2
      max_instances: 7
  golden-path:database:
    max_connections: 250
  golden-path:services:
    api:
      image: example/api:1
      max_instances: 12
"""


@pytest.fixture
def cfg(write_stack):
    return config.load(write_stack(STACK, "staging"))


@pytest.mark.parametrize(("resource", "metric", "expected"), [
    ("services.api", "instances", 12.0),
    ("database", "connections", 250.0),
    ("redis", "clients", 65000.0),  # policies/limits.py REDIS_MAX_CLIENTS
    ("redis", "memory_ratio", 1.0),
    ("network.connector", "instances", 7.0),
    ("network.connector", "cpu_ratio", 1.0),
])
def test_capacity(cfg, resource, metric, expected):
    assert capacity(cfg, resource, metric) == expected


@pytest.mark.parametrize(("resource", "metric"), [
    ("services.nope", "instances"), ("services.api", "cpu_ratio"), ("redis", "instances"), ("queue", "depth")])
def test_unknown_series_have_no_capacity(cfg, resource, metric):
    with pytest.raises(ValueError) as caught:
        capacity(cfg, resource, metric)
    assert str(caught.value) == f"no capacity for {resource} {metric} in stack staging"


def test_utilisation_is_value_over_capacity(cfg):
    at = datetime(2024, 5, 1, tzinfo=UTC)
    assert utilisation(cfg, Sample(at, "services.api", "instances", 9)) == 0.75
    assert utilisation(cfg, Sample(at, "redis", "memory_ratio", 0.4)) == 0.4
    assert utilisation(cfg, Sample(at, "database", "connections", 300)) == 1.2
