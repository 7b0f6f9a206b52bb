"""Webhook delivery against a real receiver on 127.0.0.1: signed JSON, failures recorded on the
channel and retried with back-off (500 then 200; receiver down then up), nothing lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from lanward.notify import delivery
from lanward.notify.models import Channel, Delivery
from lanward.notify.services import publish

from .receiver import Receiver, verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_email(cast: dict[str, Any]) -> None:
    """These tests count webhook requests: the owner's email channel is off."""
    from lanward.notify.services import channels_for

    for c in channels_for(cast["owner"]):
        if c.type == Channel.Type.EMAIL:
            c.enabled = False
            c.save()


def alert(owner: Any, title: str = "Camera talks to a known botnet server", **kw: Any) -> None:
    publish(
        "alert",
        "high",
        title,
        body="Device: Camera",
        url="/alerts/",
        user=owner,
        data={"dst": "198.51.100.7"},
        **kw,
    )


def test_a_notification_arrives_signed_and_verifiable(
    cast: dict[str, Any], hook: Channel, receiver: Receiver
) -> None:
    alert(cast["owner"])

    summary = delivery.deliver_due()

    assert summary.sent == 1
    (request,) = receiver.requests
    # The recipe in docs/notifications.md, and a Standard Webhooks library, both accept it.
    assert verify(hook.secret, request.headers, request.body)
    payload = Webhook(hook.secret).verify(request.body, request.headers)
    assert payload["type"] == "lanward.alert"
    assert payload["severity"] == "high"
    assert payload["title"] == "Camera talks to a known botnet server"
    assert payload["url"].endswith("/alerts/") and payload["url"].startswith("http")
    assert payload["data"] == {"dst": "198.51.100.7"}
    assert request.headers["webhook-id"] == payload["id"]
    row = Delivery.objects.get()
    assert row.status == "sent" and row.attempts == 1
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.last_success is not None


def test_tampered_body_or_wrong_secret_does_not_verify(
    cast: dict[str, Any], hook: Channel, receiver: Receiver
) -> None:
    alert(cast["owner"])
    delivery.deliver_due()
    (request,) = receiver.requests
    assert not verify(hook.secret, request.headers, request.body.replace(b"high", b"low!"))
    assert not verify("whsec_" + "A" * 44, request.headers, request.body)


def test_500_then_200_is_retried_after_the_back_off(
    cast: dict[str, Any], hook: Channel, receiver: Receiver, settings: Any
) -> None:
    settings.LANWARD_NOTIFY_RETRY_BASE_SECONDS = 30
    receiver.answer(500)
    now = timezone.now()
    alert(cast["owner"], now=now)

    first = delivery.deliver_due(now)

    assert (first.sent, first.retried) == (0, 1)
    row = Delivery.objects.get()
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error == "the receiver answered HTTP 500"
    assert now + timedelta(seconds=15) <= row.next_attempt <= now + timedelta(seconds=30)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 1
    assert hook.failing_since == now
    assert hook.last_error == "the receiver answered HTTP 500"

    # Not due yet: nothing is sent.
    assert delivery.deliver_due(now + timedelta(seconds=14)).sent == 0
    assert len(receiver.requests) == 1

    second = delivery.deliver_due(row.next_attempt)

    assert second.sent == 1
    assert [r.answered for r in receiver.requests] == [500, 200]
    # One message: the same id on both attempts, each signed for its own attempt.
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert all(verify(hook.secret, r.headers, r.body) for r in receiver.requests)
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0 and hook.failing_since is None and hook.last_error == ""


def test_receiver_down_then_up_loses_nothing_and_backs_off_exponentially(
    cast: dict[str, Any], hook: Channel, receiver: Receiver, settings: Any
) -> None:
    settings.LANWARD_NOTIFY_RETRY_BASE_SECONDS = 10
    receiver.stop()
    start = timezone.now()
    alert(cast["owner"], "first", now=start)
    alert(cast["owner"], "second", now=start)

    now = start
    delays = []
    for attempt in range(1, 5):
        summary = delivery.deliver_due(now)
        # The channel is down: one request per back-off step; the other message waits with it.
        assert (summary.sent, summary.retried) == (0, 1)
        probe, waiting = Delivery.objects.order_by("notification__title")
        assert probe.attempts == attempt and "could not connect" in probe.last_error
        assert waiting.attempts == 0 and waiting.next_attempt == probe.next_attempt
        delays.append((probe.next_attempt - now).total_seconds())
        now = probe.next_attempt
        assert delivery.deliver_due(now - timedelta(seconds=1)).retried == 0  # not due yet
    for attempt, delay in enumerate(delays, start=1):
        ceiling = 10 * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling, delays
    hook.refresh_from_db()
    assert hook.consecutive_failures == 4
    assert hook.failing_since == start
    assert "could not connect" in hook.last_error

    receiver.start()  # same port
    later = now + timedelta(hours=1)
    summary = delivery.deliver_due(later)

    assert summary.sent == 2
    assert sorted(r.json()["title"] for r in receiver.ok()) == ["first", "second"]
    assert Delivery.objects.filter(status="sent").count() == 2
    hook.refresh_from_db()
    assert hook.failing_since is None and hook.consecutive_failures == 0


