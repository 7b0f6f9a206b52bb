"""Folded repeats, the alert page, allow/approve actions, allowances and the EVE-JSON export."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lanward.engine.detect.alerts import alert
from lanward.engine.events import Flow
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.threats.models import Alert, RemoteAccessAllowance, RouterApproval
from lanward.threats.policy import current_policy
from lanward.threats.store import save_alerts
from tests.cast import ROLES, assert_access, make_device

T = 1_700_000_000_000
MAC = "02:00:00:00:00:01"


def rdp(at: int = T, src: str = "203.0.113.5", severity: str = "high") -> dict:
    return alert(
        "remote_access_inbound",
        severity,
        at,
        src,
        "192.168.1.20",
        MAC,
        "203.0.113.5 opened an RDP session to 192.168.1.20.",
        app="RDP",
        evidence={"src_port": 51000, "dst_port": 3389, "protocol": 6},
    )


def router(at: int = T) -> dict:
    return alert(
        "router_access",
        "medium",
        at,
        "192.168.1.20",
        "192.168.1.1:80",
        MAC,
        "192.168.1.20 opened the router's HTTP admin console.",
        app="HTTP",
        evidence={"service": "HTTP", "port": 80},
    )


@pytest.fixture
def device(db):
    return make_device(MAC, ips=["192.168.1.20"], name="Study PC")


def test_repeats_fold_into_one_row_with_a_count(device):
    save_alerts([rdp(), rdp(T + 60_000), rdp(T + 120_000, severity="critical")])
    save_alerts([rdp(T + 3_600_000)])  # a later flush adds to the same row
    [row] = Alert.objects.all()
    assert row.count == 4
    assert row.severity == "critical"  # the worst of them
    assert row.last_time > row.time
    # Another source is another line; an acknowledged row is not folded into.
    save_alerts([rdp(src="198.51.100.9")])
    assert Alert.objects.count() == 2
    Alert.objects.update(acknowledged=True)
    save_alerts([rdp(T + 7_200_000)])
    assert Alert.objects.filter(acknowledged=False).count() == 1


def test_repeats_a_day_apart_are_separate(device):
    save_alerts([rdp(), rdp(T + 25 * 3_600_000)])
    assert Alert.objects.count() == 2


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_the_detail_and_allowances(role, client_as, device):
    save_alerts([rdp()])
    pk = Alert.objects.get().pk
    response = client_as(role).get(f"/alerts/{pk}/")
    assert_access(response, role)
    if response.status_code == 200:
        page = response.content.decode()
        assert "What to do" in page and "dst_port" in page and "Remote access" in page
    assert_access(client_as(role).get("/alerts/allowances/"), role)
    assert_access(client_as(role).get("/alerts/eve.json"), role)


def test_allowing_rdp_from_the_alert_for_an_hour(owner_client, device):
    save_alerts([rdp()])
    a = Alert.objects.get()
    page = owner_client.get("/alerts/").content.decode()
    assert "Allow RDP for an hour" in page
    r = owner_client.post(f"/alerts/{a.pk}/allow/", {"duration": "hour", "next": "/alerts/"})
    assert r.status_code == 302 and r["Location"] == "/alerts/"
    allowance = RemoteAccessAllowance.objects.get()
    assert (allowance.device, allowance.app) == (device, "RDP")
    assert timedelta(minutes=59) < allowance.until - timezone.now() <= timedelta(hours=1)
    a.refresh_from_db()
    assert a.acknowledged
    policy = current_policy()
    assert set(policy["remote_allowed"][MAC]) == {"RDP"}
    assert policy["remote_allowed"][MAC]["RDP"] > 0


def test_a_device_that_attacks_others_can_be_blocked_from_its_alert(owner_client, device):
    save_alerts(
        [
            alert(
                "scan",
                "medium",
                T,
                "192.168.1.20",
                "192.168.1.2",
                MAC,
                "192.168.1.20 tried 6 ports of 192.168.1.2.",
                evidence={"ports": [22, 23, 80, 443, 445, 3389]},
            ),
            rdp(),
        ]
    )
    scan = Alert.objects.get(kind="internal_attack")
    page = owner_client.get(f"/alerts/{scan.pk}/").content.decode()
    assert "Block Study PC" in page
    # The victim of an inbound remote-control session is not offered for blocking.
    inbound = Alert.objects.get(kind="remote_access")
    assert "Block Study PC" not in owner_client.get(f"/alerts/{inbound.pk}/").content.decode()
    r = owner_client.post(
        f"/devices/{device.pk}/access/block/",
        {"from": "alert", "next": f"/alerts/{scan.pk}/"},
        follow=True,
    )
    assert r.redirect_chain == [(f"/alerts/{scan.pk}/", 302)]
    page = r.content.decode()
    assert "Study PC is blocked" in page and "Unblock Study PC" in page
    device.refresh_from_db()
    assert device.blocked
    assert device.events.get(kind="edited").detail.endswith("from an alert")
    # Elsewhere than this site is never a place to go back to.
    r = owner_client.post(
        f"/devices/{device.pk}/access/unblock/", {"next": "https://evil.example/"}
    )
    assert r["Location"] == f"/devices/{device.pk}/"


def test_approving_router_access_for_good(owner_client, device):
    save_alerts([router()])
    a = Alert.objects.get()
    owner_client.post(f"/alerts/{a.pk}/allow/", {"duration": "forever"})
    assert RouterApproval.objects.get().until is None
    assert current_policy()["router_approved"] == {MAC: 0}


def test_bad_allow_requests_change_nothing(owner_client, client_as, device):
    save_alerts([rdp()])
    a = Alert.objects.get()
    r = owner_client.post(f"/alerts/{a.pk}/allow/", {"duration": "a week"}, follow=True)
    assert "not one of the choices" in r.content.decode()
    client_as("stranger").post(f"/alerts/{a.pk}/allow/", {"duration": "hour"})
    client_as("anonymous").post(f"/alerts/{a.pk}/allow/", {"duration": "hour"})
    assert owner_client.get(f"/alerts/{a.pk}/allow/").status_code == 405
    assert not RemoteAccessAllowance.objects.exists()
    assert owner_client.post("/alerts/999999/allow/", {"duration": "hour"}).status_code == 404


def test_allowances_page_adds_and_revokes(owner_client, device):
    r = owner_client.post(
        "/alerts/allowances/add/",
        {"device": device.pk, "what": "remote", "app": "VNC", "duration": "day"},
        follow=True,
    )
    assert "Saved" in r.content.decode()
    owner_client.post(
        "/alerts/allowances/add/", {"device": device.pk, "what": "router", "duration": "hour"}
    )
    page = owner_client.get("/alerts/allowances/").content.decode()
    assert "VNC" in page and "Study PC" in page
    r = owner_client.post(
        "/alerts/allowances/add/",
        {"device": device.pk, "what": "remote", "app": "", "duration": "day"},
        follow=True,
    )
    assert "Name the remote-control program" in r.content.decode()
    r = owner_client.post("/alerts/allowances/add/", {"device": "x"}, follow=True)
    assert "Choose a device" in r.content.decode()
    allowance = RemoteAccessAllowance.objects.get()
    owner_client.post(f"/alerts/allowances/remote/{allowance.pk}/revoke/")
    assert not RemoteAccessAllowance.objects.exists()
    assert RouterApproval.objects.count() == 1


def test_expired_allowances_are_not_in_force(device):
    RemoteAccessAllowance.objects.create(
        device=device, app="SSH", until=timezone.now() - timedelta(minutes=1)
    )
    assert current_policy()["remote_allowed"] == {}


def test_eve_export_is_one_alert_event_per_line(owner_client, device):
    save_alerts([rdp(), router()])
    r = owner_client.get("/alerts/eve.json")
    assert r["Content-Type"] == "application/x-ndjson"
    assert "attachment" in r["Content-Disposition"]
    lines = b"".join(r.streaming_content).decode().splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == 2
    by_port = {e["dest_port"]: e for e in events}
    rdp_event = by_port[3389]
    assert rdp_event["event_type"] == "alert"
    assert (rdp_event["src_ip"], rdp_event["src_port"], rdp_event["proto"]) == (
        "203.0.113.5",
        51000,
        "TCP",
    )
    assert rdp_event["alert"]["severity"] == 1 and rdp_event["alert"]["action"] == "allowed"
    assert by_port[80]["dest_ip"] == "192.168.1.1"
    # Filters apply to the export too.
    r = owner_client.get("/alerts/eve.json?kind=router_access")
    assert len(b"".join(r.streaming_content).splitlines()) == 1


def test_engine_takes_a_new_policy_without_restarting() -> None:
    engine = Engine(EngineConfig())
    inbound = Flow(
        "203.0.113.5", "192.168.1.20", 51000, 3389, 6, "aa:aa:aa:aa:aa:aa", MAC,
        T, T + 5000, 10, 2000, 10, 9000, app="RDP",
    )  # fmt: skip
    engine.flow(inbound)
    engine.update_policy({MAC: {"RDP": T + 3_600_000}}, {})
    engine.flow(inbound)
    later = Flow(
        **{**{f: getattr(inbound, f) for f in inbound.__slots__}, "first_seen_ms": T + 7_200_000}
    )
    engine.flow(later)  # the allowance ran out
    assert [a["severity"] for a in engine.alerts] == ["high", "info", "high"]


def test_alerts_about_one_device_and_its_page_panel(owner_client, device):
    other = make_device("02:00:00:00:00:09", ips=["192.168.1.30"], name="Kitchen tablet")
    save_alerts([rdp(), router()])
    save_alerts([{**rdp(src="203.0.113.77"), "mac": other.mac, "dst": "192.168.1.30"}])
    mine = owner_client.get(f"/alerts/?device={device.pk}").content.decode()
    assert mine.count('href="/alerts/') >= 2 and "192.168.1.30" not in mine
    assert f'name="device" value="{device.pk}" checked' in mine and "Study PC" in mine
    theirs = owner_client.get(f"/alerts/?device={other.pk}&kind=remote_access").content.decode()
    assert "192.168.1.30" in theirs and "admin console" not in theirs
    # A device that is not there (deleted since the link was made) shows no one's alerts.
    gone = owner_client.get("/alerts/?device=99999")
    assert gone.status_code == 200 and "203.0.113" not in gone.content.decode()
    assert owner_client.get("/alerts/?device=abc").status_code == 200  # ignored, not a 500
    eve = owner_client.get(f"/alerts/eve.json?device={other.pk}")
    assert len(b"".join(eve.streaming_content).splitlines()) == 1

    page = owner_client.get(f"/devices/{device.pk}/").content.decode()
    panel = page.split('class="panel alerts-panel"')[1].split("</section>")[0]
    assert "opened an RDP session" in panel and "admin console" in panel
    assert f'href="/alerts/?device={device.pk}"' in panel
    Alert.objects.filter(device=device).update(acknowledged=True)
    panel = owner_client.get(f"/devices/{device.pk}/").content.decode()
    panel = panel.split('class="panel alerts-panel"')[1].split("</section>")[0]
    assert "No alerts waiting for you." in panel and f"?device={device.pk}" in panel
