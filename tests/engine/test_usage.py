"""lanward.engine.usage: bytes per device and app, active minutes, hourly increments."""

from __future__ import annotations

import pytest

from lanward.engine.usage import HOUR_MS, MINUTE_MS, UsageMeter, app_name

PHONE = "78:f8:82:d3:fb:c2"
T0 = 1_700_000_000_000 // HOUR_MS * HOUR_MS  # the start of an hour


def at(minute: float) -> int:
    return T0 + int(minute * MINUTE_MS)


@pytest.mark.parametrize(
    ("nfstream", "app"),
    [("TLS.Amazon", "Amazon"), ("DNS", "DNS"), ("HTTP.YouTube", "YouTube"), ("", "Unknown")],
)
def test_app_name(nfstream: str, app: str) -> None:
    assert app_name(nfstream) == app


def only_row(meter: UsageMeter) -> dict[str, object]:
    [row] = meter.rows()
    return row.as_dict()


def test_a_busy_minute_is_active() -> None:
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "YouTube", "Media", 1_000, 29_000, at(0.1), at(0.9))
    assert only_row(meter) == {
        "mac": PHONE,
        "app": "YouTube",
        "category": "Media",
        "bytes_up": 1_000,
        "bytes_down": 29_000,
        "active_seconds": 60,
    }


def test_background_chatter_is_not_active() -> None:
    """100 kB over ten minutes is 10 kB a minute: keep-alives, not use."""
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "WhatsApp", "Chat", 50_000, 50_000, at(0), at(9.5))
    row = only_row(meter)
    assert (row["bytes_up"], row["bytes_down"], row["active_seconds"]) == (50_000, 50_000, 0)


def test_threshold_is_strictly_more_than() -> None:
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "Spotify", "Music", 0, 20_000, at(3), at(3.5))
    assert only_row(meter)["active_seconds"] == 0
    meter.add(PHONE, "Spotify", "Music", 1, 0, at(3.6), at(3.7))
    assert only_row(meter)["active_seconds"] == 60


def test_small_flows_in_one_minute_add_up() -> None:
    meter = UsageMeter(active_threshold_bytes=20_000)
    for second in (5, 20, 40):
        meter.add(PHONE, "Netflix", "Video", 0, 8_000, at(second / 60), at(second / 60))
    assert only_row(meter)["active_seconds"] == 60


def test_a_flow_spreads_over_the_minutes_it_spans() -> None:
    """500 kB over five minutes is 100 kB a minute: five active minutes."""
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "Zoom", "Video", 250_000, 250_000, at(10), at(14.9))
    assert only_row(meter)["active_seconds"] == 300


def test_active_time_is_per_app() -> None:
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "YouTube", "Media", 0, 15_000, at(1), at(1.5))
    meter.add(PHONE, "Netflix", "Video", 0, 15_000, at(1), at(1.5))
    assert {r.app: r.active_seconds for r in meter.rows()} == {"YouTube": 0, "Netflix": 0}


def test_rows_are_per_device_largest_first() -> None:
    meter = UsageMeter()
    meter.add("aa:00:00:00:00:02", "DNS", "Network", 100, 100, at(0), at(0))
    meter.add("aa:00:00:00:00:01", "DNS", "Network", 100, 100, at(0), at(0))
    meter.add("aa:00:00:00:00:01", "YouTube", "Media", 10, 90_000, at(0), at(0))
    meter.add("aa:00:00:00:00:01", "DNS", "Network", 50, 50, at(2), at(2))
    assert [(r.mac[-2:], r.app, r.bytes_up + r.bytes_down) for r in meter.rows()] == [
        ("01", "YouTube", 90_010),
        ("01", "DNS", 300),
        ("02", "DNS", 200),
    ]


def test_drain_hours_gives_increments_and_finishes_past_hours() -> None:
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "YouTube", "Media", 1_000, 99_000, at(10), at(10.5))  # hour 0
    meter.add(PHONE, "YouTube", "Media", 500, 49_500, at(70), at(70.5))  # hour 1
    first = meter.drain_hours(before_ms=T0 + HOUR_MS)
    assert sorted((r.hour_ms - T0, r.bytes_up, r.bytes_down, r.active_seconds) for r in first) == [
        (0, 1_000, 99_000, 60),
        (HOUR_MS, 500, 49_500, 60),
    ]
    # Hour 0 is finished and forgotten; hour 1 reports only what is new.
    assert (PHONE, "YouTube", T0) not in meter.hourly
    meter.add(PHONE, "YouTube", "Media", 0, 30_000, at(71), at(71.5))
    [second] = meter.drain_hours(before_ms=T0 + HOUR_MS)
    assert (second.hour_ms - T0, second.bytes_down, second.active_seconds) == (HOUR_MS, 30_000, 60)
    assert meter.drain_hours(before_ms=T0 + HOUR_MS) == []
    assert meter.drain_all() == []  # nothing new; hour 1 is now finished too
    assert meter.hourly == {}


def test_drain_all_empties_the_meter() -> None:
    meter = UsageMeter()
    meter.add(PHONE, "DNS", "Network", 10, 20, at(1), at(1))
    assert [(r.bytes_up, r.bytes_down) for r in meter.drain_all()] == [(10, 20)]
    assert meter.drain_all() == []
    assert meter.hourly == {}
    assert not any(meter.minutes.values())


def test_flush_keeps_a_just_finished_hour_for_the_grace_period() -> None:
    """A flow reported a little after the hour ended still counts into that hour."""
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "Zoom", "Video", 0, 30_000, at(58), at(58.5))
    meter.flush(now_ms=at(61), grace_ms=5 * MINUTE_MS)
    meter.add(PHONE, "Zoom", "Video", 0, 30_000, at(59), at(59.5))  # arrives late
    [late] = meter.flush(now_ms=at(62), grace_ms=5 * MINUTE_MS)
    assert (late.hour_ms, late.bytes_down, late.active_seconds) == (T0, 30_000, 60)
    assert meter.flush(now_ms=at(66), grace_ms=5 * MINUTE_MS) == []
    assert meter.hourly == {}


def test_a_flow_across_the_hour_counts_in_both_hours() -> None:
    """10:50 to 11:10 is 10 minutes in one hour and 11 in the next (21 minutes in all)."""
    meter = UsageMeter(active_threshold_bytes=20_000)
    meter.add(PHONE, "Netflix", "Video", 21_000, 2_100_000, at(50), at(70.5))
    rows = sorted(meter.drain_all(), key=lambda r: r.hour_ms)
    assert [(r.hour_ms - T0, r.bytes_up, r.bytes_down, r.active_seconds) for r in rows] == [
        (0, 10_000, 1_000_000, 600),
        (HOUR_MS, 11_000, 1_100_000, 660),
    ]
    assert sum(r.bytes_down for r in rows) == 2_100_000


def test_uneven_split_loses_no_byte() -> None:
    meter = UsageMeter()
    meter.add(PHONE, "Steam", "Game", 7, 1_000_003, at(30), at(150))
    rows = meter.drain_all()
    assert len(rows) == 3
    assert sum(r.bytes_up for r in rows) == 7
    assert sum(r.bytes_down for r in rows) == 1_000_003


def test_reset_totals_keeps_hourly_detail() -> None:
    meter = UsageMeter()
    meter.add(PHONE, "DNS", "Network", 10, 20, at(1), at(1))
    meter.reset_totals()
    assert meter.rows() == []
    assert [(r.bytes_up, r.bytes_down) for r in meter.drain_all()] == [(10, 20)]
