"""infra.scaling.decide: thresholds, cooldown edges, floors, caps and coupled changes.

Configs are the committed stacks, edited in memory with the stack file editor (no file written).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra import config, stackfile_edit
from infra.change import Change
from infra.config import StackConfig
from infra.metrics import Sample
from infra.scaling import decide, window
from infra.scaling.connection_budget import Budget, Sizes
from infra.scaling.policy_limits import PolicyLimits, from_policy_config
from policies import limits
from tests.conftest import REPO

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
STAMP = "2026-11-22T10:00:00Z"
RECENT = NOW - timedelta(seconds=60)


def stack(name: str = "prod", **values: Any) -> StackConfig:
    """A committed stack's config with dotted keys set, e.g. stack(**{"scaling.step": 1.5})."""
    path = REPO / f"Pulumi.{name}.yaml"
    text, _ = stackfile_edit.apply(path.read_text(), path, values)
    return config.load(path, text)


def policy(name: str = "prod") -> PolicyLimits:
    return from_policy_config(json.loads((REPO / "policies" / "config" / f"{name}.json").read_text()))


def sample(resource: str, metric: str, value: float, at: datetime = RECENT) -> Sample:
    return Sample(at, resource, metric, value)


def by_key(changes: list[Change]) -> dict[str, Change]:
    return {c.key: c for c in changes}


def decided(cfg: StackConfig, samples: list[Sample], **options: Any) -> dict[str, Change]:
    """The changes decide.assess proposes, by key."""
    return by_key(decide.assess(cfg, samples, NOW, **options).changes)


# --- thresholds (prod: api max_instances 20, scale_up_at 0.7, scale_down_at 0.3, step 2) ----------


def test_exactly_at_scale_up_threshold_raises_by_step():
    changes = decided(stack(), [sample("services.api", "instances", 14)])
    change = changes["services.api.max_instances"]
    assert (change.old, change.new) == (20, 40)
    assert change.reason.startswith("services.api: 14 of 20 instances (70%) >= 70% scale-up threshold")
    assert changes['scaling.last_scaled."services.api"'].new == STAMP


def test_just_below_scale_up_threshold_changes_nothing():
    decision = decide.assess(stack(), [sample("services.api", "instances", 13.998)], NOW)  # 69.99%
    assert decision.changes == []
    assert decision.notes == []


def test_exactly_at_scale_down_threshold_lowers_by_step():
    change = decided(stack(), [sample("services.api", "instances", 6)])[
        "services.api.max_instances"]
    assert (change.old, change.new) == (20, 10)
    assert "6 of 20 instances (30%) <= 30% scale-down threshold" in change.reason


def test_just_above_scale_down_threshold_changes_nothing():
    assert decide.assess(stack(), [sample("services.api", "instances", 6.002)], NOW).changes == []


def test_the_peak_in_the_window_decides_not_the_latest_sample():
    samples = [sample("services.api", "instances", 16, NOW - timedelta(seconds=500)),
               sample("services.api", "instances", 2, NOW - timedelta(seconds=10))]
    change = decided(stack(), samples)["services.api.max_instances"]
    assert change.new == 40  # the peak, 16 of 20, not the quiet latest sample


def test_samples_older_than_the_window_are_not_used():
    old = NOW - timedelta(seconds=window.MIN_WINDOW_S + 1)
    decision = decide.assess(stack(), [sample("services.api", "instances", 20, old)], NOW)
    assert decision.changes == []
    assert "no instances samples since 2026-11-22T09:45:00Z" in decision.notes[0]


def test_a_lowering_stops_where_the_peak_would_raise_it_again():
    # step 4 would take 20 to 5, where 5 of 5 is 100%: the floor keeps the peak under 70%
    cfg = stack(**{"scaling.step": 4})
    change = decided(cfg, [sample("services.api", "instances", 6)])["services.api.max_instances"]
    assert change.new == 9  # 6 / 9 = 67% < 70%; 8 would be 75%
    assert "keeps the peak below the scale-up threshold" in change.reason


# --- cooldown edges (prod: cooldown_s 600) ---------------------------------------------------------


