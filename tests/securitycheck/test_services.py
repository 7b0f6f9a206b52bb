"""Scans against real servers on loopback: findings stored and linked, re-scans update and
close them, cancel, one scan at a time, the schedule, new devices and rate limits."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from lanward.inventory.models import StationNotice
from lanward.securitycheck import jobs, services
from lanward.securitycheck.models import Finding, ScanRun
from lanward.securitycheck.services import run_scan
from lanward.securitycheck.targets import ScanBusy, ScanRefused
from tests.cast import make_device

from . import devices

FAST = {"use_nmap": False, "password_check": False, "connect_timeout_s": 1.0}
Status = ScanRun.Status


@pytest.fixture
def loopback(settings):
    settings.LANWARD_HOME_NETS = ("127.0.0.0/8",)
    settings.LANWARD_SCAN_NEW_DEVICES = False
    return settings


@pytest.fixture
def camera(db, loopback):
    return make_device("02:00:00:00:00:01", ips=["127.0.0.1"], name="Camera")


def open_cves(run):
    return sorted(
        Finding.objects.filter(last_run=run, fixed_at__isnull=True).values_list("cve", flat=True)
    )


def test_scan_finds_known_vulnerabilities_on_the_device(vulndb, camera):
    seen = []
    with devices.ftp("2.3.4") as ftp_port, devices.web("lighttpd/1.4.35") as web_port:
        run = run_scan(
            ["127.0.0.1"],
            options={**FAST, "ports": (ftp_port, web_port)},
            progress=lambda fraction, current: seen.append((fraction, current)),
        )
    assert run.status == Status.DONE and run.progress == 1.0 and run.finished
    assert open_cves(run) == ["CVE-2011-2523", "CVE-2015-3200", "CVE-2018-19052"]
    backdoor = Finding.objects.get(cve="CVE-2011-2523")
    assert backdoor.device == camera and backdoor.port == ftp_port and backdoor.service == "ftp"
    assert backdoor.severity == "critical" and backdoor.cvss == 9.8 and not backdoor.kev
    assert "vsftpd 2.3.4" in backdoor.summary and "Update" in backdoor.fix
    assert "matched on the product name" in backdoor.evidence["why"]
    assert run.summary["targets"] == 1 and run.summary["new"] == 3
    assert seen and seen[-1][0] <= 1.0 and "Camera (127.0.0.1)" in {c for _, c in seen}
    (notice,) = StationNotice.objects.filter(kind="security_check")
    assert "Camera has 3 new serious problems" in notice.message


def test_a_rescan_updates_instead_of_duplicating_and_closes_what_is_fixed(vulndb, camera):
    with devices.ftp("2.3.4") as port:
        first = run_scan(["127.0.0.1"], options={**FAST, "ports": (port,)})
    with devices.ftp("2.3.4", port=port):
        second = run_scan(["127.0.0.1"], options={**FAST, "ports": (port,)})
    assert Finding.objects.count() == 1
    finding = Finding.objects.get()
    assert finding.first_run == first and finding.last_run == second and finding.fixed_at is None
    assert second.summary["new"] == 0
    with devices.ftp("3.0.5", port=port):  # the owner updated the firmware
        third = run_scan(["127.0.0.1"], options={**FAST, "ports": (port,)})
    finding.refresh_from_db()
    assert finding.fixed_at is not None and third.summary["fixed"] == 1
    assert StationNotice.objects.filter(kind="security_check").count() == 1  # no repeat
    with devices.ftp("2.3.4", port=port):  # and back: the same row opens again, as new
        fourth = run_scan(["127.0.0.1"], options={**FAST, "ports": (port,)})
    finding.refresh_from_db()
    assert finding.fixed_at is None and fourth.summary["new"] == 1
    assert Finding.objects.count() == 1


def test_telnet_turned_off_is_marked_fixed(db, camera):
    with devices.telnet() as port:
        run_scan(["127.0.0.1"], options={**FAST, "ports": (port,)})
    telnet = Finding.objects.get(evidence__isnull=False, kind="configuration")
    assert telnet.service == "telnet" and telnet.fixed_at is None and "Telnet" in telnet.summary
    run_scan(["127.0.0.1"], options={**FAST, "ports": (port,)})  # nothing listens now
    telnet.refresh_from_db()
    assert telnet.fixed_at is not None


def test_an_address_not_in_the_inventory_is_checked_when_named(vulndb, loopback):
    with devices.ftp("2.3.4", host="127.0.0.2") as port:
        run = run_scan(["127.0.0.2"], options={**FAST, "ports": (port,)})
    finding = Finding.objects.get(last_run=run)
    assert finding.device is None and finding.address == "127.0.0.2"


def test_targets_outside_the_protected_networks_are_refused_before_any_packet(db, loopback):
    with pytest.raises(ScanRefused, match=r"refused: 192\.168\.1\.9 is outside"):
        run_scan(["127.0.0.1", "192.168.1.9"], options=FAST)
    with pytest.raises(ScanRefused, match="outside"):
        run_scan(["10.0.0.0/8"], options=FAST)
    with pytest.raises(ScanRefused, match="not an address or network"):
        run_scan(["camera.local"], options=FAST)
    assert not ScanRun.objects.exists()


def test_a_network_target_selects_known_devices_in_it(db, loopback):
    make_device("02:00:00:00:00:02", ips=["127.0.5.7"])
    make_device("02:00:00:00:00:03", ips=["127.9.0.1"])
    with devices.tarpit(host="127.0.5.7"):
        run = run_scan(["127.0.5.0/24"], options={**FAST, "ports": (devices.closed_port(),)})
    assert run.summary["targets"] == 1


def test_cancel_from_the_console_stops_a_running_scan_and_closes_nothing(vulndb, camera):
    earlier = Finding.objects.create(
        key="earlier",
        device=camera,
        address="127.0.0.1",
        kind="configuration",
        severity="medium",
        summary="an earlier finding",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    with devices.tarpit() as a, devices.tarpit() as b, devices.tarpit() as c:
        started = time.monotonic()

        def press_cancel(fraction, current):
            run = ScanRun.objects.get(status=Status.RUNNING)
            services.cancel(run)  # what the console's Cancel button does

        run = run_scan(
            ["127.0.0.1"],
            options={**FAST, "ports": (a, b, c), "connect_timeout_s": 20.0},
            progress=press_cancel,
        )
        took = time.monotonic() - started
    assert run.status == Status.CANCELLED and run.cancel_requested
    assert took < 10, took
    earlier.refresh_from_db()
    assert earlier.fixed_at is None  # a cancelled scan proves nothing is fixed


def test_one_scan_at_a_time(db, camera):
    running = ScanRun.objects.create(
        trigger="manual", status=Status.RUNNING, started=timezone.now(), heartbeat=timezone.now()
    )
    with pytest.raises(ScanBusy, match="another security check is running"):
        run_scan(["127.0.0.1"], options=FAST)
    assert ScanRun.objects.count() == 1
    services.request_scan(targets=["127.0.0.1"])
    assert services.run_pending() == "a scan is already running"
    # A scan whose process died stops blocking once its heartbeat is old.
    ScanRun.objects.filter(pk=running.pk).update(heartbeat=timezone.now() - timedelta(hours=1))
    assert services.fail_stale() == 1
    running.refresh_from_db()
    assert running.status == Status.FAILED and "stopped without finishing" in running.errors[0]


def test_queued_scans_cancel_at_once_and_duplicates_are_not_queued(db, camera):
    first = services.request_scan(targets=["127.0.0.1"])
    assert services.request_scan(targets=["127.0.0.1"]) == first
    services.cancel(first)
    assert first.status == Status.CANCELLED and first.finished
    with pytest.raises(ScanRefused, match="outside"):
        services.request_scan(targets=["8.8.8.8"])


def test_new_devices_join_one_waiting_scan(db, loopback):
    loopback.LANWARD_SCAN_NEW_DEVICES = True
    a = make_device("02:00:00:00:00:0a", ips=["127.0.0.10"])
    b = make_device("02:00:00:00:00:0b", ips=["127.0.0.11"])
    make_device("02:00:00:00:00:0c")  # no address yet: nothing to scan
    (run,) = ScanRun.objects.all()
    assert run.trigger == "new_device" and run.device_ids == [a.pk, b.pk]
    loopback.LANWARD_SCAN_NEW_DEVICES = False
    make_device("02:00:00:00:00:0d", ips=["127.0.0.12"])
    run.refresh_from_db()
    assert len(run.device_ids) == 2


def test_automatic_scans_keep_the_minimum_interval_but_manual_ones_do_not(db, loopback):
    loopback.LANWARD_SCAN_MIN_INTERVAL_MINUTES = 60
    now = timezone.now()
    ScanRun.objects.create(
        trigger="new_device", status=Status.DONE, started=now - timedelta(minutes=5), finished=now
    )
    waiting = ScanRun.objects.create(trigger="new_device", device_ids=[1])
    assert services.next_runnable(now) is None
    assert services.next_runnable(now + timedelta(minutes=56)) == waiting
    manual = services.request_scan()
    assert services.next_runnable(now) == manual
    with pytest.raises(ScanBusy, match="less than 60 minutes"):
        run_scan(trigger="new_device", options=FAST)


def test_the_weekly_schedule(db, loopback):
    loopback.LANWARD_SCAN_INTERVAL_DAYS = 7
    now = timezone.now()
    assert services.queue_scheduled(now) is None  # no devices yet: nothing to schedule
    make_device("02:00:00:00:00:01", ips=["127.0.0.1"])
    first = services.queue_scheduled(now)
    assert first is not None and first.trigger == "schedule"
    assert services.queue_scheduled(now) is None  # already waiting
    ScanRun.objects.filter(pk=first.pk).update(status=Status.DONE, created=now - timedelta(days=3))
    assert services.next_scheduled(now) == now - timedelta(days=3) + timedelta(days=7)
    assert services.queue_scheduled(now) is None
    assert services.queue_scheduled(now + timedelta(days=5)) is not None
    loopback.LANWARD_SCAN_INTERVAL_DAYS = 0
    assert services.next_scheduled(now) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_job_runner_runs_a_queued_scan_in_its_worker(loopback):
    from lanward.securitycheck.vulndb import import_files

    from .conftest import NVD_FILE

    import_files([NVD_FILE])
    make_device("02:00:00:00:00:01", ips=["127.0.0.1"])
    loopback.LANWARD_SCAN_PASSWORDS = False
    loopback.LANWARD_SCAN_NMAP = "off"
    loopback.LANWARD_SCAN_INTERVAL_DAYS = 0  # only the scan asked for
    with devices.ftp("2.3.4") as port:
        loopback.LANWARD_SCAN_PORTS = (port,)
        run = services.request_scan(targets=["127.0.0.1"])
        assert jobs.tick() == "started a security check"
        assert jobs.tick() == "a security check is running"
        jobs.wait(60)
    run.refresh_from_db()
    assert run.status == Status.DONE
    assert list(Finding.objects.values_list("cve", flat=True)) == ["CVE-2011-2523"]
    assert jobs.tick() == "no security check due"


def test_a_password_finding_names_the_list_entry_and_never_stores_the_password(db, camera):
    import json

    with devices.pyftpd({"root": "vizxv"}) as port:
        run = run_scan(
            ["127.0.0.1"],
            options={
                **FAST,
                "ports": (port,),
                "password_check": True,
                "credentials": (("admin", "nimda"), ("root", "vizxv")),
                "delay_s": 0.0,
            },
        )
    finding = Finding.objects.get(last_run=run, kind="weak_password")
    assert (finding.credential_list, finding.credential_username) == ("custom", "root")
    assert finding.device == camera and finding.severity in ("high", "critical")
    row = Finding.objects.filter(pk=finding.pk).values().get()
    assert "vizxv" not in json.dumps(row, default=str)
    assert "vizxv" not in json.dumps(run.summary) + json.dumps(run.errors)
    assert run.summary["attempts"] <= 2


def test_a_device_that_does_not_answer_fixes_nothing(vulndb, loopback):
    gone = make_device(
        "02:00:00:00:00:0e",
        ips=["127.0.0.3"],
        seen=timezone.now() - timedelta(days=2),
        online=False,
    )
    with devices.ftp("2.3.4", host="127.0.0.3") as port:
        run_scan(["127.0.0.3"], options={**FAST, "ports": (port,)})
        with devices.ftp("2.3.4", host="127.0.0.4") as other:
            run_scan(["127.0.0.4"], options={**FAST, "ports": (other,)})
    assert Finding.objects.filter(fixed_at__isnull=True).count() == 2
    # Both are switched off now: nothing answers, and the inventory has the first as offline.
    run_scan(["127.0.0.3"], options={**FAST, "ports": (port,)})
    run_scan(["127.0.0.4"], options={**FAST, "ports": (other,)})
    assert Finding.objects.filter(fixed_at__isnull=True).count() == 2
    assert Finding.objects.get(device=gone).fixed_at is None


def test_without_a_watched_network_nothing_is_scanned_automatically(db, settings):
    """The demo's made-up devices may share addresses with real ones: never probe them."""
    from django.utils import timezone

    from lanward.inventory.models import Device
    from lanward.securitycheck import services

    settings.LANWARD_SCAN_AUTOMATIC = False
    now = timezone.now()
    device = Device.objects.create(
        mac="02:00:00:00:00:77", ips=["192.168.1.77"], first_seen=now, last_seen=now
    )
    assert services.queue_new_device(device) is None
    assert services.queue_scheduled() is None
    assert services.next_scheduled() is None
