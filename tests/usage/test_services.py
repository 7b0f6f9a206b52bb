"""Usage queries over hourly and daily rows, and the roll-up/retention housekeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from lanward.inventory.models import Device, Member
from lanward.usage import services
from lanward.usage.models import FlowRecord, UsageDay, UsageHour

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 5, 20, 12, 30, tzinfo=UTC)


@pytest.fixture
def home():
    anna = Member.objects.create(name="Anna")
    ben = Member.objects.create(name="Ben")
    seen = {"first_seen": NOW - timedelta(days=400), "last_seen": NOW}
    return {
        "anna": anna,
        "ben": ben,
        "phone": Device.objects.create(mac="02:00:00:00:00:01", name="Phone", owner=anna, **seen),
        "tv": Device.objects.create(mac="02:00:00:00:00:02", name="TV", owner=ben, **seen),
        "plug": Device.objects.create(mac="02:00:00:00:00:03", name="Plug", **seen),
    }


def hour(device, at, app="YouTube", up=0, down=0, active=0, category="Media"):
    return UsageHour.objects.create(
        device=device,
        hour=at,
        app=app,
        category=category,
        bytes_up=up,
        bytes_down=down,
        active_seconds=active,
    )


def day(device, on, app="YouTube", up=0, down=0, active=0, category="Media"):
    return UsageDay.objects.create(
        device=device,
        day=on,
        app=app,
        category=category,
        bytes_up=up,
        bytes_down=down,
        active_seconds=active,
    )


@pytest.fixture
def usage(home):
    phone, tv, plug = home["phone"], home["tv"], home["plug"]
    # The last 24 hours (hourly rows).
    hour(phone, NOW - timedelta(hours=2), "YouTube", 100, 1_000, 600)
    hour(phone, NOW - timedelta(hours=3), "YouTube", 50, 500, 60)
    hour(phone, NOW - timedelta(hours=3), "WhatsApp", 10, 20)
    hour(tv, NOW - timedelta(hours=5), "Netflix", 30, 9_000, 1_200, "Video")
    hour(plug, NOW - timedelta(hours=1), "Tuya", 7, 3, 0, "IoT")
    # Three days ago (still hourly) and forty days ago (already daily).
    hour(tv, NOW - timedelta(days=3), "Netflix", 20, 4_000, 600, "Video")
    day(tv, (NOW - timedelta(days=40)).date(), "Netflix", 1_000, 100_000, 7_200, "Video")
    day(phone, (NOW - timedelta(days=40)).date(), "YouTube", 5, 50, 60)
    return home


def period(key):
    return services.period_from(key, now=NOW)


def totals(rows, key):
    return {r[key]: (r["up"], r["down"], r["active"], r["total"]) for r in rows}


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "span", "label"),
    [
        ("24h", timedelta(hours=24), "last 24 hours"),
        ("7d", timedelta(days=7), "last 7 days"),
        ("30d", timedelta(days=30), "last 30 days"),
        ("365d", timedelta(days=365), "last year"),
    ],
)
def test_known_periods(key, span, label):
    p = services.period_from(key, now=NOW)
    assert (p.key, p.since, p.until, p.label) == (key, NOW - span, NOW, label)


@pytest.mark.parametrize("key", [None, "", "1y", "7D", "../../etc", "24h "])
def test_anything_else_is_the_last_seven_days(key):
    p = services.period_from(key, now=NOW)
    assert (p.key, p.since, p.until) == ("7d", NOW - timedelta(days=7), NOW)


def test_period_defaults_to_now():
    before = timezone.now()
    p = services.period_from("24h")
    assert before <= p.until <= timezone.now()


# --- queries ---------------------------------------------------------------------------------


def test_top_devices_sum_hours_and_days_in_the_period(usage):
    phone, tv, plug = usage["phone"], usage["tv"], usage["plug"]
    assert totals(services.top_devices(period("24h")), "device") == {
        tv: (30, 9_000, 1_200, 9_030),
        phone: (160, 1_520, 660, 1_680),
        plug: (7, 3, 0, 10),
    }
    year = services.top_devices(period("365d"))
    assert [r["device"] for r in year] == [tv, phone, plug]  # biggest first
    assert year[0]["total"] == 30 + 9_000 + 20 + 4_000 + 1_000 + 100_000
    assert year[1]["total"] == 1_680 + 55
    assert len(services.top_devices(period("365d"), limit=2)) == 2


def test_top_devices_of_one_member(usage):
    rows = services.top_devices(period("7d"), member_id=usage["anna"].pk)
    assert [r["device"] for r in rows] == [usage["phone"]]


def test_top_apps_overall_per_device_and_per_member(usage):
    assert totals(services.top_apps(period("7d")), "app") == {
        "Netflix": (50, 13_000, 1_800, 13_050),
        "YouTube": (150, 1_500, 660, 1_650),
        "WhatsApp": (10, 20, 0, 30),
        "Tuya": (7, 3, 0, 10),
    }
    by_device = services.top_apps(period("365d"), device=usage["phone"])
    assert [(r["app"], r["category"], r["total"]) for r in by_device] == [
        ("YouTube", "Media", 1_650 + 55),
        ("WhatsApp", "Media", 30),
    ]
    by_member = services.top_apps(period("24h"), member_id=usage["ben"].pk)
    assert [(r["app"], r["total"]) for r in by_member] == [("Netflix", 9_030)]


def test_per_member_includes_the_unowned_devices_as_none(usage):
    rows = {r["device__owner"]: r for r in services.per_member(period("30d"))}
    assert set(rows) == {usage["anna"].pk, usage["ben"].pk, None}
    assert rows[usage["ben"].pk]["device__owner__name"] == "Ben"
    assert rows[usage["ben"].pk]["total"] == 9_030 + 4_020
    assert rows[usage["anna"].pk]["total"] == 1_680
    assert rows[None]["total"] == 10


def test_daily_series_has_every_day_with_hours_and_days_summed(usage):
    days = services.daily_series(period("7d"))
    assert [d["day"] for d in days] == [date(2024, 5, 13) + timedelta(days=i) for i in range(8)]
    by_day = {d["day"]: (d["up"], d["down"]) for d in days}
    assert by_day[date(2024, 5, 17)] == (20, 4_000)
    assert by_day[date(2024, 5, 20)] == (197, 10_523)
    assert by_day[date(2024, 5, 15)] == (0, 0)

    year = services.daily_series(period("365d"), device=usage["tv"])
    assert len(year) == 366
    assert {d["day"]: d["down"] for d in year if d["down"]} == {
        date(2024, 4, 10): 100_000,
        date(2024, 5, 17): 4_000,
        date(2024, 5, 20): 9_000,
    }
    anna = services.daily_series(period("24h"), member_id=usage["anna"].pk)
    assert sum(d["down"] for d in anna) == 1_520


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
@pytest.mark.parametrize("key", ["24h", "7d", "30d"])
def test_the_series_and_the_totals_agree_in_any_time_zone(settings, home, zone, key):
    """Daily rows are local dates: the day the period starts on is the same for both."""
    settings.TIME_ZONE = zone
    p = period(key)
    local_start = timezone.localtime(p.since).date()
    for offset in (-1, 0, 1):
        day(home["tv"], local_start + timedelta(days=offset), f"app{offset}", 1, 10 ** (offset + 2))
    series = services.daily_series(p)
    assert sum(d["down"] for d in series) == sum(r["down"] for r in services.top_apps(p))
    assert sum(d["down"] for d in series) == 100 + 1_000


def test_export_rows_name_the_device_and_app(usage):
    rows = services.export_rows(period("24h"))
    assert rows[0] == {
        "mac": "02:00:00:00:00:02",
        "device": "TV",
        "app": "Netflix",
        "category": "Video",
        "bytes_up": 30,
        "bytes_down": 9_000,
        "active_seconds": 1_200,
    }
    assert {(r["device"], r["app"]) for r in rows} == {
        ("TV", "Netflix"),
        ("Phone", "YouTube"),
        ("Phone", "WhatsApp"),
        ("Plug", "Tuya"),
    }
    Device.objects.filter(name="Plug").update(name="", hostname="")
    plug = next(r for r in services.export_rows(period("24h")) if r["app"] == "Tuya")
    assert plug["device"] == "02:00:00:00:00:03"


# --- roll-up and retention -------------------------------------------------------------------


def snapshot():
    hours = sorted(
        UsageHour.objects.values_list(
            "device_id", "hour", "app", "category", "bytes_up", "bytes_down", "active_seconds"
        )
    )
    days = sorted(
        UsageDay.objects.values_list(
            "device_id", "day", "app", "category", "bytes_up", "bytes_down", "active_seconds"
        )
    )
    return hours, days


def grand_total(device=None):
    rows = services.top_apps(period("365d"), device=device, limit=1000)
    return sum(r["up"] for r in rows), sum(r["down"] for r in rows), sum(r["active"] for r in rows)


@pytest.fixture
def retention(settings):
    settings.LANWARD_USAGE_HOURLY_DAYS = 2
    settings.LANWARD_USAGE_DAILY_DAYS = 30
    settings.LANWARD_USAGE_MAX_ROWS = 1_000
    settings.LANWARD_FLOW_RETENTION_HOURS = 24
    settings.LANWARD_FLOW_MAX_ROWS = 1_000
    return settings


def test_rollup_moves_old_hours_into_days_exactly_and_is_idempotent(retention, home):
    phone, tv = home["phone"], home["tv"]
    three_days_ago = datetime(2024, 5, 17, 0, 0, tzinfo=UTC)
    for h in range(0, 24, 3):  # one day of hours, two apps
        hour(phone, three_days_ago + timedelta(hours=h), "YouTube", h, 10 * h, 60)
        hour(phone, three_days_ago + timedelta(hours=h), "WhatsApp", 1, 2, 0, "Chat")
    day(phone, date(2024, 5, 17), "YouTube", 1_000, 2_000, 600)  # an earlier roll-up of that day
    hour(tv, datetime(2024, 5, 18, 11, 0, tzinfo=UTC), "Netflix", 5, 50, 60, "Video")  # > 2 days
    keep = [
        hour(tv, datetime(2024, 5, 18, 12, 0, tzinfo=UTC), "Netflix", 7, 70, 60, "Video"),
        hour(tv, NOW - timedelta(hours=1), "Netflix", 9, 90, 120, "Video"),
    ]
    before = grand_total()

    stats = services.rollup_and_prune(now=NOW)

    assert stats == {
        "rolled_hours": 17,
        "deleted_days": 0,
        "deleted_for_budget": 0,
        "deleted_flows": 0,
    }
    assert grand_total() == before
    assert sorted(UsageHour.objects.values_list("pk", flat=True)) == sorted(r.pk for r in keep)
    days = {(d.device, d.day, d.app): d for d in UsageDay.objects.all()}
    youtube = days[(phone, date(2024, 5, 17), "YouTube")]
    assert (youtube.bytes_up, youtube.bytes_down, youtube.active_seconds) == (
        1_000 + sum(range(0, 24, 3)),
        2_000 + 10 * sum(range(0, 24, 3)),
        600 + 8 * 60,
    )
    whatsapp = days[(phone, date(2024, 5, 17), "WhatsApp")]
    assert (whatsapp.category, whatsapp.bytes_up, whatsapp.bytes_down) == ("Chat", 8, 16)
    netflix = days[(tv, date(2024, 5, 18), "Netflix")]
    assert (netflix.bytes_up, netflix.bytes_down, netflix.active_seconds) == (5, 50, 60)

    after = snapshot()
    assert services.rollup_and_prune(now=NOW) == dict.fromkeys(stats, 0)
    assert snapshot() == after


def test_rollup_groups_hours_by_local_day(retention, home):
    retention.TIME_ZONE = "America/New_York"  # UTC-4 in May
    old = datetime(2024, 5, 10, 2, 0, tzinfo=UTC)  # 22:00 on May 9 in New York
    hour(home["tv"], old, "Netflix", 1, 1)
    hour(home["tv"], old + timedelta(hours=5), "Netflix", 2, 2)  # 03:00 on May 10
    services.rollup_and_prune(now=NOW)
    assert dict(UsageDay.objects.values_list("day", "bytes_up")) == {
        date(2024, 5, 9): 1,
        date(2024, 5, 10): 2,
    }


def test_days_past_the_daily_retention_are_deleted(retention, home):
    tv = home["tv"]
    day(tv, date(2024, 4, 19), "Netflix", 1, 1)  # 31 days before NOW's date
    kept = day(tv, date(2024, 4, 20), "Netflix", 2, 2)
    hour(tv, datetime(2024, 4, 1, 12, 0, tzinfo=UTC), "Netflix", 3, 3)  # rolled, then too old
    stats = services.rollup_and_prune(now=NOW)
    assert (stats["rolled_hours"], stats["deleted_days"]) == (1, 2)
    assert list(UsageDay.objects.values_list("pk", flat=True)) == [kept.pk]
    assert services.rollup_and_prune(now=NOW)["deleted_days"] == 0


def test_the_row_budget_drops_the_oldest_days_then_the_oldest_hours(retention, home):
    tv = home["tv"]
    retention.LANWARD_USAGE_MAX_ROWS = 4
    days = [day(tv, date(2024, 5, d), "Netflix", d, d) for d in (10, 11, 12)]
    hours = [hour(tv, NOW - timedelta(hours=h), "Netflix", h, h) for h in (3, 2, 1)]

    stats = services.rollup_and_prune(now=NOW)
    assert stats["deleted_for_budget"] == 2
    assert set(UsageDay.objects.values_list("pk", flat=True)) == {days[2].pk}
    assert UsageHour.objects.count() == 3

    retention.LANWARD_USAGE_MAX_ROWS = 2
    assert services.rollup_and_prune(now=NOW)["deleted_for_budget"] == 2
    assert not UsageDay.objects.exists()
    assert set(UsageHour.objects.values_list("pk", flat=True)) == {hours[1].pk, hours[2].pk}
    assert services.rollup_and_prune(now=NOW)["deleted_for_budget"] == 0


def flow_record(device, at):
    return FlowRecord.objects.create(
        device=device, first_seen=at, last_seen=at, src="192.168.1.20", dst=SERVER, protocol=6
    )


SERVER = "93.184.216.34"


def test_raw_flows_are_kept_only_as_configured(retention, home):
    tv = home["tv"]
    old = flow_record(tv, NOW - timedelta(hours=25))
    recent = [flow_record(tv, NOW - timedelta(hours=h)) for h in (3, 2, 1)]
    retention.LANWARD_FLOW_MAX_ROWS = 2
    assert services.rollup_and_prune(now=NOW)["deleted_flows"] == 2
    assert set(FlowRecord.objects.values_list("pk", flat=True)) == {recent[1].pk, recent[2].pk}
    assert not FlowRecord.objects.filter(pk=old.pk).exists()

    retention.LANWARD_FLOW_RETENTION_HOURS = 0  # the default: raw flows are not kept
    assert services.rollup_and_prune(now=NOW)["deleted_flows"] == 2
    assert not FlowRecord.objects.exists()
