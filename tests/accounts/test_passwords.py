"""Password rules (OWASP ASVS 5 V6.2) and the hashing parameters."""

import pytest
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


def test_eight_characters_are_enough_without_composition_rules():
    validate_password("zebra ukulele")  # lower case letters and a space only


def test_seven_characters_are_too_short():
    with pytest.raises(ValidationError, match="too short"):
        validate_password("k3#Lp!x")


def test_long_passphrases_are_allowed_and_not_truncated():
    long_one = "correct horse battery staple " * 4  # 116 characters
    validate_password(long_one)
    encoded = make_password(long_one)
    hasher = identify_hasher(encoded)
    assert hasher.verify(long_one, encoded)
    assert not hasher.verify(long_one[:72], encoded)
    assert not hasher.verify(long_one[:-1], encoded)


def test_too_long_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match="at most 128"):
        validate_password("x" * 129)


@pytest.mark.parametrize("common", ["password123", "qwertyuiop", "iloveyou1"])
def test_common_passwords_are_refused(common):
    with pytest.raises(ValidationError, match="too common"):
        validate_password(common)


def test_argon2id_with_at_least_owasp_parameters():
    encoded = make_password("some passphrase")
    assert encoded.startswith("argon2$argon2id$")
    hasher = get_hasher()
    assert hasher.memory_cost >= 19456
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1
    assert "m=19456,t=2,p=1" in encoded
