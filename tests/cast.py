"""The console's cast of users, shared by tests/inventory and tests/usage (STYLE rule 8).

- owner: the administrator who set the station up (a superuser);
- member: someone in the "Household" group (view and change permissions after migrate);
- stranger: signed in, but not part of the household;
- anonymous: not signed in.

`client_as(role)` returns a test client signed in as that role (force_login: no password hash).
`assert_access(response, role)` checks the answer each role must get from a console page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from lanward.inventory.apps import HOUSEHOLD_GROUP
from lanward.inventory.models import Device

ROLES = ("owner", "member", "stranger", "anonymous")
ALLOWED = ("owner", "member")
NO_ACCESS_TEXT = "This part belongs to the household"


@pytest.fixture
def cast(db: Any, django_user_model: Any) -> dict[str, Any]:
    household = Group.objects.get(name=HOUSEHOLD_GROUP)
    member = django_user_model.objects.create_user("member@example.com")
    member.groups.add(household)
    return {
        "owner": django_user_model.objects.create_superuser("owner@example.com"),
        "member": member,
        "stranger": django_user_model.objects.create_user("stranger@example.com"),
        "anonymous": None,
    }


@pytest.fixture
def client_as(cast: dict[str, Any]) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        if cast[role] is not None:
            client.force_login(cast[role])
        return client

    return make


@pytest.fixture
def owner_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("owner")


def assert_access(response: Any, role: str, allowed_status: int = 200) -> None:
    """Household roles get `allowed_status`; strangers the no-access page; anonymous, sign-in."""
    if role == "anonymous":
        assert response.status_code == 302, response
        assert response["Location"].startswith("/accounts/login/?next=")
    elif role == "stranger":
        assert response.status_code == 403
        assert NO_ACCESS_TEXT in response.content.decode()
    else:
        assert response.status_code == allowed_status, (role, response.status_code)


def make_device(mac: str, seen: datetime | None = None, **fields: Any) -> Device:
    seen = seen or timezone.now()
    fields.setdefault("first_seen", seen - timedelta(days=1))
    return Device.objects.create(mac=mac, last_seen=seen, **fields)
