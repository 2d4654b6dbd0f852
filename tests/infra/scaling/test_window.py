"""infra.scaling.window: the window's start and the cooldown hold for any time and any cooldown, even
one the config model would refuse (the model bounds cooldown_s; the arithmetic here must not rely on it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra import config
from infra.config import StackConfig
from infra.scaling import window
from tests.conftest import REPO

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
BEGINNING = datetime.min.replace(tzinfo=UTC)
NEVER = datetime.max.replace(tzinfo=UTC)
SECRET = "ghp_Zq7RkP3mWx9TbN2vLc8HZq7RkP3mWx9TbN2v"  # shaped like a GitHub token


def prod(cooldown_s: int = 600, **last_scaled: str) -> StackConfig:
    """The prod stack with a cooldown and last_scaled entries set past the model's validation."""
    cfg = config.load(REPO / "Pulumi.prod.yaml")
    scaling = cfg.scaling.model_copy(update={"cooldown_s": cooldown_s, "last_scaled": last_scaled})
    return cfg.model_copy(update={"scaling": scaling})


@pytest.mark.parametrize(("when", "seconds", "expected"), [
    (NOW, -900, NOW - timedelta(seconds=900)),
    (NOW, 10**30, NEVER),  # past timedelta's range
    (NOW, -(10**30), BEGINNING),
    (datetime(9999, 12, 31, tzinfo=UTC), 86400, NEVER),  # past year 9999
    (datetime(1, 1, 1, 0, 1, tzinfo=UTC), -120, BEGINNING),  # before year 1
])
def test_shifted_holds_to_the_times_python_has(when, seconds, expected):
    assert window.shifted(when, seconds) == expected


@pytest.mark.parametrize(("cooldown_s", "start"), [
    (0, NOW - timedelta(seconds=window.MIN_WINDOW_S)),
    (3600, NOW - timedelta(seconds=3600)),
    (10**30, BEGINNING),
])
def test_the_window_starts_a_cooldown_back_at_most_since_the_beginning(cooldown_s, start):
    assert window.window_start(prod(cooldown_s), NOW) == start


def test_an_absurd_cooldown_waits_until_the_last_time_python_has():
    cfg = prod(10**30, **{"services.api": "2026-11-22T09:00:00Z"})
    assert window.cooldown(cfg, "services.api", NOW) == (
        f"scaled at 2026-11-22T09:00:00Z, within the {10**30} s cooldown (until 9999-12-31T23:59:59Z)")


@pytest.mark.parametrize(("text", "problem"), [
    ("0001-01-01T00:00:00+01:00", "'0001-01-01T00:00:00+01:00', outside the years 1 to 9999 in UTC; fix or "
                                  "remove it"),
    ("2026-11-22T09:00:00", "'2026-11-22T09:00:00', without a UTC offset; write it as 2026-11-22T10:00:00Z"),
    (SECRET, "a 40-character string, not an ISO 8601 time such as 2026-11-22T10:00:00Z; fix or remove it"),
])
def test_a_last_scaled_time_that_cannot_be_used_says_why_and_is_quoted_by_the_redaction_rule(text, problem):
    cfg = prod(**{"services.api": text})
    assert window.cooldown(cfg, "services.api", NOW) == f'scaling.last_scaled."services.api" is {problem}'


def test_a_last_scaled_time_in_another_offset_is_compared_in_utc():
    cfg = prod(600, **{"services.api": "2026-11-22T11:55:00+02:00"})  # 09:55 UTC: 5 minutes ago
    assert window.cooldown(cfg, "services.api", NOW) == (
        "scaled at 2026-11-22T09:55:00Z, within the 600 s cooldown (until 2026-11-22T10:05:00Z)")
    assert window.cooldown(prod(300, **{"services.api": "2026-11-22T11:55:00+02:00"}), "services.api", NOW) is None
