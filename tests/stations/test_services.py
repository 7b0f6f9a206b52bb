"""Pairing within a license's seats, pairing codes (15 minutes, once), removal and heartbeats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lanward.lib import license_token as tokens
from lanward.licensing import keys
from lanward.licensing.models import License
from lanward.stations import services
from lanward.stations.models import PairingCode, Station
from lanward.stations.services import PairingError
from tests.portal_cast import make_license, make_user


@pytest.fixture
def owner(db):
    return make_user("owner@example.com")


@pytest.fixture
def license(owner, plans) -> License:
    return make_license(owner, plans["home-1y"])  # 3 seats


def pair(owner, name: str = "Living room") -> services.Paired:
    return services.pair_with_code(PairingCode.issue(owner).code, name)


def refused(raw_code: str, name: str = "Hall") -> PairingError:
    with pytest.raises(PairingError) as info:
        services.pair_with_code(raw_code, name)
    return info.value


def test_a_pairing_code_lasts_15_minutes(owner):
    before = timezone.now()
    code = PairingCode.issue(owner)
    assert len(code.code) == 8 and code.pretty == f"{code.code[:4]}-{code.code[4:]}"
    assert (
        before + timedelta(minutes=15) <= code.expires_at <= timezone.now() + timedelta(minutes=15)
    )


def test_pairing_gives_a_secret_and_a_token_for_the_station(owner, license):
    code = PairingCode.issue(owner)
    paired = services.pair_with_code(code.pretty.lower(), "  Living   room ")
    station = paired.station
    assert station.owner == owner and station.license == license
    assert station.name == "Living room"
    assert station.check_secret(paired.secret) and not station.check_secret("wrong")
    assert paired.secret not in station.secret_hash
    claims = tokens.verify(
        paired.token, keys.public_key(), str(station.id), int(timezone.now().timestamp())
    )
    assert claims.license_id == license.pk and claims.seats == 3


def test_a_pairing_code_works_once(owner, license):
    code = PairingCode.issue(owner)
    services.pair_with_code(code.code, "Kitchen")
    error = refused(code.code)
    assert error.code == "bad_code"
    assert "Make a new one" in str(error)
    assert Station.objects.count() == 1


def test_an_expired_pairing_code_is_refused(owner, license):
    code = PairingCode.issue(owner)
    PairingCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refused(code.code).code == "bad_code"
    code = PairingCode.issue(owner)
    PairingCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() + timedelta(seconds=10))
    assert services.pair_with_code(code.code, "Still in time").station


def test_an_unknown_pairing_code_is_refused(license):
    assert refused("ZZZZ-ZZZZ").code == "bad_code"


def test_pairing_is_refused_past_the_seats_with_a_clear_message(owner, license):
    for i in range(3):
        pair(owner, f"Station {i}")
    code = PairingCode.issue(owner)
    error = refused(code.code)
    assert error.code == "no_seats"
    assert str(error).startswith("All 3 seats of your license are in use.")
    assert "Remove a station or upgrade" in str(error)
    assert Station.objects.filter(owner=owner).count() == 3
    # The refused code was not used up: it works once a seat is free.
    code.refresh_from_db()
    assert code.used_at is None
    services.remove(Station.objects.filter(owner=owner).first())
    assert services.pair_with_code(code.code, "Fourth").station


def test_removing_a_station_frees_its_seat(owner, license):
    stations = [pair(owner, f"Station {i}").station for i in range(3)]
    assert license.seats_used == 3
    services.remove(stations[0])
    stations[0].refresh_from_db()
    assert stations[0].removed_at is not None
    assert license.seats_used == 2
    assert pair(owner, "Replacement").station.license == license


def test_seats_of_several_licenses_add_up(owner, plans, license):
    trial = make_license(owner, plans["trial-30d"])  # one more seat
    paired = [pair(owner, f"Station {i}").station for i in range(4)]
    assert {s.license_id for s in paired} == {license.pk, trial.pk}
    error = refused(PairingCode.issue(owner).code)
    assert error.code == "no_seats" and "All 4 seats" in str(error)


def test_pairing_needs_a_usable_license(owner, license):
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() - timedelta(days=1))
    assert refused(PairingCode.issue(owner).code).code == "no_license"


def test_pairing_needs_a_name(owner, license):
    assert refused(PairingCode.issue(owner).code, name="   ").code == "name"


def test_pairing_with_the_password_unless_two_factor(owner, license):
    owner.set_password("owner passphrase 1")
    owner.save()
    paired = services.pair_with_credentials(
        "owner@example.com", "owner passphrase 1", "Garage", None
    )
    assert paired.station.owner == owner
    with pytest.raises(PairingError) as info:
        services.pair_with_credentials("owner@example.com", "wrong", "Garage", None)
    assert info.value.code == "credentials"
    from lanward.accounts.models import CodeFactor

    CodeFactor.objects.create(user=owner, method="email")
    with pytest.raises(PairingError) as info:
        services.pair_with_credentials("owner@example.com", "owner passphrase 1", "Garage", None)
    assert info.value.code == "mfa"


def test_heartbeat_records_the_station_and_returns_a_fresh_token(owner, license):
    station = pair(owner).station
    assert not station.is_online()
    before = int(timezone.now().timestamp())
    token = services.heartbeat(station, "1.2.3")
    station.refresh_from_db()
    assert station.version == "1.2.3" and station.is_online()
    claims = tokens.verify(token, keys.public_key(), str(station.id), before)
    assert claims.issued_at >= before
    assert services.heartbeat(station) and Station.objects.get(pk=station.pk).version == "1.2.3"
