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
        self.reported: dict[tuple[str, str, int], tuple[int, int, int]] = {}
        self.app_category: dict[str, tuple[int, str]] = {}

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
        # An app's category is the one of its biggest flow (its DNS lookups say "Network").
        size = bytes_up + bytes_down
        best = self.app_category.get(app)
        if best is None or size > best[0]:
            self.app_category[app] = (size, category)
        category = self.app_category[app][1]
        row = self.totals.get(key)
        if row is None:
            row = self.totals[key] = UsageRow(mac, app, category)
        row.category = category
        row.bytes_up += bytes_up
        row.bytes_down += bytes_down
        first_min, last_min = first_ms // MINUTE_MS, max(first_ms, last_ms) // MINUTE_MS
        span = last_min - first_min + 1
        per_minute = (bytes_up + bytes_down) / span
        minutes = self.minutes[key]
        for minute in range(first_min, last_min + 1):
            minutes[minute] += per_minute
        # A flow crossing the hour gives each hour its share of the bytes (and a row, so that
        # hour's active minutes are reported too).
        minutes_per_hour = HOUR_MS // MINUTE_MS
        first_hour, last_hour = first_min // minutes_per_hour, last_min // minutes_per_hour
        up_left, down_left = bytes_up, bytes_down
        for hour_index in range(first_hour, last_hour + 1):
            if hour_index == last_hour:
                up, down = up_left, down_left
            else:
                in_hour = min(last_min, (hour_index + 1) * minutes_per_hour - 1) - max(
                    first_min, hour_index * minutes_per_hour
                )
                up = bytes_up * (in_hour + 1) // span
                down = bytes_down * (in_hour + 1) // span
            up_left, down_left = up_left - up, down_left - down
            hour_key = (mac, app, hour_index * HOUR_MS)
            hour = self.hourly.get(hour_key)
            if hour is None:
                hour = self.hourly[hour_key] = UsageRow(mac, app, category, hour_ms=hour_key[2])
            hour.bytes_up += up
            hour.bytes_down += down

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

    def flush(self, now_ms: int, grace_ms: int = 5 * MINUTE_MS) -> list[UsageRow]:
        """What changed since the last flush, per (device, app, hour), as increments.

        Hours that ended more than `grace_ms` before `now_ms` are final and forgotten; the current
        hour stays so its active minutes keep counting correctly across flushes. All deltas are
        computed before any finished hour's minutes are dropped.
        """
        out = []
        finished = []
        for key in list(self.hourly):
            mac, app, hour_ms = key
            row = self.hourly[key]
            active = self._active_seconds((mac, app), hour_ms)
            up0, down0, active0 = self.reported.get(key, (0, 0, 0))
            delta = UsageRow(
                mac,
                app,
                self.app_category.get(app, (0, row.category))[1],
                bytes_up=row.bytes_up - up0,
                bytes_down=row.bytes_down - down0,
                active_seconds=active - active0,
                hour_ms=hour_ms,
            )
            if delta.bytes_up or delta.bytes_down or delta.active_seconds:
                out.append(delta)
            self.reported[key] = (row.bytes_up, row.bytes_down, active)
            if hour_ms + HOUR_MS + grace_ms <= now_ms:
                finished.append(key)
        for mac, app, hour_ms in finished:
            del self.hourly[(mac, app, hour_ms)]
            self.reported.pop((mac, app, hour_ms), None)
            minutes = self.minutes.get((mac, app), {})
            for minute in [m for m in minutes if hour_ms <= m * MINUTE_MS < hour_ms + HOUR_MS]:
                del minutes[minute]
            if not minutes:
                self.minutes.pop((mac, app), None)
        return out

    def drain_hours(self, before_ms: int) -> list[UsageRow]:
        """Increments for everything so far; hours ending before `before_ms` are finished."""
        return self.flush(before_ms, grace_ms=0)

    def drain_all(self) -> list[UsageRow]:
        return self.flush(2**62, grace_ms=0)

    def reset_totals(self) -> None:
        """The station never reads lifetime totals; keep memory flat."""
        self.totals.clear()
