"""Time as integer milliseconds since the Unix epoch (UTC), the unit stored everywhere."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def iso_ms(ms: int | None) -> str | None:
    """`2020-01-01T00:00:00.000Z`, the shape most dialects print."""
    if ms is None:
        return None
    stamp = to_datetime(ms)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
