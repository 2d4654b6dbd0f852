"""What `scale auto` observes: the window of samples that count, their peaks, and the cooldown.

- The window is [now - W, now], W = max(scaling.cooldown_s, MIN_WINDOW_S): the cooldown because that
  is the time since a resource could last have changed; at least MIN_WINDOW_S because Cloud
  Monitoring points are 5-minute maxima that arrive minutes late. The window of a resource scaled
  within it starts at that change: earlier samples measured the old size.
- The PEAK in the window decides, not the latest sample: capacity runs out at peaks, a single quiet
  sample must not trigger a scale-down, and a scale-down then needs the whole window to be quiet.
- Cooldown: a resource whose scaling.last_scaled entry is less than cooldown_s before now waits
  (exactly cooldown_s ago is allowed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from infra.config import StackConfig
from infra.dotted_keys import join_key
from infra.metrics.samples import Sample, iso
from policies.redaction import shown

MIN_WINDOW_S = 900  # three 5-minute Cloud Monitoring alignment periods
LAST_SCALED = ("scaling", "last_scaled")

Series = tuple[str, str]  # (resource, metric)


def last_scaled_key(resource: str) -> str:
    """The dotted key of a resource's last_scaled entry: scaling.last_scaled."network.connector"."""
    return join_key((*LAST_SCALED, resource))


def window_start(cfg: StackConfig, now: datetime) -> datetime:
    return shifted(now, -max(cfg.scaling.cooldown_s, MIN_WINDOW_S))


def shifted(when: datetime, seconds: float) -> datetime:
    """`when` moved by `seconds`, held to the times Python has: a cooldown of a million years means "since
    the beginning" or "never", not an OverflowError."""
    try:
        return when + timedelta(seconds=seconds)
    except OverflowError:  # past timedelta's 999999999 days, or past year 1 or 9999
        return (datetime.max if seconds > 0 else datetime.min).replace(tzinfo=UTC)


def window_starts(cfg: StackConfig, start: datetime) -> dict[str, datetime]:
    """Resources scaled after `start`: their window starts at that change, because earlier samples
    measured the old size (a memory ratio of 5 GB says nothing about 10 GB)."""
    starts = {}
    for resource, text in cfg.scaling.last_scaled.items():
        try:
            last = datetime.fromisoformat(text)
        except ValueError:
            continue  # cooldown() reports it
        if last.tzinfo is not None and last > start:
            starts[resource] = last
    return starts


def peaks(samples: Iterable[Sample], starts: dict[str, datetime], start: datetime, end: datetime
          ) -> tuple[dict[Series, float], dict[Series, datetime]]:
    """Per (resource, metric): the peak within [its start, end], and the latest time seen at all."""
    found: dict[Series, float] = {}
    latest: dict[Series, datetime] = {}
    for sample in samples:
        series = (sample.resource, sample.metric)
        if sample.timestamp > end:
            continue  # from after `now`: not yet observed
        if series not in latest or sample.timestamp > latest[series]:
            latest[series] = sample.timestamp
        if sample.timestamp >= starts.get(sample.resource, start) and sample.value > found.get(series, -1.0):
            found[series] = sample.value
    return found, latest


def cooldown(cfg: StackConfig, resource: str, now: datetime) -> str | None:
    """Why the resource must wait, or None when it may change now."""
    scaling = cfg.scaling
    last_text = scaling.last_scaled.get(resource)
    if last_text is None:
        return None
    key = last_scaled_key(resource)
    try:
        last = datetime.fromisoformat(last_text)
    except ValueError:
        return (f"{key} is {shown(last_text, key)}, not an ISO 8601 time such as 2026-11-22T10:00:00Z; "
                "fix or remove it")
    try:
        last = last.astimezone(UTC) if last.tzinfo is not None else last
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC, which Python has not
        return f"{key} is {shown(last_text, key)}, outside the years 1 to 9999 in UTC; fix or remove it"
    if last.tzinfo is None:
        return f"{key} is {shown(last_text, key)}, without a UTC offset; write it as 2026-11-22T10:00:00Z"
    until = shifted(last, scaling.cooldown_s)
    if now < until:
        return f"scaled at {iso(last)}, within the {scaling.cooldown_s} s cooldown (until {iso(until)})"
    return None
