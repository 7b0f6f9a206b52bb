"""The console's Security check pages, for each member of the cast."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lanward.securitycheck.models import Finding, ScanRun
from tests.cast import ROLES, assert_access, make_device


@pytest.fixture
def findings(db, settings):
    settings.LANWARD_SCAN_NEW_DEVICES = False
    camera = make_device("02:00:00:00:00:01", ips=["192.168.1.20"], name="Hall camera")
    now = timezone.now()
    common = {"device": camera, "address": "192.168.1.20", "first_seen": now, "last_seen": now}
    Finding.objects.create(
        key="pw",
        kind="default_password",
        severity="critical",
        service="telnet",
        port=23,
        summary="The Telnet on 192.168.1.20 port 23 still accepts the account 'root' with the factory password.",
        fix="Log in and set a new, long, unique password.",
        credential_list="mirai",
        credential_vendor="",
        credential_username="root",
        **common,
    )
    Finding.objects.create(
        key="cve",
        kind="vulnerability",
        severity="high",
        cvss=9.8,
        kev=True,
        cve="CVE-2024-4577",
        service="http",
        port=80,
        summary="PHP 8.1.2 on 192.168.1.20 port 80 has a known vulnerability, CVE-2024-4577.",
        fix="Update the firmware.",
        evidence={"why": "php:php 8.1.2 is affected: from 8.1.0 before 8.1.29"},
        **common,
    )
    Finding.objects.create(
        key="old",
        kind="configuration",
        severity="medium",
        service="ftp",
        port=21,
        summary="Anonymous FTP was open.",
        fixed_at=now,
        **common,
    )
    return camera


@pytest.mark.parametrize("role", ROLES)
def test_overview(role, client_as, findings):
    response = client_as(role).get("/security-check/")
    assert_access(response, role)
    if response.status_code == 200:
        page = response.content.decode()
        assert "Hall camera" in page and page.count("device-row") == 1
        assert "exploiting right now" in page  # the KEV finding
        assert "Fixed recently" in page and "Anonymous FTP" not in page
        assert ("Scan now" in page) == (role in ("owner", "member"))
        assert "due now" in page  # never scanned on a schedule yet


@pytest.mark.parametrize("role", ROLES)
def test_device_findings(role, client_as, findings):
    response = client_as(role).get(f"/security-check/devices/{findings.pk}/")
    assert_access(response, role)
    if response.status_code == 200:
        page = response.content.decode()
        assert "factory password" in page and "botnets such as Mirai" in page  # what it means
        assert "set a new, long, unique password" in page  # how to fix
        assert "user name <code>root</code> from the mirai list" in page
        assert "CISA lists this flaw as exploited in the wild" in page
        assert "from 8.1.0 before 8.1.29" in page
        assert "a re-scan no longer found it" in page  # the fixed one, with its date
        assert "Re-check this device" in page


def test_unknown_device_is_404(owner_client, findings):
    assert owner_client.get("/security-check/devices/9999/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_status_json(role, client_as, findings):
    ScanRun.objects.create(
        trigger="manual", status="running", progress=0.4, current_target="Hall camera"
    )
    response = client_as(role).get("/security-check/status.json")
    assert_access(response, role)
    if response.status_code == 200:
        data = response.json()
        assert data["active"]["progress"] == 0.4 and data["active"]["status"] == "running"
        assert data["active"]["current_target"] == "Hall camera"
        assert data["open_findings"] == 2


@pytest.mark.parametrize("role", ROLES)
def test_scan_now_queues_a_scan_for_the_job_runner(role, client_as, findings, cast):
    response = client_as(role).post("/security-check/scan/")
    if role in ("owner", "member"):
        assert response.status_code == 302
        run = ScanRun.objects.get()
        assert run.status == "queued" and run.trigger == "manual" and run.origin == "console"
        assert run.requested_by == cast[role]
    else:
        assert_access(response, role)
        assert not ScanRun.objects.exists()


def test_scan_now_needs_post(owner_client, findings):
    assert owner_client.get("/security-check/scan/").status_code == 405


def test_progress_and_cancel(owner_client, findings):
    owner_client.post("/security-check/scan/")
    run = ScanRun.objects.get()
    page = owner_client.get("/security-check/").content.decode()
    assert 'is <strong class="scan-status">waiting</strong>' in page and "Cancel" in page
    assert "securitycheck.js" in page
    response = owner_client.post(f"/security-check/runs/{run.pk}/cancel/", follow=True)
    assert "being cancelled" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "cancelled"
    response = owner_client.post(f"/security-check/runs/{run.pk}/cancel/", follow=True)
    assert "already ended" in response.content.decode()


def test_a_running_scan_is_only_flagged_for_cancel(client_as, findings):
    run = ScanRun.objects.create(trigger="schedule", status="running")
    client_as("member").post(f"/security-check/runs/{run.pk}/cancel/")
    run.refresh_from_db()
    assert run.status == "running" and run.cancel_requested


def test_strangers_cannot_cancel(client_as, findings):
    run = ScanRun.objects.create(trigger="manual")
    assert client_as("stranger").post(f"/security-check/runs/{run.pk}/cancel/").status_code == 403
    run.refresh_from_db()
    assert run.status == "queued" and not run.cancel_requested


def test_recheck_queues_the_device(client_as, findings):
    response = client_as("member").post(
        f"/security-check/devices/{findings.pk}/recheck/", follow=True
    )
    assert "is queued" in response.content.decode()
    run = ScanRun.objects.get()
    assert run.device_ids == [findings.pk] and run.targets == []


def test_recheck_of_a_device_outside_the_home_networks_is_explained(client_as, settings, findings):
    settings.LANWARD_HOME_NETS = ("10.0.0.0/8",)
    response = client_as("owner").post(
        f"/security-check/devices/{findings.pk}/recheck/", follow=True
    )
    assert response.status_code == 200
    assert "Hall camera: no address on the protected networks" in response.content.decode()
    assert not ScanRun.objects.exists()


@pytest.mark.parametrize("role", ["owner", "member", "stranger"])
def test_navigation_entry(role, client_as, findings):
    page = client_as(role).get("/").content.decode()
    assert ('href="/security-check/"' in page) == (role != "stranger")


def test_the_device_page_shows_its_open_findings(owner_client, findings):
    page = owner_client.get(f"/devices/{findings.pk}/").content.decode()
    assert "security-panel" in page and "CVE-2024-4577" in page
    assert f"/security-check/devices/{findings.pk}/" in page


def test_scan_now_stays_available_while_an_automatic_scan_waits(owner_client, findings):
    ScanRun.objects.create(trigger="new_device", device_ids=[findings.pk])
    page = owner_client.get("/security-check/").content.decode()
    assert ">Scan now</button>" in page and "at most once every 60 minutes" in page
    owner_client.post("/security-check/scan/")
    page = owner_client.get("/security-check/").content.decode()
    assert ">Scan now</button>" not in page  # one on-demand scan is already waiting
    assert "(on demand) is <strong" in page  # and it is the one shown


def test_the_overview_says_why_there_is_no_scheduled_scan(owner_client, findings, settings):
    from lanward.privacy.models import PrivacySettings

    def shown() -> str:
        page = owner_client.get("/security-check/").content.decode()
        return page.split("Next scheduled scan</dt><dd>", 1)[1].split("</dd>", 1)[0]

    settings.LANWARD_SCAN_AUTOMATIC = False
    assert "watches no network of its own" in shown()
    settings.LANWARD_SCAN_AUTOMATIC = True
    settings.LANWARD_SCAN_INTERVAL_DAYS = 0
    assert shown() == "off: switched off (LANWARD_SCAN_INTERVAL_DAYS=0)"
    settings.LANWARD_SCAN_INTERVAL_DAYS = 7
    assert shown().startswith("due now")
    prefs = PrivacySettings.load()
    prefs.automatic_scans = False
    prefs.save()
    assert "switched off in Privacy settings" in shown()
