"""The household's privacy choices: what the station collects, what may leave it, how long
data is kept. One row, created from the station's defaults (the LANWARD_* settings) the first
time anything reads it; the features read it (see lanward.privacy.registry for who reads what).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lanward.dnsfilter.models import MemberPolicy

TEN_YEARS = 3650


def _days(label: str, help_text: str, minimum: int = 1) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        label,
        default=30,
        help_text=help_text,
        validators=[MinValueValidator(minimum), MaxValueValidator(TEN_YEARS)],
    )


class PrivacySettings(models.Model):
    # --- What the station collects -------------------------------------------------------
    usage_metering = models.BooleanField(
        "Meter usage per device and app",
        default=True,
        help_text="Hourly and daily bytes and active time per device and app.",
    )
    flow_records = models.BooleanField(
        "Keep raw connection records",
        default=False,
        help_text="Every connection: addresses, ports, app and server name.",
    )
    device_evidence = models.BooleanField(
        "Keep device recognition evidence",
        default=True,
        help_text="DHCP fingerprints, browser user agents and the clues behind each device's type.",
    )
    smart_alerts = models.BooleanField(
        "Learn each device's normal behaviour (smart alerts)",
        default=True,
        help_text="The domains, apps, hours, volumes and peers each device usually has.",
    )
    automatic_scans = models.BooleanField(
        "Check devices automatically (security check)",
        default=True,
        help_text="A check of every device on the schedule and of each new device; a check "
        "you start yourself always runs.",
    )
    dns_log_level = models.CharField(
        "DNS query log for the whole household",
        max_length=8,
        choices=MemberPolicy.Privacy.choices,
        default=MemberPolicy.Privacy.FULL,
        help_text="The most the query log keeps for anyone; a member's own setting can keep less.",
    )
    # --- What may leave the station ------------------------------------------------------
    blocklist_downloads = models.BooleanField(
        "Download block lists and threat feeds from their URLs",
        default=True,
        help_text="Lists and feeds given as a URL are fetched from that server every few hours.",
    )
    notify_email = models.BooleanField(
        "Send notifications by email",
        default=True,
        help_text="Alerts and digests through the mail server the station is set up with.",
    )
    notify_webhooks = models.BooleanField(
        "Send notifications to webhooks",
        default=True,
        help_text="Alerts posted as JSON to the web addresses you added.",
    )
    # --- How long data is kept -----------------------------------------------------------
    activity_days = _days("Account activity log (days)", "Sign-ins, changes to accounts.")
    dns_log_days = _days("DNS query log (days)", "Each lookup a device made.")
    usage_hourly_days = _days(
        "Hourly usage (days)", "Older hours are added up into days, then deleted."
    )
    usage_daily_days = _days("Daily usage (days)", "Per device and app, one row a day.")
    flow_hours = models.PositiveIntegerField(
        "Raw connection records (hours)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
        help_text="Only while keeping them is switched on.",
    )
    alert_days = _days("Alerts (days)", "Alerts and the evidence stored with them.")
    device_event_days = _days(
        "Device history (days)", "New device, online, offline, new address events."
    )
    notice_days = _days("Station notices (days)", "Messages the station left for you.")
    notification_days = _days(
        "Notifications (days)", "Notifications and their delivery records, once delivered."
    )
    finding_days = _days(
        "Fixed security check findings (days)", "Findings that were fixed, and finished scans."
    )
    outbox_days = _days(
        "Mail and SMS files (days)",
        "Copies of mails and text messages the station wrote to its data folder "
        "because no mail server or SMS gateway is set up.",
    )
    forget_devices_days = models.PositiveIntegerField(
        "Forget devices not seen for (days)",
        default=0,
        validators=[MaxValueValidator(TEN_YEARS)],
        help_text="0 keeps them. A forgotten device loses its name, owner and history.",
    )
    # When the household's data was last deleted: a running station forgets what it holds too.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "privacy settings"
        verbose_name_plural = "privacy settings"

    def __str__(self) -> str:
        return "privacy settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # one row
        super().save(*args, **kwargs)

    @staticmethod
    def station_defaults() -> dict[str, Any]:
        """A new station's choices, from the LANWARD_* settings it was started with."""
        flow_hours = settings.LANWARD_FLOW_RETENTION_HOURS
        return {
            "flow_records": flow_hours > 0,
            "flow_hours": flow_hours or 24,
            "activity_days": settings.LANWARD_ACTIVITY_RETENTION_DAYS,
            "dns_log_days": settings.LANWARD_DNS_LOG_DAYS,
            "usage_hourly_days": settings.LANWARD_USAGE_HOURLY_DAYS,
            "usage_daily_days": settings.LANWARD_USAGE_DAILY_DAYS,
            "alert_days": settings.LANWARD_ALERT_RETENTION_DAYS,
            "device_event_days": settings.LANWARD_DEVICE_EVENT_RETENTION_DAYS,
            "notice_days": settings.LANWARD_NOTICE_RETENTION_DAYS,
            "notification_days": settings.LANWARD_NOTIFICATION_RETENTION_DAYS,
            "finding_days": settings.LANWARD_FINDING_RETENTION_DAYS,
            "outbox_days": settings.LANWARD_OUTBOX_RETENTION_DAYS,
        }

    @classmethod
    def load(cls) -> PrivacySettings:
        """The household's settings (created from the station's defaults on first use)."""
        row = cls.objects.filter(pk=1).first()
        if row is None:
            row, _ = cls.objects.get_or_create(pk=1, defaults=cls.station_defaults())
        return row
