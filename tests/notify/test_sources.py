"""sources.py: alerts (stored with bulk_create), new devices, station notices and security-check
findings become notifications once, in order, with a cursor moved by compare-and-set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from lanward.inventory.models import DeviceEvent, StationNotice
from lanward.notify import sources
from lanward.notify.models import Notification, SourceCursor
from lanward.notify.services import Message
from lanward.threats.store import save_alerts
from tests.cast import make_device

pytestmark = pytest.mark.django_db


def titles(user: Any) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def engine_alert(summary: str, severity: str = "high", mac: str = "") -> dict[str, Any]:
    return {
        "kind": "indicator_match",
        "severity": severity,
        "time": 1_700_000_000_000,
        "mac": mac,
        "src": "192.168.1.20",
        "dst": "198.51.100.7",
        "summary": summary,
        "evidence": {},
    }


def test_alerts_stored_in_bulk_are_announced_once(cast: dict[str, Any]) -> None:
    sources.collect()  # the cursors start here
    device = make_device("aa:bb:cc:00:00:10", name="Camera")
    save_alerts(
        [
            engine_alert("Camera reached a botnet server", mac=device.mac),
            engine_alert("Laptop was scanned", severity="medium"),
        ]
    )

    made = sources.collect()

    assert made["alerts"] == 4  # two alerts, owner and member
    assert titles(cast["owner"]) == ["Camera reached a botnet server", "Laptop was scanned"]
    n = Notification.objects.get(recipient=cast["owner"], title__startswith="Camera")
    assert n.kind == "alert" and n.severity == "high" and n.device == device
    assert n.url == f"/alerts/{n.data['alert']}/"  # the alert's own page
    assert "198.51.100.7" in n.body
    assert sources.collect()["alerts"] == 0  # nothing twice


def test_history_is_not_announced(cast: dict[str, Any]) -> None:
    SourceCursor.objects.all().delete()  # as on a station that had alerts before notify
    save_alerts([engine_alert("old news")])
    sources.collect()
    assert titles(cast["owner"]) == []
    save_alerts([engine_alert("fresh")])
    sources.collect()
    assert titles(cast["owner"]) == ["fresh"]


def test_new_devices_are_announced_unless_already_looked_at(cast: dict[str, Any]) -> None:
    sources.collect()
    fresh = make_device("aa:bb:cc:00:00:20", hostname="android-7f3a")
    DeviceEvent.objects.create(device=fresh, kind="new", detail="phone · Samsung")
    known = make_device("aa:bb:cc:00:00:21", hostname="nas", is_new=False)
    DeviceEvent.objects.create(device=known, kind="new")
    DeviceEvent.objects.create(device=fresh, kind="online")

    sources.collect()

    (n,) = Notification.objects.filter(recipient=cast["owner"])
    assert n.kind == "new_device" and n.device == fresh
    assert n.title == "New device on your network: android-7f3a"
    assert "phone · Samsung" in n.body and fresh.mac in n.body
    assert n.url == f"/devices/{fresh.pk}/"


def test_new_devices_from_the_station_store(cast: dict[str, Any]) -> None:
    """The real path: a DHCP request the engine saw, saved by inventory.store."""
    from lanward.engine.events import DhcpSeen
    from lanward.engine.pipeline import Engine
    from lanward.inventory.store import save_devices

    sources.collect()
    engine = Engine()
    engine.discovery(
        DhcpSeen(
            mac="3c:22:fb:11:22:33",
            ts_ms=1_714_557_600_000,
            hostname="Annas-iPhone",
            requested_ip="192.168.1.20",
        )
    )
    save_devices(engine)
    sources.collect()
    (n,) = Notification.objects.filter(recipient=cast["owner"], kind="new_device")
    assert "Annas-iPhone" in n.title and "3c:22:fb:11:22:33" in n.body


def test_station_notices(cast: dict[str, Any]) -> None:
    sources.collect()
    StationNotice.objects.create(kind="dropped", message="The station dropped 1200 flows")
    sources.collect()
    (n,) = Notification.objects.filter(recipient=cast["owner"])
    assert (n.kind, n.severity, n.title) == ("station", "low", "The station dropped 1200 flows")


@pytest.mark.skipif(
    not apps.is_installed("lanward.securitycheck"), reason="lanward.securitycheck not installed"
)
def test_security_check_findings_high_and_critical_only(cast: dict[str, Any]) -> None:
    from lanward.securitycheck.models import Finding

    sources.collect()
    device = make_device("aa:bb:cc:00:00:40", name="Router")
    now = timezone.now()
    common = {"device": device, "address": "192.168.1.1", "first_seen": now, "last_seen": now}
    Finding.objects.create(
        key="a",
        kind="default_password",
        severity="critical",
        port=23,
        summary="Telnet accepts admin/admin",
        fix="Change the password.",
        **common,
    )
    Finding.objects.create(
        key="b", kind="configuration", severity="medium", summary="UPnP is on", **common
    )

    sources.collect()

    (n,) = Notification.objects.filter(recipient=cast["owner"])
    assert n.kind == "security_check" and n.severity == "critical"
    assert n.title == "Router: Telnet accepts admin/admin"
    assert "port 23" in n.body and "Change the password." in n.body
    assert n.url == f"/security-check/devices/{device.pk}/"


def test_a_batch_another_runner_took_is_not_announced_twice(cast: dict[str, Any]) -> None:
    sources.collect()
    save_alerts([engine_alert("raced")])
    real = next(s for s in sources.SOURCES if s.name == "alerts")

    def racing(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
        items = list(real.read(rows))
        # Meanwhile another runner announced the same rows and moved the cursor.
        SourceCursor.objects.filter(source="alerts").update(last_id=max(pk for pk, _ in items))
        yield from items

    assert sources.collect_one(sources.Source("alerts", "threats.Alert", racing)) == 0
    assert titles(cast["owner"]) == []


def test_a_failing_source_does_not_stop_the_others(cast: dict[str, Any]) -> None:
    sources.collect()

    @sources.source("broken", "threats.Alert")
    def broken(rows: QuerySet[Any]) -> Iterator[tuple[int, Message | None]]:
        raise RuntimeError("boom")
        yield  # pragma: no cover

    try:
        sources.collect()
        StationNotice.objects.create(kind="x", message="still works")
        save_alerts([engine_alert("alert still works")])
        made = sources.collect()
    finally:
        sources.SOURCES[:] = [s for s in sources.SOURCES if s.name != "broken"]
    assert "broken" not in made
    assert made["station_notices"] == 2 and made["alerts"] == 2


def test_an_uninstalled_app_is_skipped() -> None:
    missing = sources.Source("nothing", "nosuchapp.Thing", lambda rows: iter(()))
    assert sources.collect_one(missing) == 0


def test_more_than_one_batch(cast: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    sources.collect()
    monkeypatch.setattr(sources, "BATCH", 2)
    for i in range(5):
        StationNotice.objects.create(kind="x", message=f"notice {i}")
    assert sources.collect()["station_notices"] == 10
    assert titles(cast["owner"]) == [f"notice {i}" for i in range(5)]


def test_job_runs_from_run_jobs(cast: dict[str, Any]) -> None:
    from django.core.cache import cache

    from lanward.management.commands.run_jobs import run_due

    sources.collect()
    StationNotice.objects.create(kind="x", message="via the job runner")
    cache.delete("lanward-job:notify")
    assert "notify" in run_due(datetime.now(UTC).timestamp())
    assert titles(cast["owner"]) == ["via the job runner"]


def test_many_new_devices_at_once_are_one_notification(cast: dict[str, Any]) -> None:
    """A station's first look at a home finds everything at once: one notification, not ten."""
    sources.collect()
    devices = [make_device(f"aa:bb:cc:00:01:{i:02x}", hostname=f"device-{i}") for i in range(10)]
    for d in devices:
        DeviceEvent.objects.create(device=d, kind="new", detail="phone")
        DeviceEvent.objects.create(device=d, kind="online")
    looked_at = make_device("aa:bb:cc:00:01:ff", hostname="nas", is_new=False)
    DeviceEvent.objects.create(device=looked_at, kind="new")

    sources.collect()

    (n,) = Notification.objects.filter(recipient=cast["owner"])
    assert n.kind == "new_device" and n.device is None and not n.has_device_actions
    assert n.title == "10 new devices on your network"
    assert n.body.startswith("device-0, device-1,") and "and 2 more" in n.body
    assert "nas" not in n.body
    assert n.url == "/devices/?status=new"
    assert n.data["devices"] == [d.pk for d in devices]
    assert sources.collect()["new_devices"] == 0

    # One more later on is announced on its own again, with its actions.
    late = make_device("aa:bb:cc:00:02:01", hostname="tablet")
    DeviceEvent.objects.create(device=late, kind="new")
    sources.collect()
    latest = Notification.objects.filter(recipient=cast["owner"]).first()
    assert latest is not None and latest.device == late and latest.has_device_actions


