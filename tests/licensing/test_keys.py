"""The portal's signing key and the license tokens it issues, checked the way a station does:
offline, with the public key only."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from lanward.lib import license_token as tokens
from lanward.lib.portal_client import Pairing
from lanward.licensing import keys, services
from lanward.licensing.models import License
from tests.portal_cast import ScriptedProvider, make_license, make_user

STATION = "0b7d9c3e-1111-4222-8333-444455556666"
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def license(db, plans) -> License:
    return make_license(make_user("owner@example.com"), plans["home-1y"], now=T0)


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def station_view(token: str, now: int, grace: int = 7 * 86400) -> tokens.LicenseClaims:
    """What the station does: the public key from the PEM the portal handed out."""
    return Pairing("http://portal", STATION, "secret", token, keys.public_key_pem()).verify(
        now=now, grace_seconds=grace
    )


def test_the_key_is_made_once_private_and_reused(settings):
    path = settings.LANWARD_LICENSE_KEY_FILE
    path.unlink(missing_ok=True)
    keys.private_key.cache_clear()
    first = keys.public_key_pem()
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    keys.private_key.cache_clear()
    assert keys.public_key_pem() == first
    loaded = serialization.load_pem_public_key(first.encode())
    assert loaded.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == keys.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_an_issued_token_verifies_offline(license, settings):
    now = ts(T0 + timedelta(days=10))
    token = keys.issue_token(license, STATION, now=now)
    claims = station_view(token, now)
    assert claims.license_id == license.pk
    assert (claims.plan, claims.seats) == ("home-1y", 3)
    assert claims.station_id == STATION
    assert claims.issued_at == now
    assert claims.expires_at == now + settings.LANWARD_LICENSE_TOKEN_SECONDS
    assert claims.license_expires_at == ts(license.ends_at)
    assert not claims.in_grace


def test_a_token_is_refused_with_the_right_reason(license, settings):
    now = ts(T0 + timedelta(days=10))
    token = keys.issue_token(license, STATION, now=now)
    day = settings.LANWARD_LICENSE_TOKEN_SECONDS
    cases = {
        "station": lambda: tokens.verify(token, keys.public_key(), "another-station", now),
        "expired": lambda: station_view(token, now + day + 7 * 86400 + 1),
        "signature": lambda: station_view(
            token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"), now
        ),
    }
    for reason, check in cases.items():
        with pytest.raises(tokens.TokenError) as info:
            check()
        assert info.value.reason == reason
    # Past exp, within the station's grace: still accepted, flagged.
    assert station_view(token, now + day + 3600).in_grace
    with pytest.raises(tokens.TokenError):
        station_view(token, now + day + 3601, grace=3600)


def test_a_token_from_a_previous_key_is_refused(license, settings):
    old = keys.issue_token(license, STATION, now=ts(T0))
    settings.LANWARD_LICENSE_KEY_FILE = settings.LANWARD_LICENSE_KEY_FILE.parent / "new.pem"
    keys.private_key.cache_clear()
    try:
        with pytest.raises(tokens.TokenError) as info:
            station_view(old, ts(T0))
        assert info.value.reason == "signature"
    finally:
        settings.LANWARD_LICENSE_KEY_FILE.unlink(missing_ok=True)


def test_past_the_license_end_is_refused(license):
    end = license.ends_at
    token = keys.issue_token(license, STATION, now=ts(end - timedelta(hours=1)))
    assert station_view(token, ts(end)).license_expires_at == ts(end)
    with pytest.raises(tokens.TokenError, match="license has expired"):
        station_view(token, ts(end) + 1)


def test_a_past_due_license_keeps_its_stations_working_through_the_grace_period(license):
    end = license.ends_at
    services.run_renewals(now=end + timedelta(hours=1), provider=ScriptedProvider("failed"))
    lic = License.objects.select_related("plan", "subscription").get(pk=license.pk)
    grace_until = lic.subscription.grace_until
    during = end + timedelta(days=2)
    assert lic.display_status(during) == "past_due"
    token = keys.issue_token(lic, STATION, now=ts(during))
    claims = station_view(token, ts(during))
    assert claims.license_expires_at == ts(grace_until)
    with pytest.raises(tokens.TokenError, match="license has expired"):
        station_view(token, ts(grace_until) + 1)
