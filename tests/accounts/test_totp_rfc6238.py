"""TOTP as allauth computes it, checked against RFC 6238 Appendix B (SHA1 vectors)."""

import base64

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import override_settings

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()

# RFC 6238 Appendix B, SHA1, 8 digits, 30-second steps.
VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "expected"), VECTORS)
def test_rfc6238_sha1_vectors(unix_time, expected):
    with override_settings(MFA_TOTP_DIGITS=8):
        assert format_hotp_value(hotp_value(RFC_SECRET, unix_time // 30)) == expected


def test_six_digit_codes_are_the_low_digits_of_the_eight_digit_value():
    with override_settings(MFA_TOTP_DIGITS=6):
        assert format_hotp_value(hotp_value(RFC_SECRET, 59 // 30)) == "287082"


def test_a_wrong_secret_gives_another_code():
    other = base64.b32encode(b"12345678901234567891").decode()
    with override_settings(MFA_TOTP_DIGITS=8):
        assert format_hotp_value(hotp_value(other, 1)) != "94287082"
