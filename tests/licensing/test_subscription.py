"""What a customer controls: auto-renew, renewing now, upgrading (never downgrading)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from lanward.lib.payments import InvoiceProvider
from lanward.licensing import services
from lanward.licensing.models import Invoice, License, Subscription
from lanward.licensing.services import LicensingError
from tests.portal_cast import ScriptedProvider, make_license, make_user

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def owner(db):
    return make_user("owner@example.com")


@pytest.fixture
def license(owner, plans) -> License:
    return make_license(owner, plans["home-1y"], now=T0)


def fresh(license: License) -> License:
    return License.objects.select_related("plan", "subscription").get(pk=license.pk)


# --- auto-renew -------------------------------------------------------------------------


def test_turning_auto_renew_off_keeps_the_license_until_its_end_date(license):
    end = license.ends_at
    sub = services.set_auto_renew(license, False)
    assert not sub.auto_renew and sub.status == Subscription.Status.CANCELED
    lic = fresh(license)
    assert lic.ends_at == end and lic.status == License.Status.ACTIVE
    assert lic.subscription.next_renewal_at is None
    assert lic.display_status(end - timedelta(days=60)) == "active"
    assert lic.display_status(end - timedelta(days=1)) == "expiring"
    assert lic.is_usable(end - timedelta(minutes=1))
    services.run_renewals(now=end - timedelta(minutes=1), provider=ScriptedProvider("paid"))
    assert fresh(license).status == License.Status.ACTIVE
    services.run_renewals(now=end + timedelta(minutes=1), provider=ScriptedProvider("paid"))
    assert fresh(license).status == License.Status.EXPIRED
    assert not Invoice.objects.exists()


def test_turning_auto_renew_back_on(license):
    services.set_auto_renew(license, False)
    sub = services.set_auto_renew(fresh(license), True)
    assert sub.auto_renew and sub.status == Subscription.Status.ACTIVE
    assert fresh(license).subscription.next_renewal_at == license.ends_at


def test_auto_renew_cannot_be_turned_on_for_a_trial_or_an_expired_license(owner, plans, license):
    trial = make_license(owner, plans["trial-30d"])
    with pytest.raises(LicensingError) as info:
        services.set_auto_renew(trial, True)
    assert info.value.code == "not_renewable"
    License.objects.filter(pk=license.pk).update(status=License.Status.EXPIRED)
    with pytest.raises(LicensingError) as info:
        services.set_auto_renew(fresh(license), True)
    assert info.value.code == "expired" and "Renew now" in str(info.value)


# --- renew now --------------------------------------------------------------------------


def test_renew_now_extends_from_the_end_date(license, mailoutbox):
    end = license.ends_at
    invoice = services.renew_now(license, ScriptedProvider("paid"), now=T0 + timedelta(days=100))
    assert fresh(license).ends_at == end + timedelta(days=365)
    assert invoice.status == Invoice.Status.PAID and invoice.reason == "manual"
    assert (invoice.period_start, invoice.period_end) == (end, end + timedelta(days=365))
    mail = next(m for m in mailoutbox if "renewed" in m.subject)
    assert "We charged 39.00 EUR" in mail.body


def test_renew_now_extends_from_today_when_already_expired(license):
    services.set_auto_renew(license, False)
    end = license.ends_at
    services.run_renewals(now=end + timedelta(days=1), provider=ScriptedProvider("paid"))
    assert fresh(license).status == License.Status.EXPIRED
    today = end + timedelta(days=40)
    services.renew_now(fresh(license), ScriptedProvider("paid"), now=today)
    lic = fresh(license)
    assert lic.ends_at == today + timedelta(days=365)
    assert lic.status == License.Status.ACTIVE
    assert lic.display_status(today) == "active"
    assert lic.subscription.status == Subscription.Status.CANCELED  # auto-renew stays off


def test_renew_now_clears_a_past_due_subscription(license):
    end = license.ends_at
    services.run_renewals(now=end + timedelta(hours=1), provider=ScriptedProvider("failed"))
    assert fresh(license).subscription.status == Subscription.Status.PAST_DUE
    services.renew_now(fresh(license), ScriptedProvider("paid"), now=end + timedelta(days=2))
    sub = fresh(license).subscription
    assert sub.status == Subscription.Status.ACTIVE
    assert (sub.failed_attempts, sub.grace_until, sub.next_attempt_at) == (0, None, None)


def test_renew_now_with_a_failed_payment_changes_nothing(license):
    end = license.ends_at
    with pytest.raises(LicensingError) as info:
        services.renew_now(license, ScriptedProvider("failed"), now=T0)
    assert info.value.code == "payment_failed" and "card declined" in str(info.value)
    assert fresh(license).ends_at == end
    assert not Invoice.objects.exists()


def test_renew_now_by_invoice_says_the_invoice_is_coming(license, mailoutbox):
    invoice = services.renew_now(license, InvoiceProvider(), now=T0)
    assert invoice.status == Invoice.Status.OPEN
    mail = next(m for m in mailoutbox if "renewed" in m.subject)
    assert "is on its way" in mail.body and "We charged" not in mail.body


def test_a_trial_cannot_be_renewed(owner, plans):
    trial = make_license(owner, plans["trial-30d"])
    with pytest.raises(LicensingError) as info:
        services.renew_now(trial, ScriptedProvider("paid"))
    assert info.value.code == "not_renewable"


def test_a_suspended_license_cannot_be_renewed(license):
    License.objects.filter(pk=license.pk).update(status=License.Status.SUSPENDED)
    with pytest.raises(LicensingError) as info:
        services.renew_now(fresh(license), ScriptedProvider("paid"))
    assert info.value.code == "suspended"


# --- upgrades ---------------------------------------------------------------------------


def test_upgrade_to_more_seats(license, plans):
    end = license.ends_at
    half_way = T0 + timedelta(days=365 // 2)
    invoice = services.upgrade(license, plans["family-1y"], ScriptedProvider("paid"), now=half_way)
    lic = fresh(license)
    assert lic.plan == plans["family-1y"] and lic.plan.seats == 10
    assert lic.ends_at == end  # same term
    assert invoice.reason == "upgrade" and invoice.status == Invoice.Status.PAID
    # The price difference (59 - 39) for the part of the term that is left: 183 of 365 days.
    assert invoice.amount == Decimal("10.03")
    assert lic.subscription.amount == plans["family-1y"].renewal_price


def test_upgrade_to_a_longer_term(license, plans):
    end = license.ends_at
    services.upgrade(license, plans["home-2y"], ScriptedProvider("paid"), now=T0)
    lic = fresh(license)
    assert lic.plan == plans["home-2y"]
    assert lic.ends_at == end + timedelta(days=365)


@pytest.mark.parametrize(
    ("start", "target"),
    [("family-1y", "home-1y"), ("home-2y", "home-1y"), ("home-1y", "home-1y")],
)
def test_a_downgrade_is_refused(owner, plans, start, target):
    license = make_license(owner, plans[start], now=T0)
    provider = ScriptedProvider("paid")
    with pytest.raises(LicensingError) as info:
        services.upgrade(license, plans[target], provider, now=T0)
    assert info.value.code == "not_an_upgrade"
    assert "more stations or a longer term" in str(info.value)
    assert fresh(license).plan == plans[start]
    assert provider.charged == [] and not Invoice.objects.exists()


def test_an_expired_license_must_be_renewed_before_upgrading(license, plans):
    with pytest.raises(LicensingError) as info:
        services.upgrade(
            license, plans["family-1y"], ScriptedProvider("paid"), now=T0 + timedelta(days=400)
        )
    assert info.value.code == "expired"


def test_an_upgrade_whose_payment_fails_changes_nothing(license, plans):
    with pytest.raises(LicensingError) as info:
        services.upgrade(license, plans["family-1y"], ScriptedProvider("failed"), now=T0)
    assert info.value.code == "payment_failed"
    assert fresh(license).plan == plans["home-1y"]
    assert not Invoice.objects.exists()
