"""Licensing work that spans models: activation, renewals, reminders, upgrades, email recovery."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from lanward.accounts.factors import mask_email
from lanward.accounts.models import User
from lanward.lib import codes, ratelimit
from lanward.lib.payments import PaymentProvider, provider_from_settings

from .models import ActivationCode, Invoice, License, Plan, Reminder, Subscription

log = logging.getLogger("lanward.licensing")

REMINDER_DAYS = (30, 7, 1)


class LicensingError(Exception):
    """Refused; the message is for the customer and says what to do."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


# --- activation -------------------------------------------------------------------------


def activate(user: User, raw_code: str, ip: str = "", now: datetime | None = None) -> License:
    now = now or timezone.now()
    limit, window = settings.LANWARD_ACTIVATION_RATE
    if not ratelimit.hit(f"activate:user:{user.pk}", limit, window) or not ratelimit.hit(
        f"activate:ip:{ip}", limit * 3, window
    ):
        raise LicensingError(
            "Too many activation attempts. Wait ten minutes and try again.", "rate_limited"
        )
    try:
        code = codes.normalize(raw_code)
    except codes.CodeFormatError as exc:
        raise LicensingError(str(exc), "typo" if "typo" in str(exc) else "format") from exc
    with transaction.atomic():
        # Compare-and-set: of any number of concurrent attempts, exactly one claims the code.
        claimed = (
            ActivationCode.objects.filter(code=code, used_at__isnull=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .update(used_at=now, used_by=user)
        )
        if not claimed:
            existing = ActivationCode.objects.filter(code=code).first()
            if existing is None:
                raise LicensingError(
                    "We don't know this code. Check it against your receipt or card.", "unknown"
                )
            if existing.used_at is not None:
                raise LicensingError(
                    "This code has already been used. Each code activates one license.", "used"
                )
            raise LicensingError(
                "This code expired before it was used. Contact support for a new one.", "expired"
            )
        activation = ActivationCode.objects.select_related("plan").get(code=code)
        plan = activation.plan
        license = License.objects.create(
            owner=user,
            plan=plan,
            code=activation,
            starts_at=now,
            ends_at=now + timedelta(days=plan.duration_days),
        )
        Subscription.objects.create(
            license=license,
            auto_renew=plan.renewable and not plan.is_trial,
            status=Subscription.Status.ACTIVE
            if plan.renewable and not plan.is_trial
            else Subscription.Status.CANCELED,
            amount=plan.renewal_price,
            currency=plan.currency,
        )
    return license


# --- subscription controls --------------------------------------------------------------


def set_auto_renew(license: License, enabled: bool) -> Subscription:
    sub = license.subscription
    if enabled and not license.plan.renewable:
        raise LicensingError(
            "This plan can't renew automatically. Choose a plan to upgrade to.", "not_renewable"
        )
    if enabled and license.display_status() == "expired":
        raise LicensingError(
            "This license has expired. Use “Renew now” to bring it back.", "expired"
        )
    sub.auto_renew = enabled
    if enabled and sub.status in (Subscription.Status.CANCELED, Subscription.Status.EXPIRED):
        sub.status = Subscription.Status.ACTIVE
    elif not enabled and sub.status == Subscription.Status.ACTIVE:
        sub.status = Subscription.Status.CANCELED  # the license stays active until its end date
    sub.save(update_fields=["auto_renew", "status"])
    return sub


def _extend(license: License, now: datetime, days: int) -> None:
    base = license.ends_at if license.ends_at > now else now
    license.ends_at = base + timedelta(days=days)
    if license.status == License.Status.EXPIRED:
        license.status = License.Status.ACTIVE
    license.save(update_fields=["ends_at", "status"])


def _charge(invoice: Invoice, provider: PaymentProvider) -> str:
    try:
        result = provider.charge(invoice)
    except Exception as exc:  # noqa: BLE001 - a provider outage is a failed attempt, not a crash
        log.warning("payment provider %s failed on invoice %s: %s", provider.name, invoice.pk, exc)
        result_status, reference, message = "failed", "", f"payment provider error: {exc}"
    else:
        result_status, reference, message = result.status, result.reference, result.message
    invoice.provider = provider.name
    invoice.provider_reference = reference
    invoice.message = message[:255]
    invoice.status = {"paid": Invoice.Status.PAID, "failed": Invoice.Status.FAILED}.get(
        result_status, Invoice.Status.OPEN
    )
    if invoice.status == Invoice.Status.PAID:
        invoice.paid_at = timezone.now()
    invoice.save()
    return result_status


def renew_now(
    license: License, provider: PaymentProvider | None = None, now: datetime | None = None
) -> Invoice:
    """Manual renewal: bills one period and extends from the end date (or today if expired)."""
    now = now or timezone.now()
    if not license.plan.renewable:
        raise LicensingError(
            "This plan can't be renewed. Choose a plan to upgrade to.", "not_renewable"
        )
    if license.status == License.Status.SUSPENDED:
        raise LicensingError("This license is suspended. Contact support.", "suspended")
    provider = provider or provider_from_settings()
    with transaction.atomic():
        license = License.objects.select_for_update().get(pk=license.pk)
        start = license.ends_at if license.ends_at > now else now
        invoice = Invoice.objects.create(
            license=license,
            period_start=start,
            period_end=start + timedelta(days=license.plan.duration_days),
            amount=license.plan.renewal_price,
            currency=license.plan.currency,
            reason="manual",
        )
        status = _charge(invoice, provider)
        if status == "failed":
            raise LicensingError(
                f"The payment did not go through ({invoice.message}). Try another way to pay.",
                "payment_failed",
            )
        _extend(license, now, license.plan.duration_days)
        sub = license.subscription
        sub.status = Subscription.Status.ACTIVE if sub.auto_renew else Subscription.Status.CANCELED
        sub.failed_attempts, sub.next_attempt_at, sub.grace_until = 0, None, None
        sub.save()
    _mail(license, "renewed", license.ends_at, {"invoice": invoice, "pending": status == "pending"})
    return invoice


def upgrade(
    license: License,
    plan: Plan,
    provider: PaymentProvider | None = None,
    now: datetime | None = None,
) -> Invoice:
    now = now or timezone.now()
    old = license.plan
    if plan.pk == old.pk or (plan.seats <= old.seats and plan.duration_days <= old.duration_days):
        raise LicensingError(
            "Upgrade to a plan with more stations or a longer term.", "not_an_upgrade"
        )
    if not license.is_usable(now):
        raise LicensingError("Renew this license first, then upgrade it.", "expired")
    remaining = max(
        Decimal(0), Decimal((license.ends_at - now).days) / Decimal(max(old.duration_days, 1))
    )
    price = max(Decimal(0), (plan.renewal_price - old.renewal_price) * remaining).quantize(
        Decimal("0.01")
    )
    provider = provider or provider_from_settings()
    with transaction.atomic():
        invoice = Invoice.objects.create(
            license=license,
            period_start=now,
            period_end=license.ends_at,
            amount=price,
            currency=plan.currency,
            reason="upgrade",
        )
        if _charge(invoice, provider) == "failed":
            raise LicensingError(
                f"The payment did not go through ({invoice.message}).", "payment_failed"
            )
        license.plan = plan
        if plan.duration_days > old.duration_days:
            license.ends_at += timedelta(days=plan.duration_days - old.duration_days)
        license.save(update_fields=["plan", "ends_at"])
        Subscription.objects.filter(license=license).update(
            amount=plan.renewal_price, currency=plan.currency
        )
    return invoice


def invoice_paid(invoice: Invoice) -> None:
    """Staff (or a processor webhook) record that an open invoice was paid."""
    Invoice.objects.filter(
        pk=invoice.pk, status__in=[Invoice.Status.OPEN, Invoice.Status.FAILED]
    ).update(status=Invoice.Status.PAID, paid_at=timezone.now())
    Subscription.objects.filter(
        license_id=invoice.license_id, status=Subscription.Status.PENDING
    ).update(status=Subscription.Status.ACTIVE)


# --- the renewal job --------------------------------------------------------------------


@dataclass
class RenewalReport:
    renewed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    reminders: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"renewed {len(self.renewed)}, failed {len(self.failed)}, expired {len(self.expired)}, "
            f"reminders {len(self.reminders)}"
        )


