"""Forecasts on synthetic series with known trends: Theil-Sen, days until full, proposed changes."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra import config
from infra.change import Change
from infra.metrics import Sample
from infra.metrics.samples import MAX_METRIC_VALUE
from infra.scaling.forecast import MAX_PAIRS, _sampled_pairs, days_until, describe, forecast, theil_sen
from policies import limits
from policies.rules.capacity import MAX_INSTANCES_PER_SERVICE, MAX_REDIS_MEMORY_GB
from tests.conftest import GCP_STAGING, TWO_SERVICES

STACK = GCP_STAGING + """\
  golden-path:network:
    connector:
      machine_type: {machine_type}
      min_instances: 2
      max_instances: {connector_max}
  golden-path:database:
    max_connections: 100
  golden-path:redis:
    memory_gb: 2
""" + TWO_SERVICES
AS_OF = datetime(2024, 5, 8, tzinfo=UTC)


@pytest.fixture
def cfg(write_stack):
    return config.load(write_stack(STACK.format(machine_type="e2-micro", connector_max=3), "staging"))


def series(resource: str, metric: str, value: Callable[[float], float], days: float = 7,
           step_minutes: int = 5) -> list[Sample]:
    """Samples every step_minutes over `days` up to AS_OF; value(d) at d days from AS_OF (d <= 0)."""
    count = int(days * 24 * 60 / step_minutes)
    return [Sample(AS_OF - timedelta(minutes=step_minutes * i), resource, metric, value(-i * step_minutes / 1440))
            for i in range(count + 1)]


def only(cfg, samples, as_of=None, caps=None):
    [result] = forecast(cfg, samples, as_of, caps)
    return result


def test_clean_line_gives_exact_days_until_full(cfg):
    f = only(cfg, series("services.api", "instances", lambda d: 5.5 + 0.5 * d))
    assert f.slope_per_day == pytest.approx(0.5, rel=1e-9)
    assert f.current == pytest.approx(5.5, rel=1e-9)
    assert f.capacity == 10
    assert f.utilisation == pytest.approx(0.55)
    assert f.days_until_full == pytest.approx(8.0, rel=1e-9)  # 9.5 (95% of 10) - 5.5 at 0.5 a day
    assert f.points == 2017
    assert f.flagged
    # Sized for 28 days of the trend: 5.5 + 14 = 19.5 instances, below 95% of 21.
    assert f.change == Change("services.api.max_instances", 10, 21,
                              "forecast: services.api instances is 8.0 days from 95% of capacity; "
                              "sized for 19.5, the trend in 28 days")
    assert describe(f.change) == "raise services.api.max_instances from 10 to 21"
    assert f.note == ""


def test_robust_to_twenty_percent_outliers(cfg):
    clean = series("services.api", "instances", lambda d: 5.5 + 0.5 * d)
    rng = np.random.default_rng(7)
    spoiled = set(rng.choice(len(clean), size=len(clean) // 5, replace=False).tolist())
    noisy = [Sample(s.timestamp, s.resource, s.metric, float(rng.uniform(0, 40))) if i in spoiled else s
             for i, s in enumerate(clean)]
    f = only(cfg, noisy)
    assert f.slope_per_day == pytest.approx(0.5, rel=0.02)
    assert f.days_until_full == pytest.approx(8.0, abs=0.25)
    assert f.flagged


def test_flat_series_never_fills(cfg):
    f = only(cfg, series("database", "connections", lambda d: 40.0))
    assert (f.slope_per_day, f.current, f.days_until_full, f.flagged, f.change) == (0.0, 40.0, None, False, None)


def test_decreasing_series_never_fills(cfg):
    f = only(cfg, series("database", "connections", lambda d: 20 - 2 * d))
    assert f.slope_per_day == pytest.approx(-2)
    assert f.days_until_full is None
    assert not f.flagged


def test_already_over_is_zero_days_and_flagged(cfg):
    f = only(cfg, series("database", "connections", lambda d: 97 - 0.1 * d))
    assert f.days_until_full == 0
    assert f.flagged
    # Falling slightly, so sized for today's 97: 97 < 0.95 * 103.
    assert describe(f.change) == "raise database.max_connections from 100 to 103"


def test_slow_growth_is_not_flagged(cfg):
    f = only(cfg, series("services.web", "instances", lambda d: 1 + 0.1 * d))
    assert f.days_until_full == pytest.approx((3.8 - 1) / 0.1)
    assert not f.flagged
    assert f.change is None


def test_connector_is_capped_at_the_gcp_limit(cfg):
    f = only(cfg, series("network.connector", "instances", lambda d: 2.5 + 0.6 * d))
    assert describe(f.change) == "raise network.connector.max_instances from 3 to 10"
    assert f.note == "capped at 10: the connector's max_instances range is 3 to 10; the trend needs 21"


def test_connector_at_the_gcp_limit_gets_no_change(write_stack):
    cfg = config.load(write_stack(STACK.format(machine_type="e2-standard-4", connector_max=10), "staging"))
    f = only(cfg, series("network.connector", "instances", lambda d: 9 + 0.5 * d))
    assert f.flagged
    assert f.change is None
    assert f.note == ("network.connector.max_instances is already 10, the most allowed: "
                      "the connector's max_instances range is 3 to 10")


@pytest.mark.parametrize(("series_", "caps", "action", "note"), [
    (("services.api", "instances", lambda d: 5.5 + 0.5 * d), {MAX_INSTANCES_PER_SERVICE: 15},
     "raise services.api.max_instances from 10 to 15",
     "capped at 15: this environment's capacity-caps.maxInstancesPerService in its policy config; the trend needs 21"),
    (("redis", "memory_ratio", lambda d: 0.8 + 0.02 * d), {MAX_REDIS_MEMORY_GB: 2}, None,
     "redis.memory_gb is already 2, the most allowed: this environment's capacity-caps.maxRedisMemoryGb in its "
     "policy config"),
    # a cap above GCP's limit leaves GCP's limit
    (("services.api", "instances", lambda d: 5.5 + 0.5 * d), {MAX_INSTANCES_PER_SERVICE: 5000},
     "raise services.api.max_instances from 10 to 21", ""),
])
def test_proposals_keep_to_the_environment_caps(cfg, series_, caps, action, note):
    f = only(cfg, series(*series_), caps=caps)
    assert f.flagged
    assert (describe(f.change) if f.change else None, f.note) == (action, note)


def test_max_connections_stop_at_the_tier_size(cfg):
    # database.tier defaults to db-custom-2-7680: 7.5 GiB is sized for 400 connections
    f = only(cfg, series("database", "connections", lambda d: 90 + 20 * d))
    assert describe(f.change) == "raise database.max_connections from 100 to 400"
    assert f.note.startswith("capped at 400: tier db-custom-2-7680's documented size (")
    assert f.note.endswith("); beyond it choose a larger tier; the trend needs 685")


def test_connector_cpu_moves_to_a_larger_machine_first(cfg):
    f = only(cfg, series("network.connector", "cpu_ratio", lambda d: 0.8 + 0.02 * d))
    assert f.flagged
    assert describe(f.change) == "change network.connector.machine_type from e2-micro to e2-standard-4"


def test_connector_cpu_on_the_largest_machine_adds_instances(write_stack):
    cfg = config.load(write_stack(STACK.format(machine_type="e2-standard-4", connector_max=4), "staging"))
    f = only(cfg, series("network.connector", "cpu_ratio", lambda d: 0.8 + 0.02 * d))
    # 0.8 + 0.56 = 1.36 of 4 instances: 5.44 instances' worth, below 95% of 6.
    assert describe(f.change) == "raise network.connector.max_instances from 4 to 6"


def test_redis_memory_grows_memory_gb(cfg):
    f = only(cfg, series("redis", "memory_ratio", lambda d: 0.8 + 0.02 * d))
    assert f.days_until_full == pytest.approx(7.5)
    assert describe(f.change) == "raise redis.memory_gb from 2 to 3"  # 2 GB x 1.36 = 2.72, below 95% of 3


def test_redis_clients_have_no_config_key(cfg):
    f = only(cfg, series("redis", "clients", lambda d: 60000 + 500 * d))
    assert f.capacity == 65000
    assert f.flagged
    assert f.change is None
    assert f.note.startswith("no config key raises it: Memorystore allows 65000 clients")


def test_trend_is_evaluated_at_as_of(cfg):
    samples = series("services.api", "instances", lambda d: 5.5 + 0.5 * d)
    f = only(cfg, samples, as_of=AS_OF + timedelta(days=2))
    assert f.current == pytest.approx(6.5)
    assert f.days_until_full == pytest.approx(6.0)
    assert f.t_days.max() == pytest.approx(-2.0)


def test_forecasts_come_in_config_order(cfg):
    samples = (series("redis", "clients", lambda d: 1.0) + series("services.web", "instances", lambda d: 1.0)
               + series("database", "connections", lambda d: 1.0) + series("services.api", "instances", lambda d: 1.0))
    assert [(f.resource, f.metric) for f in forecast(cfg, samples)] == [
        ("services.api", "instances"), ("services.web", "instances"), ("database", "connections"),
        ("redis", "clients")]


def test_one_point_in_time_has_no_trend(cfg):
    samples = [Sample(AS_OF, "services.api", "instances", v) for v in (9.8, 9.9, 9.7)]
    f = only(cfg, samples)
    assert (f.slope_per_day, f.current, f.days_until_full) == (0.0, 9.8, 0.0)
    assert describe(f.change) == "raise services.api.max_instances from 10 to 11"
    assert f.note == "one point in time: no trend"
    [calm] = forecast(cfg, [Sample(AS_OF, "services.api", "instances", 2.0)])
    assert (calm.days_until_full, calm.change, calm.note) == (None, None, "one point in time: no trend")


def test_samples_for_other_series_are_refused(cfg):
    with pytest.raises(ValueError, match="stack staging does not have: services.nope instances"):
        forecast(cfg, [Sample(AS_OF, "services.nope", "instances", 1.0)])


def test_no_samples_no_forecasts(cfg):
    assert forecast(cfg, []) == []


def test_theil_sen_skips_pairs_with_equal_times():
    t = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 2.0])
    v = np.array([1.0, 1.0, 3.0, 3.0, 5.0, 5.0])
    assert theil_sen(t, v) == (2.0, 1.0)


def test_theil_sen_samples_pairs_deterministically_on_long_series():
    t = np.linspace(-30, 0, 10_000)
    v = 4 + 0.25 * t + np.where(np.arange(t.size) % 7 == 0, 50.0, 0.0)  # a spike every 7th point
    first = theil_sen(t, v)
    assert first == theil_sen(t, v)
    assert first[0] == pytest.approx(0.25, abs=1e-3)
    assert first[1] == pytest.approx(4, abs=0.05)


# The sampled Theil-Sen against the exact one: the module's stated tolerance is that the slope lies between the
# 49th and 51st percentiles of all pairwise slopes (the exact slope is the 50th).
def exact_slopes(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Every pairwise slope, sorted: plain O(n^2) Theil-Sen, the reference."""
    i, j = np.triu_indices(len(t), k=1)
    dt = t[j] - t[i]
    usable = dt != 0
    return np.sort((v[j] - v[i])[usable] / dt[usable])


