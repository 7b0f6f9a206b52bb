"""The privacy pages: who may see and change what (the cast), the disclosure shows the registry
and the current settings, and bad input gets a clear message instead of an error page."""

from __future__ import annotations

import pytest

from lanward.privacy import registry
from lanward.privacy.models import PrivacySettings
from tests.cast import ROLES, assert_access

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/privacy/", "/privacy/troubleshooting/"])
def test_reading_is_for_the_household(client_as, role, url, data_dir):
    assert_access(client_as(role).get(url), role)


@pytest.mark.parametrize("role", ROLES)
def test_the_settings_page_is_for_those_who_may_change_things(client_as, role):
    assert_access(client_as(role).get("/privacy/settings/"), role)


def test_the_page_shows_every_feature_and_the_current_settings(owner_client, prefs, data_dir):
    prefs.dns_log_days = 3
    prefs.notify_webhooks = False
    prefs.save()
    page = owner_client.get("/privacy/").content.decode()
    for feature in registry.FEATURES:
        assert feature.name.replace("'", "&#x27;") in page
        for d in feature.data:
            assert d.model in page
    assert "(now: 3 days)" in page
    assert "optional · off" in page  # webhooks
    assert "sends no usage statistics, crash reports or analytics" in page
    assert 'href="/privacy/settings/"' in page


def test_a_member_sees_no_delete_button(client_as, data_dir):
    page = client_as("member").get("/privacy/").content.decode()
    assert "Delete all household data" not in page
    assert "Export all household data" in page


def test_saving_settings(owner_client, prefs):
    form = {f: getattr(prefs, f) for f in ("dns_log_level",)}
    form.update(
        {
            "usage_metering": "on",
            "blocklist_downloads": "on",
            "notify_email": "on",
            "activity_days": 30,
            "dns_log_days": 2,
            "usage_hourly_days": 7,
            "usage_daily_days": 90,
            "flow_hours": 6,
            "alert_days": 60,
            "device_event_days": 60,
            "notice_days": 30,
            "notification_days": 30,
            "finding_days": 90,
            "outbox_days": 7,
            "forget_devices_days": 0,
        }
    )
    r = owner_client.post("/privacy/settings/", form)
    assert r.status_code == 302
    saved = PrivacySettings.load()
    assert saved.dns_log_days == 2 and saved.usage_hourly_days == 7
    assert not saved.device_evidence and not saved.flow_records and not saved.notify_webhooks
    page = owner_client.get("/privacy/settings/").content.decode()
    assert "Privacy settings saved" in page
    assert "Off: the Usage pages stay empty" in page  # the cost, from the registry


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("dns_log_days", "0", "greater than or equal to 1"),
        ("dns_log_days", "lots", "Enter a whole number."),
        ("alert_days", "99999", "less than or equal to 3650"),
        ("dns_log_level", "everything", "Select a valid choice."),
    ],
)
def test_bad_settings_are_refused_with_a_reason(owner_client, prefs, field, value, message):
    form = {f.name: getattr(prefs, f.name) for f in PrivacySettings._meta.concrete_fields}
    form = {k: v for k, v in form.items() if not isinstance(v, bool) and v is not None}
    form[field] = value
    r = owner_client.post("/privacy/settings/", form)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert PrivacySettings.load().dns_log_days == prefs.dns_log_days


def test_the_privacy_page_is_in_the_navigation(client_as):
    assert 'href="/privacy/"' in client_as("member").get("/").content.decode()
    assert 'href="/privacy/"' not in client_as("stranger").get("/").content.decode()


def test_pages_load_nothing_from_other_sites(owner_client, data_dir):
    r = owner_client.get("/privacy/")
    assert r["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in r["Content-Security-Policy"]


def test_templates_and_static_files_reference_no_third_party_host():
    """No analytics, fonts or scripts from elsewhere: every absolute URL in what the browser
    loads is a documentation or example address, or one the page only shows as text."""
    import re
    from pathlib import Path

    import lanward

    root = Path(lanward.__file__).parent
    allowed = re.compile(
        r"https?://(127\.0\.0\.1|localhost|\[::1\]|[\w.-]*example(\.com|\.org)?|"
        r"www\.w3\.org|\{\{|[\w.-]*\.invalid|portal\.example)"
    )
    found = []
    for path in [
        *root.glob("templates/**/*.html"),
        *root.glob("static/**/*.*"),
        *root.glob("*/templates/**/*.html"),
    ]:
        text = path.read_text(errors="replace")
        for url in re.findall(r"https?://[^\s\"'<>)]+", text):
            if not allowed.match(url):
                found.append(f"{path.relative_to(root)}: {url}")
    assert not found, found


def test_a_new_ticket_offers_the_troubleshooting_logs_to_the_household(client_as):
    link = 'href="/privacy/troubleshooting/"'
    assert link in client_as("member").get("/support/new/").content.decode()
    assert link not in client_as("stranger").get("/support/new/").content.decode()
