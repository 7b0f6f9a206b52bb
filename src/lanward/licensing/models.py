"""Plans, activation codes, licenses, subscriptions, invoices and reminders."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from lanward.lib import codes

EXPIRING_DAYS = 30


class Plan(models.Model):
    slug = models.SlugField(unique=True)
    product = models.CharField(max_length=100, default="lanward Home")
    name = models.CharField(max_length=100)
    duration_days = models.PositiveIntegerField(help_text="365 for a year, 30 for a trial")
    seats = models.PositiveIntegerField(help_text="how many stations may be paired")
    renewal_price = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    is_trial = models.BooleanField(default=False)
    renewable = models.BooleanField(default=True)
    active = models.BooleanField(default=True, help_text="offered for upgrades")

    class Meta:
        ordering: ClassVar[list[str]] = ["seats", "duration_days"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class ActivationCode(models.Model):
    code = models.CharField(max_length=20, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="codes")
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="the code can't be used after this"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return codes.pretty(self.code)

    @classmethod
    def issue(
        cls, plan: Plan, count: int, expires_at: datetime | None = None, batch: str = ""
    ) -> list[ActivationCode]:
        out = []
        while len(out) < count:
            code = codes.generate()
            if not cls.objects.filter(code=code).exists():
                out.append(
                    cls.objects.create(code=code, plan=plan, expires_at=expires_at, batch=batch)
                )
        return out


def _license_key() -> str:
    return "LW-" + "-".join(secrets.token_hex(3).upper() for _ in range(5))


class License(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELED = "canceled", "Canceled"
        SUSPENDED = "suspended", "Suspended"
        EXPIRED = "expired", "Expired"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licenses"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="licenses")
    code = models.OneToOneField(
        ActivationCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="license"
    )
    key = models.CharField(max_length=40, unique=True, default=_license_key)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-ends_at"]

    def __str__(self) -> str:
        return f"{self.plan.name} for {self.owner} until {self.ends_at:%Y-%m-%d}"

    def display_status(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.status in (self.Status.SUSPENDED, self.Status.CANCELED):
            return self.status
        if self.status == self.Status.EXPIRED:
            return "expired"
        if self.ends_at <= now:
            sub = getattr(self, "subscription", None)
            if (
                sub is not None
                and sub.status == "past_due"
                and sub.grace_until
                and sub.grace_until > now
            ):
                return "past_due"
            return "expired"
        if self.ends_at - now <= timedelta(days=EXPIRING_DAYS):
            return "expiring"
        return "active"

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.display_status(now) in ("active", "expiring", "past_due")

    def days_left(self, now: datetime | None = None) -> int:
        """Days until the end, a started day counted: 365 right after activating a year."""
        now = now or timezone.now()
        return max(0, -(-(self.ends_at - now) // timedelta(days=1)))

    @property
    def masked_key(self) -> str:
        return self.key[:3] + "•••••-•••••-•••••-" + self.key[-6:]

    @property
    def seats_used(self) -> int:
        return self.stations.filter(removed_at__isnull=True).count()


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PENDING = "pending", "Awaiting payment"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Auto-renew off"
        EXPIRED = "expired", "Ended"

    license = models.OneToOneField(License, on_delete=models.CASCADE, related_name="subscription")
    auto_renew = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    amount = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=32, default="invoice")
    customer_reference = models.CharField(
        max_length=128, blank=True, help_text="the processor's customer id; never a card number"
    )

    def __str__(self) -> str:
        return f"subscription of {self.license}"

    @property
    def next_renewal_at(self) -> datetime | None:
        return self.license.ends_at if self.auto_renew else None


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        VOID = "void", "Void"

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="invoices")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(
        max_length=16, default="renewal", help_text="renewal, manual or upgrade"
    )
    provider = models.CharField(max_length=32, default="invoice")
    provider_reference = models.CharField(max_length=128, blank=True)
    created = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One invoice per license and period: two renewal runs can't bill twice.
            models.UniqueConstraint(
                fields=["license", "period_start", "reason"], name="one_invoice_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"invoice {self.pk} {self.amount} {self.currency} ({self.status})"


class Reminder(models.Model):
    """A mail sent about a license; unique so every reminder goes out once."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(
        max_length=32
    )  # "expiry-30", "expiry-7", "expiry-1", "renewed", "failed", "expired"
    period_end = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["license", "kind", "period_end"], name="one_reminder_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.license_id}"
