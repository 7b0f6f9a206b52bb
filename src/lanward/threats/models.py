"""Alerts the detectors raised, as the console shows them."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from lanward.inventory.models import Device


class Alert(models.Model):
    class Severity(models.TextChoices):
        INFO = "info", "Info"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    kind = models.CharField(max_length=40, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, db_index=True)
    time = models.DateTimeField(db_index=True)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    src = models.CharField(max_length=64, blank=True)
    dst = models.CharField(max_length=64, blank=True)
    app = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500)
    evidence = models.JSONField(default=dict, blank=True)
    acknowledged = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.summary}"
