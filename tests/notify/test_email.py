"""Email through Django's mail settings to the real SMTP sink: one mail each, the digest,
quiet hours, and a mail server that is down and comes back."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from lanward.notify import delivery
from lanward.notify.models import Channel, Delivery, Preferences
from lanward.notify.services import preferences_for, publish
from tests.conftest import Mailbox, mail_body

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_one_mail_for_a_high_alert(cast: dict[str, Any], inbox: str, mailbox: Mailbox) -> None:
    publish(
        "alert",
        "high",
        "Laptop reached a phishing site",
        body="Device: Laptop",
        url="/alerts/",
        user=cast["owner"],
    )

    assert delivery.deliver_due().sent == 1

    msg = mailbox.wait_for(inbox, "Laptop reached a phishing site")
    assert msg["Subject"] == "[lanward] High: Laptop reached a phishing site"
    body = mail_body(msg)
    assert "Device: Laptop" in body
    assert "http://127.0.0.1:8000/alerts/" in body
    assert "/notifications/settings/" in body
    assert Delivery.objects.get().status == "sent"


def test_low_alerts_are_not_mailed_by_default(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox
) -> None:
    publish("alert", "low", "just a low one", user=cast["owner"])
    assert delivery.deliver_due().sent == 0
    assert mailbox.for_address(inbox) == []


def test_quiet_hours_mail_after_they_end_and_critical_at_once(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox
) -> None:
    prefs = preferences_for(cast["owner"])
    prefs.quiet_start, prefs.quiet_end = time(22), time(7)
    prefs.save()
    night = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    publish("alert", "high", "quiet one", user=cast["owner"], now=night)
    publish("alert", "critical", "loud one", user=cast["owner"], now=night)

    assert delivery.deliver_due(night + timedelta(minutes=1)).sent == 1
    mailbox.wait_for(inbox, "loud one")
    assert [m["Subject"] for m in mailbox.for_address(inbox)] == ["[lanward] Critical: loud one"]

    assert delivery.deliver_due(datetime(2026, 3, 11, 6, 59, tzinfo=UTC)).sent == 0
    assert delivery.deliver_due(datetime(2026, 3, 11, 7, 0, tzinfo=UTC)).sent == 1
    mailbox.wait_for(inbox, "quiet one")


def test_quiet_hours_set_after_queueing_still_hold(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox
) -> None:
    night = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    publish("alert", "high", "queued before", user=cast["owner"], now=night)
    prefs = preferences_for(cast["owner"])
    prefs.quiet_start, prefs.quiet_end = time(22), time(7)
    prefs.save()

    assert delivery.deliver_due(night).sent == 0
    row = Delivery.objects.get()
    assert row.status == "pending" and row.attempts == 0
    assert row.next_attempt == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)


def test_daily_digest_is_one_mail_with_everything(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox
) -> None:
    from tests.cast import make_device

    prefs = preferences_for(cast["owner"])
    prefs.digest, prefs.digest_hour = Preferences.Digest.DAILY, 8
    prefs.save()
    device = make_device("aa:bb:cc:00:00:42", hostname="unknown-phone")
    publish("alert", "high", "first alert", user=cast["owner"], url="/alerts/", now=NOON)
    publish(
        "station", "high", "station needs you", user=cast["owner"], now=NOON + timedelta(hours=1)
    )
    publish(
        "new_device",
        "medium",
        "New device: unknown-phone",
        user=cast["owner"],
        device=device,
        now=NOON + timedelta(hours=2),
    )

    assert delivery.deliver_due(NOON + timedelta(hours=3)).sent == 0  # no single mails
    assert delivery.send_digests(datetime(2026, 3, 11, 7, 59, tzinfo=UTC)).digests == 0

    summary = delivery.send_digests(datetime(2026, 3, 11, 8, 0, tzinfo=UTC))

    assert (summary.digests, summary.sent) == (1, 3)
    msg = mailbox.wait_for(inbox, "digest")
    assert msg["Subject"] == "[lanward] Your digest: 3 notifications"
    body = mail_body(msg)
    assert body.index("first alert") < body.index("station needs you") < body.index("unknown-phone")
    assert "/notifications/act/" in body  # the new device's approve / block links
    assert Delivery.objects.filter(status="sent").count() == 3
    assert len(mailbox.for_address(inbox)) == 1
    # Sent once: the next run has nothing.
    assert delivery.send_digests(datetime(2026, 3, 12, 8, 0, tzinfo=UTC)).digests == 0


def test_weekly_digest_waits_for_its_day(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox
) -> None:
    prefs = preferences_for(cast["owner"])
    prefs.digest, prefs.digest_hour, prefs.digest_weekday = Preferences.Digest.WEEKLY, 9, 4  # Fri
    prefs.save()
    publish("alert", "high", "weekly one", user=cast["owner"], now=NOON)  # a Tuesday

    assert delivery.send_digests(datetime(2026, 3, 12, 9, 0, tzinfo=UTC)).digests == 0
    assert delivery.send_digests(datetime(2026, 3, 13, 9, 0, tzinfo=UTC)).digests == 1
    assert "weekly one" in mail_body(mailbox.wait_for(inbox, "digest: 1 notification"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_mail_server_down_then_up(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox, settings: Any
) -> None:
    sink_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port()
    now = timezone.now()
    publish("alert", "high", "survives the outage", user=cast["owner"], now=now)

    assert delivery.deliver_due(now).retried == 1
    row = Delivery.objects.get()
    assert row.status == "pending"
    assert "could not reach the mail server" in row.last_error
    email = Channel.objects.get(owner=cast["owner"], type="email")
    assert email.failing and email.consecutive_failures == 1

    settings.EMAIL_PORT = sink_port
    assert delivery.deliver_due(row.next_attempt).sent == 1
    mailbox.wait_for(inbox, "survives the outage")
    email.refresh_from_db()
    assert not email.failing


def test_digest_survives_a_mail_server_outage(
    cast: dict[str, Any], inbox: str, mailbox: Mailbox, settings: Any
) -> None:
    prefs = preferences_for(cast["owner"])
    prefs.digest = Preferences.Digest.DAILY
    prefs.save()
    publish("alert", "high", "kept for the digest", user=cast["owner"], now=NOON)
    sink_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port()
    at = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)

    assert delivery.send_digests(at).digests == 0
    row = Delivery.objects.get()
    assert row.status == "pending" and row.digest and row.next_attempt > at

    settings.EMAIL_PORT = sink_port
    assert delivery.send_digests(row.next_attempt).digests == 1
    assert "kept for the digest" in mail_body(mailbox.wait_for(inbox, "digest"))


def test_the_address_can_be_changed_per_channel(
    cast: dict[str, Any], smtp: Mailbox, client_as: Any
) -> None:
    from tests.conftest import unique_email

    email = Channel.objects.filter(owner=cast["owner"], type="email").first()
    assert email is None or email.address == ""
    address = unique_email("elsewhere")
    publish("alert", "high", "warm up", user=cast["owner"])  # creates the channels
    email = Channel.objects.get(owner=cast["owner"], type="email")
    response = client_as("owner").post(
        f"/notifications/settings/channels/{email.pk}/rules/",
        {
            f"ch{email.pk}-{k}": v
            for k, v in {
                "alert": "high",
                "new_device": "info",
                "station": "high",
                "security_check": "high",
                "address": address,
            }.items()
        },
    )
    assert response.status_code == 302
    publish("alert", "high", "to the other address", user=cast["owner"])
    delivery.deliver_due()
    smtp.wait_for(address, "to the other address")
