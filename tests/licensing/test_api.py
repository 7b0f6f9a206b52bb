"""The licensing API for the cast: the owner, another user (404, never a change) and anonymous
(401); activation errors and email recovery as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from lanward.lib import codes
from lanward.licensing import services
from lanward.licensing.models import ActivationCode, License
from tests.portal_cast import make_user

# (name, method, path, body, what the owner gets)
OBJECT_ENDPOINTS = [
    ("auto-renew", "post", "/api/v1/licenses/{id}/auto-renew", {"enabled": False}, 200),
    ("renew", "post", "/api/v1/licenses/{id}/renew", None, 200),
]
ENDPOINTS = [
    *OBJECT_ENDPOINTS,
    ("list", "get", "/api/v1/licenses", None, 200),
    ("activate", "post", "/api/v1/licenses/activate", {"code": "x"}, 400),
]


def call(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    if method == "get":
        return client.get(path, headers=headers)
    return getattr(client, method)(
        path, json.dumps(body or {}), content_type="application/json", headers=headers
    )


def snapshot(license: License) -> tuple[Any, ...]:
    lic = License.objects.select_related("subscription").get(pk=license.pk)
    return (lic.ends_at, lic.status, lic.subscription.auto_renew, lic.invoices.count())


@pytest.mark.parametrize(("name", "method", "path", "body", "_"), ENDPOINTS)
def test_anonymous_gets_401(client_as, cast, name, method, path, body, _):
    before = snapshot(cast.owner_license)
    r = call(client_as("anonymous"), method, path.format(id=cast.owner_license.pk), body)
    assert r.status_code == 401
    assert snapshot(cast.owner_license) == before


@pytest.mark.parametrize(("name", "method", "path", "body", "_"), OBJECT_ENDPOINTS)
def test_another_user_gets_404_and_changes_nothing(client_as, cast, name, method, path, body, _):
    before = snapshot(cast.owner_license)
    r = call(client_as("other"), method, path.format(id=cast.owner_license.pk), body)
    assert r.status_code == 404
    assert snapshot(cast.owner_license) == before


@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), OBJECT_ENDPOINTS)
def test_the_owner_may(client_as, cast, name, method, path, body, expected):
    before = snapshot(cast.owner_license)
    r = call(client_as("owner"), method, path.format(id=cast.owner_license.pk), body)
    assert r.status_code == expected, r.content
    data = r.json()
    assert data["id"] == cast.owner_license.pk
    after = snapshot(cast.owner_license)
    if name == "auto-renew":
        assert data["auto_renew"] is False and after[2] is False
        assert data["status"] == "active"  # still active until the end date
    else:
        assert after[0] > before[0] and data["ends_at"] == after[0].isoformat()
        assert data["subscription_status"] == "active"


def test_the_list_holds_only_ones_own_licenses(client_as, cast):
    for role, mine in [("owner", cast.owner_license), ("other", cast.other_license)]:
        data = call(client_as(role), "get", "/api/v1/licenses").json()
        assert [lic["id"] for lic in data] == [mine.pk]
        assert data[0]["key"] == mine.masked_key and mine.key not in json.dumps(data)
        assert data[0]["plan"] == "home-1y" and data[0]["seats"] == 3


def test_activation_answers(client_as, cast, plans):
    client = client_as("other")
    code = ActivationCode.issue(plans["family-1y"], 1)[0]
    r = call(client, "post", "/api/v1/licenses/activate", {"code": codes.pretty(code.code)})
    assert r.status_code == 201
    assert r.json()["plan"] == "family-1y" and r.json()["status"] == "active"
    typo = code.code[:-1] + ("0" if code.code[-1] != "0" else "1")
    for raw, expected in [
        (code.code, "used"),
        (typo, "typo"),
        (codes.generate(), "unknown"),
        ("short", "format"),
    ]:
        r = call(client, "post", "/api/v1/licenses/activate", {"code": raw})
        assert r.status_code == 400
        assert r.json()["code"] == expected and r.json()["detail"]


def test_activation_rate_limit_is_429(client_as, cast, settings):
    settings.LANWARD_ACTIVATION_RATE = (2, 600)
    client = client_as("other")
    answers = [
        call(client, "post", "/api/v1/licenses/activate", {"code": codes.generate()})
        for _ in range(3)
    ]
    assert [r.status_code for r in answers] == [400, 400, 429]
    assert answers[-1].json()["code"] == "rate_limited"


def test_a_session_token_from_the_app_login_works(cast):
    cast.other.set_password("other passphrase 2")
    cast.other.save()
    r = Client().post(
        "/_allauth/app/v1/auth/login",
        json.dumps({"email": "other@example.com", "password": "other passphrase 2"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    token = r.json()["meta"]["session_token"]
    client = Client()
    data = call(client, "get", "/api/v1/licenses", X_SESSION_TOKEN=token).json()
    assert [lic["id"] for lic in data] == [cast.other_license.pk]
    r = call(
        client,
        "post",
        f"/api/v1/licenses/{cast.owner_license.pk}/renew",
        X_SESSION_TOKEN=token,
    )
    assert r.status_code == 404
    assert call(client, "get", "/api/v1/licenses", X_SESSION_TOKEN="nonsense").status_code == 401


# --- recover email ----------------------------------------------------------------------


@pytest.fixture
def used_code(cast, plans) -> str:
    code = ActivationCode.issue(plans["home-1y"], 1)[0]
    services.activate(make_user("forgetful.person@example.com"), code.code, ip="192.0.2.99")
    from django.core.cache import cache

    from lanward.accounts.models import RateCounter

    cache.clear()
    RateCounter.objects.all().delete()
    return code.code


def recover(code: str) -> Any:
    return call(Client(), "post", "/api/v1/account/recover-email", {"activation_code": code})


def test_recover_email_same_shape_masked_email_only_for_used_codes(used_code, plans, mailoutbox):
    unused = ActivationCode.issue(plans["home-1y"], 1)[0].code
    answers = {
        "used": recover(used_code),
        "unknown": recover(codes.generate()),
        "unused": recover(unused),
    }
    assert {r.status_code for r in answers.values()} == {200}
    bodies = {name: r.json() for name, r in answers.items()}
    assert {tuple(sorted(b)) for b in bodies.values()} == {("email", "message")}
    assert len({b["message"] for b in bodies.values()}) == 1
    assert bodies["used"]["email"] == "f***@e******.com"
    assert bodies["unknown"]["email"] == bodies["unused"]["email"] == ""
    assert [m.to for m in mailoutbox] == [["forgetful.person@example.com"]]
    assert "forgetful.person@example.com" in mailoutbox[0].body


def test_recover_email_is_rate_limited(used_code, settings, mailoutbox):
    settings.LANWARD_RECOVER_EMAIL_RATE = (3, 600)
    statuses = [recover(codes.generate()).status_code for _ in range(3)]
    limited = recover(used_code)
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert "email" not in limited.json()
    assert mailoutbox == []


def test_recover_email_for_a_closed_account_says_nothing(used_code, mailoutbox):
    from lanward.accounts.models import User

    User.objects.filter(email="forgetful.person@example.com").update(is_active=False)
    assert recover(used_code).json()["email"] == ""
    assert mailoutbox == []
