"""Network usage roll-ups: hourly and daily per device and app, and raw flows while configured."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from lanward.inventory.models import Device


class UsageRollup(models.Model):
    """Bytes each way and active time of one app on one device, over an hour or a day."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="%(class)s_rows")
    app = models.CharField(max_length=64)
    category = models.CharField(max_length=64, blank=True)
    bytes_up = models.BigIntegerField(default=0)
    bytes_down = models.BigIntegerField(default=0)
    active_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class UsageHour(UsageRollup):
    hour = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["device", "hour", "app"], name="usage_hour_unique")
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.app} {self.hour:%Y-%m-%d %H}:00"


class UsageDay(UsageRollup):
    day = models.DateField(db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["device", "day", "app"], name="usage_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.app} {self.day}"


class FlowRecord(models.Model):
    """Raw flows, kept only as long as LANWARD_FLOW_RETENTION_HOURS says (0: not kept)."""

    device = models.ForeignKey(Device, null=True, on_delete=models.CASCADE, related_name="flows")
    first_seen = models.DateTimeField(db_index=True)
    last_seen = models.DateTimeField()
    src = models.CharField(max_length=64)
    dst = models.CharField(max_length=64)
    protocol = models.PositiveSmallIntegerField()
    app = models.CharField(max_length=64, blank=True)
    sni = models.CharField(max_length=255, blank=True)
    bytes_up = models.BigIntegerField(default=0)
    bytes_down = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.src} -> {self.dst} {self.app}"
