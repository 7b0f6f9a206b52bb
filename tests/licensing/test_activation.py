"""Activating a code: typos caught before any lookup, a clear reason for every refusal, rate
limits per account and per address, and the `issue-codes` command."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lanward.lib import codes
from lanward.licensing import services
from lanward.licensing.models import ActivationCode, License, Subscription
from lanward.licensing.services import LicensingError
from tests.portal_cast import make_user


@pytest.fixture
def owner(db):
    return make_user("owner@example.com")


def refusal(user, raw: str, ip: str = "192.0.2.10") -> LicensingError:
    with pytest.raises(LicensingError) as info:
        services.activate(user, raw, ip=ip)
    return info.value


def typo_of(code: str) -> str:
    wrong = "1" if code[3] != "1" else "2"
    return code[:3] + wrong + code[4:]


def test_a_code_activates_a_license_for_the_plan(owner, plans):
    code = ActivationCode.issue(plans["home-1y"], 1)[0]
    now = timezone.now()
    license = services.activate(owner, codes.pretty(code.code).lower(), now=now)
    assert license.owner == owner and license.plan == plans["home-1y"]
    assert license.starts_at == now and license.ends_at == now + timedelta(days=365)
    assert license.display_status(now) == "active"
    sub = license.subscription
    assert sub.auto_renew and sub.status == Subscription.Status.ACTIVE
    assert sub.amount == plans["home-1y"].renewal_price
    code.refresh_from_db()
    assert code.used_by == owner and code.used_at == now


def test_a_trial_does_not_renew(owner, plans):
    code = ActivationCode.issue(plans["trial-30d"], 1)[0]
    license = services.activate(owner, code.code)
    assert not license.subscription.auto_renew
    assert license.subscription.status == Subscription.Status.CANCELED


def test_a_typo_is_reported_before_any_lookup(owner, plans):
    code = ActivationCode.issue(plans["home-1y"], 1)[0]
    with CaptureQueriesContext(connection) as queries:
        error = refusal(owner, typo_of(code.code))
    assert error.code == "typo"
    assert "typo" in str(error)
    assert not [q for q in queries.captured_queries if "licensing_" in q["sql"]]
    code.refresh_from_db()
    assert code.used_at is None


def test_unknown_used_and_expired_codes_each_get_their_own_reason(owner, plans):
    unknown = codes.generate()
    used = ActivationCode.issue(plans["home-1y"], 1)[0]
    services.activate(make_user("first@example.com"), used.code)
    expired = ActivationCode.issue(
        plans["home-1y"], 1, expires_at=timezone.now() - timedelta(minutes=1)
    )[0]
    errors = {
        "unknown": refusal(owner, unknown),
        "used": refusal(owner, used.code),
        "expired": refusal(owner, expired.code),
    }
    assert {name: e.code for name, e in errors.items()} == {
        "unknown": "unknown",
        "used": "used",
        "expired": "expired",
    }
    assert len({str(e) for e in errors.values()}) == 3
    assert "don't know this code" in str(errors["unknown"])
    assert "already been used" in str(errors["used"])
    assert "expired" in str(errors["expired"])
    assert not License.objects.filter(owner=owner).exists()


def test_a_code_that_has_not_expired_yet_works(owner, plans):
    code = ActivationCode.issue(plans["home-1y"], 1, expires_at=timezone.now() + timedelta(days=1))[
        0
    ]
    assert services.activate(owner, code.code).plan == plans["home-1y"]


@pytest.mark.parametrize("raw", ["", "ABC", "ABCDE-12345-FGHJK-6789*"])
def test_malformed_input_is_a_format_error(owner, raw):
    assert refusal(owner, raw).code == "format"


def test_rate_limit_per_account(owner, plans, settings):
    settings.LANWARD_ACTIVATION_RATE = (3, 600)
    for i in range(3):
        assert refusal(owner, codes.generate(), ip=f"192.0.2.{i}").code == "unknown"
    good = ActivationCode.issue(plans["home-1y"], 1)[0]
    # The fourth attempt is refused even with a good code, from yet another address...
    assert refusal(owner, good.code, ip="198.51.100.1").code == "rate_limited"
    good.refresh_from_db()
    assert good.used_at is None
    # ...while another account is not held back.
    assert services.activate(make_user("someone@example.com"), good.code, ip="198.51.100.2")


def test_rate_limit_per_address(plans, settings):
    settings.LANWARD_ACTIVATION_RATE = (3, 600)  # per account; an address gets three times that
    users = [make_user(f"user{i}@example.com") for i in range(4)]
    for user in users[:3]:
        for _ in range(3):
            assert refusal(user, codes.generate(), ip="203.0.113.7").code == "unknown"
    good = ActivationCode.issue(plans["home-1y"], 1)[0]
    error = refusal(users[3], good.code, ip="203.0.113.7")
    assert error.code == "rate_limited"
    assert "Wait ten minutes" in str(error)
    assert services.activate(users[3], good.code, ip="203.0.113.8")


# --- issue-codes ------------------------------------------------------------------------


def test_issue_codes_prints_codes_and_writes_csv(plans, tmp_path):
    out = io.StringIO()
    path = tmp_path / "batch.csv"
    call_command(
        "issue-codes",
        "--plan",
        "family-1y",
        "--count",
        "5",
        "--csv",
        str(path),
        "--expires-days",
        "90",
        "--batch",
        "shop-2026",
        stdout=out,
    )
    printed = out.getvalue().split()
    assert len(printed) == 5 and len(set(printed)) == 5
    for pretty in printed:
        assert len(pretty) == 23 and pretty.count("-") == 3
        assert codes.normalize(pretty) == pretty.replace("-", "")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["code"] for row in rows] == printed
    assert {row["plan"] for row in rows} == {"family-1y"}
    assert {row["batch"] for row in rows} == {"shop-2026"}
    assert all(row["expires_at"] for row in rows)
    stored = ActivationCode.objects.filter(batch="shop-2026")
    assert sorted(codes.pretty(c.code) for c in stored) == sorted(printed)
    assert all(c.plan.slug == "family-1y" and c.expires_at for c in stored)


def test_issued_codes_activate(plans, owner):
    out = io.StringIO()
    call_command("issue-codes", "--plan", "home-1y", "--count", "2", stdout=out)
    first = out.getvalue().split()[0]
    assert services.activate(owner, first).plan.slug == "home-1y"


def test_issue_codes_with_an_unknown_plan_is_a_clear_error(plans):
    with pytest.raises(CommandError) as info:
        call_command("issue-codes", "--plan", "gold", "--count", "3")
    message = str(info.value)
    assert "There is no plan 'gold'" in message
    assert "home-1y" in message and "family-1y" in message
    assert not ActivationCode.objects.exists()


def test_issue_codes_refuses_a_silly_count(plans):
    with pytest.raises(CommandError, match="--count must be between"):
        call_command("issue-codes", "--plan", "home-1y", "--count", "0")