@pytest.mark.parametrize(("ago_s", "allowed"), [(600, True), (599, False)])
def test_cooldown_edges(ago_s: int, allowed: bool):
    last = (NOW - timedelta(seconds=ago_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cfg = stack(**{'scaling.last_scaled."services.api"': last})
    decision = decide.assess(cfg, [sample("services.api", "instances", 15, NOW - timedelta(seconds=5))], NOW)
    keys = by_key(decision.changes)
    assert ("services.api.max_instances" in keys) is allowed
    if allowed:
        assert keys['scaling.last_scaled."services.api"'].old == last
    else:
        assert "within the 600 s cooldown (until 2026-11-22T10:00:01Z)" in decision.notes[0]


def test_samples_from_before_the_last_change_do_not_count():
    # memory_ratio 0.9 was measured on the old size; the change 11 minutes ago reset the window
    last = NOW - timedelta(seconds=660)
    cfg = stack(**{"scaling.last_scaled.redis": last.strftime("%Y-%m-%dT%H:%M:%SZ")})
    samples = [sample("redis", "memory_ratio", 0.9, last - timedelta(seconds=30)),
               sample("redis", "memory_ratio", 0.5, last + timedelta(seconds=30))]
    assert decide.assess(cfg, samples, NOW).changes == []


def test_an_unreadable_last_scaled_time_skips_the_resource_and_says_how_to_fix_it():
    cfg = stack(**{'scaling.last_scaled."services.api"': "yesterday"})
    decision = decide.assess(cfg, [sample("services.api", "instances", 20)], NOW)
    assert decision.changes == []
    assert "not an ISO 8601 time such as 2026-11-22T10:00:00Z" in decision.notes[0]


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        decide.assess(stack(), [], datetime(2026, 11, 22, 10, 0))


# --- floors --------------------------------------------------------------------------------------


def test_a_service_never_goes_below_min_instances():
    cfg = stack(**{"services.api.max_instances": 3})  # min_instances 2
    change = decided(cfg, [sample("services.api", "instances", 0)])["services.api.max_instances"]
    assert (change.old, change.new) == (3, 2)
    assert "max(min_instances, 1)" in change.reason


def test_a_service_at_its_floor_is_left_with_a_note():
    cfg = stack(**{"services.api.max_instances": 2})
    decision = decide.assess(cfg, [sample("services.api", "instances", 0)], NOW)
    assert decision.changes == []
    assert "at its floor (max(min_instances, 1))" in decision.notes[0]


def test_max_connections_never_goes_below_what_the_pools_need():
    # prod pools: 20 x (5 + 5) + 5 x (3 + 2) + 4 x (2 + 2) = 241; floor(0.8 x (312 - 10)) = 241
    change = decided(stack(), [sample("database", "connections", 0)], policy=policy())[
        "database.max_connections"]
    assert (change.old, change.new) == (400, 312)
    assert "what the connection budget needs for the pools" in change.reason
    assert "restarts the database" in change.reason


def test_redis_at_one_gb_is_not_lowered():
    decision = decide.assess(stack("staging"), [sample("redis", "memory_ratio", 0.01)], NOW)
    assert decision.changes == []
    assert "Memorystore's minimum" in decision.notes[0]


def test_the_connector_is_not_lowered_without_force():
    samples = [sample("network.connector", "instances", 1)]
    decision = decide.assess(stack(), samples, NOW)
    assert decision.changes == []
    assert limits.CONNECTOR_NEVER_SCALES_DOWN in decision.notes[0] and "--force" in decision.notes[0]
    change = decided(stack(), samples, force=True)["network.connector.max_instances"]
    assert (change.old, change.new) == (5, 3)  # floor: above min_instances 2 and at least 3


# --- caps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "series", "key", "expected"), [
    ({"services.api.max_instances": 600}, ("services.api", "instances", 600), "services.api.max_instances", 1000),
    ({}, ("network.connector", "instances", 5), "network.connector.max_instances", 10),
    ({"redis.memory_gb": 200}, ("redis", "memory_ratio", 0.95), "redis.memory_gb", 300),
    ({}, ("database", "connections", 390), "database.max_connections", 500),  # db-custom-4-15360: 15 GiB
])
def test_raises_stop_at_the_gcp_limit(values, series, key, expected):
    change = decided(stack(**values), [sample(*series)])[key]
    assert change.new == expected
    assert f"capped at {expected}" in change.reason


def test_raises_stop_at_the_environment_caps():
    cfg = stack(**{"services.api.max_instances": 40, "database.max_connections": 1000,
                   "database.tier": "db-custom-16-61440"})
    change = decided(cfg, [sample("services.api", "instances", 40)], policy=policy())[
        "services.api.max_instances"]
    assert change.new == 50
    assert "capacity-caps.maxInstancesPerService" in change.reason


