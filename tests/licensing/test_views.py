"""Licensing pages for the cast: the owner, another user (404 for the owner's licenses, never a
change) and anonymous (sent to sign in); email recovery from an activation code."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lanward.licensing.models import ActivationCode, License
from tests.portal_cast import Cast, assert_anonymous_sent_to_sign_in, make_user

# (name, method, path, form data, what the owner gets)
OBJECT_VIEWS = [
    ("detail", "get", "/licenses/{id}/", None, 200),
    ("key", "get", "/licenses/{id}/key/", None, 200),
    ("auto-renew", "post", "/licenses/{id}/auto-renew/", {"enabled": "0"}, 302),
    ("renew", "post", "/licenses/{id}/renew/", {}, 302),
    ("upgrade", "post", "/licenses/{id}/upgrade/", {"plan": "family-1y"}, 302),
]
LIST_VIEWS = [
    ("list", "get", "/licenses/", None, 200),
    ("activate", "get", "/licenses/activate/", None, 200),
    ("activate-post", "post", "/licenses/activate/", {"code": "ABCDE-12345-FGHJK-67890"}, 200),
]
IDS = [v[0] for v in OBJECT_VIEWS]


def request(client: Client, method: str, path: str, data: Any, cast: Cast) -> Any:
    path = path.format(id=cast.owner_license.pk)
    if data and "plan" in data:
        from lanward.licensing.models import Plan

        data = {"plan": Plan.objects.get(slug=data["plan"]).pk}
    return getattr(client, method)(path, data or {})


def snapshot(license: License) -> tuple[Any, ...]:
    lic = License.objects.select_related("subscription").get(pk=license.pk)
    sub = lic.subscription
    return (lic.plan_id, lic.ends_at, lic.status, sub.auto_renew, sub.status, lic.invoices.count())


@pytest.mark.parametrize(("name", "method", "path", "data", "_"), OBJECT_VIEWS + LIST_VIEWS)
def test_anonymous_is_sent_to_sign_in(client_as, cast, name, method, path, data, _):
    before = snapshot(cast.owner_license)
    assert_anonymous_sent_to_sign_in(request(client_as("anonymous"), method, path, data, cast))
    assert snapshot(cast.owner_license) == before


@pytest.mark.parametrize(("name", "method", "path", "data", "_"), OBJECT_VIEWS, ids=IDS)
def test_another_user_gets_404_and_changes_nothing(client_as, cast, name, method, path, data, _):
    before = snapshot(cast.owner_license)
    r = request(client_as("other"), method, path, data, cast)
    assert r.status_code == 404
    assert snapshot(cast.owner_license) == before


@pytest.mark.parametrize(("name", "method", "path", "data", "expected"), OBJECT_VIEWS, ids=IDS)
def test_the_owner_may(client_as, cast, name, method, path, data, expected):
    before = snapshot(cast.owner_license)
    r = request(client_as("owner"), method, path, data, cast)
    assert r.status_code == expected, r
    after = snapshot(cast.owner_license)
    changed = {
        "detail": False,
        "key": False,
        "auto-renew": after[3] is False,
        "renew": after[1] > before[1] and after[5] == before[5] + 1,
        "upgrade": after[0] != before[0],
    }[name]
    assert changed or after == before, (name, before, after)
    if name in ("auto-renew", "renew", "upgrade"):
        assert changed, name
    if name == "key":
        assert cast.owner_license.key in r.content.decode()


def test_the_list_shows_only_the_signed_in_users_licenses(client_as, cast):
    for role, mine, theirs in [
        ("owner", cast.owner_license, cast.other_license),
        ("other", cast.other_license, cast.owner_license),
    ]:
        page = client_as(role).get("/licenses/").content.decode()
        assert f'data-license="{mine.pk}"' in page
        assert f'data-license="{theirs.pk}"' not in page
        assert mine.masked_key in page
        assert mine.key not in page  # the whole key only on its own page


def test_the_whole_key_needs_a_recent_password(cast):
    cast.owner.set_password("owner passphrase 1")  # with no password, there is nothing to ask
    cast.owner.save()
    client = Client()
    client.force_login(cast.owner)
    r = client.get(f"/licenses/{cast.owner_license.pk}/key/")
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/reauthenticate/")
    assert cast.owner_license.key not in r.content.decode()


def test_activating_from_the_page(client_as, cast, plans):
    code = ActivationCode.issue(plans["family-1y"], 1)[0]
    client = client_as("other")
    r = client.post("/licenses/activate/", {"code": code.code.lower()})
    assert r.status_code == 302 and r["Location"] == "/licenses/"
    assert License.objects.filter(owner=cast.other, plan__slug="family-1y").exists()
    r = client.post("/licenses/activate/", {"code": code.code})
    assert r.status_code == 200
    assert "already been used" in r.content.decode()


# --- recover email ----------------------------------------------------------------------


@pytest.fixture
def used_code(cast, plans) -> str:
    code = ActivationCode.issue(plans["home-1y"], 1)[0]
    user = make_user("forgetful.person@example.com")
    from lanward.licensing import services

    services.activate(user, code.code, ip="192.0.2.99")
    from django.core.cache import cache

    from lanward.accounts.models import RateCounter

    cache.clear()
    RateCounter.objects.all().delete()
    return code.code


def recover_page(code: str) -> tuple[int, str]:
    r = Client().post("/accounts/recover-email/", {"code": code})
    return r.status_code, r.content.decode()


def test_recover_email_page_answers_alike_for_unknown_and_used_codes(used_code, plans, mailoutbox):
    unused = ActivationCode.issue(plans["home-1y"], 1)[0].code
    from lanward.lib import codes

    unknown = codes.generate()
    pages = {name: recover_page(c) for name, c in [("used", used_code), ("unknown", unknown)]}
    pages["unused"] = recover_page(unused)
    for status, page in pages.values():
        assert status == 200
        assert "If this code was used to activate a license" in page
    assert "f***@e******.com" in pages["used"][1]
    for name in ("unknown", "unused"):
        assert "masked-email" not in pages[name][1]
        assert "forgetful" not in pages[name][1]
    assert [m.to for m in mailoutbox] == [["forgetful.person@example.com"]]
    assert "forgetful.person@example.com" in mailoutbox[0].body


def test_recover_email_page_is_rate_limited(used_code, settings):
    settings.LANWARD_RECOVER_EMAIL_RATE = (2, 600)
    for _ in range(2):
        assert "masked-email" in recover_page(used_code)[1]
    status, page = recover_page(used_code)
    assert status == 200
    assert "Too many attempts" in page and "masked-email" not in page


def test_recover_email_page_reports_a_typo(used_code):
    typo = used_code[:5] + ("1" if used_code[5] != "1" else "2") + used_code[6:]
    assert "typo" in recover_page(typo)[1]
