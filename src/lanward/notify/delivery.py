"""Sending due deliveries: claim (compare-and-set), send, record the outcome on the row and on the
channel, and on failure schedule a retry with exponential back-off and jitter.

Several job runners may run at once: a row is only sent by the runner whose UPDATE moved it from
"pending" to "sending"; a runner that dies mid-send leaves it "sending", and after CLAIM_LEASE it is
pending again. Nothing is deleted on failure: after the last attempt the row says "failed" and the
settings page offers to try again.
"""

from __future__ import annotations

import logging
import random
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from lanward.lib import webhook

from . import emails, schedule
from .models import Channel, Delivery
from .services import absolute_url, outward_allowed, preferences_for, switched_off_types

log = logging.getLogger("lanward.notify")

CLAIM_LEASE = timedelta(minutes=10)


class SendError(Exception):
    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class RunSummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    digests: int = 0

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, will retry {self.retried}, gave up {self.failed}, "
            f"digests {self.digests}"
        )


def retry_delay(attempt: int) -> timedelta:
    seconds = schedule.backoff_seconds(
        attempt,
        settings.LANWARD_NOTIFY_RETRY_BASE_SECONDS,
        settings.LANWARD_NOTIFY_RETRY_CAP_SECONDS,
        random.random(),
    )
    return timedelta(seconds=seconds)


def release_stale(now: datetime) -> int:
    """Claims older than the lease belong to a runner that died: make them pending again."""
    return Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE
    ).update(status=Delivery.Status.PENDING, claim="")


def claim(ids: list[int], now: datetime) -> str:
    """Move the still-pending rows among `ids` to "sending" under a fresh claim token."""
    token = uuid.uuid4().hex
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING,
        claim=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    return token


def deliver_due(now: datetime | None = None, limit: int = 200) -> RunSummary:
    """Send every single (non-digest) delivery that is due."""
    now = now or timezone.now()
    summary = RunSummary()
    release_stale(now)
    due = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            digest=False,
            next_attempt__lte=now,
            channel__enabled=True,
        )
        .exclude(channel__type__in=switched_off_types())
        .values_list("pk", "channel_id")[:limit]
    )
    down: set[int] = set()  # channels that failed in this run: their other rows wait
    for pk, channel_id in due:
        if channel_id in down:
            continue
        outcome = deliver_one(pk, now)
        if outcome == "sent":
            summary.sent += 1
        elif outcome in ("retry", "failed"):
            down.add(channel_id)
            if outcome == "retry":
                summary.retried += 1
            else:
                summary.failed += 1
    return summary


def deliver_one(pk: int, now: datetime | None = None) -> str:
    """Claim and send one delivery: "sent", "retry", "failed" (gave up) or "skipped"."""
    now = now or timezone.now()
    token = claim([pk], now)
    delivery = (
        Delivery.objects.select_related("notification", "channel", "channel__owner")
        .filter(pk=pk, claim=token)
        .first()
    )
    if delivery is None:
        return "skipped"  # not pending any more: another runner has it, or it was sent
    if not outward_allowed(delivery.channel.type):
        _release(delivery, now, "switched off in Privacy settings; waits until switched on")
        return "skipped"
    if _held_by_quiet_hours(delivery, now):
        return "skipped"
    try:
        _send(delivery)
    except SendError as exc:
        gave_up = _record_failure([delivery], str(exc), exc.permanent, now)
        return "failed" if gave_up else "retry"
    _record_success([delivery], now)
    return "sent"


def send_digests(now: datetime | None = None) -> RunSummary:
    """One email per channel with every digest delivery that is due."""
    now = now or timezone.now()
    summary = RunSummary()
    release_stale(now)
    channel_ids = set(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            digest=True,
            next_attempt__lte=now,
            channel__enabled=True,
        )
        .exclude(channel__type__in=switched_off_types())
        .values_list("channel_id", flat=True)
    )
    for channel_id in sorted(channel_ids):
        ids = list(
            Delivery.objects.filter(
                channel_id=channel_id,
                status=Delivery.Status.PENDING,
                digest=True,
                next_attempt__lte=now,
            ).values_list("pk", flat=True)
        )
        token = claim(ids, now)
        batch = list(
            Delivery.objects.select_related("notification", "channel", "channel__owner")
            .filter(claim=token)
            .order_by("notification__created", "pk")
        )
        if not batch:
            continue
        channel = batch[0].channel
        try:
            emails.send_digest(channel, [d.notification for d in batch])
        except (smtplib.SMTPException, OSError) as exc:
            failed = _record_failure(batch, _smtp_reason(exc), _smtp_permanent(exc), now)
            summary.failed += len(batch) if failed else 0
            summary.retried += 0 if failed else len(batch)
            continue
        _record_success(batch, now)
        summary.digests += 1
        summary.sent += len(batch)
    return summary


