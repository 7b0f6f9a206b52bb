"""Threat feeds managed in the console: fetched over HTTP, parsed, problems shown by line."""

from __future__ import annotations

import pytest

from lanward.threats.feeds import feeds_signature, load_feeds
from lanward.threats.models import ThreatFeed
from tests.cast import ROLES, assert_access

FEED = "# botnet C2\n198.51.100.7\nc2.bad.example\nnot an indicator!\n"
RULES = (
    'alert http any any -> any any (msg:"evil agent"; http.user_agent; content:"EvilBot"; '
    "sid:1000001; rev:1;)\n"
    "alert http any any -> any any (msg:broken\n"
    'alert http any any -> any any (msg:"files"; filemagic:"PE32"; sid:1000002; rev:1;)\n'
)


def test_feeds_from_urls_load_and_report_problems_by_line(db, data_dir, list_server):
    list_server.files["/c2.txt"] = FEED
    list_server.files["/et.rules"] = RULES
    ThreatFeed.objects.create(name="botnet-c2", source=list_server.url("/c2.txt"))
    ThreatFeed.objects.create(
        name="local rules", source=list_server.url("/et.rules"), kind=ThreatFeed.Kind.RULES
    )
    indicators, rules = load_feeds()
    assert indicators.match_ip("198.51.100.7") is not None
    assert indicators.match_domain("www.c2.bad.example") is not None
    assert rules == [("local rules", RULES)]
    feed = ThreatFeed.objects.get(name="botnet-c2")
    assert (feed.entries, feed.skipped) == (2, 1)
    assert feed.problems[0]["line"] == 4
    assert feed.last_update is not None and feed.last_error == ""
    rules_row = ThreatFeed.objects.get(name="local rules")
    assert rules_row.entries == 1 and rules_row.skipped == 2
    assert {p["line"] for p in rules_row.problems} == {2, 3}
    assert any("filemagic" in p["reason"] for p in rules_row.problems)


def test_a_failed_download_keeps_the_last_good_copy(db, data_dir, list_server):
    list_server.files["/c2.txt"] = FEED
    ThreatFeed.objects.create(name="c2", source=list_server.url("/c2.txt"))
    load_feeds()
    list_server.status["/c2.txt"] = 500
    indicators, _ = load_feeds()
    assert indicators.match_ip("198.51.100.7") is not None
    assert "500" in ThreatFeed.objects.get().last_error


def test_an_unreachable_feed_without_a_copy_is_an_error_on_its_row(db, data_dir, list_server):
    ThreatFeed.objects.create(name="gone", source=list_server.url("/missing.txt"))
    ThreatFeed.objects.create(name="off", source=list_server.url("/c2.txt"), enabled=False)
    indicators, rules = load_feeds()
    assert len(indicators) == 0 and rules == []
    assert ThreatFeed.objects.get(name="gone").last_error


def test_signature_changes_when_feeds_do(db):
    before = feeds_signature()
    feed = ThreatFeed.objects.create(name="x", source="/nonexistent")
    assert feeds_signature() != before
    middle = feeds_signature()
    ThreatFeed.objects.filter(pk=feed.pk).update(enabled=False)
    assert feeds_signature() != middle


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_the_feeds_page(role, client_as, data_dir):
    ThreatFeed.objects.create(name="c2 list", source="/nonexistent")
    response = client_as(role).get("/alerts/feeds/")
    assert_access(response, role)
    if response.status_code == 200:
        assert "c2 list" in response.content.decode()


def test_adding_by_upload_and_url_from_the_console(owner_client, data_dir, list_server):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("mine.rules", RULES.encode())
    r = owner_client.post(
        "/alerts/feeds/add/", {"name": "mine", "kind": "rules", "upload": upload}, follow=True
    )
    assert "mine added" in r.content.decode()
    row = ThreatFeed.objects.get(name="mine")
    assert row.last_error == ""
    assert row.source.startswith(str(data_dir)) and row.entries == 1
    page = owner_client.get("/alerts/feeds/").content.decode()
    assert "line 2" in page and "line 3" in page
    list_server.files["/c2.txt"] = FEED
    owner_client.post(
        "/alerts/feeds/add/",
        {"name": "c2", "kind": "indicators", "source": list_server.url("/c2.txt")},
    )
    assert ThreatFeed.objects.get(name="c2").entries == 2


def test_bad_feed_forms_say_what_to_do(owner_client, data_dir):
    r = owner_client.post("/alerts/feeds/add/", {"name": "x", "kind": "indicators"}, follow=True)
    assert "Enter a feed URL or upload a file" in r.content.decode()
    r = owner_client.post(
        "/alerts/feeds/add/",
        {"name": "x", "kind": "indicators", "source": "ftp://x/y"},
        follow=True,
    )
    assert "starts with https://" in r.content.decode()
    assert not ThreatFeed.objects.exists()


def test_toggle_remove_and_strangers(owner_client, client_as, data_dir):
    feed = ThreatFeed.objects.create(name="x", source="/nonexistent")
    client_as("stranger").post(f"/alerts/feeds/{feed.pk}/", {"action": "delete"})
    assert ThreatFeed.objects.exists()
    owner_client.post(f"/alerts/feeds/{feed.pk}/", {"action": "toggle"})
    assert not ThreatFeed.objects.get().enabled
    owner_client.post(f"/alerts/feeds/{feed.pk}/", {"action": "delete"})
    assert not ThreatFeed.objects.exists()
