"""Persistent sign-in lockout, in the manner of Keycloak's brute-force detection.

- Every password attempt against an account is counted *before* the password is checked, inside
  a row-locked transaction. Concurrent attempts therefore get distinct numbers and at most
  `threshold` passwords are ever verified between two successes.
- Reaching the threshold locks the account for `base * 2**(n-1)` seconds for the n-th temporary
  lockout; after `max_temporary` temporary lockouts the next one is permanent, until a password
  reset or an administrator unlocks it.
- While locked, every attempt is refused exactly like a wrong password.
- Failures from any IP count against the account. A success resets the counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import activity
from .models import AccountEvent, LockState, User


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    number: int


def _state_for_update(user: User) -> LockState:
    try:
        LockState.objects.get_or_create(user=user)
    except IntegrityError:  # created by a concurrent attempt; fine
        pass
    return LockState.objects.select_for_update().get(user=user)


def begin_attempt(user: User, request: HttpRequest | None = None) -> Attempt:
    """Count a password attempt. `allowed` False means: refuse without checking the password."""
    threshold = settings.LANWARD_LOCKOUT_THRESHOLD
    newly_locked = False
    with transaction.atomic():
        state = _state_for_update(user)
        now = timezone.now()
        if state.permanent or (state.locked_until and state.locked_until > now):
            return Attempt(False, state.failures)
        if state.locked_until and state.locked_until <= now:
            state.locked_until = None
            state.failures = 0
        if state.failures >= threshold:
            # Earlier attempts used up the allowance; lock now instead of checking.
            newly_locked = _lock(state, now)
            state.save()
            allowed = False
        else:
            state.failures += 1
            state.save(update_fields=["failures", "locked_until"])
            allowed = True
        number = state.failures
    if newly_locked:
        _announce_lock(user, state, request)
    return Attempt(allowed, number)


def _lock(state: LockState, now: datetime) -> bool:
    state.lockouts += 1
    if state.lockouts > settings.LANWARD_LOCKOUT_MAX_TEMPORARY:
        state.permanent = True
        state.locked_until = None
    else:
        seconds = settings.LANWARD_LOCKOUT_BASE_SECONDS * 2 ** (state.lockouts - 1)
        state.locked_until = now + timedelta(seconds=seconds)
    return True


def record_failure(user: User, request: HttpRequest | None = None) -> None:
    """The password was wrong. Lock when this was the last allowed attempt."""
    ip = activity.client_ip(request)
    locked = False
    with transaction.atomic():
        state = _state_for_update(user)
        now = timezone.now()
        state.last_failure_at = now
        state.last_failure_ip = ip
        if not state.is_locked(now) and state.failures >= settings.LANWARD_LOCKOUT_THRESHOLD:
            locked = _lock(state, now)
        state.save()
    activity.record(user, AccountEvent.Kind.LOGIN_FAILED, request, "wrong password")
    if locked:
        _announce_lock(user, state, request)


def record_success(user: User) -> None:
    LockState.objects.filter(user=user).update(failures=0, lockouts=0, locked_until=None)


def unlock(user: User, request: HttpRequest | None = None, reason: str = "") -> bool:
    """Clear any lock. Returns True when the account was locked."""
    with transaction.atomic():
        state = _state_for_update(user)
        was_locked = state.is_locked()
        state.failures = 0
        state.lockouts = 0
        state.locked_until = None
        state.permanent = False
        state.save()
    if was_locked:
        activity.record(user, AccountEvent.Kind.UNLOCKED, request, reason)
    return was_locked


def is_locked(user: User) -> bool:
    state = LockState.objects.filter(user=user).first()
    return bool(state and state.is_locked())


def _announce_lock(user: User, state: LockState, request: HttpRequest | None) -> None:
    if state.permanent:
        detail = "locked until the password is reset or an administrator unlocks it"
    else:
        detail = f"locked until {state.locked_until:%Y-%m-%d %H:%M:%S} UTC"
    activity.record(user, AccountEvent.Kind.LOCKED, request, detail)
    from .notify import send_lockout_mail

    send_lockout_mail(user, state, request)