def run_renewals(
    now: datetime | None = None, provider: PaymentProvider | None = None
) -> RenewalReport:
    """Idempotent and safe to run twice at once: every step is claimed with a unique row or a
    compare-and-set update, so a second concurrent run finds nothing left to do."""
    now = now or timezone.now()
    provider = provider or provider_from_settings()
    report = RenewalReport()
    _send_reminders(now, report)
    due = Subscription.objects.filter(
        auto_renew=True,
        status__in=[
            Subscription.Status.ACTIVE,
            Subscription.Status.PAST_DUE,
            Subscription.Status.PENDING,
        ],
        license__ends_at__lte=now,
        license__status=License.Status.ACTIVE,
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    for sub in due.select_related("license", "license__plan"):
        _renew_one(sub, now, provider, report)
    _expire(now, report)
    return report


def _renew_one(
    sub: Subscription, now: datetime, provider: PaymentProvider, report: RenewalReport
) -> None:
    license = sub.license
    period_start = license.ends_at
    # Claim this attempt: only the run whose update matches the old state goes on.
    lease = now + timedelta(minutes=10)
    claimed = Subscription.objects.filter(
        pk=sub.pk, failed_attempts=sub.failed_attempts, next_attempt_at=sub.next_attempt_at
    ).update(next_attempt_at=lease)
    if not claimed:
        return
    try:
        with transaction.atomic():
            invoice, created = Invoice.objects.get_or_create(
                license=license,
                period_start=period_start,
                reason="renewal",
                defaults={
                    "period_end": period_start + timedelta(days=license.plan.duration_days),
                    "amount": sub.amount,
                    "currency": sub.currency,
                },
            )
    except IntegrityError:
        return  # another run created it first
    if not created and invoice.status in (Invoice.Status.PAID, Invoice.Status.OPEN):
        return
    status = _charge(invoice, provider)
    if status in ("paid", "pending"):
        with transaction.atomic():
            lic = License.objects.select_for_update().get(pk=license.pk)
            if lic.ends_at == period_start:  # not extended by anyone else meanwhile
                lic.ends_at = period_start + timedelta(days=lic.plan.duration_days)
                lic.save(update_fields=["ends_at"])
            Subscription.objects.filter(pk=sub.pk).update(
                status=Subscription.Status.ACTIVE
                if status == "paid"
                else Subscription.Status.PENDING,
                failed_attempts=0,
                next_attempt_at=None,
                grace_until=None,
            )
        report.renewed.append(license.pk)
        # `lic`, not `license`: the mail tells the new end date.
        _mail(lic, "renewed", period_start, {"invoice": invoice, "pending": status == "pending"})
        return
    attempts = sub.failed_attempts + 1
    retry_days = settings.LANWARD_RENEWAL_RETRY_DAYS
    grace_until = period_start + timedelta(days=settings.LANWARD_RENEWAL_GRACE_DAYS)
    next_attempt = (
        now + timedelta(days=retry_days[attempts - 1])
        if attempts <= len(retry_days)
        else grace_until
    )
    Subscription.objects.filter(pk=sub.pk).update(
        status=Subscription.Status.PAST_DUE,
        failed_attempts=attempts,
        next_attempt_at=min(next_attempt, grace_until),
        grace_until=grace_until,
    )
    report.failed.append(license.pk)
    if now >= grace_until:
        return  # the last attempt: the license expires in this run, and that mail says so
    _mail(
        license,
        f"failed-{attempts}",
        period_start,
        {"invoice": invoice, "grace_until": grace_until},
        template="failed",
    )


def _expire(now: datetime, report: RenewalReport) -> None:
    """End licenses past their end date unless a renewal is still possible (auto-renew on and
    not yet past the grace period after a failed payment)."""
    candidates = License.objects.filter(
        status=License.Status.ACTIVE, ends_at__lte=now
    ).select_related("subscription")
    for license in candidates:
        sub = getattr(license, "subscription", None)
        renewing = (
            sub is not None
            and sub.auto_renew
            and license.plan.renewable
            and sub.status
            in (
                Subscription.Status.ACTIVE,
                Subscription.Status.PENDING,
                Subscription.Status.PAST_DUE,
            )
            and (sub.grace_until is None or sub.grace_until > now)
        )
        if renewing:
            continue
        if License.objects.filter(
            pk=license.pk, status=License.Status.ACTIVE, ends_at__lte=now
        ).update(status=License.Status.EXPIRED):
            Subscription.objects.filter(license=license).update(
                status=Subscription.Status.EXPIRED, next_attempt_at=None
            )
            report.expired.append(license.pk)
            _mail(license, "expired", license.ends_at, {})


def _send_reminders(now: datetime, report: RenewalReport) -> None:
    horizon = now + timedelta(days=max(REMINDER_DAYS))
    for license in License.objects.filter(
        status=License.Status.ACTIVE, ends_at__gt=now, ends_at__lte=horizon
    ).select_related("subscription", "plan", "owner"):
        remaining = license.ends_at - now
        days = min(d for d in REMINDER_DAYS if remaining <= timedelta(days=d))
        if _mail(license, f"expiry-{days}", license.ends_at, {"days": days}, template="reminder"):
            report.reminders.append((license.pk, f"expiry-{days}"))


def _mail(
    license: License,
    kind: str,
    period_end: datetime,
    extra: dict[str, Any],
    template: str | None = None,
) -> bool:
    """Send a licensing mail once per (license, kind, period). Returns False when already sent."""
    try:
        with transaction.atomic():
            Reminder.objects.create(license=license, kind=kind, period_end=period_end)
    except IntegrityError:
        return False
    from allauth.account.adapter import get_adapter

    from lanward.accounts.notify import mail_context

    sub = getattr(license, "subscription", None)
    context = {
        "license": license,
        "plan": license.plan,
        "subscription": sub,
        "auto_renew": bool(sub and sub.auto_renew),
        "user": license.owner,
        **extra,
    }
    with mail_context(None) as req:
        get_adapter(req).send_mail(
            f"licensing/email/{template or kind}", license.owner.email, context
        )
    return True


# --- forgot email -----------------------------------------------------------------------


def recover_email(raw_code: str, request: HttpRequest | None) -> dict[str, str]:
    """Same shape for every answer; a masked address only for a used code."""
    generic = "If this code was used to activate a license, we sent a reminder to the account's email address."
    ip = ratelimit.client_ip(request)
    limit, window = settings.LANWARD_RECOVER_EMAIL_RATE
    if not ratelimit.hit(f"recover-email:{ip}", limit, window):
        raise LicensingError("Too many attempts. Wait ten minutes and try again.", "rate_limited")
    try:
        code = codes.normalize(raw_code)
    except codes.CodeFormatError as exc:
        raise LicensingError(str(exc), "typo" if "typo" in str(exc) else "format") from exc
    used = (
        ActivationCode.objects.filter(code=code, used_by__isnull=False)
        .select_related("used_by")
        .first()
    )
    if used is None or used.used_by is None or not used.used_by.is_active:
        return {"message": generic, "email": ""}
    user = used.used_by
    from allauth.account.adapter import get_adapter

    from lanward.accounts.notify import mail_context

    with mail_context(request) as req:
        get_adapter(req).send_mail("licensing/email/recover_email", user.email, {"user": user})
    return {"message": generic, "email": mask_email(user.email)}


def ensure_default_plan() -> Plan:
    plan, _ = Plan.objects.get_or_create(
        slug="home-1y",
        defaults={
            "name": "lanward Home, 1 year",
            "duration_days": 365,
            "seats": 3,
            "renewal_price": Decimal("39.00"),
        },
    )
    return plan
