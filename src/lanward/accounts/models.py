"""Accounts: the user, the lockout state, the activity log and the code-based second factors."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Signs in by email; there is no username."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    country = CountryField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550100")
    phone_verified = models.BooleanField(default=False)
    recovery_email = models.EmailField(
        "backup recovery email",
        blank=True,
        help_text="Where we can reach you if you lose access to your sign-in email.",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_accounts"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        full = self.get_full_name().strip()
        return full or self.email


class LockState(models.Model):
    """Persistent sign-in lockout, Keycloak-style (see lanward.accounts.lockout)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lock_state"
    )
    # Attempts counted since the last success. An attempt is counted *before* the password is
    # checked, so concurrent attempts can never verify more passwords than the threshold allows.
    failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0, help_text="temporary lockouts so far")
    locked_until = models.DateTimeField(null=True, blank=True)
    permanent = models.BooleanField(default=False)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lock state of {self.user}"

    def is_locked(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.permanent or bool(self.locked_until and self.locked_until > now)


class AccountEvent(models.Model):
    """The user-visible log of what happened to an account."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", "Account created"
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGOUT = "logout", "Signed out"
        LOCKED = "locked", "Account locked"
        UNLOCKED = "unlocked", "Account unlocked"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET = "password_reset", "Password reset"
        EMAIL_ADDED = "email_added", "Email address added"
        EMAIL_CHANGED = "email_changed", "Sign-in email changed"
        EMAIL_REMOVED = "email_removed", "Email address removed"
        EMAIL_CONFIRMED = "email_confirmed", "Email address verified"
        PHONE_CHANGED = "phone_changed", "Phone number changed"
        PROFILE_CHANGED = "profile_changed", "Profile changed"
        MFA_ADDED = "mfa_added", "Two-factor method added"
        MFA_REMOVED = "mfa_removed", "Two-factor method removed"
        MFA_RECOVERY_CODES = "mfa_recovery_codes", "Recovery codes regenerated"
        MFA_FAILED = "mfa_failed", "Wrong two-factor code"
        MERGED = "merged", "Accounts merged"
        MERGED_AWAY = "merged_away", "Account merged into another"
        SESSION_ENDED = "session_ended", "Session signed out remotely"
        EXPORTED = "exported", "Data exported"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_events"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["user", "-created"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user}, {self.created:%Y-%m-%d %H:%M})"


class CodeFactor(models.Model):
    """A second factor delivered as a one-time code: by email or by SMS."""

    class Method(models.TextChoices):
        EMAIL = "email", "Email code"
        SMS = "sms", "SMS code"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_factors"
    )
    method = models.CharField(max_length=8, choices=Method.choices)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "method"], name="one_code_factor_per_method")
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} for {self.user}"


def _hash_code(code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, code.strip().upper().encode(), hashlib.sha256).hexdigest()


class OneTimeCode(models.Model):
    """A code sent by email or SMS. Stored hashed; used at most once; expires."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_time_codes"
    )
    purpose = models.CharField(max_length=32)
    method = models.CharField(max_length=8, choices=CodeFactor.Method.choices)
    code_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    MAX_ATTEMPTS = 5

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user}"

    @classmethod
    def issue(cls, user: User, purpose: str, method: str, code: str) -> OneTimeCode:
        ttl = timedelta(seconds=settings.LANWARD_CODE_FACTOR_TTL_SECONDS)
        # A new code replaces older unused ones for the same purpose.
        cls.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return cls.objects.create(
            user=user,
            purpose=purpose,
            method=method,
            code_hash=_hash_code(code),
            expires_at=timezone.now() + ttl,
        )

    @classmethod
    def consume(cls, user: User, purpose: str, code: str) -> bool:
        """True once for a right, live code. The update is a compare-and-set: never twice."""
        now = timezone.now()
        live = cls.objects.filter(
            user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        )
        for candidate in live:
            if candidate.attempts >= cls.MAX_ATTEMPTS:
                continue
            if hmac.compare_digest(candidate.code_hash, _hash_code(code)):
                return bool(
                    cls.objects.filter(pk=candidate.pk, used_at__isnull=True).update(used_at=now)
                )
            cls.objects.filter(pk=candidate.pk).update(attempts=models.F("attempts") + 1)
        return False


class RateCounter(models.Model):
    """Attempts per key and time window (lanward.lib.ratelimit); counted with atomic updates."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["key", "window"], name="one_counter_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"
