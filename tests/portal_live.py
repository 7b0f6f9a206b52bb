"""Helpers for the licensing and station tests against a running `lanward serve`
(the `live_server_proc` fixture): its database through `lanward manage shell`, accounts and
session tokens from allauth's headless API. Loopback only."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.conftest import LiveServer, unique_email

PASSWORD = "correct horse battery staple"

_PRELUDE = """
import json
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.utils import timezone
from lanward.accounts.models import User
from lanward.licensing import services
from lanward.licensing.models import ActivationCode, Invoice, License, Plan
from lanward.stations.models import PairingCode, Station
"""


def run(server: LiveServer, code: str) -> Any:
    """Run Python against the server's database; the code sets `result` (JSON-able)."""
    script = _PRELUDE + "result = None\n" + code + "\nprint('RESULT=' + json.dumps(result))\n"
    out = server.manage("shell", "--no-imports", "-c", script).stdout
    for line in reversed(out.splitlines()):
        if line.startswith("RESULT="):
            return json.loads(line[len("RESULT=") :])
    raise AssertionError(f"no result from the shell: {out}")


def create_users(server: LiveServer, *prefixes: str, plan: str = "") -> list[str]:
    """Verified accounts with PASSWORD, one per prefix; with `plan`, each activates a license of
    that plan. Rate-limit counters are cleared: earlier tests came from the same address."""
    emails = [unique_email(p) for p in prefixes]
    run(
        server,
        f"""
from lanward.accounts.models import RateCounter
cache.clear()
RateCounter.objects.all().delete()
for email in {emails!r}:
    user = User.objects.create_user(email, {PASSWORD!r})
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if {plan!r}:
        code = ActivationCode.issue(Plan.objects.get(slug={plan!r}), 1)[0]
        services.activate(user, code.code, ip="192.0.2.250")
cache.clear()
RateCounter.objects.all().delete()
""",
    )
    return emails


def session_token(server: LiveServer, email: str) -> str:
    """Sign in through allauth's headless API for apps; the token goes in X-Session-Token."""
    r = requests.post(
        f"{server.url}/_allauth/app/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["meta"]["session_token"])
