"""Alerts the detectors raised, as the console shows them, and the owner's allowances."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from lanward.inventory.models import Device
from lanward.severity import Severity


class Alert(models.Model):
    Severity = Severity

    class Kind(models.TextChoices):
        REMOTE_ACCESS = "remote_access", "Remote access"
        INTERNAL_ATTACK = "internal_attack", "Attack inside the home"
        NETWORK_PROTECTION = "network_protection", "Network protection"
        ROUTER_ACCESS = "router_access", "Router access"
        DANGEROUS_FILE = "dangerous_file", "Dangerous file"
        WEB_ATTACK = "web_attack", "Web attack"
        CLEARTEXT_CREDENTIALS = "cleartext_credentials", "Password sent in clear text"
        ANOMALY = "anomaly", "Unusual behaviour"

    kind = models.CharField(max_length=40, db_index=True)
    detector = models.CharField(max_length=40, blank=True, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, db_index=True)
    time = models.DateTimeField(db_index=True)  # the first occurrence
    last_time = models.DateTimeField(null=True, blank=True)  # the latest folded-in occurrence
    count = models.PositiveIntegerField(default=1)  # occurrences folded into this row
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    src = models.CharField(max_length=64, blank=True)
    dst = models.CharField(max_length=64, blank=True)
    app = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500)
    evidence = models.JSONField(default=dict, blank=True)
    action = models.CharField(max_length=200, blank=True)  # what the station did about it
    acknowledged = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["-time", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["detector", "src", "dst", "acknowledged"], name="alert_fold"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.summary}"

    @property
    def kind_label(self) -> str:
        return dict(self.Kind.choices).get(self.kind, self.kind.replace("_", " "))


class RemoteAccessAllowance(models.Model):
    """The owner allowed a remote-control program on a device (for good or until a time)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="remote_allowances")
    app = models.CharField(max_length=64, help_text="nDPI's name (RDP, VNC, SSH...), * for any")
    until = models.DateTimeField(null=True, blank=True)  # None: for good
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["device", "app"], name="one_allowance_per_app"),
        ]

    def __str__(self) -> str:
        return f"{self.app} on {self.device}"

    @property
    def active(self) -> bool:
        return self.until is None or self.until > timezone.now()


class RouterApproval(models.Model):
    """A device the owner approved to manage the router (for good or until a time)."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="router_approval")
    until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.device} may manage the router"

    @property
    def active(self) -> bool:
        return self.until is None or self.until > timezone.now()


class ThreatFeed(models.Model):
    """An indicator feed or a Suricata rule file, from a URL (refreshed) or a file on the station."""

    class Kind(models.TextChoices):
        INDICATORS = "indicators", "Indicators (addresses, domains, URLs, hashes, JA3/JA4)"
        RULES = "rules", "Suricata/Snort rules"

    name = models.CharField(max_length=100)
    source = models.CharField(
        max_length=500, help_text="a URL (http/https) or a file path on the station"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INDICATORS)
    enabled = models.BooleanField(default=True)
    entries = models.PositiveIntegerField(default=0)  # indicators or rules loaded
    skipped = models.PositiveIntegerField(default=0)  # lines or rules not used
    problems = models.JSONField(default=list, blank=True)  # the first ones: line + reason
    last_update = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class DeviceBaseline(models.Model):
    """A device's learned normal behaviour for the smart alerts, as the engine exports it
    (lanward.engine.detect.anomaly.baseline: `Baseline.export()`), by MAC."""

    mac = models.CharField(max_length=17, unique=True)
    data = models.JSONField(default=dict)
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"baseline of {self.mac}"


class BaselineLesson(models.Model):
    """ "This is normal, learn it" on an anomaly alert, until the running station folds it into
    its live baseline (`applied`). The stored baseline is updated at once as well."""

    mac = models.CharField(max_length=17, db_index=True)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    evidence = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    applied = models.BooleanField(default=False, db_index=True)

    def __str__(self) -> str:
        return f"lesson for {self.mac} ({'applied' if self.applied else 'waiting'})"
