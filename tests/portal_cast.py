"""The portal's cast of users, shared by tests/licensing, tests/stations and tests/support
(STYLE rule 8): an owner, another user, and anonymous.

- owner: a verified account with a license, a paired station and a ticket;
- other: another verified account (with a license of its own), who must never see or change
  the owner's things: their pages answer 404, not 403;
- anonymous: not signed in: pages redirect to sign-in, the API answers 401.

Import the fixtures into a package's conftest.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client

from lanward.accounts.models import User
from lanward.lib.payments import ChargeResult
from lanward.licensing import keys, services
from lanward.licensing.models import ActivationCode, License, Plan

ROLES = ("owner", "other", "anonymous")
LOGIN_PREFIX = "/accounts/login/?next="

# The plans of migration 0002, recreated when a transactional test flushed them away.
PLANS = [
    ("home-1y", "lanward Home, 1 year", 365, 3, Decimal("39.00"), False),
    ("home-2y", "lanward Home, 2 years", 730, 3, Decimal("69.00"), False),
    ("family-1y", "lanward Family, 1 year", 365, 10, Decimal("59.00"), False),
    ("trial-30d", "lanward Home, 30-day trial", 30, 1, Decimal("0.00"), True),
]


@pytest.fixture(autouse=True)
def _portal_isolation(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A signing key outside the work tree, uploads in a temporary directory, fresh rate limits
    (the database cache table outlives a transactional test's flush)."""
    base = tmp_path_factory.getbasetemp()
    settings.LANWARD_LICENSE_KEY_FILE = base / "keys" / "license_ed25519.pem"
    settings.MEDIA_ROOT = base / "media"
    keys.private_key.cache_clear()
    try:
        cache.clear()
    except Exception:  # noqa: BLE001 - no database for this test: nothing to clear
        pass
    yield
    keys.private_key.cache_clear()


@pytest.fixture
def plans(db: Any) -> dict[str, Plan]:
    for slug, name, days, seats, price, trial in PLANS:
        Plan.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "duration_days": days,
                "seats": seats,
                "renewal_price": price,
                "is_trial": trial,
                "renewable": not trial,
            },
        )
    return {p.slug: p for p in Plan.objects.all()}


def make_user(email: str, password: str | None = None) -> User:
    user = User.objects.create_user(email, password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_license(
    owner: User, plan: Plan, now: datetime | None = None, ip: str = "192.0.2.1"
) -> License:
    """A license as a customer gets one: a fresh code, activated."""
    code = ActivationCode.issue(plan, 1)[0]
    license = services.activate(owner, code.code, ip=ip, now=now)
    cache.clear()  # activations made for setting up don't count against the rate limits
    from lanward.accounts.models import RateCounter

    RateCounter.objects.all().delete()
    return License.objects.select_related("plan", "subscription").get(pk=license.pk)


@dataclass
class Cast:
    owner: User
    other: User
    owner_license: License
    other_license: License

    def user(self, role: str) -> User | None:
        return {"owner": self.owner, "other": self.other, "anonymous": None}[role]


@pytest.fixture
def cast(plans: dict[str, Plan]) -> Cast:
    owner = make_user("owner@example.com")
    other = make_user("other@example.com")
    return Cast(
        owner=owner,
        other=other,
        owner_license=make_license(owner, plans["home-1y"]),
        other_license=make_license(other, plans["home-1y"]),
    )


def mark_reauthenticated(client: Client, user: User) -> None:
    """As if the user had just confirmed their password on the reauthenticate page."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


@pytest.fixture
def client_as(cast: Cast) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        user = cast.user(role)
        if user is not None:
            client.force_login(user)
            mark_reauthenticated(client, user)
        return client

    return make


def assert_anonymous_sent_to_sign_in(response: Any) -> None:
    assert response.status_code == 302, response
    assert response["Location"].startswith(LOGIN_PREFIX), response["Location"]


class ScriptedProvider:
    """A payment provider (the lib.payments interface) that answers as scripted: one status per
    charge, the last one repeated; "raise" makes the provider itself fail."""

    name = "scripted"

    def __init__(self, *statuses: str) -> None:
        self.statuses = list(statuses) or ["paid"]
        self.charged: list[int] = []

    def charge(self, invoice: Any) -> ChargeResult:
        self.charged.append(invoice.pk)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status == "raise":
            raise ConnectionError("processor unreachable")
        message = {"failed": "card declined", "pending": "awaiting bank transfer"}.get(status, "")
        return ChargeResult(status, reference=f"T-{invoice.pk}", message=message)
