"""Station pages for the cast: the owner, another user (404 for the owner's station, never a
change) and anonymous (sent to sign in)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lanward.stations import services
from lanward.stations.models import PairingCode, Station
from tests.portal_cast import assert_anonymous_sent_to_sign_in


@pytest.fixture
def station(cast) -> Station:
    code = PairingCode.issue(cast.owner)
    return services.pair_with_code(code.code, "Owner's attic").station


def removed(station: Station) -> bool:
    station.refresh_from_db()
    return station.removed_at is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/stations/"),
        ("post", "/stations/pairing-code/"),
        ("get", "/stations/{id}/remove/"),
        ("post", "/stations/{id}/remove/"),
    ],
)
def test_anonymous_is_sent_to_sign_in(client_as, station, method, path):
    r = getattr(client_as("anonymous"), method)(path.format(id=station.pk))
    assert_anonymous_sent_to_sign_in(r)
    assert not removed(station)


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_user_cannot_remove_the_owners_station(client_as, station, method):
    r = getattr(client_as("other"), method)(f"/stations/{station.pk}/remove/")
    assert r.status_code == 404
    assert not removed(station)


def test_another_users_list_does_not_show_the_owners_station(client_as, station):
    page = client_as("other").get("/stations/").content.decode()
    assert "Owner&#x27;s attic" not in page and "Owner's attic" not in page
    assert "0 of 3 seats in use" in page


def test_the_owner_sees_and_removes_their_station(client_as, station):
    client = client_as("owner")
    page = client.get("/stations/").content.decode()
    assert "Owner&#x27;s attic" in page and "1 of 3 seats in use" in page
    confirm = client.get(f"/stations/{station.pk}/remove/")
    assert confirm.status_code == 200 and not removed(station)
    r = client.post(f"/stations/{station.pk}/remove/")
    assert r.status_code == 302 and r["Location"] == "/stations/"
    assert removed(station)
    assert "0 of 3 seats in use" in client.get("/stations/").content.decode()
    assert client.get(f"/stations/{station.pk}/remove/").status_code == 404


def test_a_new_pairing_code_replaces_the_previous_one_of_that_user_only(client_as, cast):
    others_code = PairingCode.issue(cast.other)
    client = client_as("owner")
    r = client.post("/stations/pairing-code/")
    assert r.status_code == 302
    first = PairingCode.objects.filter(owner=cast.owner).get()
    assert first.code[:4] in client.get("/stations/").content.decode()
    client.post("/stations/pairing-code/")
    first.refresh_from_db()
    assert first.expires_at <= timezone.now()  # the old one no longer works
    assert PairingCode.objects.filter(owner=cast.owner, expires_at__gt=timezone.now()).count() == 1
    others_code.refresh_from_db()
    assert others_code.expires_at > timezone.now()