def test_a_resource_already_at_its_cap_gets_a_note():
    cfg = stack(**{"network.connector.max_instances": 10})
    decision = decide.assess(cfg, [sample("network.connector", "instances", 10)], NOW)
    assert decision.changes == []
    assert "at the scaler's cap 10" in decision.notes[0]


def test_redis_clients_are_reported_not_scaled():
    decision = decide.assess(stack(), [sample("redis", "clients", 50000)], NOW)
    assert decision.changes == []
    assert "50000 of 65000 clients (76.92%)" in decision.notes[0] and "cannot be raised" in decision.notes[0]


# --- coupled changes (prod: headroom 0.8, 10 reserved, max_connections 400 -> budget 312) ----------


def test_raising_api_raises_max_connections_in_the_same_decision():
    cfg = stack(**{"scaling.step": 1.5})
    changes = decided(cfg, [sample("services.api", "instances", 15)], policy=policy())
    assert changes["services.api.max_instances"].new == 30
    database = changes["database.max_connections"]
    # 30 x 10 + 5 x 5 + 4 x 4 = 341 connections; floor(0.8 x (437 - 10)) = 341
    assert (database.old, database.new) == (400, 437)
    assert "341 connections > 0.8 x (400 - 10) = 312" in database.reason
    assert "341 connections <= 0.8 x (437 - 10) = 341" in database.reason
    assert changes["scaling.last_scaled.database"].new == STAMP


def test_when_the_tier_cannot_hold_it_the_raised_service_pool_shrinks():
    budget = policy().budget
    changes = decided(stack(), [sample("services.api", "instances", 15)], policy=policy())
    assert changes["services.api.max_instances"].new == 40
    # 40 x 10 + 41 = 441 needs 562 > 500 (tier size): overflow gives way first, size stays 5
    assert (changes["services.api.pool.max_overflow"].old, changes["services.api.pool.max_overflow"].new) == (5, 3)
    assert "services.api.pool.size" not in changes
    assert changes["database.max_connections"].new == 462
    after = {k: c.new for k, c in changes.items()}
    assert budget is not None and budget.fits(Sizes(stack(), after).demand(), 462)


def test_a_raise_no_pool_can_fit_is_dropped_with_the_arithmetic():
    cfg = stack(**{"scaling.step": 50})  # 20 -> 1000 instances: not even a 1 + 0 pool fits
    only_budget = PolicyLimits(Budget(0.8, 10))
    decision = decide.assess(cfg, [sample("services.api", "instances", 20)], NOW, policy=only_budget)
    assert decision.changes == []
    assert "refused by the connection budget" in decision.notes[0]
    assert "api 1000 x (5 + 5)" in decision.notes[0] and "0.8 x (500 - 10) = 392" in decision.notes[0]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["services.api", "services.web", "services.worker", "database"]),
                       st.floats(min_value=0, max_value=1.2), min_size=1))
def test_decisions_stay_within_limits_and_the_budget(used: dict[str, float]):
    cfg = stack()
    limits_ = policy()
    samples = []
    for resource, share in used.items():
        metric = "connections" if resource == "database" else "instances"
        capacity = cfg.database.max_connections if resource == "database" else \
            cfg.services[resource.split(".")[1]].max_instances
        samples.append(sample(resource, metric, share * capacity))
    changes = decide.assess(cfg, samples, NOW, policy=limits_).changes
    after = {c.key: c.new for c in changes if not c.key.startswith("scaling.")}
    for name, service in cfg.services.items():
        new = after.get(f"services.{name}.max_instances", service.max_instances)
        assert max(service.min_instances, 1) <= new <= 50
    assert sum(after.get(f"services.{n}.max_instances", s.max_instances) for n, s in cfg.services.items()) <= 100
    max_connections = after.get("database.max_connections", cfg.database.max_connections)
    assert max_connections <= max(cfg.database.max_connections, 500)
    assert limits_.budget is not None and limits_.budget.fits(Sizes(cfg, after).demand(), max_connections)


def test_an_absurd_cooldown_decides_without_overflowing():
    """The config model bounds cooldown_s; decide must not depend on it (a copy skips the model's check)."""
    cfg = stack(**{'scaling.last_scaled."services.api"': "2026-11-22T09:00:00Z"})
    cfg = cfg.model_copy(update={"scaling": cfg.scaling.model_copy(update={"cooldown_s": 10**30})})
    decision = decide.assess(cfg, [sample("services.api", "instances", 20), sample("redis", "clients", 1)], NOW)
    assert "services.api.max_instances" not in by_key(decision.changes)
    assert any("until 9999-12-31T23:59:59Z" in note for note in decision.notes)
