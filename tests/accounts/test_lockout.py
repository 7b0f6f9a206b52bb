"""The persistent lockout, driven through the authentication backend."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import RequestFactory, override_settings
from django.utils import timezone

from lanward.accounts import lockout
from lanward.accounts.models import AccountEvent, LockState, User

PASSWORD = "a long and private passphrase"


@pytest.fixture
def user(db):
    return User.objects.create_user("owner@example.com", PASSWORD)


def attempt(password, email="owner@example.com"):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.10")
    return authenticate(request, email=email, password=password)


def test_right_password_signs_in(user):
    assert attempt(PASSWORD) == user


@override_settings(LANWARD_LOCKOUT_THRESHOLD=5)
def test_five_failures_lock_and_even_the_right_password_is_refused(user, mailoutbox):
    for _ in range(5):
        assert attempt("wrong") is None
    state = LockState.objects.get(user=user)
    assert state.is_locked()
    assert state.lockouts == 1
    assert attempt(PASSWORD) is None
    kinds = list(AccountEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds.count("login_failed") == 6
    assert "locked" in kinds
    assert len(mailoutbox) == 1 and "locked" in mailoutbox[0].subject.lower()


@override_settings(LANWARD_LOCKOUT_THRESHOLD=5)
def test_four_failures_then_success_resets_the_counter(user):
    for _ in range(4):
        attempt("wrong")
    assert attempt(PASSWORD) == user
    assert LockState.objects.get(user=user).failures == 0
    for _ in range(4):
        attempt("wrong")
    assert attempt(PASSWORD) == user


@override_settings(LANWARD_LOCKOUT_THRESHOLD=2, LANWARD_LOCKOUT_BASE_SECONDS=60)
def test_lock_expires_and_grows_with_each_lockout(user):
    durations = []
    for _ in range(3):
        attempt("wrong")
        attempt("wrong")
        state = LockState.objects.get(user=user)
        assert state.is_locked()
        durations.append((state.locked_until - timezone.now()).total_seconds())
        # Let the lock run out.
        LockState.objects.filter(user=user).update(
            locked_until=timezone.now() - timedelta(seconds=1)
        )
    assert durations[0] == pytest.approx(60, abs=5)
    assert durations[1] == pytest.approx(120, abs=5)
    assert durations[2] == pytest.approx(240, abs=5)
    assert attempt(PASSWORD) == user  # an expired lock lets the right password in


@override_settings(LANWARD_LOCKOUT_THRESHOLD=2, LANWARD_LOCKOUT_MAX_TEMPORARY=1)
def test_after_the_temporary_lockouts_the_lock_is_permanent_until_unlocked(user):
    attempt("wrong"), attempt("wrong")
    LockState.objects.filter(user=user).update(locked_until=timezone.now() - timedelta(seconds=1))
    attempt("wrong"), attempt("wrong")
    state = LockState.objects.get(user=user)
    assert state.permanent and state.locked_until is None
    assert attempt(PASSWORD) is None
    assert lockout.unlock(user, reason="test") is True
    assert attempt(PASSWORD) == user
    assert AccountEvent.objects.filter(user=user, kind="unlocked").exists()


def test_unknown_email_is_refused_and_records_nothing(db):
    assert attempt("whatever", email="nobody@example.com") is None
    assert not LockState.objects.exists()


def test_inactive_user_cannot_sign_in(user):
    user.is_active = False
    user.save()
    assert attempt(PASSWORD) is None


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # keeps migration data (plans, groups)
@override_settings(LANWARD_LOCKOUT_THRESHOLD=5)
def test_concurrent_wrong_attempts_check_at_most_threshold_passwords():
    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory SQLite test database is not shared between threads; "
            "tests/live covers concurrency against the running server on SQLite"
        )
    user = User.objects.create_user("race@example.com", PASSWORD)
    checked = []
    original = User.check_password

    def counting_check(self, raw):
        checked.append(raw)
        return original(self, raw)

    User.check_password = counting_check
    try:
        threads = [
            threading.Thread(
                target=lambda: (attempt("wrong", "race@example.com"), connection.close())
            )
            for _ in range(20)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        User.check_password = original
    assert len(checked) <= 5
    assert LockState.objects.get(user=user).is_locked()
    assert attempt(PASSWORD, "race@example.com") is None


@override_settings(LANWARD_LOCKOUT_THRESHOLD=5)
def test_password_confirmations_count_toward_the_lockout(user):
    """A stolen session can't guess the password without limit through the delete form."""
    from lanward.accounts.forms import DeleteAccountForm

    request = RequestFactory().post("/accounts/delete/", REMOTE_ADDR="192.0.2.10")
    for _ in range(5):
        form = DeleteAccountForm({"password": "guess", "confirm": "on"}, user=user, request=request)
        assert not form.is_valid()
    assert LockState.objects.get(user=user).is_locked()
    form = DeleteAccountForm({"password": PASSWORD, "confirm": "on"}, user=user, request=request)
    assert not form.is_valid()  # even the right one, while locked
