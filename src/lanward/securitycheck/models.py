"""The security check's data: a local vulnerability database, scan runs and their findings."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lanward.inventory.models import Device
from lanward.severity import Severity

SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def severity_from_cvss(score: float | None) -> str:
    """CVSS v3/v4 qualitative rating of a base score."""
    if score is None:
        return "medium"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0:
        return "low"
    return "info"


# --- Vulnerability database -----------------------------------------------------------------


class Vulnerability(models.Model):
    """One CVE, merged from NVD CVE API 2.0 and CVE JSON 5 records."""

    cve_id = models.CharField(max_length=32, unique=True)
    description = models.TextField(blank=True)
    published = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(null=True, blank=True, help_text="newest of the sources")
    # Each source is imported incrementally on its own clock.
    nvd_modified = models.DateTimeField(null=True, blank=True)
    cve5_modified = models.DateTimeField(null=True, blank=True)
    rejected = models.BooleanField(default=False)
    cvss4_score = models.FloatField(null=True, blank=True)
    cvss4_vector = models.CharField(max_length=200, blank=True)
    cvss4_severity = models.CharField(max_length=16, blank=True)
    cvss3_score = models.FloatField(null=True, blank=True)
    cvss3_vector = models.CharField(max_length=200, blank=True)
    cvss3_severity = models.CharField(max_length=16, blank=True)
    cvss2_score = models.FloatField(null=True, blank=True)
    cvss2_vector = models.CharField(max_length=200, blank=True)
    cvss2_severity = models.CharField(max_length=16, blank=True)
    cwes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "vulnerabilities"
        ordering: ClassVar[list[str]] = ["cve_id"]

    def __str__(self) -> str:
        return self.cve_id

    @property
    def cvss(self) -> float | None:
        """The base score to rank by: CVSS v3.x (what NVD scores), else v4, else v2."""
        for score in (self.cvss3_score, self.cvss4_score, self.cvss2_score):
            if score is not None:
                return score
        return None

    @property
    def severity(self) -> str:
        return severity_from_cvss(self.cvss)


class AffectedProduct(models.Model):
    """A CPE match criterion (NVD) or an affected product entry (CVE 5) with its versions."""

    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="affected"
    )
    source = models.CharField(max_length=8)  # nvd / cve5
    part = models.CharField(max_length=1, default="*")  # a(pplication), o(s), h(ardware)
    vendor = models.CharField(max_length=100, db_index=True, blank=True)
    product = models.CharField(max_length=200, db_index=True)
    version = models.CharField(max_length=100, blank=True, help_text="exact; empty: see range")
    version_start_including = models.CharField(max_length=100, blank=True)
    version_start_excluding = models.CharField(max_length=100, blank=True)
    version_end_including = models.CharField(max_length=100, blank=True)
    version_end_excluding = models.CharField(max_length=100, blank=True)
    version_scheme = models.CharField(max_length=16, blank=True)
    criteria = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.vulnerability_id}: {self.vendor}:{self.product}"


class KnownExploited(models.Model):
    """CISA's Known Exploited Vulnerabilities catalog, keyed by CVE id (imported on its own)."""

    cve_id = models.CharField(max_length=32, unique=True)
    date_added = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    ransomware = models.CharField(max_length=16, blank=True, help_text="Known / Unknown")
    required_action = models.TextField(blank=True)
    name = models.CharField(max_length=300, blank=True)
    vendor = models.CharField(max_length=100, blank=True)
    product = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "known exploited vulnerability"

    def __str__(self) -> str:
        return self.cve_id

    @property
    def known_ransomware_use(self) -> bool:
        return self.ransomware.lower() == "known"


# --- Scans and findings ---------------------------------------------------------------------


class ScanRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "On demand"
        NEW_DEVICE = "new_device", "New device"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    origin = models.CharField(max_length=32, blank=True, help_text="console, command line, jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # What was asked for: addresses/CIDRs, or device ids; both empty: every device.
    targets = models.JSONField(default=list, blank=True)
    device_ids = models.JSONField(default=list, blank=True)
    progress = models.FloatField(default=0)
    current_target = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]
        constraints: ClassVar[list] = [
            # At most one scan runs at a time, whoever starts it (console, CLI, job runner).
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="one_running_scan"
            )
        ]

    def __str__(self) -> str:
        return f"scan {self.pk} ({self.get_trigger_display()}, {self.get_status_display()})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Finding(models.Model):
    class Kind(models.TextChoices):
        DEFAULT_PASSWORD = "default_password", "Default password"
        WEAK_PASSWORD = "weak_password", "Weak password"
        VULNERABILITY = "vulnerability", "Known vulnerability"
        CONFIGURATION = "configuration", "Risky setting"

    Severity = Severity

    # Re-scans find the same problem again by this key and update the row (see services).
    key = models.CharField(max_length=64, unique=True)
    device = models.ForeignKey(
        Device,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="security_findings",
    )
    address = models.CharField(max_length=64)
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, db_index=True)
    cvss = models.FloatField(null=True, blank=True)
    service = models.CharField(max_length=64, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    cve = models.CharField(max_length=32, blank=True, db_index=True)
    kev = models.BooleanField(default=False)
    summary = models.CharField(max_length=500)
    fix = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    # Which list entry opened the door; never the password itself.
    credential_list = models.CharField(max_length=64, blank=True)
    credential_vendor = models.CharField(max_length=100, blank=True)
    credential_username = models.CharField(max_length=100, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    fixed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_run = models.ForeignKey(
        ScanRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_run = models.ForeignKey(
        ScanRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )

    class Meta:
        # Open findings first on every database (PostgreSQL sorts NULLs last by default).
        ordering: ClassVar[list] = [
            models.F("fixed_at").asc(nulls_first=True),
            models.F("cvss").desc(nulls_last=True),
            "-last_seen",
            "id",
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.fixed_at is None

    @property
    def severity_rank(self) -> int:
        return SEVERITY_ORDER.get(self.severity, 0)

    def as_dict(self) -> dict:
        """The finding as `lanward scan --json` prints it."""
        data: dict = {
            "kind": self.kind,
            "severity": self.severity,
            "address": self.address,
            "port": self.port,
            "service": self.service,
            "summary": self.summary,
            "fix": self.fix,
            "evidence": self.evidence,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "fixed_at": self.fixed_at.isoformat() if self.fixed_at else None,
            "device": (
                {"mac": self.device.mac, "name": self.device.display_name} if self.device else None
            ),
        }
        if self.kind == self.Kind.VULNERABILITY:
            data.update({"cve": self.cve, "cvss": self.cvss, "kev": self.kev})
        if self.credential_list or self.credential_username:
            data["credential"] = {
                "list": self.credential_list,
                "vendor": self.credential_vendor,
                "username": self.credential_username,
            }
        return data
