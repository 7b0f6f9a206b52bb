"""The renewal job on a controlled clock: renewals, failed payments and their retries, the grace
period, reminders sent once, auto-renew off, invoices, and two runs at once."""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from lanward.lib.payments import InvoiceProvider
from lanward.licensing import services
from lanward.licensing.models import Invoice, License, Reminder, Subscription
from tests.portal_cast import ScriptedProvider, make_license, make_user

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def owner(db):
    return make_user("owner@example.com")


@pytest.fixture
def license(owner, plans) -> License:
    return make_license(owner, plans["home-1y"], now=T0)


def fresh(license: License) -> License:
    return License.objects.select_related("plan", "subscription").get(pk=license.pk)


def every(first: datetime, last: datetime, step: timedelta):
    at = first
    while at <= last:
        yield at
        at += step


def long_date(moment: datetime) -> str:
    """As the mails write it ("F j, Y")."""
    local = timezone.localtime(moment)
    return f"{local:%B} {local.day}, {local.year}"


def subjects(mailoutbox) -> list[str]:
    return [m.subject.removeprefix("[lanward] ") for m in mailoutbox]


# --- renewing ---------------------------------------------------------------------------


def test_due_license_renews_once(license, mailoutbox):
    end = license.ends_at
    provider = ScriptedProvider("paid")
    for at in every(end + timedelta(hours=1), end + timedelta(days=2), timedelta(hours=4)):
        services.run_renewals(now=at, provider=provider)
    renewed = fresh(license)
    assert renewed.ends_at == end + timedelta(days=365)
    assert renewed.display_status(end + timedelta(days=2)) == "active"
    invoice = Invoice.objects.get(license=license)
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at
    assert (invoice.period_start, invoice.period_end) == (end, end + timedelta(days=365))
    assert invoice.amount == license.plan.renewal_price and invoice.reason == "renewal"
    assert provider.charged == [invoice.pk]
    sub = renewed.subscription
    assert sub.status == Subscription.Status.ACTIVE and sub.failed_attempts == 0
    mails = [m for m in mailoutbox if "renewed" in m.subject]
    assert len(mails) == 1 and mails[0].to == ["owner@example.com"]
    # The mail tells the new end date, not the old one.
    assert long_date(end + timedelta(days=365)) in mails[0].body
    assert "We charged 39.00 EUR" in mails[0].body


def test_nothing_happens_before_the_end_date(license, mailoutbox):
    provider = ScriptedProvider("paid")
    report = services.run_renewals(now=license.ends_at - timedelta(minutes=1), provider=provider)
    assert report.renewed == [] and provider.charged == []
    assert fresh(license).ends_at == license.ends_at


@pytest.mark.parametrize(
    ("retry_days", "grace_days", "charge_days"),
    [((1, 3, 5), 7, [0, 1, 4, 7]), ((2,), 5, [0, 2, 5])],
)
def test_failed_payment_retries_on_schedule_then_expires_after_the_grace_period(
    license, mailoutbox, settings, retry_days, grace_days, charge_days
):
    settings.LANWARD_RENEWAL_RETRY_DAYS = retry_days
    settings.LANWARD_RENEWAL_GRACE_DAYS = grace_days
    end = license.ends_at
    provider = ScriptedProvider("failed")
    charged_at: list[datetime] = []
    statuses: dict[datetime, tuple[str, bool]] = {}
    for at in every(end + timedelta(hours=1), end + timedelta(days=10), timedelta(hours=6)):
        before = len(provider.charged)
        services.run_renewals(now=at, provider=provider)
        if len(provider.charged) > before:
            charged_at.append(at)
        lic = fresh(license)
        statuses[at] = (lic.display_status(at), lic.is_usable(at))
    assert charged_at == [end + timedelta(days=d, hours=1) for d in charge_days]
    # One invoice for the period, charged again at each attempt.
    invoice = Invoice.objects.get(license=license)
    assert invoice.status == Invoice.Status.FAILED and invoice.message == "card declined"
    # Usable, as past due, until the grace period ends; expired after.
    grace_end = end + timedelta(days=grace_days)
    for at, (status, usable) in statuses.items():
        if at < grace_end:
            assert (status, usable) == ("past_due", True), at
        else:
            assert (status, usable) == ("expired", False), at
    lic = fresh(license)
    assert lic.status == License.Status.EXPIRED and lic.ends_at == end
    assert lic.subscription.status == Subscription.Status.EXPIRED
    failed = [m for m in mailoutbox if "did not go through" in m.subject]
    # A mail per failed attempt that is retried; the last one is followed by the expiry mail.
    assert len(failed) == len(charge_days) - 1
    assert f"continues until {long_date(grace_end)}" in failed[0].body
    expired = [m for m in mailoutbox if "has expired" in m.subject]
    assert len(expired) == 1
    assert mailoutbox[-1] is expired[0]


