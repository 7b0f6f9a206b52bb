"""services.py: the console's lists as a Policy, per-client profiles, the query log and why()."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from lanward.daemons.dnsd import QueryRecord
from lanward.dnsfilter.models import AllowEntry, BlockListSource, MemberPolicy, QueryLog
from lanward.dnsfilter.services import (
    ProfileDirectory,
    QueryLogWriter,
    build_policy,
    prune_log,
    why,
)
from lanward.engine.dns.policy import Profile
from lanward.inventory.models import Member
from tests.cast import make_device

from .conftest import BLOCKED, LISTS

pytestmark = pytest.mark.django_db

EVERYTHING = Profile()  # every category blocked


def add_list(source: str, name: str = "Bad list", **fields: object) -> BlockListSource:
    return BlockListSource.objects.create(name=name, source=source, **fields)


# --- build_policy -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(LISTS))
def test_build_policy_reads_each_format_from_a_file(data_dir, list_file, fmt):
    source = add_list(list_file(LISTS[fmt]), name=f"{fmt} list")

    policy = build_policy()

    decision = policy.decide("www." + BLOCKED[fmt] if fmt != "rpz" else BLOCKED[fmt], EVERYTHING)
    assert decision.blocked
    assert decision.list_name == f"{fmt} list"
    assert not policy.decide("innocent.example", EVERYTHING).blocked
    source.refresh_from_db()
    assert source.format == fmt
    assert source.entries >= 1
    assert source.last_update is not None
    assert source.last_error == ""


def test_build_policy_records_rejected_lines_with_reasons_and_examples(data_dir, list_file):
    source = add_list(list_file(LISTS["adblock"]))

    policy = build_policy()

    source.refresh_from_db()
    assert (source.format, source.entries, source.rejected) == ("adblock", 1, 2)
    assert source.rejected_reasons == {
        "cosmetic (element hiding) rule": {"count": 1, "example": "example.com##.banner"},
        "rule limited to some requests ($script)": {
            "count": 1,
            "example": "||tracker.example^$script",
        },
    }
    assert not policy.decide("ok.adblock-bad.example", EVERYTHING).blocked  # the @@ exception


def test_build_policy_counts_what_a_list_cannot_express(data_dir, list_file):
    rpz = add_list(list_file(LISTS["rpz"], "zone.rpz"), name="rpz")
    eth = add_list(list_file(LISTS["eth-phishing-json"], "eth.json"), name="eth")

    policy = build_policy()

    rpz.refresh_from_db()
    eth.refresh_from_db()
    assert rpz.entries == 3  # the name, its wildcard and the rpz-ip trigger
    assert policy.decide("deep.sub.zone-bad.example", EVERYTHING).action == "nxdomain"
    answer = policy.decide_answer(["93.184.215.14", "10.0.0.1"], EVERYTHING)
    assert (answer.action, answer.list_name, answer.rule) == ("nxdomain", "rpz", "10.0.0.1")
    assert eth.entries == 1 and eth.rejected == 2
    assert not policy.decide("eth-good.example", EVERYTHING).blocked


def test_build_policy_reads_a_url(data_dir, list_server):
    list_server.files["/ads.txt"] = "ads.example\n"
    source = add_list(list_server.url("/ads.txt"), name="Ads", category="ads")

    policy = build_policy()

    decision = policy.decide("cdn.ads.example", EVERYTHING)
    assert (decision.list_name, decision.category) == ("Ads", "ads")
    assert not policy.decide("cdn.ads.example", Profile(frozenset({"malware"}))).blocked
    source.refresh_from_db()
    assert (source.format, source.entries, source.last_error) == ("domains", 1, "")
    assert list_server.hits == ["/ads.txt"]


def test_a_failing_url_keeps_its_last_good_copy_and_says_why(data_dir, list_server):
    list_server.files["/bad.txt"] = "bad.example\nworse.example\n"
    source = add_list(list_server.url("/bad.txt"))
    build_policy()
    source.refresh_from_db()
    first_update = source.last_update

    list_server.status["/bad.txt"] = 503
    policy = build_policy()

    assert policy.decide("bad.example", EVERYTHING).blocked
    source.refresh_from_db()
    assert source.last_error == "HTTP 503"
    assert source.entries == 2
    assert source.last_update == first_update  # the copy in use is still the one from then

    del list_server.status["/bad.txt"]
    build_policy()
    source.refresh_from_db()
    assert source.last_error == ""
    assert source.last_update > first_update


def test_a_failing_url_without_a_copy_is_left_out_and_says_why(data_dir, list_server, list_file):
    broken = add_list(list_server.url("/missing.txt"), name="Broken")
    add_list(list_file("fine.example\n"), name="Fine")

    policy = build_policy()

    assert [bl.name for bl in policy.lists] == ["Fine"]
    broken.refresh_from_db()
    assert "could not download" in broken.last_error
    assert "HTTP 404" in broken.last_error
    assert broken.last_update is None


def test_an_unreadable_list_says_why(data_dir, list_file, tmp_path):
    missing = add_list(str(tmp_path / "nope.txt"), name="Missing")
    bad_json = add_list(list_file("{not json", "bad.json"), name="Bad JSON")

    assert build_policy().lists == []

    missing.refresh_from_db()
    bad_json.refresh_from_db()
    assert missing.last_error.startswith("cannot read")
    assert "not valid JSON" in bad_json.last_error


def test_a_list_with_nul_bytes_is_stored_on_every_database(data_dir, list_file):
    """PostgreSQL refuses NUL in text and JSON: quoted lines carry a replacement character."""
    source = add_list(list_file("bad.example\n\x00junk\x00\n||x.example^$\x00\n", "nul.txt"))

    policy = build_policy()

    assert policy.decide("bad.example", EVERYTHING).blocked
    source.refresh_from_db()
    assert source.rejected_reasons == {
        "not a domain name": {"count": 1, "example": "\ufffdjunk\ufffd"},
        "rule limited to some requests ($\ufffd)": {
            "count": 1,
            "example": "||x.example^$\ufffd",
        },
    }


def test_disabled_lists_are_ignored(data_dir, list_file):
    source = add_list(list_file("bad.example\n"), enabled=False)

    policy = build_policy()

    assert policy.lists == []
    assert not policy.decide("bad.example", EVERYTHING).blocked
    source.refresh_from_db()
    assert source.last_update is None


def test_a_global_allow_entry_wins_over_every_list(data_dir, list_file):
    add_list(list_file("bad.example\nworse.example\n"))
    AllowEntry.objects.create(domain="bad.example")
    device = make_device("02:00:00:00:00:01")
    AllowEntry.objects.create(domain="worse.example", device=device)  # one device only

    policy = build_policy()

    decision = policy.decide("www.bad.example", EVERYTHING)
    assert not decision.blocked
    assert decision.reason == "allowlist entry bad.example"
    assert policy.decide("worse.example", EVERYTHING).blocked


def test_extra_lists_are_kept(data_dir, list_file):
    from lanward.engine.dns import lists
    from lanward.engine.dns.policy import BlockList

    extra = BlockList("command line", "malware", lists.parse("cli.example\n"))
    add_list(list_file("bad.example\n"))

    policy = build_policy([extra])

    assert [bl.name for bl in policy.lists] == ["command line", "Bad list"]


# --- ProfileDirectory -------------------------------------------------------------------------


@pytest.fixture
def household():
    kid = Member.objects.create(name="Kid")
    MemberPolicy.objects.create(
        member=kid, blocked_categories=["malware", "adult"], privacy="hidden"
    )
    parent = Member.objects.create(name="Parent")  # no policy: the default
    tablet = make_device("02:00:00:00:00:01", ips=["192.168.1.20", "fd00::20"], owner=kid)
    laptop = make_device("02:00:00:00:00:02", ips=["192.168.1.30"], owner=parent)
    tv = make_device("02:00:00:00:00:03", ips=["192.168.1.40"])  # nobody's
    AllowEntry.objects.create(domain="homework.example", device=tablet)
    return {"kid": kid, "parent": parent, "tablet": tablet, "laptop": laptop, "tv": tv}


def test_profiles_follow_the_owners_policy(household):
    directory = ProfileDirectory()
    directory.refresh()

    kid = directory.profile_for("192.168.1.20")
    assert kid.blocked_categories == {"malware", "adult"}
    assert kid.allow == {"homework.example"}
    assert directory.profile_for("fd00::20") == kid
    default = {"malware", "phishing", "scam"}
    assert directory.profile_for("192.168.1.30").blocked_categories == default
    assert directory.profile_for("192.168.1.40").blocked_categories == default
    assert directory.profile_for("192.168.1.40").allow == frozenset()
    assert directory.profile_for("10.9.9.9") == directory.default
    assert directory.default.blocked_categories == default


def test_lookup_names_device_member_and_privacy(household):
    directory = ProfileDirectory()
    directory.refresh()

    assert directory.lookup("192.168.1.20") == (
        household["tablet"].pk,
        household["kid"].pk,
        "hidden",
    )
    assert directory.lookup("192.168.1.30") == (
        household["laptop"].pk,
        household["parent"].pk,
        "full",
    )
    assert directory.lookup("192.168.1.40") == (household["tv"].pk, None, "full")
    assert directory.lookup("10.9.9.9") == (None, None, "full")


def test_device_exceptions_apply_to_that_device_only(household, data_dir, list_file):
    add_list(list_file("adult.example\nhomework.example\n"), name="Adult", category="adult")
    policy = build_policy()
    directory = ProfileDirectory()
    directory.refresh()

    kid = directory.profile_for("192.168.1.20")
    assert policy.decide("adult.example", kid).blocked
    assert not policy.decide("homework.example", kid).blocked
    assert not policy.decide("adult.example", directory.profile_for("192.168.1.30")).blocked


def test_refresh_picks_up_changes(household):
    directory = ProfileDirectory()
    directory.refresh()
    MemberPolicy.objects.filter(member=household["kid"]).update(blocked_categories=[])
    household["tv"].ips = ["192.168.1.41"]
    household["tv"].save()

    directory.refresh()

    assert directory.profile_for("192.168.1.20").blocked_categories == frozenset()
    assert directory.lookup("192.168.1.40") == (None, None, "full")
    assert directory.lookup("192.168.1.41")[0] == household["tv"].pk


# --- QueryLogWriter ---------------------------------------------------------------------------


def record(client: str, name: str = "www.example.com", action: str = "allowed") -> QueryRecord:
    return QueryRecord(
        time.time(), client, name, "A", action, list_name="L" if action != "allowed" else ""
    )


@pytest.fixture
def privacy_clients():
    """One device per privacy level, at 10.0.0.<n>."""
    clients = {}
    for n, level in enumerate(MemberPolicy.Privacy.values, start=1):
        member = Member.objects.create(name=level)
        MemberPolicy.objects.create(member=member, privacy=level)
        make_device(f"02:00:00:00:01:0{n}", ips=[f"10.0.0.{n}"], owner=member)
        clients[level] = f"10.0.0.{n}"
    directory = ProfileDirectory()
    directory.refresh()
    return directory, clients


def test_records_are_written_in_one_batch(privacy_clients, django_assert_num_queries):
    directory, clients = privacy_clients
    writer = QueryLogWriter(directory)
    for name in ("a.example", "b.example", "c.example"):
        writer(record(clients["full"], name))
    assert QueryLog.objects.count() == 0  # nothing written while answering

    with django_assert_num_queries(1):
        assert writer.flush() == 3

    assert sorted(QueryLog.objects.values_list("name", flat=True)) == [
        "a.example",
        "b.example",
        "c.example",
    ]
    assert writer.flush() == 0


def test_a_flush_writes_at_most_5000_rows(privacy_clients):
    directory, clients = privacy_clients
    writer = QueryLogWriter(directory)
    for _ in range(5001):
        writer(record(clients["full"]))

    assert writer.flush() == 5000
    assert writer.flush() == 1


def test_privacy_levels(privacy_clients):
    directory, clients = privacy_clients
    writer = QueryLogWriter(directory)
    for client in clients.values():
        writer(record(client, "secret.example", action="blocked"))
    writer(record("10.9.9.9", "stranger.example"))

    assert writer.flush() == 4

    rows = {row.client: row for row in QueryLog.objects.all()}
    assert rows[clients["full"]].name == "secret.example"
    assert rows[clients["hidden"]].name == ""
    assert rows[clients["stats"]].name == ""
    assert clients["nothing"] not in rows
    assert rows["10.9.9.9"].name == "stranger.example"
    assert rows["10.9.9.9"].device_id is None
    hidden = rows[clients["hidden"]]
    assert (hidden.action, hidden.list_name, hidden.qtype) == ("blocked", "L", "A")
    assert hidden.member.name == "hidden"


def test_a_full_queue_drops_and_counts_instead_of_blocking(privacy_clients):
    directory, clients = privacy_clients
    writer = QueryLogWriter(directory, max_queue=2)

    started = time.monotonic()
    for _ in range(5):
        writer(record(clients["full"]))

    assert time.monotonic() - started < 1
    assert writer.dropped == 3
    assert writer.flush() == 2


def test_a_record_keeps_its_time_and_details(privacy_clients):
    directory, clients = privacy_clients
    writer = QueryLogWriter(directory)
    rec = record(clients["full"], "x.example", action="blocked")
    rec.time, rec.cached, rec.latency_ms, rec.category = 1_700_000_000.5, True, 1.23456, "scam"
    writer(rec)
    writer.flush()

    row = QueryLog.objects.get()
    assert row.time.timestamp() == 1_700_000_000.5
    assert (row.cached, row.latency_ms, row.category) == (True, 1.23, "scam")


# --- prune_log --------------------------------------------------------------------------------


def log_at(*ages: timedelta) -> None:
    now = timezone.now()
    QueryLog.objects.bulk_create(
        QueryLog(time=now - age, client="10.0.0.1", name=f"n{i}.example", qtype="A", action="x")
        for i, age in enumerate(ages)
    )


def test_prune_drops_rows_past_retention(settings):
    settings.LANWARD_DNS_LOG_DAYS = 7
    log_at(timedelta(days=8), timedelta(days=30), timedelta(days=6), timedelta(minutes=1))

    assert prune_log() == 2
    assert QueryLog.objects.count() == 2
    assert prune_log() == 0


def test_prune_keeps_the_newest_rows_within_the_budget(settings):
    settings.LANWARD_DNS_LOG_DAYS = 7
    settings.LANWARD_DNS_LOG_MAX_ROWS = 3
    log_at(*(timedelta(hours=h) for h in (5, 1, 4, 2, 3, 200)))

    assert prune_log() == 3  # one too old, two over the budget

    assert sorted(QueryLog.objects.values_list("name", flat=True)) == [
        "n1.example",
        "n3.example",
        "n4.example",
    ]


def test_prune_uses_the_time_it_is_given(settings):
    settings.LANWARD_DNS_LOG_DAYS = 7
    log_at(timedelta(days=1))

    assert prune_log(now=timezone.now() + timedelta(days=7)) == 1


# --- why --------------------------------------------------------------------------------------


def test_why_names_the_list_and_category(data_dir, list_file):
    add_list(list_file("phish.example\n"), name="Phishing Army", category="phishing")

    decision = why("login.phish.example")

    assert decision.blocked
    assert (decision.list_name, decision.category) == ("Phishing Army", "phishing")
    assert decision.rule == "phish.example"
    assert "Phishing Army" in decision.reason
    assert not why("example.org").blocked


def test_why_names_lists_of_categories_only_some_members_block(data_dir, list_file):
    """The lookup and the block page answer "which list has it", whoever was blocked."""
    add_list(list_file("casino.example\n"), name="Gambling", category="gambling")

    decision = why("casino.example")

    assert (decision.blocked, decision.list_name, decision.category) == (
        True,
        "Gambling",
        "gambling",
    )


def test_why_for_a_member_uses_their_policy(data_dir, list_file):
    add_list(list_file("casino.example\n"), name="Gambling", category="gambling")
    strict, relaxed, default = (Member.objects.create(name=n) for n in ("A", "B", "C"))
    MemberPolicy.objects.create(member=strict, blocked_categories=["gambling"])
    MemberPolicy.objects.create(member=relaxed, blocked_categories=["malware"])

    assert why("casino.example", member=strict).blocked
    assert not why("casino.example", member=relaxed).blocked
    assert not why("casino.example", member=default).blocked  # no policy: the default


def test_why_reports_the_allowlist(data_dir, list_file):
    add_list(list_file("bad.example\n"))
    AllowEntry.objects.create(domain="bad.example")

    decision = why("bad.example")

    assert not decision.blocked
    assert decision.reason == "allowlist entry bad.example"


def test_why_can_reuse_a_policy(data_dir, list_file):
    add_list(list_file("bad.example\n"))
    policy = build_policy()
    BlockListSource.objects.all().delete()

    assert why("bad.example", policy=policy).blocked


def test_a_device_policy_overrides_its_owners(db):
    from django.utils import timezone

    from lanward.dnsfilter.models import DevicePolicy, MemberPolicy
    from lanward.dnsfilter.services import ProfileDirectory
    from lanward.inventory.models import Device, Member

    kid = Member.objects.create(name="Kid")
    MemberPolicy.objects.create(member=kid, blocked_categories=["malware"])
    now = timezone.now()
    phone = Device.objects.create(
        mac="02:00:00:00:00:0a", ips=["192.168.1.10"], owner=kid, first_seen=now, last_seen=now
    )
    tablet = Device.objects.create(
        mac="02:00:00:00:00:0b", ips=["192.168.1.11"], owner=kid, first_seen=now, last_seen=now
    )
    DevicePolicy.objects.create(device=tablet, blocked_categories=["malware", "adult", "gambling"])
    directory = ProfileDirectory()
    directory.refresh()
    assert directory.profile_for("192.168.1.10").blocked_categories == frozenset({"malware"})
    assert directory.profile_for("192.168.1.11").blocked_categories == frozenset(
        {"malware", "adult", "gambling"}
    )
    assert phone.pk != tablet.pk


def test_device_policy_page_saves_and_resets(owner_client, db):
    from django.utils import timezone

    from lanward.dnsfilter.models import DevicePolicy
    from lanward.inventory.models import Device

    now = timezone.now()
    device = Device.objects.create(
        mac="02:00:00:00:00:0c", ips=["192.168.1.12"], first_seen=now, last_seen=now
    )
    url = f"/protection/devices/{device.pk}/"
    assert owner_client.get(url).status_code == 200
    r = owner_client.post(url, {"blocked_categories": ["malware", "adult"]})
    assert r.status_code == 302
    assert DevicePolicy.objects.get(device=device).blocked_categories == ["malware", "adult"]
    r = owner_client.post(url, {"use_owner": "on"})
    assert not DevicePolicy.objects.filter(device=device).exists()
    r = owner_client.post(url, {"blocked_categories": ["nonsense"]})
    assert r.status_code == 200  # a field error, not a 500
