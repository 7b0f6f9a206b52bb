"""services.publish: who gets what, on which channel, when (preferences, quiet hours, digest)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from lanward.notify.models import Channel, Delivery, Notification, Preferences
from lanward.notify.services import channels_for, household_users, preferences_for, publish

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
NIGHT = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


def channel(user: Any, kind: str) -> Channel:
    return next(c for c in channels_for(user) if c.type == kind)


def set_rules(user: Any, kind: str, **rules: str) -> None:
    c = channel(user, kind)
    c.rules = {**c.rules, **rules}
    c.save()


def deliveries(user: Any) -> list[tuple[str, str]]:
    return [
        (d.channel.type, d.notification.title)
        for d in Delivery.objects.filter(channel__owner=user).select_related(
            "channel", "notification"
        )
    ]


def test_the_household_gets_it_and_strangers_never(cast: dict[str, Any]) -> None:
    assert set(household_users()) == {cast["member"], cast["owner"]}
    made = publish("alert", "high", "Camera scanned the network", url="/alerts/")
    assert {n.recipient for n in made} == {cast["owner"], cast["member"]}
    assert not Notification.objects.filter(recipient=cast["stranger"]).exists()


def test_inactive_people_get_nothing(cast: dict[str, Any]) -> None:
    cast["member"].is_active = False
    cast["member"].save()
    made = publish("alert", "high", "x")
    assert [n.recipient for n in made] == [cast["owner"]]


def test_one_person_only(cast: dict[str, Any]) -> None:
    made = publish("station", "medium", "Disk almost full", user=cast["member"])
    assert [n.recipient for n in made] == [cast["member"]]


def test_default_rules_console_shows_more_than_email(cast: dict[str, Any]) -> None:
    owner = cast["owner"]
    publish("alert", "low", "low one", user=owner, now=NOON)
    publish("alert", "high", "high one", user=owner, now=NOON)
    publish("alert", "info", "info one", user=owner, now=NOON)
    in_app = list(
        Notification.objects.filter(recipient=owner, in_app=True).values_list("title", flat=True)
    )
    assert sorted(in_app) == ["high one", "low one"]
    assert deliveries(owner) == [("email", "high one")]
    # "info one" wanted by no channel: not stored at all
    assert not Notification.objects.filter(title="info one").exists()


def test_rules_per_kind_and_channel(cast: dict[str, Any], hook: Channel) -> None:
    owner = cast["owner"]
    set_rules(owner, "email", alert="off", new_device="high")
    set_rules(owner, "inapp", alert="critical")
    hook.rules = {"alert": "info", "station": "off"}
    hook.save()
    publish("alert", "high", "alert high", user=owner, now=NOON)
    publish("new_device", "medium", "new device", user=owner, now=NOON)
    publish("station", "critical", "station critical", user=owner, now=NOON)
    assert sorted(deliveries(owner)) == [
        ("email", "station critical"),
        ("webhook", "alert high"),
        ("webhook", "new device"),
    ]
    shown = Notification.objects.filter(recipient=owner, in_app=True).values_list(
        "title", flat=True
    )
    assert sorted(shown) == ["new device", "station critical"]


def test_a_turned_off_channel_gets_nothing(cast: dict[str, Any], hook: Channel) -> None:
    hook.enabled = False
    hook.save()
    publish("alert", "critical", "x", user=cast["owner"], now=NOON)
    assert deliveries(cast["owner"]) == [("email", "x")]


def test_each_person_has_their_own_preferences(cast: dict[str, Any]) -> None:
    set_rules(cast["member"], "email", alert="off")
    publish("alert", "high", "x", now=NOON)
    assert deliveries(cast["owner"]) == [("email", "x")]
    assert deliveries(cast["member"]) == []


def test_quiet_hours_hold_email_and_webhooks_until_they_end(
    cast: dict[str, Any], hook: Channel
) -> None:
    owner = cast["owner"]
    prefs = preferences_for(owner)
    prefs.quiet_start, prefs.quiet_end = time(22), time(7)
    prefs.save()
    publish("alert", "high", "at night", user=owner, now=NIGHT)
    morning = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
    rows = Delivery.objects.filter(notification__title="at night")
    assert {(d.channel.type, d.next_attempt) for d in rows} == {
        ("email", morning),
        ("webhook", morning),
    }
    # ... but the console shows it at once
    assert Notification.objects.get(title="at night").in_app


def test_critical_ignores_quiet_hours_and_digest(cast: dict[str, Any], hook: Channel) -> None:
    owner = cast["owner"]
    prefs = preferences_for(owner)
    prefs.quiet_start, prefs.quiet_end = time(22), time(7)
    prefs.digest = Preferences.Digest.DAILY
    prefs.save()
    publish("alert", "critical", "now", user=owner, now=NIGHT)
    rows = Delivery.objects.filter(notification__title="now")
    assert {(d.channel.type, d.next_attempt, d.digest) for d in rows} == {
        ("email", NIGHT, False),
        ("webhook", NIGHT, False),
    }


def test_digest_holds_email_not_webhooks(cast: dict[str, Any], hook: Channel) -> None:
    owner = cast["owner"]
    prefs = preferences_for(owner)
    prefs.digest, prefs.digest_hour = Preferences.Digest.DAILY, 8
    prefs.save()
    publish("alert", "high", "digest me", user=owner, now=NOON)
    email = Delivery.objects.get(notification__title="digest me", channel__type="email")
    assert email.digest and email.next_attempt == datetime(2026, 3, 11, 8, tzinfo=UTC)
    webhook = Delivery.objects.get(notification__title="digest me", channel__type="webhook")
    assert not webhook.digest and webhook.next_attempt == NOON


def test_digest_time_inside_quiet_hours_waits_for_their_end(cast: dict[str, Any]) -> None:
    owner = cast["owner"]
    prefs = preferences_for(owner)
    prefs.digest, prefs.digest_hour = Preferences.Digest.DAILY, 6
    prefs.quiet_start, prefs.quiet_end = time(22), time(7)
    prefs.save()
    publish("alert", "high", "x", user=owner, now=NOON)
    email = Delivery.objects.get(channel__type="email")
    assert email.next_attempt == datetime(2026, 3, 11, 7, tzinfo=UTC)


def test_unknown_kind_or_severity_is_refused(cast: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown notification kind 'spam'"):
        publish("spam", "high", "x")
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        publish("alert", "urgent", "x")


def test_privacy_switches_keep_notifications_in_the_station(
    cast: dict[str, Any], hook: Channel
) -> None:
    from django.apps import apps

    if not apps.is_installed("lanward.privacy"):
        pytest.skip("lanward.privacy is not installed")
    from lanward.privacy.models import PrivacySettings

    privacy = PrivacySettings.load()
    privacy.notify_email = False
    privacy.notify_webhooks = False
    privacy.save()
    publish("alert", "critical", "stays home", user=cast["owner"], now=NOON)
    assert deliveries(cast["owner"]) == []
    assert Notification.objects.get(title="stays home").in_app


def test_creation_time_is_the_given_one(cast: dict[str, Any]) -> None:
    (n,) = publish("alert", "high", "x", user=cast["owner"], now=NOON - timedelta(hours=1))
    assert n.created == NOON - timedelta(hours=1)