def test_past_due_subscription_shows_the_retries(license, settings):
    end = license.ends_at
    services.run_renewals(now=end + timedelta(hours=1), provider=ScriptedProvider("failed"))
    sub = fresh(license).subscription
    assert sub.status == Subscription.Status.PAST_DUE
    assert sub.failed_attempts == 1
    assert sub.next_attempt_at == end + timedelta(
        days=settings.LANWARD_RENEWAL_RETRY_DAYS[0], hours=1
    )
    assert sub.grace_until == end + timedelta(days=settings.LANWARD_RENEWAL_GRACE_DAYS)


def test_a_retry_that_succeeds_renews_from_the_old_end_date(license, mailoutbox):
    end = license.ends_at
    provider = ScriptedProvider("failed", "paid")
    for at in every(end + timedelta(hours=1), end + timedelta(days=3), timedelta(hours=6)):
        services.run_renewals(now=at, provider=provider)
    lic = fresh(license)
    assert lic.ends_at == end + timedelta(days=365)
    assert lic.display_status(end + timedelta(days=3)) == "active"
    assert lic.subscription.status == Subscription.Status.ACTIVE
    assert lic.subscription.grace_until is None and lic.subscription.failed_attempts == 0
    assert Invoice.objects.get(license=license).status == Invoice.Status.PAID
    assert len(provider.charged) == 2
    assert [s for s in subjects(mailoutbox) if "did not go through" in s or "renewed" in s] == [
        "Payment for lanward Home, 1 year did not go through",
        "Your lanward Home, 1 year license is renewed",
    ]


def test_a_provider_outage_is_a_failed_attempt(license):
    end = license.ends_at
    report = services.run_renewals(now=end + timedelta(hours=1), provider=ScriptedProvider("raise"))
    assert report.failed == [license.pk]
    invoice = Invoice.objects.get(license=license)
    assert invoice.status == Invoice.Status.FAILED
    assert "processor unreachable" in invoice.message
    assert fresh(license).display_status(end + timedelta(hours=2)) == "past_due"


# --- reminders --------------------------------------------------------------------------


def test_reminders_30_7_and_1_days_before_are_sent_once_each(license, mailoutbox):
    end = license.ends_at
    provider = ScriptedProvider("paid")
    sent_at: dict[str, datetime] = {}
    for at in every(end - timedelta(days=35), end - timedelta(hours=1), timedelta(hours=6)):
        report = services.run_renewals(now=at, provider=provider)
        for _, kind in report.reminders:
            assert kind not in sent_at
            sent_at[kind] = at
    assert list(sent_at) == ["expiry-30", "expiry-7", "expiry-1"]
    for kind, days in [("expiry-30", 30), ("expiry-7", 7), ("expiry-1", 1)]:
        assert end - timedelta(days=days) <= sent_at[kind] < end - timedelta(days=days, hours=-6)
    reminders = [m for m in mailoutbox if "license ends in" in m.subject]
    assert subjects(reminders) == [
        "Your lanward Home, 1 year license ends in 30 days",
        "Your lanward Home, 1 year license ends in 7 days",
        "Your lanward Home, 1 year license ends in 1 day",
    ]
    assert all("renews automatically" in m.body for m in reminders)
    assert all(long_date(end) in m.body for m in reminders)
    assert Reminder.objects.filter(license=license).count() == 3
    assert provider.charged == []


def test_auto_renew_off_expires_at_the_end_date_without_charging(license, mailoutbox):
    services.set_auto_renew(license, False)
    end = license.ends_at
    provider = ScriptedProvider("paid")
    expired_at = None
    for at in every(end - timedelta(days=35), end + timedelta(days=2), timedelta(hours=6)):
        report = services.run_renewals(now=at, provider=provider)
        if report.expired:
            assert expired_at is None
            expired_at = at
    assert expired_at is not None and end <= expired_at < end + timedelta(hours=6)
    assert provider.charged == [] and not Invoice.objects.exists()
    lic = fresh(license)
    assert lic.status == License.Status.EXPIRED and lic.ends_at == end
    reminders = [m for m in mailoutbox if "license ends in" in m.subject]
    assert len(reminders) == 3
    assert all("will not renew" in m.body for m in reminders)
    assert not any("renews automatically" in m.body for m in reminders)
    assert len([m for m in mailoutbox if "has expired" in m.subject]) == 1
    assert not [m for m in mailoutbox if "renewed" in m.subject]


