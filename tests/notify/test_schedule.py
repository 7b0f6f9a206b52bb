"""schedule.py: quiet hours (wrapping midnight), digest times, back-off with jitter."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from lanward.notify.schedule import backoff_seconds, in_quiet_hours, next_digest, quiet_end

NIGHT = (time(22, 0), time(7, 0))
BERLIN = ZoneInfo("Europe/Berlin")


def test_quiet_hours_wrap_past_midnight() -> None:
    assert in_quiet_hours(time(23, 30), *NIGHT)
    assert in_quiet_hours(time(3, 0), *NIGHT)
    assert in_quiet_hours(time(22, 0), *NIGHT)
    assert not in_quiet_hours(time(7, 0), *NIGHT)
    assert not in_quiet_hours(time(12, 0), *NIGHT)


def test_quiet_hours_within_a_day_and_off() -> None:
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(14, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(13, 0), None, None)
    assert not in_quiet_hours(time(13, 0), time(9, 0), time(9, 0))


def test_quiet_end_is_the_next_end_in_local_time() -> None:
    late = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert quiet_end(late, *NIGHT, BERLIN) == datetime(2026, 3, 11, 7, 0, tzinfo=BERLIN)
    early = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)  # 05:00 in Berlin
    assert quiet_end(early, *NIGHT, BERLIN) == datetime(2026, 3, 11, 7, 0, tzinfo=BERLIN)
    noon = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
    assert quiet_end(noon, *NIGHT, BERLIN) == noon


def test_quiet_end_across_a_daylight_saving_change() -> None:
    # Berlin springs forward on 2026-03-29: 07:00 local is 05:00 UTC that morning.
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert quiet_end(night, *NIGHT, BERLIN).astimezone(UTC) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.times(),
    st.times(),
)
def test_quiet_end_is_never_in_the_past_nor_inside_quiet_hours(
    naive: datetime, start: time, end: time
) -> None:
    now = naive.replace(tzinfo=UTC)
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    ends = quiet_end(now, start, end, UTC)
    assert ends >= now
    assert ends - now <= timedelta(days=1)
    assert not in_quiet_hours(ends.astimezone(UTC).time(), start, end)


def test_daily_and_weekly_digest_times() -> None:
    tue_9 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday
    assert next_digest(tue_9, "daily", 8, 0, UTC) == datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    assert next_digest(tue_9, "daily", 18, 0, UTC) == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert next_digest(tue_9, "weekly", 8, 0, UTC) == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    assert next_digest(tue_9, "weekly", 18, 1, UTC) == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert next_digest(tue_9, "weekly", 8, 1, UTC) == datetime(2026, 3, 17, 8, 0, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=0.999999))
def test_backoff_doubles_within_jitter_and_stays_under_the_cap(attempt: int, jitter: float) -> None:
    delay = backoff_seconds(attempt, base=30, cap=3600, jitter=jitter)
    ceiling = min(3600, 30 * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling


def test_backoff_grows_exponentially() -> None:
    assert [backoff_seconds(n, 30, 10**6, 1.0) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert [backoff_seconds(n, 30, 10**6, 0.0) for n in range(1, 4)] == [15, 30, 60]
