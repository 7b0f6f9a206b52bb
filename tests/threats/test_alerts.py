"""Alerts from the detectors are stored and shown to the household."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lanward.engine.detect.alerts import alert
from lanward.inventory.models import Device
from lanward.threats.models import Alert
from lanward.threats.store import save_alerts
from tests.cast import ROLES, assert_access

T = 1_700_000_000_000


def make_alert(
    mac: str = "02:00:00:00:00:01", severity: str = "high", src: str = "203.0.113.5:51000"
) -> dict:
    return alert(
        "remote_access_inbound",
        severity,
        T,
        src,
        "192.168.1.20:3389",
        mac,
        "Someone on the internet opened an RDP session to this computer.",
        app="RDP",
        evidence={"answered": True},
    )


@pytest.fixture
def device(db):
    now = timezone.now()
    return Device.objects.create(
        mac="02:00:00:00:00:01", ips=["192.168.1.20"], first_seen=now, last_seen=now
    )


def test_alerts_are_stored_with_their_device_and_handed_over_once(device):
    alerts = [make_alert(), make_alert(mac="02:00:00:00:00:99", severity="info")]
    assert save_alerts(alerts) == 2
    assert alerts == []  # taken from the engine's list
    stored = Alert.objects.order_by("severity")
    assert [(a.severity, a.device_id) for a in stored] == [("high", device.pk), ("info", None)]
    assert stored[0].evidence == {"answered": True}
    assert save_alerts([]) == 0


def test_a_bad_severity_is_stored_as_info(db):
    bad = make_alert()
    bad["severity"] = "catastrophic"
    save_alerts([bad])
    assert Alert.objects.get().severity == "info"


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_alerts(role, client_as, device):
    save_alerts([make_alert()])
    response = client_as(role).get("/alerts/")
    assert_access(response, role)
    if response.status_code == 200:
        assert "RDP session" in response.content.decode()


def test_acknowledging_and_filtering(owner_client, device):
    save_alerts([make_alert(), make_alert(severity="info", src="198.51.100.1:1")])
    high = Alert.objects.get(severity="high")
    assert owner_client.post(f"/alerts/{high.pk}/acknowledge/").status_code == 302
    high.refresh_from_db()
    assert high.acknowledged
    page = owner_client.get("/alerts/?open=1").content.decode()
    assert "seen" not in page or page.count("alert-row") == 1
    assert owner_client.get("/alerts/?severity=high").content.decode().count("alert-row") == 1
    assert owner_client.get("/alerts/?severity=bogus").status_code == 200


def test_strangers_cannot_acknowledge(client_as, device):
    save_alerts([make_alert()])
    pk = Alert.objects.get().pk
    client_as("stranger").post(f"/alerts/{pk}/acknowledge/")
    assert not Alert.objects.get().acknowledged
