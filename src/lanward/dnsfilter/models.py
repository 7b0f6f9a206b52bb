"""Web threat protection settings and the DNS query log."""

from __future__ import annotations

import ipaddress
from typing import ClassVar

from django.db import models
from django.utils import timezone

from lanward.engine.dns.policy import CATEGORIES
from lanward.inventory.models import Device, Member

CATEGORY_CHOICES = [(c, c.capitalize()) for c in CATEGORIES]
DEFAULT_BLOCKED = ("malware", "phishing", "scam")


class BlockListSource(models.Model):
    name = models.CharField(max_length=100)
    source = models.CharField(
        max_length=500, help_text="a URL (http/https) or a file path on the station"
    )
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES, default="malware")
    enabled = models.BooleanField(default=True)
    format = models.CharField(max_length=32, blank=True)
    entries = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejected_reasons = models.JSONField(default=dict, blank=True)
    last_update = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class AllowEntry(models.Model):
    """A domain never blocked, for everyone or for one device."""

    domain = models.CharField(max_length=253)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="dns_exceptions"
    )
    note = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["domain", "device"], name="one_allow_entry")
        ]

    def __str__(self) -> str:
        return self.domain


class MemberPolicy(models.Model):
    class Privacy(models.TextChoices):
        FULL = "full", "Full query log"
        HIDDEN = "hidden", "Domains hidden"
        STATS = "stats", "Statistics only"
        NOTHING = "nothing", "Nothing"

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="dns_policy")
    blocked_categories = models.JSONField(default=list)
    privacy = models.CharField(max_length=8, choices=Privacy.choices, default=Privacy.FULL)
    safe_search = models.BooleanField(
        default=False,
        help_text="Google, Bing, DuckDuckGo and YouTube only show their safe results.",
    )

    def __str__(self) -> str:
        return f"DNS policy of {self.member}"


class DevicePolicy(models.Model):
    """Categories blocked on one device, overriding its owner's (e.g. a child's tablet)."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="dns_policy")
    blocked_categories = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"DNS policy of {self.device}"


class QueryLog(models.Model):
    time = models.DateTimeField(db_index=True)
    client = models.GenericIPAddressField()
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(
        max_length=253, blank=True, db_index=True
    )  # empty when hidden by privacy
    qtype = models.CharField(max_length=10)
    action = models.CharField(max_length=24, db_index=True)
    list_name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=16, blank=True)
    # The list entry that matched: a name, a pattern, or for a block by the answer's address
    # "203.0.113.5 in 203.0.113.0/24" (empty when the name is hidden by privacy).
    rule = models.CharField(max_length=300, blank=True)
    cached = models.BooleanField(default=False)
    latency_ms = models.FloatField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-time"]

    def __str__(self) -> str:
        return f"{self.time:%H:%M:%S} {self.client} {self.name} {self.action}"

    @property
    def by_address(self) -> bool:
        """Blocked for where the answer pointed (an address trigger), not for the name."""
        try:
            ipaddress.ip_address(self.rule.split(" in ", 1)[0])
        except ValueError:
            return False
        return self.rule != self.name  # not an IP-literal name on a list