def test_the_management_command_runs_the_job(license):
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() - timedelta(hours=1))
    out = io.StringIO()
    call_command("run-renewals", stdout=out)
    assert out.getvalue().strip() == "renewed 1, failed 0, expired 0, reminders 0"
    assert Invoice.objects.get(license=license).status == Invoice.Status.OPEN  # invoice provider


# --- the invoice provider ---------------------------------------------------------------


def test_invoice_provider_renews_with_an_open_invoice_until_paid(license, mailoutbox):
    end = license.ends_at
    services.run_renewals(now=end + timedelta(hours=1), provider=InvoiceProvider())
    invoice = Invoice.objects.get(license=license)
    assert invoice.status == Invoice.Status.OPEN and invoice.paid_at is None
    assert invoice.provider == "invoice"
    assert invoice.provider_reference == f"INV-{invoice.pk:06d}"
    lic = fresh(license)
    assert lic.subscription.status == Subscription.Status.PENDING
    assert lic.ends_at == end + timedelta(days=365)
    mail = next(m for m in mailoutbox if "renewed" in m.subject)
    assert f"({invoice.provider_reference}) is on its way" in mail.body
    # Running again does not bill twice.
    services.run_renewals(now=end + timedelta(hours=7), provider=InvoiceProvider())
    assert Invoice.objects.filter(license=license).count() == 1

    services.invoice_paid(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at
    assert fresh(license).subscription.status == Subscription.Status.ACTIVE


def test_staff_mark_an_invoice_paid_in_the_admin(license, django_user_model):
    end = license.ends_at
    services.run_renewals(now=end + timedelta(hours=1), provider=InvoiceProvider())
    invoice = Invoice.objects.get(license=license)
    staff = django_user_model.objects.create_superuser("staff@example.com")
    client = Client()
    client.force_login(staff)
    r = client.post(
        "/admin/licensing/invoice/",
        {"action": "mark_paid", "_selected_action": [invoice.pk]},
        follow=True,
    )
    assert r.status_code == 200
    assert "1 invoice(s) marked paid." in r.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert fresh(license).subscription.status == Subscription.Status.ACTIVE


# --- two runs at once -------------------------------------------------------------------


def test_a_run_that_lost_the_claim_does_nothing(license):
    """Two runs both found the subscription due; only the first to claim it charges."""
    end = license.ends_at
    now = end + timedelta(hours=1)
    seen_by_first = Subscription.objects.select_related("license__plan").get(license=license)
    seen_by_second = Subscription.objects.select_related("license__plan").get(license=license)
    provider = ScriptedProvider("paid")
    first, second = services.RenewalReport(), services.RenewalReport()
    services._renew_one(seen_by_first, now, provider, first)
    services._renew_one(seen_by_second, now, provider, second)
    assert first.renewed == [license.pk] and second.renewed == []
    assert len(provider.charged) == 1
    assert fresh(license).ends_at == end + timedelta(days=365)


class SlowProvider(ScriptedProvider):
    """Holds each charge open a moment so that two runs overlap."""

    def charge(self, invoice):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return super().charge(invoice)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the plans
def test_two_concurrent_runs_renew_exactly_once(plans, mailoutbox):
    if connection.vendor == "sqlite":
        pytest.skip(
            "threads need a database server: the test database is in-memory SQLite here "
            "(set DATABASE_URL; tests/licensing/test_live.py runs this against a file database)"
        )
    owner = make_user("owner@example.com")
    license = make_license(owner, plans["home-1y"], now=T0)
    end = license.ends_at
    now = end + timedelta(hours=1)
    provider = SlowProvider("paid")
    barrier = threading.Barrier(2)
    reports: list[services.RenewalReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            reports.append(services.run_renewals(now=now, provider=provider))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(len(r.renewed) for r in reports) == [0, 1]
    assert Invoice.objects.filter(license=license).count() == 1
    assert len(provider.charged) == 1
    assert fresh(license).ends_at == end + timedelta(days=365)
    assert len([m for m in mailoutbox if "renewed" in m.subject]) == 1