def _release(delivery: Delivery, until: datetime, note: str = "") -> None:
    """Give a claimed row back, untried."""
    Delivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
        status=Delivery.Status.PENDING,
        claim="",
        next_attempt=until,
        attempts=F("attempts") - 1,
        last_error=note[:500] or F("last_error"),
    )


def _held_by_quiet_hours(delivery: Delivery, now: datetime) -> bool:
    """Quiet hours set after the row was queued still apply: put it back until they end."""
    if delivery.notification.severity == "critical" or delivery.notification.kind == "test":
        return False
    prefs = preferences_for(delivery.channel.owner)
    until = schedule.quiet_end(
        now, prefs.quiet_start, prefs.quiet_end, timezone.get_current_timezone()
    )
    if until <= now:
        return False
    _release(delivery, until)
    return True


def _send(delivery: Delivery) -> None:
    channel = delivery.channel
    notification = delivery.notification
    if channel.type == Channel.Type.EMAIL:
        try:
            emails.send_one(channel, notification)
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(_smtp_reason(exc), _smtp_permanent(exc)) from exc
    elif channel.type == Channel.Type.WEBHOOK:
        try:
            webhook.post(
                channel.url,
                webhook_payload(delivery),
                channel.secret,
                msg_id=f"lanward-{delivery.pk}",
                allowed=allowed_networks(),
                timeout=settings.LANWARD_WEBHOOK_TIMEOUT_SECONDS,
            )
        except webhook.WebhookError as exc:
            raise SendError(str(exc), exc.permanent) from exc
    else:
        raise SendError(f"a {channel.type} channel has nothing to send", permanent=True)


def webhook_payload(delivery: Delivery) -> dict[str, object]:
    n = delivery.notification
    device = None
    if n.device is not None:
        device = {"id": n.device.pk, "name": n.device.display_name, "mac": n.device.mac}
    return {
        "type": f"lanward.{n.kind}",
        "id": f"lanward-{delivery.pk}",
        "notification": n.pk,
        "severity": n.severity,
        "title": n.title,
        "body": n.body,
        "url": absolute_url(n.url),
        "created": n.created.isoformat(),
        "device": device,
        "data": n.data,
    }


def allowed_networks() -> list[webhook.Network]:
    return webhook.parse_networks(settings.LANWARD_WEBHOOK_ALLOWED_NETS)


def _record_success(batch: list[Delivery], now: datetime) -> None:
    Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
        status=Delivery.Status.SENT, sent_at=now, last_error="", claim=""
    )
    Channel.objects.filter(pk=batch[0].channel_id).update(
        last_success=now, failing_since=None, consecutive_failures=0, last_error=""
    )


def _record_failure(batch: list[Delivery], error: str, permanent: bool, now: datetime) -> bool:
    """Schedule the retry (or give up). Returns True when the rows gave up."""
    attempts = max(d.attempts for d in batch)  # read after the claim, which counted this one
    give_up = permanent or attempts >= settings.LANWARD_NOTIFY_MAX_ATTEMPTS
    error = error[:500]
    rows = Delivery.objects.filter(pk__in=[d.pk for d in batch])
    if give_up:
        rows.update(status=Delivery.Status.FAILED, last_error=error, claim="")
    else:
        retry_at = now + retry_delay(attempts)
        rows.update(
            status=Delivery.Status.PENDING, last_error=error, claim="", next_attempt=retry_at
        )
        if not permanent:
            # The channel is down: its other waiting messages wait for this one's retry (one
            # probe per back-off step, not one failed request per message), then all go out.
            Delivery.objects.filter(
                channel_id=batch[0].channel_id,
                digest=batch[0].digest,
                status=Delivery.Status.PENDING,
                next_attempt__lt=retry_at,
            ).update(next_attempt=retry_at)
    Channel.objects.filter(pk=batch[0].channel_id).update(
        last_error=error,
        failing_since=Coalesce(F("failing_since"), now),
        consecutive_failures=F("consecutive_failures") + 1,
    )
    log.warning(
        "notify: %s failed (%s)%s", batch[0].channel, error, " - gave up" if give_up else ""
    )
    return give_up


def retry_failed(channel: Channel, now: datetime | None = None) -> int:
    """The settings page's "Try again": failed rows of the channel are due again."""
    now = now or timezone.now()
    return Delivery.objects.filter(channel=channel, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt=now
    )


def _smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(exc.recipients)
        return f"the mail server refused the address {refused}"
    if isinstance(exc, smtplib.SMTPResponseException):
        message = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"the mail server answered {exc.smtp_code}: {message}"
    if isinstance(exc, ConnectionRefusedError):
        return "could not reach the mail server (connection refused); check LANWARD_EMAIL_URL"
    return f"could not send the mail: {exc}"


def _smtp_permanent(exc: BaseException) -> bool:
    # A refused address won't change by itself; everything else (server down, busy, wrong
    # password until someone fixes it) is worth another try.
    return isinstance(exc, smtplib.SMTPRecipientsRefused)
