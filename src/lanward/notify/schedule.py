"""When a message may go out: quiet hours, digest times and retry back-off. Pure: no clock reads,
no database; callers pass `now` (an aware datetime) and the station's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def in_quiet_hours(at: time, start: time | None, end: time | None) -> bool:
    """Whether the local time `at` falls in [start, end); the range may wrap past midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def quiet_end(now: datetime, start: time | None, end: time | None, tz: tzinfo) -> datetime:
    """`now` when outside quiet hours, else the moment they end (in UTC-comparable form)."""
    local = now.astimezone(tz)
    if end is None or not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date()
    ends = datetime.combine(day, end, tzinfo=tz)
    if ends <= local:
        ends = datetime.combine(day + timedelta(days=1), end, tzinfo=tz)
    return ends


def next_digest(now: datetime, mode: str, hour: int, weekday: int, tz: tzinfo) -> datetime:
    """The next digest time strictly after `now`: daily at `hour`, or weekly on `weekday` too."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour % 24), tzinfo=tz)
    if mode == "weekly":
        candidate += timedelta(days=(weekday - candidate.weekday()) % 7)
        if candidate <= local:
            candidate += timedelta(days=7)
    elif candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def backoff_seconds(attempt: int, base: float, cap: float, jitter: float) -> float:
    """Delay before retry number `attempt` (1 after the first failure): exponential, capped,
    with "equal jitter" so many failed deliveries don't retry in lockstep.

    The delay is in [d/2, d] with d = min(cap, base * 2 ** (attempt - 1)); `jitter` in [0, 1).
    """
    exponent = min(max(attempt, 1) - 1, 62)
    ceiling = min(cap, base * 2.0**exponent)
    return ceiling / 2 + ceiling / 2 * min(max(jitter, 0.0), 1.0)
