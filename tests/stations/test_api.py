"""The stations API: the cast (owner, other user: 404, anonymous: 401), pairing answers and the
heartbeat, which a station authenticates with its own secret only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client
from django.utils import timezone

from lanward.lib import license_token as tokens
from lanward.stations.models import PairingCode, Station

PAIR = "/api/v1/stations/pair"


def call(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    if method in ("get", "delete"):
        return getattr(client, method)(path, headers=headers)
    return getattr(client, method)(
        path, json.dumps(body or {}), content_type="application/json", headers=headers
    )


def pair(owner: Any, name: str = "Living room") -> dict[str, Any]:
    code = PairingCode.issue(owner)
    r = call(Client(), "post", PAIR, {"pairing_code": code.pretty, "name": name})
    assert r.status_code == 201, r.content
    return r.json()


def heartbeat(station_id: Any, secret: str, version: str = "0.9") -> Any:
    return call(
        Client(),
        "post",
        f"/api/v1/stations/{station_id}/heartbeat",
        {"version": version},
        Authorization=f"Bearer {secret}",
    )


@pytest.fixture
def station(cast) -> dict[str, Any]:
    return pair(cast.owner)


def is_removed(station_id: str) -> bool:
    return Station.objects.get(pk=station_id).removed_at is not None


# --- the cast ---------------------------------------------------------------------------


def test_anonymous_gets_401(client_as, station):
    client = client_as("anonymous")
    assert call(client, "get", "/api/v1/stations").status_code == 401
    assert call(client, "post", "/api/v1/stations/pairing-codes").status_code == 401
    assert call(client, "delete", f"/api/v1/stations/{station['station_id']}").status_code == 401
    assert not is_removed(station["station_id"])
    assert not PairingCode.objects.filter(used_at__isnull=True).exists()


def test_another_user_cannot_see_or_remove_the_owners_station(client_as, station):
    client = client_as("other")
    assert call(client, "get", "/api/v1/stations").json() == []
    r = call(client, "delete", f"/api/v1/stations/{station['station_id']}")
    assert r.status_code == 404
    assert not is_removed(station["station_id"])


@pytest.mark.parametrize("role", ["owner", "other", "anonymous"])
def test_only_the_station_itself_may_send_its_heartbeat(client_as, station, role):
    """A person's session is not a station: without the station's secret, 401 for everyone."""
    path = f"/api/v1/stations/{station['station_id']}/heartbeat"
    assert call(client_as(role), "post", path, {"version": "6.6.6"}).status_code == 401
    assert Station.objects.get(pk=station["station_id"]).last_heartbeat is None


def test_the_owner_lists_and_removes_their_station(client_as, cast, station):
    client = client_as("owner")
    listed = call(client, "get", "/api/v1/stations").json()
    assert [s["id"] for s in listed] == [station["station_id"]]
    assert listed[0]["license_id"] == cast.owner_license.pk and listed[0]["online"] is False
    r = call(client, "delete", f"/api/v1/stations/{station['station_id']}")
    assert r.status_code == 204
    assert is_removed(station["station_id"])
    assert call(client, "get", "/api/v1/stations").json() == []
    # Removed stations are gone for their owner too.
    assert call(client, "delete", f"/api/v1/stations/{station['station_id']}").status_code == 404


def test_pairing_codes_are_made_for_the_signed_in_user(client_as, cast):
    r = call(client_as("other"), "post", "/api/v1/stations/pairing-codes")
    assert r.status_code == 201
    code = r.json()["code"]
    assert len(code) == 9 and code[4] == "-"
    assert PairingCode.objects.get(code=code.replace("-", "")).owner == cast.other


# --- pairing ----------------------------------------------------------------------------


def test_pairing_answers_with_a_secret_a_token_and_the_public_key(cast):
    paired = pair(cast.owner)
    key = serialization.load_pem_public_key(paired["public_key"].encode())
    claims = tokens.verify(
        paired["license_token"], key, paired["station_id"], int(timezone.now().timestamp())
    )
    assert claims.license_id == cast.owner_license.pk
    station = Station.objects.get(pk=paired["station_id"])
    assert station.owner == cast.owner and station.check_secret(paired["secret"])


def test_pairing_past_the_seats_is_409_no_seats(cast):
    for i in range(3):
        pair(cast.owner, f"Station {i}")
    code = PairingCode.issue(cast.owner)
    r = call(Client(), "post", PAIR, {"pairing_code": code.code, "name": "One too many"})
    assert r.status_code == 409
    assert r.json()["code"] == "no_seats"
    assert "All 3 seats" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"pairing_code": "ZZZZ-ZZZZ", "name": "x"}, "bad_code"),
        ({"name": "x"}, "missing"),
        ({"email": "owner@example.com", "password": "wrong", "name": "x"}, "credentials"),
    ],
)
def test_pairing_refusals_are_400(cast, body, code):
    r = call(Client(), "post", PAIR, body)
    assert r.status_code == 400
    assert r.json()["code"] == code


def test_pairing_is_rate_limited_per_address(cast):
    answers = [
        call(Client(), "post", PAIR, {"pairing_code": "ZZZZ-ZZZZ", "name": "x"}) for _ in range(31)
    ]
    assert [r.status_code for r in answers[:30]] == [400] * 30
    assert answers[30].status_code == 429 and answers[30].json()["code"] == "rate_limited"


# --- heartbeat --------------------------------------------------------------------------


def test_heartbeat_with_the_right_secret_returns_a_fresh_token(station):
    r = heartbeat(station["station_id"], station["secret"], "1.0.1")
    assert r.status_code == 200
    data = r.json()
    assert data["license_status"] == "active"
    claims = tokens.verify(
        data["license_token"],
        serialization.load_pem_public_key(station["public_key"].encode()),
        station["station_id"],
        int(timezone.now().timestamp()),
    )
    assert (
        claims.issued_at
        >= tokens.verify(
            station["license_token"],
            serialization.load_pem_public_key(station["public_key"].encode()),
            station["station_id"],
            int(timezone.now().timestamp()),
        ).issued_at
    )
    stored = Station.objects.get(pk=station["station_id"])
    assert stored.version == "1.0.1" and stored.last_heartbeat is not None


def test_heartbeat_with_a_wrong_secret_is_401(station):
    assert heartbeat(station["station_id"], "not-the-secret").status_code == 401
    assert heartbeat(station["station_id"], "").status_code == 401
    r = call(Client(), "post", f"/api/v1/stations/{station['station_id']}/heartbeat", {})
    assert r.status_code == 401
    assert Station.objects.get(pk=station["station_id"]).last_heartbeat is None


def test_heartbeat_for_another_station_with_your_secret_is_401(cast, station):
    mine = pair(cast.other)
    assert heartbeat(station["station_id"], mine["secret"]).status_code == 401
    assert heartbeat(mine["station_id"], station["secret"]).status_code == 401
    assert heartbeat(uuid.uuid4(), station["secret"]).status_code == 401
    assert Station.objects.get(pk=station["station_id"]).last_heartbeat is None


def test_heartbeat_for_a_station_id_that_is_not_a_uuid_is_401(station):
    assert heartbeat("not-a-uuid", station["secret"]).status_code == 401


def test_a_removed_station_can_no_longer_report(station):
    Station.objects.filter(pk=station["station_id"]).update(removed_at=timezone.now())
    assert heartbeat(station["station_id"], station["secret"]).status_code == 401


def test_the_public_key_is_published(station):
    r = Client().get("/api/v1/license-public-key")
    assert r.status_code == 200
    assert r.content.decode() == station["public_key"]
