"""The retention job deletes each kind of data once it is older than Privacy settings say, and
keeps what is younger; `run_jobs` runs it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command

from lanward.accounts.models import AccountEvent, OneTimeCode
from lanward.dnsfilter.models import QueryLog
from lanward.inventory.models import Device, DeviceEvent, StationNotice
from lanward.notify.models import Channel, Delivery, Notification
from lanward.privacy import retention
from lanward.securitycheck.models import Finding, ScanRun
from lanward.threats.models import Alert, BaselineLesson, DeviceBaseline
from lanward.usage.models import FlowRecord, UsageDay, UsageHour

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 5, 20, 12, 30, tzinfo=UTC)
OLD = NOW - timedelta(days=11)
NEW = NOW - timedelta(days=9)


@pytest.fixture
def ten_days(prefs):
    for name in (
        "activity_days",
        "dns_log_days",
        "usage_hourly_days",
        "usage_daily_days",
        "alert_days",
        "device_event_days",
        "notice_days",
        "notification_days",
        "finding_days",
        "outbox_days",
    ):
        setattr(prefs, name, 10)
    prefs.flow_records, prefs.flow_hours = True, 48
    prefs.forget_devices_days = 30
    prefs.save()
    return prefs


def plant(django_user_model, data_dir):
    user = django_user_model.objects.create_user("anna@example.com")
    device = Device.objects.create(mac="02:00:00:00:00:01", first_seen=OLD, last_seen=NOW)
    stale = Device.objects.create(
        mac="02:00:00:00:00:02", first_seen=OLD, last_seen=NOW - timedelta(days=31)
    )
    for when in (OLD, NEW):
        AccountEvent.objects.create(user=user, kind="login", created=when)
        QueryLog.objects.create(time=when, client="10.0.0.1", qtype="A", action="allowed")
        UsageDay.objects.create(device=device, day=when.date(), app="Web")
        Alert.objects.create(kind="scan", severity="low", time=when, summary="s", device=device)
        DeviceEvent.objects.create(device=device, kind="online", created=when)
        StationNotice.objects.create(kind="k", message="m", created=when)
        Notification.objects.create(recipient=user, kind="alert", title="t", created=when)
        Finding.objects.create(
            key=f"k{when:%d}",
            device=device,
            address="10.0.0.1",
            kind="configuration",
            severity="low",
            summary="s",
            first_seen=OLD,
            last_seen=when,
            fixed_at=when,
        )
        ScanRun.objects.create(trigger="manual", status="done", finished=when)
    Finding.objects.create(
        key="open",
        device=device,
        address="10.0.0.1",
        kind="configuration",
        severity="low",
        summary="still open",
        first_seen=OLD,
        last_seen=OLD,
    )
    waiting = Notification.objects.create(recipient=user, kind="alert", title="w", created=OLD)
    channel = Channel.objects.create(owner=user, type="webhook", url="http://192.0.2.1/")
    Delivery.objects.create(notification=waiting, channel=channel)  # still pending: kept
    UsageHour.objects.create(device=device, hour=OLD, app="Web", bytes_down=7)
    DeviceBaseline.objects.create(mac=device.mac, data={"domains": ["a.example"]})
    DeviceBaseline.objects.create(mac="02:00:00:00:00:99", data={})  # its device is gone
    BaselineLesson.objects.create(mac=device.mac, applied=True, created=OLD)
    BaselineLesson.objects.create(mac=device.mac, applied=False, created=OLD)  # not learned yet
    for hours in (47, 49):
        FlowRecord.objects.create(
            device=device,
            first_seen=NOW - timedelta(hours=hours),
            last_seen=NOW,
            src="a",
            dst="b",
            protocol=6,
        )
    OneTimeCode.objects.create(
        user=user,
        purpose="login",
        method="email",
        code_hash="x",
        expires_at=NOW - timedelta(days=2),
    )
    OneTimeCode.objects.create(
        user=user, purpose="login", method="email", code_hash="y", expires_at=NOW
    )
    mail = data_dir / "mail"
    mail.mkdir()
    for name, age in (("old.log", 11), ("new.log", 9)):
        (mail / name).write_text("To: anna@example.com\n")
        stamp = NOW.timestamp() - age * 86400
        os.utime(mail / name, (stamp, stamp))
    (data_dir / "sms.log").write_text(
        "".join(
            json.dumps({"time": when.isoformat(), "to": "+14155550100", "text": "code"}) + "\n"
            for when in (OLD, NEW)
        )
    )
    return user, device, stale


def test_everything_past_its_retention_goes_and_the_rest_stays(
    ten_days, django_user_model, data_dir, monkeypatch
):
    user, device, stale = plant(django_user_model, data_dir)
    monkeypatch.setattr(retention.time, "time", lambda: NOW.timestamp())
    live = SessionStore()
    live["x"] = 1
    live.create()
    dead = SessionStore()
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(expire_date=NOW - timedelta(1))
    for key in (live.session_key, dead.session_key):
        UserSession.objects.create(
            user=user,
            ip="10.0.0.9",
            session_key=key,
            user_agent="b",
            last_seen_at=NOW,
        )

    done = retention.enforce(NOW)

    assert done["activity log"] == 1 and AccountEvent.objects.get().created == NEW
    assert done["DNS query log"] == 1 and QueryLog.objects.get().time == NEW
    assert list(UsageDay.objects.values_list("day", flat=True)) == [NEW.date()]
    assert not UsageHour.objects.exists()  # rolled into its day, which is past retention too
    assert list(FlowRecord.objects.values_list("first_seen", flat=True)) == [
        NOW - timedelta(hours=47)
    ]
    assert done["alerts"] == 1 and Alert.objects.get().time == NEW
    assert DeviceEvent.objects.get().created == NEW
    assert StationNotice.objects.get().created == NEW
    assert sorted(Notification.objects.values_list("title", "created")) == [
        ("t", NEW),
        ("w", OLD),  # its webhook delivery is still waiting
    ]
    assert set(Finding.objects.values_list("key", flat=True)) == {f"k{NEW:%d}", "open"}
    assert ScanRun.objects.get().finished == NEW
    assert done["forgotten devices"] == 1 and not Device.objects.filter(pk=stale.pk).exists()
    assert OneTimeCode.objects.get().code_hash == "y"
    assert list(DeviceBaseline.objects.values_list("mac", flat=True)) == [device.mac]
    assert list(BaselineLesson.objects.values_list("applied", flat=True)) == [False]
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert sorted(p.name for p in (data_dir / "mail").iterdir()) == ["new.log"]
    lines = (data_dir / "sms.log").read_text().splitlines()
    assert [json.loads(x)["time"] for x in lines] == [NEW.isoformat()]
    assert retention.summary(done).startswith("removed ")

    assert retention.enforce(NOW) == {k: 0 for k in done}  # idempotent
    assert retention.summary(retention.enforce(NOW)) == "nothing past its retention"


def test_flows_are_deleted_once_switched_off(ten_days, django_user_model, data_dir):
    plant(django_user_model, data_dir)
    ten_days.flow_records = False
    ten_days.save()
    retention.enforce(NOW)
    assert not FlowRecord.objects.exists()


def test_a_failing_step_does_not_stop_the_others(ten_days, monkeypatch, caplog):
    QueryLog.objects.create(time=OLD, client="10.0.0.1", qtype="A", action="allowed")

    def broken(prefs, now):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(retention, "STEPS", [("broken", broken), *retention.STEPS])
    done = retention.enforce(NOW)
    assert "broken" not in done and done["DNS query log"] == 1
    assert "retention: broken failed" in caplog.text


def test_run_jobs_runs_the_retention_job(ten_days, data_dir):
    from django.core.cache import cache

    cache.clear()
    QueryLog.objects.create(
        time=datetime.now(UTC) - timedelta(days=30), client="10.0.0.1", qtype="A", action="x"
    )
    call_command("run_jobs")
    assert not QueryLog.objects.exists()


def test_sms_lines_it_cannot_read_are_kept(ten_days, data_dir):
    path = data_dir / "sms.log"
    path.write_text("not json\n" + json.dumps({"time": OLD.isoformat(), "to": "1"}) + "\n")
    assert retention._trim_sms_log(path, NOW - timedelta(days=10)) == 1
    assert path.read_text() == "not json\n"
