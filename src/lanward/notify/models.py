"""Notifications and where they go: the in-app list, email and webhook channels, deliveries.

A Notification is one message for one person. Each email or webhook it should reach is a
Delivery row (attempts, next_attempt, status), claimed by the job runner with a compare-and-set
update, so a failing channel loses nothing: the row waits and is tried again with back-off.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lanward.inventory.models import Device

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_CHOICES = [(s, s.capitalize()) for s in SEVERITIES]

KINDS = {
    "alert": "Security alerts",
    "new_device": "New devices",
    "station": "Station notices",
    "security_check": "Security check findings",
    "test": "Test messages",
}
# The kinds a person chooses for (test messages always go to the one channel they test).
CHOSEN_KINDS = ("alert", "new_device", "station", "security_check")

OFF = "off"
RULE_CHOICES = [
    (OFF, "Never"),
    ("info", "Everything"),
    ("low", "Low and above"),
    ("medium", "Medium and above"),
    ("high", "High and critical"),
    ("critical", "Critical only"),
]


# What a channel sends until its owner chooses: the console shows most things, email only what
# needs attention (and new devices, for their approve / block links).
DEFAULT_RULES: dict[str, dict[str, str]] = {
    "inapp": {"alert": "low", "new_device": "info", "station": "info", "security_check": "medium"},
    "email": {"alert": "high", "new_device": "info", "station": "high", "security_check": "high"},
    "webhook": {
        "alert": "medium",
        "new_device": "info",
        "station": "medium",
        "security_check": "high",
    },
}


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=24, db_index=True)
    severity = models.CharField(max_length=8, choices=SEVERITY_CHOICES, default="info")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="a page of the console")
    data = models.JSONField(default=dict, blank=True)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    source_key = models.CharField(max_length=64, blank=True, db_index=True)
    in_app = models.BooleanField(default=True, help_text="shown in the console's bell and list")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["recipient", "in_app", "read_at"], name="notify_unread")
        ]

    def __str__(self) -> str:
        return f"{self.severity}: {self.title}"

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def has_device_actions(self) -> bool:
        return self.kind == "new_device" and self.device_id is not None


class Channel(models.Model):
    class Type(models.TextChoices):
        INAPP = "inapp", "In the console"
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_channels"
    )
    type = models.CharField(max_length=8, choices=Type.choices)
    name = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    address = models.EmailField(blank=True, help_text="email: where to (blank: your sign-in email)")
    url = models.URLField(max_length=500, blank=True)
    secret = models.CharField(max_length=100, blank=True)
    # kind -> the lowest severity sent, or "off"
    rules = models.JSONField(default=dict, blank=True)

    # Health, shown on the settings page (STYLE rule 5: errors that carry policy are data).
    last_error = models.CharField(max_length=500, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["owner", "type", "created"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["owner", "type"],
                condition=Q(type__in=["inapp", "email"]),
                name="one_inapp_and_email_channel",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.type == self.Type.WEBHOOK:
            return f"Webhook: {self.name or self.url}"
        if self.type == self.Type.EMAIL:
            return f"Email to {self.email_to}"
        return "In the console"

    @property
    def email_to(self) -> str:
        return self.address or getattr(self.owner, "email", "")

    def rule(self, kind: str) -> str:
        return str(self.rules.get(kind) or DEFAULT_RULES[self.type].get(kind, "info"))

    def wants(self, kind: str, severity: str) -> bool:
        if kind == "test":
            return False  # only sent on purpose, to one channel
        rule = self.rule(kind)
        return rule != OFF and severity_rank(severity) >= severity_rank(rule)

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


class Preferences(models.Model):
    """Per person: quiet hours (no email or webhook except critical) and the email digest."""

    class Digest(models.TextChoices):
        OFF = "off", "One email for each notification"
        DAILY = "daily", "A daily digest"
        WEEKLY = "weekly", "A weekly digest"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences"
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    digest = models.CharField(max_length=8, choices=Digest.choices, default=Digest.OFF)
    digest_hour = models.PositiveSmallIntegerField(default=8)
    digest_weekday = models.PositiveSmallIntegerField(default=0, help_text="0 is Monday")

    def __str__(self) -> str:
        return f"notification preferences of {self.user}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    digest = models.BooleanField(default=False, help_text="goes out in the next digest email")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["next_attempt", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "next_attempt"], name="notify_due")
        ]

    def __str__(self) -> str:
        return f"{self.notification} -> {self.channel} ({self.status})"


class SourceCursor(models.Model):
    """How far the notification job has read one source (alerts, device events, ...)."""

    source = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.source} after {self.last_id}"
