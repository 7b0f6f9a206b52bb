"""Stations: the home boxes under protection, paired to an account within a license's seats."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

PAIRING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Station(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stations"
    )
    license = models.ForeignKey(
        "licensing.License", on_delete=models.CASCADE, related_name="stations"
    )
    name = models.CharField(max_length=64)
    secret_hash = models.CharField(max_length=64)
    version = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_secret() -> tuple[str, str]:
        secret = secrets.token_urlsafe(32)
        return secret, _hash_secret(secret)

    def check_secret(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, _hash_secret(secret))

    def is_online(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return bool(
            self.last_heartbeat
            and self.last_heartbeat
            >= now - timedelta(seconds=settings.LANWARD_STATION_OFFLINE_SECONDS)
        )


class PairingCode(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pairing_codes"
    )
    code = models.CharField(max_length=8, unique=True)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.code

    @classmethod
    def issue(cls, owner: object) -> PairingCode:
        while True:
            code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(8))
            if not cls.objects.filter(code=code).exists():
                return cls.objects.create(
                    owner=owner, code=code, expires_at=timezone.now() + timedelta(minutes=15)
                )

    @property
    def pretty(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"
