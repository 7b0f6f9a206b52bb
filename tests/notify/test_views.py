"""Console pages: the list, the bell, mark read, the settings (forms and their errors), and who
may use them (owner, member, stranger, anonymous)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lanward.notify.models import Channel, Notification, Preferences
from lanward.notify.services import channels_for, publish
from tests.cast import ROLES, assert_access

pytestmark = pytest.mark.django_db


def make(
    user: Any, title: str = "Something happened", severity: str = "high", **kw: Any
) -> Notification:
    (n,) = publish("alert", severity, title, url="/alerts/", user=user, **kw)
    return n


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/notifications/", "/notifications/settings/"])
def test_pages_are_for_the_household(client_as: Any, role: str, path: str) -> None:
    assert_access(client_as(role).get(path), role)


@pytest.mark.parametrize("role", ROLES)
def test_mark_all_read_is_for_the_household(
    client_as: Any, cast: dict[str, Any], role: str
) -> None:
    if cast[role] is not None and role != "stranger":
        make(cast[role])
    assert_access(client_as(role).post("/notifications/read-all/"), role, allowed_status=302)
    if role in ("owner", "member"):
        assert not Notification.objects.filter(recipient=cast[role], read_at__isnull=True).exists()


@pytest.mark.parametrize("role", ROLES)
def test_add_webhook_is_for_the_household(client_as: Any, role: str, settings: Any) -> None:
    response = client_as(role).post(
        "/notifications/settings/webhooks/new/", {"name": "x", "url": "https://9.9.9.9/hook"}
    )
    assert_access(response, role, allowed_status=302)
    assert Channel.objects.filter(type="webhook").count() == (
        1 if role in ("owner", "member") else 0
    )


def test_list_shows_only_my_notifications(client_as: Any, cast: dict[str, Any]) -> None:
    make(cast["owner"], "for the owner")
    make(cast["member"], "for the member")
    page = client_as("owner").get("/notifications/").content.decode()
    assert "for the owner" in page and "for the member" not in page


def test_get_never_marks_read(client_as: Any, cast: dict[str, Any]) -> None:
    n = make(cast["owner"])
    assert client_as("owner").get(f"/notifications/{n.pk}/read/").status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_read_and_back_to_where_i_was(client_as: Any, cast: dict[str, Any]) -> None:
    n = make(cast["owner"])
    response = client_as("owner").post(f"/notifications/{n.pk}/read/", {"next": "/devices/"})
    assert response.status_code == 302 and response["Location"] == "/devices/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_read_refuses_other_sites_as_next(client_as: Any, cast: dict[str, Any]) -> None:
    n = make(cast["owner"])
    response = client_as("owner").post(
        f"/notifications/{n.pk}/read/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/notifications/"


def test_someone_elses_notification_is_not_found(client_as: Any, cast: dict[str, Any]) -> None:
    n = make(cast["member"])
    assert client_as("owner").post(f"/notifications/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_unread_filter(client_as: Any, cast: dict[str, Any]) -> None:
    read = make(cast["owner"], "already read")
    make(cast["owner"], "still new")
    client_as("owner").post(f"/notifications/{read.pk}/read/")
    page = client_as("owner").get("/notifications/?unread=1").content.decode()
    assert "still new" in page and "already read" not in page


def test_the_bell_shows_the_unread_count(client_as: Any, cast: dict[str, Any]) -> None:
    make(cast["owner"], "one")
    make(cast["owner"], "two")
    publish("alert", "info", "ignored", user=cast["owner"])  # the console skips info by default
    page = client_as("owner").get("/devices/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in page
    assert 'data-count="2"' in page
    assert "one" in page and "two" in page


def test_no_bell_for_strangers(client_as: Any, cast: dict[str, Any]) -> None:
    make(cast["stranger"], "a stranger's")  # only possible by naming them
    page = client_as("stranger").get("/").content.decode()
    assert 'class="bell"' not in page


# --- Settings ---------------------------------------------------------------------------------


def webhook_form(client: Client, url: str, name: str = "Receiver") -> str:
    response = client.post("/notifications/settings/webhooks/new/", {"name": name, "url": url})
    assert response.status_code == 400, response.status_code
    return response.content.decode()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("not a url", "starts with https:// (or http://), e.g. https://"),
        ("ftp://files.example.com/hook", "starts with https:// (or http://), not ftp://"),
        ("file:///etc/passwd", "not file://"),
        ("http://192.168.1.10:8123/api/webhook/x", "192.168.1.10 is not an internet address"),
        ("http://127.0.0.1:9000/", "LANWARD_WEBHOOK_ALLOWED_NETS=127.0.0.1/32"),
        ("http://[::1]/", "::1 is not an internet address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is not an internet address"),
        ("https://user:secret@9.9.9.9/hook", "Don't put a user name or password"),
        ("", "This field is required."),
    ],
)
def test_bad_webhook_urls_get_a_clear_form_error(
    owner_client: Client, url: str, error: str
) -> None:
    page = webhook_form(owner_client, url)
    assert error in page.replace("&#x27;", "'")
    assert 'class="field-error"' in page
    assert not Channel.objects.filter(type="webhook").exists()


def test_an_allowed_home_address_is_accepted(owner_client: Client, settings: Any) -> None:
    settings.LANWARD_WEBHOOK_ALLOWED_NETS = ["192.168.1.10/32"]
    response = owner_client.post(
        "/notifications/settings/webhooks/new/",
        {"name": "Home Assistant", "url": "http://192.168.1.10:8123/api/webhook/lanward"},
    )
    assert response.status_code == 302


def test_the_secret_is_shown_once(owner_client: Client, cast: dict[str, Any]) -> None:
    owner_client.post(
        "/notifications/settings/webhooks/new/", {"name": "Receiver", "url": "https://9.9.9.9/x"}
    )
    channel = Channel.objects.get(type="webhook")
    assert channel.secret.startswith("whsec_") and len(channel.secret) > 40
    first = owner_client.get("/notifications/settings/").content.decode()
    assert channel.secret in first
    second = owner_client.get("/notifications/settings/").content.decode()
    assert channel.secret not in second
    assert "https://9.9.9.9/x" in second


def test_quiet_hours_need_both_ends(owner_client: Client, cast: dict[str, Any]) -> None:
    response = owner_client.post(
        "/notifications/settings/",
        {
            "quiet_start": "22:00",
            "quiet_end": "",
            "digest": "off",
            "digest_hour": "8",
            "digest_weekday": "0",
        },
    )
    assert response.status_code == 400
    assert "Set both times, or leave both empty" in response.content.decode()


def test_bad_time_and_choice_get_form_errors(owner_client: Client) -> None:
    response = owner_client.post(
        "/notifications/settings/",
        {
            "quiet_start": "25:99",
            "quiet_end": "07:00",
            "digest": "hourly",
            "digest_hour": "30",
            "digest_weekday": "9",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid time." in page
    assert page.count("Select a valid choice.") == 3


def test_save_quiet_hours_and_digest(owner_client: Client, cast: dict[str, Any]) -> None:
    response = owner_client.post(
        "/notifications/settings/",
        {
            "quiet_start": "22:30",
            "quiet_end": "06:45",
            "digest": "weekly",
            "digest_hour": "9",
            "digest_weekday": "4",
        },
    )
    assert response.status_code == 302
    prefs = Preferences.objects.get(user=cast["owner"])
    assert (
        str(prefs.quiet_start),
        str(prefs.quiet_end),
        prefs.digest,
        prefs.digest_hour,
        prefs.digest_weekday,
    ) == ("22:30:00", "06:45:00", "weekly", 9, 4)


def test_rules_form_saves_and_rejects_unknown_levels(
    owner_client: Client, cast: dict[str, Any]
) -> None:
    inapp = next(c for c in channels_for(cast["owner"]) if c.type == "inapp")
    url = f"/notifications/settings/channels/{inapp.pk}/rules/"
    p = f"ch{inapp.pk}-"
    good = {
        p + "alert": "critical",
        p + "new_device": "off",
        p + "station": "info",
        p + "security_check": "high",
    }
    assert owner_client.post(url, good).status_code == 302
    inapp.refresh_from_db()
    assert inapp.rules == {
        "alert": "critical",
        "new_device": "off",
        "station": "info",
        "security_check": "high",
    }
    bad = owner_client.post(url, {**good, p + "alert": "loud"})
    assert (
        bad.status_code == 400
        and "Select a valid choice. loud is not one of the available choices."
        in bad.content.decode()
    )


def test_bad_email_address_gets_a_form_error(owner_client: Client, cast: dict[str, Any]) -> None:
    email = next(c for c in channels_for(cast["owner"]) if c.type == "email")
    p = f"ch{email.pk}-"
    response = owner_client.post(
        f"/notifications/settings/channels/{email.pk}/rules/",
        {
            p + "alert": "high",
            p + "new_device": "info",
            p + "station": "high",
            p + "security_check": "high",
            p + "address": "not-an-address",
        },
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_someone_elses_channel_is_not_found(client_as: Any, cast: dict[str, Any]) -> None:
    theirs = Channel.objects.create(
        owner=cast["member"], type="webhook", url="https://9.9.9.9/", secret="whsec_AA=="
    )
    owner = client_as("owner")
    for action in ("toggle", "delete", "test", "retry", "rules"):
        assert (
            owner.post(f"/notifications/settings/channels/{theirs.pk}/{action}/").status_code == 404
        )
    assert Channel.objects.filter(pk=theirs.pk, enabled=True).exists()


def test_toggle_and_remove_a_webhook(owner_client: Client, cast: dict[str, Any]) -> None:
    hook = Channel.objects.create(
        owner=cast["owner"], type="webhook", url="https://9.9.9.9/", secret="whsec_AA=="
    )
    owner_client.post(f"/notifications/settings/channels/{hook.pk}/toggle/")
    hook.refresh_from_db()
    assert not hook.enabled
    owner_client.post(f"/notifications/settings/channels/{hook.pk}/delete/")
    assert not Channel.objects.filter(pk=hook.pk).exists()


def test_console_and_email_channels_cannot_be_removed(
    owner_client: Client, cast: dict[str, Any]
) -> None:
    email = next(c for c in channels_for(cast["owner"]) if c.type == "email")
    response = owner_client.post(
        f"/notifications/settings/channels/{email.pk}/delete/", follow=True
    )
    assert "can be turned off, not removed" in response.content.decode()
    assert Channel.objects.filter(pk=email.pk).exists()
