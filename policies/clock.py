"""Today's date, in one place so tests can pin it (waiver and bypass-flag expiry dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def today() -> date:
    return datetime.now(UTC).date()
