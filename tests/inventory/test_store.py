"""The store: what the engine learned, written into Django models (engine input built by hand)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from lanward.engine.events import DhcpSeen, Flow, Notice
from lanward.engine.pipeline import Engine
from lanward.inventory import store
from lanward.inventory.models import (
    Device,
    DeviceEvent,
    DeviceLink,
    Member,
    StationNotice,
    UnlinkedMac,
)
from lanward.usage.models import UsageHour

pytestmark = pytest.mark.django_db

HOUR = 3_600_000
MINUTE = 60_000
T0 = int(datetime(2024, 5, 1, 10, 0, tzinfo=UTC).timestamp() * 1000)  # on the hour

PHONE = "3c:22:fb:11:22:33"  # Apple OUI
RANDOM = "da:a1:19:00:00:01"  # locally administered: a private Wi-Fi address
LAPTOP = "00:1b:63:aa:bb:cc"  # Apple OUI too
IPHONE_PARAMS = (1, 121, 3, 6, 15, 119, 252)
SERVER = "93.184.216.34"


def dhcp(mac=PHONE, ts=T0, hostname="Annas-iPhone", ip="192.168.1.20", **kw):
    return DhcpSeen(
        mac=mac, ts_ms=ts, hostname=hostname, param_list=IPHONE_PARAMS, requested_ip=ip, **kw
    )


def flow(mac, ip, first, last, up, down, app="TLS.YouTube", category="Media"):
    return Flow(
        src_ip=ip,
        dst_ip=SERVER,
        src_port=50000,
        dst_port=443,
        protocol=6,
        src_mac=mac,
        dst_mac="00:11:22:33:44:55",
        first_seen_ms=first,
        last_seen_ms=last,
        src2dst_packets=10,
        src2dst_bytes=up,
        dst2src_packets=10,
        dst2src_bytes=down,
        app=app,
        category=category,
    )


def dt(ms):
    return datetime.fromtimestamp(ms / 1000, UTC)


def kinds(device):
    return Counter(device.events.values_list("kind", flat=True))


# --- devices ---------------------------------------------------------------------------------


def test_first_save_creates_the_device_with_a_new_event():
    engine = Engine()
    engine.discovery(dhcp())
    assert store.save_devices(engine) == 1
    row = Device.objects.get(mac=PHONE)
    assert row.hostname == "Annas-iPhone"
    assert row.vendor.startswith("Apple")
    assert (row.brand, row.type) == ("Apple", "phone")
    assert row.dhcp_fingerprint == "1,121,3,6,15,119,252"
    assert row.ips == ["192.168.1.20"]
    assert row.first_seen == row.last_seen == dt(T0)
    assert row.is_new and row.online
    assert row.evidence and all({"source", "field", "value"} <= set(e) for e in row.evidence)
    (event,) = row.events.all()
    assert event.kind == DeviceEvent.Kind.NEW
    assert event.created == dt(T0)
    assert "phone" in event.detail and "Apple" in event.detail and "192.168.1.20" in event.detail


def test_save_only_the_macs_asked_for():
    engine = Engine()
    engine.discovery(dhcp())
    engine.discovery(dhcp(mac=LAPTOP, hostname="annas-macbook", ip="192.168.1.30"))
    assert store.save_devices(engine, macs=[LAPTOP, "00:00:5e:00:53:99"]) == 1
    assert list(Device.objects.values_list("mac", flat=True)) == [LAPTOP]


def test_a_second_save_updates_inferred_fields_but_never_what_the_user_set():
    engine = Engine()
    engine.discovery(dhcp())
    store.save_devices(engine)
    anna = Member.objects.create(name="Anna")
    Device.objects.filter(mac=PHONE).update(
        name="Anna's phone",
        user_type="tablet",
        user_brand="Fairphone",
        user_model="5",
        owner=anna,
        hostname="stale",
        type="unknown",
    )

    engine.discovery(dhcp(ts=T0 + 10 * MINUTE, hostname="Annas-iPhone-15"))
    store.save_devices(engine)

    row = Device.objects.get(mac=PHONE)
    assert (row.name, row.user_type, row.user_brand, row.user_model, row.owner) == (
        "Anna's phone",
        "tablet",
        "Fairphone",
        "5",
        anna,
    )
    assert row.hostname == "Annas-iPhone-15"
    assert row.type == "phone"
    assert row.first_seen == dt(T0)
    assert row.last_seen == dt(T0 + 10 * MINUTE)
    assert row.display_name == "Anna's phone" and row.display_type == "tablet"
    assert kinds(row) == {"new": 1}


def test_new_ips_produce_one_event_each_and_the_current_ip_is_last():
    engine = Engine()
    engine.discovery(dhcp(ip="192.168.1.20"))
    store.save_devices(engine)
    engine.discovery(dhcp(ts=T0 + MINUTE, ip="192.168.1.21"))
    store.save_devices(engine)
    store.save_devices(engine)  # nothing new: no more events

    row = Device.objects.get(mac=PHONE)
    ip_events = row.events.filter(kind=DeviceEvent.Kind.IP)
    assert [e.detail for e in ip_events] == ["192.168.1.21"]
    assert ip_events[0].created == dt(T0 + MINUTE)
    assert row.ips[-1] == "192.168.1.21"

    # Back on the first address: no event (it is known), and the list shows the current one.
    engine.discovery(dhcp(ts=T0 + 2 * MINUTE, ip="192.168.1.20"))
    store.save_devices(engine)
    row.refresh_from_db()
    assert row.events.filter(kind=DeviceEvent.Kind.IP).count() == 1
    assert sorted(row.ips) == ["192.168.1.20", "192.168.1.21"]
    assert row.ips[-1] == "192.168.1.20"


def linked_engine():
    engine = Engine()
    engine.discovery(dhcp())
    engine.discovery(dhcp(mac=RANDOM, ts=T0 + MINUTE, ip="192.168.1.21"))
    return engine


def test_a_randomized_mac_link_becomes_a_device_link_with_an_event():
    engine = linked_engine()
    assert engine.devices.aliases == {RANDOM: PHONE}  # the premise: the engine linked them
    store.save_devices(engine)
    store.save_devices(engine)

    assert not Device.objects.filter(mac=RANDOM).exists()
    link = DeviceLink.objects.get(mac=RANDOM)
    assert link.device.mac == PHONE
    assert "same DHCP hostname" in link.reason
    linked = link.device.events.filter(kind=DeviceEvent.Kind.LINKED)
    assert [e.detail for e in linked] == [f"{RANDOM}: {link.reason}"]


def test_an_unlinked_mac_stays_unlinked_in_a_running_engine():
    engine = linked_engine()
    store.save_devices(engine)
    # What the console's "Not the same device" does.
    DeviceLink.objects.filter(mac=RANDOM).delete()
    UnlinkedMac.objects.create(mac=RANDOM)

    store.apply_unlinks(engine)
    assert RANDOM not in engine.devices.aliases
    assert RANDOM in engine.devices.never_link
    store.save_devices(engine)
    assert not DeviceLink.objects.exists()

    # The randomized MAC's next message makes it a device of its own.
    engine.discovery(dhcp(mac=RANDOM, ts=T0 + 5 * MINUTE, ip="192.168.1.21"))
    store.save_devices(engine)
    assert not DeviceLink.objects.exists()
    assert Device.objects.filter(mac=RANDOM).exists()


def test_an_unlinked_mac_is_not_linked_again_after_a_restart():
    UnlinkedMac.objects.create(mac=RANDOM)
    engine = Engine()
    store.apply_unlinks(engine)
    engine.discovery(dhcp())
    engine.discovery(dhcp(mac=RANDOM, ts=T0 + MINUTE, ip="192.168.1.21"))
    assert engine.devices.aliases == {}
    store.save_devices(engine)
    assert not DeviceLink.objects.exists()
    assert set(Device.objects.values_list("mac", flat=True)) == {PHONE, RANDOM}


# --- online / offline ------------------------------------------------------------------------


def test_mark_offline_flips_stale_devices_once_with_an_event(settings):
    settings.LANWARD_OFFLINE_AFTER_SECONDS = 600
    now = dt(T0)
    stale = Device.objects.create(mac=PHONE, first_seen=now, last_seen=now - timedelta(minutes=11))
    fresh = Device.objects.create(mac=LAPTOP, first_seen=now, last_seen=now - timedelta(minutes=9))

    assert store.mark_offline(now) == 1
    assert store.mark_offline(now + timedelta(seconds=30)) == 0

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert not stale.online and fresh.online
    (event,) = stale.events.all()
    assert (event.kind, event.created) == (DeviceEvent.Kind.OFFLINE, now)
    assert not fresh.events.exists()


def test_an_idle_device_saved_again_stays_offline_until_it_is_seen(settings):
    """The station saves every device each pass; idle ones must not flap online/offline."""
    settings.LANWARD_OFFLINE_AFTER_SECONDS = 600
    engine = Engine()
    engine.discovery(dhcp())
    store.save_devices(engine)
    later = dt(T0) + timedelta(minutes=20)
    assert store.mark_offline(later) == 1

    for _ in range(3):  # three station passes with nothing new from the phone
        store.save_devices(engine)
        store.mark_offline(later)
    row = Device.objects.get(mac=PHONE)
    assert not row.online
    assert kinds(row) == {"new": 1, "offline": 1}

    engine.discovery(dhcp(ts=T0 + 25 * MINUTE))
    store.save_devices(engine)
    row.refresh_from_db()
    assert row.online
    online = row.events.get(kind=DeviceEvent.Kind.ONLINE)
    assert online.created == dt(T0 + 25 * MINUTE)


# --- usage ----------------------------------------------------------------------------------


def hour_rows():
    return {
        (r.device.mac, r.app, r.hour): (r.category, r.bytes_up, r.bytes_down, r.active_seconds)
        for r in UsageHour.objects.select_related("device")
    }


BATCHES = [
    # Batch 1: hour H. Minute 2 carries 15 kB now and 10 kB more in batch 2, so it only
    # becomes an active minute (> 20 kB) once both are counted.
    [
        flow(PHONE, "192.168.1.20", T0 + 2 * MINUTE, T0 + 2 * MINUTE + 5000, 5_000, 10_000),
        flow(PHONE, "192.168.1.20", T0 + 5 * MINUTE, T0 + 9 * MINUTE, 50_000, 950_000),
        flow(LAPTOP, "192.168.1.30", T0 + 6 * MINUTE, T0 + 6 * MINUTE, 700, 300, "DNS", "Network"),
    ],
    # Batch 2: more in the same hour.
    [
        flow(PHONE, "192.168.1.20", T0 + 2 * MINUTE, T0 + 2 * MINUTE + 9000, 4_000, 6_000),
        flow(PHONE, "192.168.1.20", T0 + 30 * MINUTE, T0 + 31 * MINUTE, 1_000, 99_000),
        flow(
            LAPTOP, "192.168.1.30", T0 + 40 * MINUTE, T0 + 40 * MINUTE, 200, 800, "DNS", "Network"
        ),
    ],
    # Batch 3: the next hour, and a flow running across the hour boundary.
    [
        flow(PHONE, "192.168.1.20", T0 + 58 * MINUTE, T0 + 61 * MINUTE, 40_000, 360_000),
        flow(PHONE, "192.168.1.20", T0 + 70 * MINUTE, T0 + 70 * MINUTE, 1, 2, "Netflix", "Video"),
    ],
]
FLUSH_AT = [T0 + 15 * MINUTE, T0 + 45 * MINUTE, T0 + 3 * HOUR]


def one_shot_totals():
    engine = Engine()
    for batch in BATCHES:
        for f in batch:
            engine.flow(f)
    totals = {}
    for r in engine.usage.drain_all():
        key = (r.mac, r.app, dt(r.hour_ms))
        up, down, active = totals.get(key, (0, 0, 0))
        totals[key] = (up + r.bytes_up, down + r.bytes_down, active + r.active_seconds)
    return totals


def test_save_usage_across_repeated_flushes_counts_everything_exactly_once():
    engine = Engine()
    engine.discovery(dhcp())
    engine.discovery(dhcp(mac=LAPTOP, hostname="annas-macbook", ip="192.168.1.30"))
    store.save_devices(engine)
    for batch, flush_at in zip(BATCHES, FLUSH_AT, strict=True):
        for f in batch:
            engine.flow(f)
        store.save_devices(engine)
        store.save_usage(engine, before_ms=flush_at)
        engine.usage.reset_totals()  # as the station does after each pass
        assert store.save_usage(engine, before_ms=flush_at) == 0  # nothing new: no change
    store.save_usage(engine)  # drains what is left: nothing

    rows = hour_rows()
    assert {k: v[1:] for k, v in rows.items()} == one_shot_totals()
    h0, h1 = dt(T0), dt(T0 + HOUR)
    youtube_h0 = rows[(PHONE, "YouTube", h0)]
    assert youtube_h0[0] == "Media"
    # Bytes: both batches of hour H, plus the boundary flow's share of its minutes 58-59 (2 of 4).
    assert youtube_h0[1:3] == (
        5_000 + 50_000 + 4_000 + 1_000 + 20_000,
        10_000 + 950_000 + 6_000 + 99_000 + 180_000,
    )
    # Active minutes in hour H: 2 (15 kB + 10 kB), 5-9, 30-31, 58-59.
    assert youtube_h0[3] == (1 + 5 + 2 + 2) * 60
    assert rows[(PHONE, "YouTube", h1)][1:] == (20_000, 180_000, 2 * 60)
    assert rows[(LAPTOP, "DNS", h0)] == ("Network", 900, 1_100, 0)
    assert rows[(PHONE, "Netflix", h1)] == ("Video", 1, 2, 0)


def test_save_usage_skips_devices_that_are_not_stored_yet():
    engine = Engine()
    engine.flow(flow(PHONE, "192.168.1.20", T0, T0 + MINUTE, 10, 20))
    assert store.save_usage(engine) == 0
    assert not UsageHour.objects.exists()


# --- notices and everything at once ---------------------------------------------------------


def test_save_all_writes_devices_usage_and_notices():
    engine = Engine()
    engine.discovery(dhcp())
    engine.flow(flow(PHONE, "192.168.1.20", T0, T0 + MINUTE, 10, 20))
    engine.notices.append(Notice("flows_dropped", "x" * 600, T0))

    assert store.save_all(engine) == {"devices": 1, "usage_rows": 1, "notices": 1, "alerts": 0}
    notice = StationNotice.objects.get()
    assert notice.kind == "flows_dropped" and len(notice.message) == 500
    assert store.save_notices(engine) == 0  # taken once
    assert UsageHour.objects.get().bytes_down == 20


def test_raw_flows_are_stored_only_when_kept():
    from lanward.engine.pipeline import EngineConfig
    from lanward.usage.models import FlowRecord

    engine = Engine(EngineConfig(keep_flows=True))
    engine.discovery(dhcp())
    engine.flow(
        Flow(
            src_ip="192.168.1.23",
            dst_ip="203.0.113.9",
            src_port=50000,
            dst_port=443,
            protocol=6,
            src_mac=PHONE,
            dst_mac="02:00:00:00:00:01",
            first_seen_ms=T0,
            last_seen_ms=T0 + 5000,
            src2dst_packets=3,
            src2dst_bytes=300,
            dst2src_packets=4,
            dst2src_bytes=4000,
            app="TLS.YouTube",
            sni="www.youtube.com",
        )
    )
    store.save_devices(engine)
    assert store.save_flows(engine) == 1
    row = FlowRecord.objects.get()
    assert (row.bytes_up, row.bytes_down, row.sni) == (300, 4000, "www.youtube.com")
    assert row.device.mac == PHONE
    assert store.save_flows(engine) == 0  # handed over once

    quiet = Engine()
    quiet.flow(
        Flow(
            src_ip="192.168.1.23",
            dst_ip="203.0.113.9",
            src_port=1,
            dst_port=2,
            protocol=6,
            src_mac=PHONE,
            dst_mac="02:00:00:00:00:01",
            first_seen_ms=T0,
            last_seen_ms=T0,
            src2dst_packets=1,
            src2dst_bytes=1,
            dst2src_packets=0,
            dst2src_bytes=0,
        )
    )
    assert store.save_flows(quiet) == 0