def test_gives_up_after_the_last_attempt_and_try_again_sends_it(
    cast: dict[str, Any], hook: Channel, receiver: Receiver, settings: Any
) -> None:
    settings.LANWARD_NOTIFY_MAX_ATTEMPTS = 3
    receiver.answer(503, 503, 503)
    now = timezone.now()
    alert(cast["owner"], now=now)
    for _ in range(3):
        delivery.deliver_due(now)
        row = Delivery.objects.get()
        now = max(now, row.next_attempt)
    row = Delivery.objects.get()
    assert row.status == "failed" and row.attempts == 3
    assert delivery.deliver_due(now + timedelta(days=1)).sent == 0  # given up: left alone

    assert delivery.retry_failed(hook) == 1
    assert delivery.deliver_due().sent == 1
    assert [r.answered for r in receiver.requests] == [503, 503, 503, 200]


def test_a_refusal_is_not_retried(cast: dict[str, Any], hook: Channel, receiver: Receiver) -> None:
    receiver.answer(404)
    alert(cast["owner"])
    summary = delivery.deliver_due()
    assert summary.failed == 1
    row = Delivery.objects.get()
    assert row.status == "failed" and row.last_error == "the receiver answered HTTP 404"


def test_a_target_that_moved_into_the_home_network_is_refused_at_send_time(
    cast: dict[str, Any], hook: Channel, receiver: Receiver, settings: Any
) -> None:
    settings.LANWARD_WEBHOOK_ALLOWED_NETS = []  # e.g. the owner narrowed the setting
    alert(cast["owner"])
    delivery.deliver_due()
    assert receiver.requests == []
    row = Delivery.objects.get()
    assert row.status == "failed"
    assert "LANWARD_WEBHOOK_ALLOWED_NETS" in row.last_error


def test_a_claimed_row_is_sent_by_one_runner_only(
    cast: dict[str, Any], hook: Channel, receiver: Receiver
) -> None:
    alert(cast["owner"])
    row = Delivery.objects.get()
    now = timezone.now()
    other = delivery.claim([row.pk], now)  # another runner got there first

    assert delivery.deliver_one(row.pk, now) == "skipped"
    assert receiver.requests == []
    assert Delivery.objects.filter(claim=other, status="sending").count() == 1


def test_a_runner_that_died_mid_send_leaves_nothing_behind(
    cast: dict[str, Any], hook: Channel, receiver: Receiver
) -> None:
    alert(cast["owner"])
    row = Delivery.objects.get()
    then = timezone.now()
    delivery.claim([row.pk], then)  # ... and the runner died

    assert delivery.deliver_due(then + timedelta(minutes=1)).sent == 0
    assert delivery.deliver_due(then + delivery.CLAIM_LEASE + timedelta(seconds=1)).sent == 1
    assert len(receiver.ok()) == 1


def test_the_failing_channel_is_shown_on_the_settings_page(
    cast: dict[str, Any], hook: Channel, receiver: Receiver, client_as: Any
) -> None:
    receiver.answer(500)
    alert(cast["owner"])
    delivery.deliver_due()

    page = client_as("owner").get("/notifications/settings/").content.decode()

    assert "Failing" in page
    assert "1 failure in a row" in page
    assert "the receiver answered HTTP 500" in page
    assert "1 waiting to be sent" in page
    listing = client_as("owner").get("/notifications/").content.decode()
    assert "is failing since" in listing and "Webhook: test hook" in listing


def test_send_a_test_from_the_settings_page(
    cast: dict[str, Any], hook: Channel, receiver: Receiver, client_as: Any
) -> None:
    response = client_as("owner").post(
        f"/notifications/settings/channels/{hook.pk}/test/", follow=True
    )
    assert "Sent a test message to" in response.content.decode()
    (request,) = receiver.requests
    assert request.json()["type"] == "lanward.test"

    receiver.answer(500)
    response = client_as("owner").post(
        f"/notifications/settings/channels/{hook.pk}/test/", follow=True
    )
    assert "failed: the receiver answered HTTP 500" in response.content.decode()


def test_payload_is_json_with_the_device(
    cast: dict[str, Any], hook: Channel, receiver: Receiver
) -> None:
    from tests.cast import make_device

    device = make_device("aa:bb:cc:00:00:01", name="Garden camera")
    publish("new_device", "medium", "New device", user=cast["owner"], device=device)
    delivery.deliver_due()
    (request,) = receiver.requests
    assert request.json()["device"] == {
        "id": device.pk,
        "name": "Garden camera",
        "mac": "aa:bb:cc:00:00:01",
    }
