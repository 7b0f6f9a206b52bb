"""License tokens: signed by the portal, verified offline by a station, with a grace period."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lanward.lib import license_token as tokens
from lanward.lib.license_token import TokenError

DAY = 86400
NOW = 1_800_000_000
STATION = "6f1c2a9e-0000-4000-8000-000000000001"
PORTAL_KEY = Ed25519PrivateKey.generate()


def claims(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "lid": 7,
        "plan": "home-1y",
        "seats": 3,
        "sid": STATION,
        "iat": NOW,
        "exp": NOW + DAY,
        "lic_exp": NOW + 300 * DAY,
    }
    base.update(over)
    return base


def token(**over: object) -> str:
    return tokens.sign(PORTAL_KEY, claims(**over))


def verify(text: str, now: int = NOW, station: str = STATION, **kw: int) -> tokens.LicenseClaims:
    return tokens.verify(text, PORTAL_KEY.public_key(), station, now, **kw)


def refused(text: str, now: int = NOW, station: str = STATION, **kw: int) -> str:
    with pytest.raises(TokenError) as info:
        verify(text, now, station, **kw)
    assert str(info.value)  # a message for the person reading the station's log
    return info.value.reason


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_fresh_token_verifies_offline_with_the_public_key():
    got = verify(token())
    assert got == tokens.LicenseClaims(
        license_id=7,
        plan="home-1y",
        seats=3,
        station_id=STATION,
        issued_at=NOW,
        expires_at=NOW + DAY,
        license_expires_at=NOW + 300 * DAY,
        in_grace=False,
    )


def test_a_tampered_payload_is_refused():
    payload, signature = token().split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["seats"] = 100
    forged = b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    assert refused(f"{forged}.{signature}") == "signature"


def test_a_tampered_signature_is_refused():
    payload, signature = token().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    assert refused(f"{payload}.{b64(bytes(raw))}") == "signature"


def test_a_token_from_another_portal_is_refused():
    other = tokens.sign(Ed25519PrivateKey.generate(), claims())
    assert refused(other) == "signature"


@pytest.mark.parametrize("text", ["", "garbage", "a.b.c", "!!!.???", "abc"])
def test_garbage_is_malformed(text):
    assert refused(text) == "malformed"


def test_a_signed_payload_without_the_claims_is_malformed():
    incomplete = claims()
    del incomplete["lic_exp"]
    assert refused(tokens.sign(PORTAL_KEY, incomplete)) == "malformed"


def test_a_token_for_another_station_is_refused():
    assert refused(token(), station="6f1c2a9e-0000-4000-8000-000000000002") == "station"


def test_past_exp_but_within_the_grace_period_is_accepted_in_grace():
    got = verify(token(), now=NOW + DAY + 1, grace_seconds=7 * DAY)
    assert got.in_grace
    assert verify(token(), now=NOW + 8 * DAY, grace_seconds=7 * DAY).in_grace  # the last second
    assert not verify(token(), now=NOW + DAY).in_grace  # up to exp itself: no grace needed


def test_past_exp_and_the_grace_period_is_expired():
    assert refused(token(), now=NOW + 8 * DAY + 1, grace_seconds=7 * DAY) == "expired"


def test_the_grace_period_is_configurable():
    assert refused(token(), now=NOW + DAY + 1, grace_seconds=0) == "expired"
    assert verify(token(), now=NOW + DAY + 3600, grace_seconds=3600).in_grace
    assert refused(token(), now=NOW + DAY + 3601, grace_seconds=3600) == "expired"
    assert verify(token(), now=NOW + 30 * DAY, grace_seconds=30 * DAY).in_grace


def test_the_default_grace_period_is_a_week():
    assert verify(token(), now=NOW + 8 * DAY).in_grace
    assert refused(token(), now=NOW + 8 * DAY + 1) == "expired"


def test_past_the_license_end_is_expired_even_with_a_fresh_token():
    short = token(lic_exp=NOW + 3600, exp=NOW + DAY)
    assert verify(short, now=NOW + 3600).license_expires_at == NOW + 3600
    with pytest.raises(TokenError, match="license has expired") as info:
        verify(short, now=NOW + 3601)
    assert info.value.reason == "expired"


def test_the_grace_period_never_reaches_past_the_license_end():
    ending = token(lic_exp=NOW + 2 * DAY)
    assert refused(ending, now=NOW + 2 * DAY + 1, grace_seconds=7 * DAY) == "expired"
