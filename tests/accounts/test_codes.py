"""Emailed and texted one-time codes: single use, expiry, attempt limits, masking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lanward.accounts.factors import mask_email, mask_phone, new_code
from lanward.accounts.models import OneTimeCode, User


@pytest.fixture
def user(db):
    return User.objects.create_user("codes@example.com", "some passphrase here")


def test_a_code_works_once(user):
    OneTimeCode.issue(user, "login", "email", "123456")
    assert OneTimeCode.consume(user, "login", "123456")
    assert not OneTimeCode.consume(user, "login", "123456")


def test_codes_are_bound_to_their_purpose(user):
    OneTimeCode.issue(user, "merge", "email", "123456")
    assert not OneTimeCode.consume(user, "login", "123456")
    assert OneTimeCode.consume(user, "merge", "123456")


def test_an_expired_code_is_refused(user):
    code = OneTimeCode.issue(user, "login", "email", "123456")
    OneTimeCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not OneTimeCode.consume(user, "login", "123456")


def test_a_new_code_replaces_the_old_one(user):
    OneTimeCode.issue(user, "login", "email", "111111")
    OneTimeCode.issue(user, "login", "email", "222222")
    assert not OneTimeCode.consume(user, "login", "111111")
    assert OneTimeCode.consume(user, "login", "222222")


def test_too_many_wrong_guesses_burn_the_code(user):
    OneTimeCode.issue(user, "login", "email", "123456")
    for guess in range(OneTimeCode.MAX_ATTEMPTS):
        assert not OneTimeCode.consume(user, "login", f"00000{guess}")
    assert not OneTimeCode.consume(user, "login", "123456")


def test_codes_are_not_stored_in_clear(user):
    OneTimeCode.issue(user, "login", "email", "123456")
    assert "123456" not in OneTimeCode.objects.get().code_hash


def test_new_codes_are_six_digits_and_vary():
    codes = {new_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 40


def test_masking():
    assert mask_email("john.doe@example.com") == "j***@e******.com"
    assert mask_phone("+14155552671") == "+14•••••••71"
