"""Network usage per device and app: bytes each way and active time.

A flow's bytes are spread evenly over the minutes it spans. A minute counts as active for a
(device, app) only when that minute carried more than `active_threshold_bytes`, so background
chatter (keep-alives, push notifications) is not counted as use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

MINUTE_MS = 60_000
HOUR_MS = 3_600_000


def app_name(nfstream_name: str) -> str:
    """'TLS.Amazon' -> 'Amazon', 'DNS' -> 'DNS', 'HTTP.YouTube' -> 'YouTube'."""
    if not nfstream_name:
        return "Unknown"
    master, _, sub = nfstream_name.partition(".")
    return sub or master


@dataclass
class UsageRow:
    mac: str
    app: str
    category: str
    bytes_up: int = 0
    bytes_down: int = 0
    active_seconds: int = 0
    hour_ms: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "mac": self.mac,
            "app": self.app,
            "category": self.category,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "active_seconds": self.active_seconds,
        }


class UsageMeter:
    def __init__(self, active_threshold_bytes: int = 20_000) -> None:
        self.threshold = active_threshold_bytes
        self.totals: dict[tuple[str, str], UsageRow] = {}
        # (mac, app) -> minute -> bytes; drained into hourly rows.
        self.minutes: dict[tuple[str, str], dict[int, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        self.hourly: dict[tuple[str, str, int], UsageRow] = {}

    def add(
        self,
        mac: str,
        app: str,
        category: str,
        bytes_up: int,
        bytes_down: int,
        first_ms: int,
        last_ms: int,
    ) -> None:
        key = (mac, app)
        row = self.totals.get(key)
        if row is None:
            row = self.totals[key] = UsageRow(mac, app, category)
        row.bytes_up += bytes_up
        row.bytes_down += bytes_down
        first_min, last_min = first_ms // MINUTE_MS, max(first_ms, last_ms) // MINUTE_MS
        span = last_min - first_min + 1
        per_minute = (bytes_up + bytes_down) / span
        minutes = self.minutes[key]
        for minute in range(first_min, last_min + 1):
            minutes[minute] += per_minute
        hour_key = (mac, app, (first_ms // HOUR_MS) * HOUR_MS)
        hour = self.hourly.get(hour_key)
        if hour is None:
            hour = self.hourly[hour_key] = UsageRow(mac, app, category, hour_ms=hour_key[2])
        hour.bytes_up += bytes_up
        hour.bytes_down += bytes_down

    def _active_seconds(self, key: tuple[str, str], hour_ms: int | None = None) -> int:
        minutes = self.minutes.get(key, {})
        count = 0
        for minute, total in minutes.items():
            if hour_ms is not None and (minute * MINUTE_MS) // HOUR_MS * HOUR_MS != hour_ms:
                continue
            if total > self.threshold:
                count += 1
        return count * 60

    def rows(self) -> list[UsageRow]:
        out = []
        for key, row in self.totals.items():
            row.active_seconds = self._active_seconds(key)
            out.append(row)
        return sorted(out, key=lambda r: (r.mac, -(r.bytes_up + r.bytes_down), r.app))

    def drain_hours(self, before_ms: int) -> list[UsageRow]:
        """Hourly rows for hours that ended before `before_ms`; forgets their minute detail."""
        done = [k for k in self.hourly if k[2] + HOUR_MS <= before_ms]
        out = []
        for mac, app, hour_ms in done:
            row = self.hourly.pop((mac, app, hour_ms))
            row.active_seconds = self._active_seconds((mac, app), hour_ms)
            minutes = self.minutes.get((mac, app), {})
            for minute in [m for m in minutes if m * MINUTE_MS < hour_ms + HOUR_MS]:
                del minutes[minute]
            out.append(row)
        return out

    def drain_all(self) -> list[UsageRow]:
        return self.drain_hours(2**62)