def test_many_alerts_of_one_kind_about_one_device_are_one_notification(
    cast: dict[str, Any],
) -> None:
    """An infected laptop reaching thirty listed hosts: one notification about it, not thirty."""
    sources.collect()
    laptop = make_device("aa:bb:cc:00:03:01", name="Laptop")
    many = [
        {
            **engine_alert(f"Laptop reached listed host {i}", mac=laptop.mac),
            "kind": "network_protection",
            "detector": "indicator_match",
            "dst": f"198.51.100.{i}",
        }
        for i in range(1, 31)
    ]
    many[7]["severity"] = "critical"
    few = [
        engine_alert("Camera reached a botnet server", severity="medium", mac="aa:bb:cc:00:03:02")
    ]
    save_alerts(many + few)

    sources.collect()

    notes = list(Notification.objects.filter(recipient=cast["owner"]).order_by("title"))
    assert [n.title for n in notes] == [
        "Camera reached a botnet server",
        "Laptop: 30 alerts (network protection)",
    ]
    grouped = notes[1]
    assert grouped.severity == "critical" and grouped.device == laptop
    assert "198.51.100.1, 198.51.100.10," in grouped.body and "and 25 more" in grouped.body
    assert grouped.url == f"/alerts/?kind=network_protection&open=1&device={laptop.pk}"
    assert len(grouped.data["alerts"]) == 30
    assert sources.collect()["alerts"] == 0
    # The link lands on those thirty alerts.
    client = Client()
    client.force_login(cast["owner"])
    table = client.get(grouped.url).content.decode().split('<table class="table">')[1]
    assert table.count("Laptop reached listed host") == 30 and "Camera" not in table
