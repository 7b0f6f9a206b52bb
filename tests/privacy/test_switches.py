"""Each collection switched off in Privacy settings is obeyed by the code that collects, and
switching off removes what was kept. Real engine input, real database, a real HTTP list server."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from lanward.daemons.dnsd import QueryRecord
from lanward.dnsfilter.models import BlockListSource, MemberPolicy, QueryLog
from lanward.dnsfilter.services import ProfileDirectory, QueryLogWriter, build_policy
from lanward.engine.events import DhcpSeen, Flow
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.inventory import store
from lanward.inventory.models import Device, Member
from lanward.privacy import switches
from lanward.privacy.models import PrivacySettings
from lanward.usage.models import FlowRecord, UsageHour
from tests.cast import make_device

pytestmark = pytest.mark.django_db

T0 = int(datetime(2024, 5, 1, 10, 0, tzinfo=UTC).timestamp() * 1000)
PHONE = "3c:22:fb:11:22:33"


def busy_engine(keep_flows: bool = False) -> Engine:
    engine = Engine(EngineConfig(keep_flows=keep_flows))
    engine.discovery(
        DhcpSeen(
            mac=PHONE,
            ts_ms=T0,
            hostname="Annas-iPhone",
            param_list=(1, 121, 3, 6, 15, 119, 252),
            requested_ip="192.168.1.20",
            vendor_class="",
        )
    )
    engine.flow(
        Flow(
            src_ip="192.168.1.20",
            dst_ip="93.184.216.34",
            src_port=50000,
            dst_port=443,
            protocol=6,
            src_mac=PHONE,
            dst_mac="00:11:22:33:44:55",
            first_seen_ms=T0,
            last_seen_ms=T0 + 60_000,
            src2dst_packets=10,
            src2dst_bytes=50_000,
            dst2src_packets=10,
            dst2src_bytes=900_000,
            app="TLS.YouTube",
            category="Media",
            sni="www.youtube.com",
        )
    )
    return engine


def test_usage_metering_off_meters_nothing_into_the_database(prefs):
    prefs.usage_metering = False
    prefs.save()
    engine = busy_engine()
    store.save_devices(engine)
    assert store.save_usage(engine) == 0
    assert not UsageHour.objects.exists()
    assert engine.usage.drain_all() == []  # forgotten, not kept for later

    prefs.usage_metering = True
    prefs.save()
    engine = busy_engine()
    store.save_devices(engine)
    assert store.save_usage(engine) == 1
    assert UsageHour.objects.get().bytes_down == 900_000


def test_evidence_off_keeps_the_device_but_not_its_clues(prefs):
    engine = busy_engine()
    store.save_devices(engine)
    kept = Device.objects.get(mac=PHONE)
    assert kept.dhcp_fingerprint and kept.evidence  # on by default

    prefs.device_evidence = False
    prefs.save()
    notes = switches.apply({"device_evidence": True}, prefs)
    assert notes == ["Recognition evidence removed from 1 device(s)."]
    gone = Device.objects.get(mac=PHONE)
    assert (gone.dhcp_fingerprint, gone.evidence, gone.user_agents) == ("", [], [])

    store.save_devices(busy_engine())  # the station's next pass keeps them out too
    row = Device.objects.get(mac=PHONE)
    assert (row.dhcp_fingerprint, row.evidence) == ("", [])
    assert row.hostname == "Annas-iPhone" and row.type == "phone"  # recognition still works


def test_raw_flows_follow_the_switch_on_every_pass(prefs):
    engine = busy_engine(keep_flows=True)
    store.save_devices(engine)
    assert store.save_kept_flows(engine) == 0  # off by default (LANWARD_FLOW_RETENTION_HOURS=0)
    assert engine.kept_flows == [] and engine.config.keep_flows is False

    prefs.flow_records = True
    prefs.save()
    assert store.save_kept_flows(engine) == 0
    assert engine.config.keep_flows is True  # the engine keeps them from now on, no restart
    engine.flow(busy_engine(keep_flows=True).kept_flows[0])
    assert store.save_kept_flows(engine) == 1
    assert FlowRecord.objects.get().sni == "www.youtube.com"

    prefs.flow_records = False
    prefs.save()
    assert switches.apply({"flow_records": True}, prefs) == ["1 raw connection record(s) deleted."]
    assert not FlowRecord.objects.exists()


def record(client: str, name: str) -> QueryRecord:
    return QueryRecord(time.time(), client, name, "A", "allowed")


@pytest.mark.parametrize(
    "household,expected",
    [("full", "secret.example"), ("hidden", ""), ("stats", ""), ("nothing", None)],
)
def test_the_household_dns_log_level_caps_everyone(prefs, household, expected):
    member = Member.objects.create(name="Anna")
    MemberPolicy.objects.create(member=member, privacy="full")
    make_device("02:00:00:00:01:01", ips=["10.0.0.1"], owner=member)
    make_device("02:00:00:00:01:02", ips=["10.0.0.2"])  # nobody's device
    prefs.dns_log_level = household
    prefs.save()
    directory = ProfileDirectory()
    directory.refresh()
    writer = QueryLogWriter(directory)
    for client in ("10.0.0.1", "10.0.0.2", "10.9.9.9"):  # a member, no member, unknown
        writer(record(client, "secret.example"))
    writer.flush()
    names = dict(QueryLog.objects.values_list("client", "name"))
    if expected is None:
        assert names == {}
    else:
        assert names == {c: expected for c in ("10.0.0.1", "10.0.0.2", "10.9.9.9")}


def test_a_member_can_still_keep_less_than_the_household(prefs):
    member = Member.objects.create(name="Ben")
    MemberPolicy.objects.create(member=member, privacy="nothing")
    make_device("02:00:00:00:01:03", ips=["10.0.0.3"], owner=member)
    prefs.dns_log_level = "hidden"
    prefs.save()
    directory = ProfileDirectory()
    directory.refresh()
    writer = QueryLogWriter(directory)
    writer(record("10.0.0.3", "ben.example"))
    assert writer.flush() == 0


def test_downloads_off_never_asks_the_list_server(prefs, data_dir, list_server):
    list_server.files["/bad.txt"] = "bad.example\n"
    BlockListSource.objects.create(name="Remote", source=list_server.url("/bad.txt"))
    build_policy()
    assert list_server.hits == ["/bad.txt"]

    prefs.blocklist_downloads = False
    prefs.save()
    list_server.files["/bad.txt"] = "bad.example\nworse.example\n"
    policy = build_policy()
    assert list_server.hits == ["/bad.txt"]  # not asked again
    assert policy.decide("bad.example", _profile()).blocked  # the last good copy still works
    assert not policy.decide("worse.example", _profile()).blocked
    source = BlockListSource.objects.get()
    assert "switched off in Privacy settings" in source.last_error


def test_downloads_off_without_a_copy_says_what_to_do(prefs, data_dir, list_server):
    prefs.blocklist_downloads = False
    prefs.save()
    BlockListSource.objects.create(name="Never fetched", source=list_server.url("/x.txt"))
    build_policy()
    assert list_server.hits == []
    error = BlockListSource.objects.get().last_error
    assert "switched off in Privacy settings" in error and "no earlier copy" in error


def _profile():  # type: ignore[no-untyped-def]
    from lanward.engine.dns.policy import Profile

    return Profile(blocked_categories=frozenset({"malware"}))


def test_settings_start_from_the_station_defaults(settings):
    settings.LANWARD_DNS_LOG_DAYS = 3
    settings.LANWARD_FLOW_RETENTION_HOURS = 12
    prefs = PrivacySettings.load()
    assert (prefs.dns_log_days, prefs.flow_records, prefs.flow_hours) == (3, True, 12)
    assert prefs.usage_metering and prefs.device_evidence and prefs.blocklist_downloads
    prefs.pk = 99
    prefs.save()  # still the one row
    assert PrivacySettings.objects.count() == 1
    assert timezone.now() >= PrivacySettings.load().updated


def test_automatic_security_checks_switched_off(settings):
    """Off: no check of new devices or on the schedule, waiting ones cancelled, a running one
    asked to stop; a check someone starts still runs."""
    from lanward.securitycheck import services
    from lanward.securitycheck.models import ScanRun

    settings.LANWARD_SCAN_AUTOMATIC = True
    settings.LANWARD_SCAN_NEW_DEVICES = True
    settings.LANWARD_SCAN_INTERVAL_DAYS = 7
    first = make_device("02:00:00:00:00:31", ips=["192.168.1.31"])
    waiting = services.queue_new_device(first)
    assert waiting is not None and services.next_scheduled() is not None
    running = ScanRun.objects.create(
        trigger=ScanRun.Trigger.SCHEDULE, status=ScanRun.Status.RUNNING, origin="schedule"
    )
    prefs = PrivacySettings.load()
    before = {"automatic_scans": prefs.automatic_scans}
    prefs.automatic_scans = False
    prefs.save()
    assert switches.apply(before, prefs) == ["2 automatic security check(s) cancelled."]
    waiting.refresh_from_db()
    running.refresh_from_db()
    assert waiting.status == ScanRun.Status.CANCELLED
    assert running.cancel_requested
    second = make_device("02:00:00:00:00:32", ips=["192.168.1.32"])
    assert services.queue_new_device(second) is None
    assert services.next_scheduled() is None and services.queue_scheduled() is None
    manual = services.request_scan(targets=["192.168.1.32"])
    assert manual.trigger == ScanRun.Trigger.MANUAL and manual.status == ScanRun.Status.QUEUED
    prefs.automatic_scans = True
    prefs.save()
    assert services.queue_new_device(second) is not None
