"""The home's devices and the family members who own them (the store the engine writes to)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

DEVICE_TYPES = [
    ("phone", "Phone"),
    ("tablet", "Tablet"),
    ("computer", "Computer"),
    ("TV", "TV"),
    ("streaming stick", "Streaming stick"),
    ("speaker", "Speaker"),
    ("camera", "Camera"),
    ("printer", "Printer"),
    ("game console", "Game console"),
    ("smart plug/IoT hub", "Smart plug / IoT hub"),
    ("router/access point", "Router / access point"),
    ("NAS", "NAS"),
    ("wearable", "Wearable"),
    ("unknown", "Unknown"),
]


class Member(models.Model):
    """A person in the household; devices can belong to a member."""

    name = models.CharField(max_length=60, unique=True)
    picture = models.ImageField(upload_to="members/", blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def initials(self) -> str:
        return "".join(part[:1] for part in self.name.split()[:2]).upper() or "?"


class Device(models.Model):
    mac = models.CharField(max_length=17, unique=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    ips = models.JSONField(default=list, blank=True)

    # What the engine inferred. Rewritten on every update.
    hostname = models.CharField(max_length=255, blank=True)
    vendor = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=32, choices=DEVICE_TYPES, default="unknown")
    type_confidence = models.FloatField(default=0)
    os = models.CharField(max_length=100, blank=True)
    os_confidence = models.FloatField(default=0)
    brand = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    model_confidence = models.FloatField(default=0)
    dhcp_fingerprint = models.CharField(max_length=255, blank=True)
    dhcp_vendor_class = models.CharField(max_length=255, blank=True)
    user_agents = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(default=list, blank=True)

    # What the user set. Never overwritten by inference (STYLE rule 3).
    name = models.CharField(max_length=100, blank=True)
    user_type = models.CharField("type", max_length=32, choices=DEVICE_TYPES, blank=True)
    user_brand = models.CharField("brand", max_length=100, blank=True)
    user_model = models.CharField("model", max_length=100, blank=True)
    owner = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )

    is_new = models.BooleanField(default=True, help_text="not yet looked at by the owner")
    # Paused by the household (e.g. the "Block" action of a new-device notification): the DNS
    # filter refuses every lookup from it and the gateway enforcer drops its traffic.
    blocked = models.BooleanField(default=False, help_text="paused: no DNS answers, no traffic")
    online = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-last_seen"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return (
            self.name
            or self.hostname
            or " ".join(x for x in (self.display_brand, self.display_model) if x)
            or self.mac
        )

    @property
    def display_type(self) -> str:
        return self.user_type or self.type

    @property
    def display_brand(self) -> str:
        return self.user_brand or self.brand

    @property
    def display_model(self) -> str:
        return self.user_model or self.model

    def is_online(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.last_seen >= now - timedelta(seconds=settings.LANWARD_OFFLINE_AFTER_SECONDS)

    @property
    def display_type_label(self) -> str:
        return dict(DEVICE_TYPES).get(self.display_type, self.display_type)


class DeviceLink(models.Model):
    """A randomized MAC the engine found to be the same device. Undoable."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="links")
    mac = models.CharField(max_length=17, unique=True)
    reason = models.CharField(max_length=255)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.mac} -> {self.device.mac}"


class UnlinkedMac(models.Model):
    """A MAC the user split from a device: the engine must not link it again."""

    mac = models.CharField(max_length=17, unique=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.mac


class DeviceEvent(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", "New device"
        ONLINE = "online", "Came online"
        OFFLINE = "offline", "Went offline"
        IP = "ip", "New IP address"
        LINKED = "linked", "Randomized MAC linked"
        UNLINKED = "unlinked", "MAC unlinked"
        EDITED = "edited", "Edited"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.device}"


class StationNotice(models.Model):
    """What the station wants the owner to know (e.g. it dropped flows)."""

    kind = models.CharField(max_length=32)
    message = models.CharField(max_length=500)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created"]

    def __str__(self) -> str:
        return self.message
