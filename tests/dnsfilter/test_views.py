"""The web-protection pages, checked for each of the cast (tests/cast.py) and a view-only user."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from lanward.dnsfilter.models import AllowEntry, BlockListSource, MemberPolicy, QueryLog
from lanward.dnsfilter.services import build_policy
from lanward.inventory.models import Member
from tests.cast import ROLES, assert_access, make_device

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def viewer_client(viewer) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def bad_list(data_dir, list_file) -> BlockListSource:
    return BlockListSource.objects.create(
        name="Bad list", source=list_file("bad.example\n"), category="malware"
    )


@pytest.fixture
def queries():
    kid = Member.objects.create(name="Kid")
    MemberPolicy.objects.create(member=kid, privacy="hidden")
    tablet = make_device("02:00:00:00:00:01", name="Kid's tablet", ips=["10.0.0.2"], owner=kid)
    laptop = make_device("02:00:00:00:00:02", hostname="work-laptop", ips=["10.0.0.3"])
    now = timezone.now()
    rows = [
        (laptop, "10.0.0.3", "news.example", "allowed", ""),
        (laptop, "10.0.0.3", "bad.example", "blocked", "Bad list"),
        (laptop, "10.0.0.3", "zone.example", "rpz-nodata", "Zone"),
        (laptop, "10.0.0.3", "broken.example", "failed", ""),
        (tablet, "10.0.0.2", "", "blocked", "Bad list"),  # hidden by the kid's privacy
        (None, "10.0.0.9", "guest.example", "allowed", ""),
    ]
    QueryLog.objects.bulk_create(
        QueryLog(
            time=now - timedelta(minutes=i),
            client=client,
            device=device,
            member=device.owner if device else None,
            name=name,
            qtype="A",
            action=action,
            list_name=list_name,
        )
        for i, (device, client, name, action, list_name) in enumerate(rows)
    )
    return {"kid": kid, "tablet": tablet, "laptop": laptop}


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/protection/", "/protection/log/"])
def test_pages_for_each_role(client_as, role, url, data_dir):
    assert_access(client_as(role).get(url), role)


@pytest.mark.parametrize("role", ROLES)
def test_member_policy_page_for_each_role(client_as, role):
    kid = Member.objects.create(name="Kid")
    assert_access(client_as(role).get(f"/protection/members/{kid.pk}/"), role)


def edits(bad_list, kid):
    """Every change the console offers, as (url, data, check that it did not happen)."""
    entry = AllowEntry.objects.create(domain="kept.example")
    return [
        (
            "/protection/lists/",
            {"name": "New", "source": "https://lists.example/new.txt", "category": "ads"},
            lambda: not BlockListSource.objects.filter(name="New").exists(),
        ),
        (
            f"/protection/lists/{bad_list.pk}/",
            {},
            lambda: BlockListSource.objects.get(pk=bad_list.pk).enabled,
        ),
        (
            f"/protection/lists/{bad_list.pk}/",
            {"action": "delete"},
            lambda: BlockListSource.objects.filter(pk=bad_list.pk).exists(),
        ),
        (
            "/protection/allow/",
            {"domain": "new.example"},
            lambda: not AllowEntry.objects.filter(domain="new.example").exists(),
        ),
        (
            "/protection/allow/",
            {"action": "delete", "pk": entry.pk},
            lambda: AllowEntry.objects.filter(pk=entry.pk).exists(),
        ),
        (
            f"/protection/members/{kid.pk}/",
            {"blocked_categories": ["adult"], "privacy": "nothing"},
            lambda: not MemberPolicy.objects.filter(member=kid).exists(),
        ),
    ]


@pytest.mark.parametrize("role", ["stranger", "anonymous", "viewer"])
def test_only_change_permission_edits(client_as, viewer_client, bad_list, role):
    client = viewer_client if role == "viewer" else client_as(role)
    for url, data, unchanged in edits(bad_list, Member.objects.create(name="Kid")):
        response = client.post(url, data)
        if role == "viewer":
            assert response.status_code == 403, url
            assert "This part belongs to the household" in response.content.decode()
        else:
            assert_access(response, role)
        assert unchanged(), url


@pytest.mark.parametrize("role", ["owner", "member"])
def test_household_edits(client_as, bad_list, role, list_server):
    client = client_as(role)
    list_server.files["/new.txt"] = "new-bad.example\n"
    for url, data, unchanged in edits(bad_list, Member.objects.create(name="Kid")):
        if url == "/protection/lists/":
            data = {**data, "source": list_server.url("/new.txt")}
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"] == "/protection/"
        assert not unchanged(), url


def test_viewer_sees_no_edit_controls(viewer_client, owner_client, bad_list):
    Member.objects.create(name="Kid")
    AllowEntry.objects.create(domain="kept.example")

    seen = page_text(viewer_client.get("/protection/"))
    assert "Bad list" in seen and "kept.example" in seen
    for control in ("Add list", "Turn off", "Remove", 'action="/protection/allow/"', "Change"):
        assert control not in seen
    owners = page_text(owner_client.get("/protection/"))
    for control in ("Add list", "Turn off", "Remove", 'action="/protection/allow/"', "Change"):
        assert control in owners


def test_edits_need_post(owner_client, bad_list):
    for url in ("/protection/lists/", f"/protection/lists/{bad_list.pk}/", "/protection/allow/"):
        assert owner_client.get(url).status_code == 405


# --- overview ---------------------------------------------------------------------------------


def test_overview_shows_lists_with_their_counts_and_problems(owner_client, data_dir, list_file):
    BlockListSource.objects.create(
        name="Adblock", source=list_file("||ads.example^\nexample.com##.ad\n"), category="ads"
    )
    BlockListSource.objects.create(
        name="Gone",
        source="https://lists.example/x",
        enabled=False,  # not fetched: no test reaches beyond loopback
        last_error="HTTP 404; using the last copy",
    )
    build_policy()

    text = page_text(owner_client.get("/protection/"))

    assert "Adblock" in text and "Ads" in text
    assert "1: cosmetic (element hiding) rule" in text
    assert "HTTP 404; using the last copy" in text
    assert "No lists yet" not in text


def test_overview_statistics(owner_client, queries, data_dir):
    QueryLog.objects.create(
        time=timezone.now() - timedelta(days=2),
        client="10.0.0.3",
        name="old.example",
        qtype="A",
        action="blocked",
    )

    response = owner_client.get("/protection/")

    assert response.context["total"] == 6
    assert response.context["blocked"] == 3  # blocked twice, one RPZ answer
    top = {r["name"]: r["n"] for r in response.context["top_blocked"]}
    assert top == {"bad.example": 1, "zone.example": 1}  # the hidden name is not listed
    text = page_text(response)
    assert "work-laptop: 4 lookups, 2 blocked" in text
    assert "Kid's tablet: 1 lookups, 1 blocked" in text
    assert "10.0.0.9: 1 lookups, 0 blocked" in text


def test_overview_members_and_defaults(owner_client, queries, data_dir):
    Member.objects.create(name="Grandma")

    text = page_text(owner_client.get("/protection/"))

    assert "Kid: blocks malware, phishing, scam; log: Domains hidden" not in text
    assert "Kid: blocks nothing; log: Domains hidden" in text  # the policy blocks no category
    assert "Grandma: blocks malware, phishing, scam (default)" in text


# --- query log --------------------------------------------------------------------------------


def log_names(response) -> list[str]:
    return [e.name for e in response.context["page"]]


def test_log_lists_newest_first_and_hides_names(owner_client, queries):
    response = owner_client.get("/protection/log/")

    assert log_names(response) == [
        "news.example",
        "bad.example",
        "zone.example",
        "broken.example",
        "",
        "guest.example",
    ]
    text = page_text(response)
    assert "(hidden)" in text
    assert "Kid's tablet" in text and "10.0.0.9" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=bad", ["bad.example"]),
        ("q=BAD.EXAMPLE", ["bad.example"]),
        ("q=10.0.0.9", ["guest.example"]),
        ("q=tablet", [""]),
        ("q=work-laptop", ["news.example", "bad.example", "zone.example", "broken.example"]),
        ("q=nothing-like-it", []),
        ("action=blocked", ["bad.example", "zone.example", ""]),
        ("action=allowed", ["news.example", "guest.example"]),
        ("action=blocked&q=laptop", ["bad.example", "zone.example"]),
        (
            "action=whatever",
            ["news.example", "bad.example", "zone.example", "broken.example", "", "guest.example"],
        ),
    ],
)
def test_log_search_and_filter(owner_client, queries, query, expected):
    assert log_names(owner_client.get(f"/protection/log/?{query}")) == expected


def test_log_pages(owner_client, queries):
    now = timezone.now()
    QueryLog.objects.bulk_create(
        QueryLog(
            time=now - timedelta(hours=1, seconds=i),
            client="10.0.0.4",
            name=f"n{i}.example",
            qtype="A",
            action="allowed",
        )
        for i in range(120)
    )

    first = owner_client.get("/protection/log/?q=n&action=allowed")
    second = owner_client.get("/protection/log/?q=n&action=allowed&page=2")
    beyond = owner_client.get("/protection/log/?page=99")

    assert len(first.context["page"]) == 100
    assert "page=2&q=n&action=allowed" in page_text(first)
    assert len(second.context["page"]) == 21  # and news.example
    assert beyond.status_code == 200


def test_empty_log(owner_client):
    assert "No queries logged." in page_text(owner_client.get("/protection/log/"))


# --- adding lists -----------------------------------------------------------------------------


def test_add_a_list_by_url(owner_client, data_dir, list_server):
    list_server.files["/phish.txt"] = "phish.example\nnot a domain\n"

    response = owner_client.post(
        "/protection/lists/",
        {"name": "Phish", "source": list_server.url("/phish.txt"), "category": "phishing"},
        follow=True,
    )

    source = BlockListSource.objects.get(name="Phish")
    assert (source.category, source.entries, source.rejected, source.format) == (
        "phishing",
        1,
        1,
        "domains",
    )
    text = page_text(response)
    assert "Phish added." in text
    assert "1: not a domain name" in text


def test_add_a_list_by_upload(owner_client, data_dir):
    upload = SimpleUploadedFile("../../my list.txt", b"0.0.0.0 one.example\n0.0.0.0 two.example\n")

    response = owner_client.post(
        "/protection/lists/",
        {"name": "Mine", "category": "custom", "upload": upload},
        follow=True,
    )

    source = BlockListSource.objects.get(name="Mine")
    path = Path(source.source)
    assert path.parent == data_dir / "lists" / "uploads"
    assert path.name.endswith("my list.txt")
    assert path.read_bytes() == b"0.0.0.0 one.example\n0.0.0.0 two.example\n"
    assert (source.format, source.entries) == ("hosts", 2)
    assert "Mine added." in page_text(response)


def test_an_unreachable_url_is_added_and_says_why(owner_client, data_dir, list_server):
    response = owner_client.post(
        "/protection/lists/",
        {"name": "Later", "source": list_server.url("/404.txt"), "category": "malware"},
        follow=True,
    )

    source = BlockListSource.objects.get(name="Later")
    assert "HTTP 404" in source.last_error
    assert "HTTP 404" in page_text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "X", "category": "ads", "source": "ftp://lists.example/x.txt"},
            "starts with https://",
        ),
        ({"name": "X", "source": "file:///etc/passwd"}, "starts with https://"),
        ({"name": "X", "source": "/etc/passwd"}, "starts with https://"),
        ({"name": "X", "source": ""}, "Enter a list URL or upload a file."),
        ({"name": "X"}, "Enter a list URL or upload a file."),
        ({"source": "https://lists.example/x.txt"}, "name: This field is required."),
        ({"name": "X", "source": "https://l.example/x", "category": "nope"}, "not one of"),
    ],
)
def test_bad_list_input_says_what_to_do(owner_client, data_dir, data, message):
    response = owner_client.post("/protection/lists/", data, follow=True)

    assert response.status_code == 200
    assert message in page_text(response)
    assert not BlockListSource.objects.exists()


def test_an_oversize_upload_is_refused(owner_client, data_dir):
    upload = SimpleUploadedFile("huge.txt", b"a" * (50 * 1024 * 1024 + 1))

    response = owner_client.post(
        "/protection/lists/", {"name": "Huge", "category": "malware", "upload": upload}, follow=True
    )

    assert response.status_code == 200
    assert "This file is over 50 MB; split it or use a URL." in page_text(response)
    assert not BlockListSource.objects.exists()
    assert not (data_dir / "lists" / "uploads").exists()


def test_a_binary_upload_is_added_with_its_problems(owner_client, data_dir):
    upload = SimpleUploadedFile("blob.bin", bytes(range(256)) * 4)

    response = owner_client.post(
        "/protection/lists/", {"name": "Blob", "category": "malware", "upload": upload}, follow=True
    )

    assert response.status_code == 200
    source = BlockListSource.objects.get(name="Blob")
    assert source.entries == 0 and source.rejected >= 1


# --- turning lists off and removing them ------------------------------------------------------


def test_toggle_and_delete_a_list(owner_client, bad_list):
    owner_client.post(f"/protection/lists/{bad_list.pk}/")
    bad_list.refresh_from_db()
    assert not bad_list.enabled
    assert "Turn on" in page_text(owner_client.get("/protection/"))

    owner_client.post(f"/protection/lists/{bad_list.pk}/")
    bad_list.refresh_from_db()
    assert bad_list.enabled

    response = owner_client.post(
        f"/protection/lists/{bad_list.pk}/", {"action": "delete"}, follow=True
    )
    assert "Bad list removed." in page_text(response)
    assert not BlockListSource.objects.exists()
    assert owner_client.post(f"/protection/lists/{bad_list.pk}/").status_code == 404


# --- the allowlist ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Example.COM", "example.com"),
        ("*.cdn.example.com", "cdn.example.com"),
        (" shop.example. ", "shop.example"),
    ],
)
def test_allow_a_domain(owner_client, data_dir, typed, stored):
    response = owner_client.post("/protection/allow/", {"domain": typed}, follow=True)

    assert list(AllowEntry.objects.values_list("domain", "device")) == [(stored, None)]
    assert f"{stored} is never blocked now." in page_text(response)


def test_allowing_twice_keeps_one_entry(owner_client, data_dir):
    owner_client.post("/protection/allow/", {"domain": "example.com"})
    owner_client.post("/protection/allow/", {"domain": "example.com"})

    assert AllowEntry.objects.count() == 1


@pytest.mark.parametrize("typed", ["not a domain", "localhost", "", "-bad-.example", "a" * 254])
def test_allowing_something_that_is_no_domain_says_so(owner_client, data_dir, typed):
    response = owner_client.post("/protection/allow/", {"domain": typed}, follow=True)

    assert response.status_code == 200
    text = page_text(response)
    assert "msg-error" in text
    assert not AllowEntry.objects.exists()


def test_allowing_a_non_domain_explains(owner_client, data_dir):
    response = owner_client.post("/protection/allow/", {"domain": "not a domain"}, follow=True)

    assert "That is not a domain name; enter something like example.com." in page_text(response)


def test_remove_an_allow_entry(owner_client, data_dir):
    entry = AllowEntry.objects.create(domain="example.com")
    other = AllowEntry.objects.create(domain="example.org")

    owner_client.post("/protection/allow/", {"action": "delete", "pk": entry.pk})

    assert list(AllowEntry.objects.all()) == [other]


@pytest.mark.parametrize("pk", ["", "abc", "99999"])
def test_removing_an_unknown_allow_entry_is_harmless(owner_client, data_dir, pk):
    AllowEntry.objects.create(domain="example.com")

    response = owner_client.post("/protection/allow/", {"action": "delete", "pk": pk})

    assert response.status_code == 302
    assert AllowEntry.objects.count() == 1


# --- member policy ----------------------------------------------------------------------------


def test_member_policy_form_starts_from_the_default(owner_client):
    kid = Member.objects.create(name="Kid")

    response = owner_client.get(f"/protection/members/{kid.pk}/")

    assert response.status_code == 200
    form = response.context["form"]
    assert form["blocked_categories"].value() == ["malware", "phishing", "scam"]
    assert form["privacy"].value() == "full"
    text = page_text(response)
    assert "Protection for Kid" in text
    assert "Block these kinds of sites" in text


def test_save_a_member_policy(owner_client):
    kid = Member.objects.create(name="Kid")

    response = owner_client.post(
        f"/protection/members/{kid.pk}/",
        {"blocked_categories": ["malware", "adult", "gambling"], "privacy": "stats"},
        follow=True,
    )

    policy = MemberPolicy.objects.get(member=kid)
    assert policy.blocked_categories == ["malware", "adult", "gambling"]
    assert policy.privacy == "stats"
    assert "Protection for Kid is saved." in page_text(response)

    owner_client.post(f"/protection/members/{kid.pk}/", {"privacy": "full"})  # nothing ticked
    policy.refresh_from_db()
    assert (policy.blocked_categories, policy.privacy) == ([], "full")
    assert MemberPolicy.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"blocked_categories": ["malware", "weapons"], "privacy": "full"},
        {"blocked_categories": ["malware"], "privacy": "everything"},
        {"blocked_categories": ["malware"]},
    ],
)
def test_bad_member_policy_input_shows_the_form_again(owner_client, data):
    kid = Member.objects.create(name="Kid")

    response = owner_client.post(f"/protection/members/{kid.pk}/", data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not MemberPolicy.objects.exists()


def test_member_policy_of_an_unknown_member(owner_client):
    assert owner_client.get("/protection/members/999/").status_code == 404


# --- why is this blocked? ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "sub.bad.example",
        "https://sub.bad.example/path?x=1",
        "http://SUB.bad.example:8080/",
        "sub.bad.example/login",
    ],
)
def test_why_is_this_blocked(client_as, bad_list, typed):
    response = client_as("member").get("/protection/", {"domain": typed})

    decision = response.context["decision"]
    assert (decision.blocked, decision.list_name, decision.category) == (
        True,
        "Bad list",
        "malware",
    )
    assert "Blocked: bad.example is on Bad list (malware)." in page_text(response)


def test_why_for_a_name_that_is_not_blocked(owner_client, bad_list):
    AllowEntry.objects.create(domain="bad.example")

    ok = page_text(owner_client.get("/protection/", {"domain": "good.example"}))
    allowed = page_text(owner_client.get("/protection/", {"domain": "bad.example"}))

    assert "Not blocked." in ok
    assert "Not blocked: allowlist entry bad.example." in allowed


@pytest.mark.parametrize("typed", ["not a domain", "https://", "", "a" * 300])
def test_why_with_something_that_is_no_domain(owner_client, bad_list, typed):
    response = owner_client.get("/protection/", {"domain": typed})

    assert response.status_code == 200
    assert response.context["decision"] is None
    assert response.context["lookup"].errors


def test_an_exception_for_one_device(owner_client, db):
    from django.utils import timezone

    from lanward.dnsfilter.models import AllowEntry
    from lanward.inventory.models import Device

    now = timezone.now()
    laptop = Device.objects.create(
        mac="02:00:00:00:00:0d", ips=["192.168.1.13"], first_seen=now, last_seen=now
    )
    r = owner_client.post("/protection/allow/", {"domain": "work.example", "device": laptop.pk})
    assert r.status_code == 302
    entry = AllowEntry.objects.get(domain="work.example")
    assert entry.device == laptop
    r = owner_client.post("/protection/allow/", {"domain": "work.example", "device": 999999})
    assert r.status_code == 302  # an unknown device is an error message, not a 500
    assert AllowEntry.objects.filter(domain="work.example").count() == 1