def within_tolerance(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(sampled slope, exact slope), after checking the sampled one lies in the stated band."""
    slopes = exact_slopes(t, v)
    slope, _ = theil_sen(t, v)
    assert np.quantile(slopes, 0.49, method="lower") <= slope <= np.quantile(slopes, 0.51, method="higher")
    return slope, float(np.median(slopes))


WEEK = np.arange(-2016, 1) * 5 / 1440  # a week of 5-minute samples in days up to now: 2017 points, pairs sampled
NOISE = np.random.default_rng(11).normal(0, 1, WEEK.size)
OUTLIERS = np.random.default_rng(12).random(WEEK.size) < 0.2
SPIKES = np.random.default_rng(13).uniform(0, 100, WEEK.size)
CLEAN = {  # the shapes of the tests above
    "rising line": 5.5 + 0.5 * WEEK,
    "falling line": 20 - 2 * WEEK,
    "slow line": 1 + 0.1 * WEEK,
    "flat": np.full(WEEK.size, 40.0),
    "line with 20% outliers": np.where(OUTLIERS, SPIKES, 5.5 + 0.5 * WEEK),  # 64% of pairs are clean
}
NOISY = {
    "noisy trend": 50 + 0.3 * WEEK + 2 * NOISE,
    "noisy trend with 20% outliers": np.where(OUTLIERS, SPIKES, 50 + 0.3 * WEEK + NOISE),
    "daily cycle": 50 + 0.3 * WEEK + 5 * np.sin(2 * np.pi * WEEK) + NOISE,
    "noisy flat": 40 + NOISE,
    "step up 3 days ago": np.where(WEEK > -3, 60.0, 40.0) + NOISE,
    "step down 1 day ago": np.where(WEEK > -1, 30.0, 70.0) + NOISE,
}


@pytest.mark.parametrize("v", CLEAN.values(), ids=CLEAN.keys())
def test_sampled_theil_sen_is_exact_when_most_pairs_agree(v):
    slope, exact = within_tolerance(WEEK, v)
    assert slope == pytest.approx(exact, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("v", NOISY.values(), ids=NOISY.keys())
def test_sampled_theil_sen_is_within_the_tolerance_of_the_exact_one(v):
    within_tolerance(WEEK, v)


def test_sampled_theil_sen_skips_pairs_with_equal_times():
    t = np.repeat([-2.0, -1.0, 0.0], 200)  # 200 replicas at 3 times: a third of the pairs have no slope
    v = 50 + 0.3 * t + np.random.default_rng(14).normal(0, 1, t.size)
    slope, _ = within_tolerance(t, v)
    assert slope == pytest.approx(0.3, abs=0.05)


def test_the_forecast_of_an_outlier_series_is_within_the_tolerance(cfg):
    clean = series("services.api", "instances", lambda d: 5.5 + 0.2 * d)
    rng = np.random.default_rng(15)
    samples = [Sample(s.timestamp, s.resource, s.metric, s.value + float(rng.normal(0, 0.5)))
               if rng.random() > 0.1 else Sample(s.timestamp, s.resource, s.metric, float(rng.uniform(0, 10)))
               for s in clean]
    f = only(cfg, samples)
    slope, _ = within_tolerance(f.t_days, f.values)
    assert f.slope_per_day == slope


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(points=st.integers(317, 1200), slope=st.floats(-5, 5), noise=st.floats(0, 10),
       outliers=st.floats(0, 0.25), seed=st.integers(0, 2**32 - 1))
def test_sampled_theil_sen_is_within_the_tolerance_on_any_noisy_trend(points, slope, noise, outliers, seed):
    rng = np.random.default_rng(seed)
    t = -np.sort(rng.uniform(0, 14, points))
    v = 100 + slope * t + noise * rng.normal(0, 1, points)
    v = np.where(rng.random(points) < outliers, rng.uniform(0, 200, points), v)
    within_tolerance(t, v)


@pytest.mark.parametrize("points", [2, 3, 100, 316])
def test_theil_sen_is_exact_up_to_max_pairs(points):
    rng = np.random.default_rng(points)
    t = -np.sort(rng.uniform(0, 7, points))
    v = 50 + 0.3 * t + rng.normal(0, 2, points)
    assert theil_sen(t, v)[0] == float(np.median(exact_slopes(t, v)))


def test_sampled_theil_sen_is_the_same_on_every_run():
    v = NOISY["noisy trend with 20% outliers"]
    first = theil_sen(WEEK, v)
    _sampled_pairs.cache_clear()  # the pairs drawn again from the seed, as in a new process
    assert theil_sen(WEEK, v) == first
    i, j = _sampled_pairs(WEEK.size)
    assert len(i) == MAX_PAIRS and (i != j).all() and i.min() >= 0 and j.max() < WEEK.size


@given(slope=st.floats(-100, 100), intercept=st.floats(-1000, 1000),
       times=st.lists(st.integers(-10_000, 0), min_size=2, max_size=60, unique=True))
def test_theil_sen_recovers_any_line(slope, intercept, times):
    t = np.array(times, dtype=float) / 1440  # minutes to days
    found_slope, found_intercept = theil_sen(t, intercept + slope * t)
    assert found_slope == pytest.approx(slope, rel=1e-6, abs=1e-6)
    assert found_intercept == pytest.approx(intercept, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize(("current", "slope", "expected"), [
    (5.0, 1.0, 4.5), (9.5, 1.0, 0.0), (10.0, -1.0, 0.0), (5.0, 0.0, None), (5.0, -0.5, None)])
def test_days_until(current, slope, expected):
    assert days_until(current, slope, 9.5) == expected


@pytest.mark.parametrize("value", [1.7976931348623157e308, -1.7e308, 1e12 + 1, float("inf"), float("nan")])
def test_values_past_what_a_metric_source_accepts_are_refused(cfg, value):
    samples = [Sample(AS_OF - timedelta(minutes=i), "services.api", "instances", value) for i in range(3)]
    with pytest.raises(ValueError, match="samples of services.api instances beyond ±1e"):
        forecast(cfg, samples)


# Any value a metric source accepts (0 to MAX_METRIC_VALUE), at any time Python has: the arithmetic stays
# finite and numpy never warns of an overflow (the warnings are errors here).
@pytest.fixture(scope="module")
def module_cfg(tmp_path_factory):
    path = tmp_path_factory.mktemp("forecast") / "Pulumi.staging.yaml"
    path.write_text(STACK.format(machine_type="e2-micro", connector_max=3))
    return config.load(path)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(points=st.lists(st.tuples(st.datetimes(timezones=st.just(UTC)),
                                 st.floats(0, MAX_METRIC_VALUE) | st.sampled_from([0.0, MAX_METRIC_VALUE])),
                       min_size=1, max_size=40))
def test_any_accepted_values_at_any_times_give_a_finite_forecast(module_cfg, points):
    cfg = module_cfg
    samples = [Sample(when, "services.api", "instances", value) for when, value in points]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        [result] = forecast(cfg, samples)
    assert math.isfinite(result.slope_per_day) and math.isfinite(result.current)
    assert result.days_until_full is None or math.isfinite(result.days_until_full)
    assert result.change is None or result.change.new <= limits.RUN_MAX_INSTANCES.maximum
