"""lanward.engine.dns.policy: who may resolve what, and why a name was blocked."""

from __future__ import annotations

import time

import pytest

from lanward.engine.dns.lists import ParsedList, RpzRule, parse
from lanward.engine.dns.policy import (
    ALLOW,
    CATEGORIES,
    BlockList,
    Decision,
    Policy,
    Profile,
    suffixes,
)
from tests.engine.dns.corpus import blocklist

MALWARE = """\
! malware
||evil.example^
||shared.example^
||b.nested.example^
@@||fine.evil.example^
||*.botnet.example^
||imp.example^$important
||imp-sub.allowed.example^$important
@@||imp-ok.example^$important
||imp-ok.example^$important
"""
ADS = """\
||ads.example^
||shared.example^
||nested.example^
@@||imp.example^
@@||allowed.example^
@@||evil-but-ok.evil.example^
"""
PHISHING = '{"blacklist": ["phish.example", "evil.example"], "whitelist": ["login.phish.example"]}'


def lists() -> list[BlockList]:
    return [
        BlockList("malware list", "malware", parse(MALWARE)),
        BlockList("ad list", "ads", parse(ADS)),
        BlockList("phishing list", "phishing", parse(PHISHING)),
        BlockList("rpz zone", "malware", parse(blocklist("rpz/basic.rpz"))),
    ]


@pytest.fixture
def policy() -> Policy:
    return Policy.build(lists(), allowlist=["Allowed.Example.", "everyone.evil.example"])


def test_suffixes() -> None:
    assert suffixes("A.b.Example.") == ["a.b.example", "b.example", "example"]


# --- what blocks, and what doesn't ---------------------------------------------------------------


def test_blocks_the_name_and_every_name_below_it(policy: Policy) -> None:
    for name in ("evil.example", "www.evil.example", "a.b.c.evil.example", "WWW.Evil.Example."):
        assert policy.decide(name).blocked, name


def test_never_parents_siblings_or_lookalikes(policy: Policy) -> None:
    for name in (
        "example",  # parent
        "nested.other.example",
        "other.example",  # sibling
        "xevil.example",  # glued prefix
        "my-evil.example",
        "evil.example.com",  # a longer name that starts like it
        "evil.examplex",
        "evil.org",
        "",
    ):
        assert policy.decide(name) == ALLOW, name


def test_wildcard_rules(policy: Policy) -> None:
    assert policy.decide("x.botnet.example").blocked
    assert policy.decide("a.b.botnet.example").blocked
    assert not policy.decide("botnet.example").blocked


def test_most_specific_rule_and_first_list_win(policy: Policy) -> None:
    decision = policy.decide("x.b.nested.example")
    assert (decision.rule, decision.list_name) == ("b.nested.example", "malware list")
    assert policy.decide("x.nested.example").list_name == "ad list"
    # on two lists: the first one names it
    assert policy.decide("shared.example").list_name == "malware list"


# --- exceptions: allowlist > the client's own > $important > list @@ > blocks ---------------------


def test_allowlist_wins_over_everything(policy: Policy) -> None:
    profile = Profile(block=frozenset({"allowed.example"}))
    for name in ("allowed.example", "x.allowed.example", "imp-sub.allowed.example"):
        decision = policy.decide(name, profile)
        assert decision.action == "allow" and decision.rule == "allowed.example"
        assert decision.reason == "allowlist entry allowed.example"
    assert not policy.decide("x.everyone.evil.example").blocked
    assert policy.decide("other.evil.example").blocked


def test_the_clients_own_exceptions(policy: Policy) -> None:
    profile = Profile(allow=frozenset({"evil.example"}), block=frozenset({"own.example"}))
    decision = policy.decide("www.evil.example", profile)
    assert decision == Decision(
        "allow", rule="evil.example", reason="your exception for evil.example"
    )
    decision = policy.decide("x.own.example", profile)
    assert decision.blocked
    assert (decision.list_name, decision.category, decision.rule) == (
        "your blocklist",
        "custom",
        "own.example",
    )
    # the client's blocks apply even when it blocks no category
    assert policy.decide("own.example", Profile(frozenset(), block=frozenset({"own.example"})))


def test_list_exceptions_win_over_blocks_of_any_list(policy: Policy) -> None:
    decision = policy.decide("fine.evil.example")
    assert decision.action == "allow"
    assert (decision.list_name, decision.rule) == ("malware list", "fine.evil.example")
    # an exception in the ad list lifts a block of the malware list...
    assert policy.decide("evil-but-ok.evil.example").action == "allow"
    # ...but only for a client whose profile uses the ad list
    no_ads = Profile(frozenset(CATEGORIES) - {"ads"})
    assert policy.decide("evil-but-ok.evil.example", no_ads).blocked
    # the phishing whitelist
    assert policy.decide("login.phish.example").action == "allow"
    assert policy.decide("phish.example").blocked


def test_important_blocks_win_over_list_exceptions(policy: Policy) -> None:
    """AdGuard's $important: ||imp.example^$important beats @@||imp.example^ (of any list)."""
    decision = policy.decide("www.imp.example")
    assert decision.blocked and decision.rule == "imp.example"
    assert policy.decide("imp-sub.allowed.example", Profile()).action == "allow"  # allowlist
    # an $important exception wins over an $important block
    assert policy.decide("imp-ok.example").action == "allow"


def test_important_wildcards() -> None:
    parsed = parse("||*.imp.example^$important\n@@||ok.imp.example^\n@@||*.fine.example^$important")
    parsed_more = parse("||x.fine.example^$important")
    policy = Policy.build(
        [BlockList("a", "malware", parsed), BlockList("b", "malware", parsed_more)]
    )
    assert policy.decide("ok.imp.example").blocked
    decision = policy.decide("x.fine.example")
    assert decision.action == "allow" and decision.rule == "@@||*.fine.example^$important"


# --- categories ----------------------------------------------------------------------------------


def test_categories_are_per_profile(policy: Policy) -> None:
    allows_phishing = Profile(frozenset(CATEGORIES) - {"phishing"})
    assert not policy.decide("phish.example", allows_phishing).blocked
    assert policy.decide("phish.example", Profile()).category == "phishing"
    # a name on a malware list stays blocked for that profile
    assert policy.decide("evil.example", allows_phishing).category == "malware"
    only_ads = Profile(frozenset({"ads"}))
    assert policy.decide("ads.example", only_ads).blocked
    assert not policy.decide("evil.example", only_ads).blocked
    assert policy.decide("evil.example", Profile(frozenset())) == ALLOW


# --- RPZ -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "action", "rule"),
    [
        ("nxdomain.org", "nxdomain", "nxdomain.org"),
        ("www.nxdomain.org", "nxdomain", "*.nxdomain.org"),
        ("mail.nxdomain.org", "passthru", "mail.nxdomain.org"),
        ("x.mail.nxdomain.org", "nxdomain", "*.nxdomain.org"),  # passthru is for that name only
        ("example.net", "drop", "example.net"),
        ("a.b.example.net", "drop", "*.example.net"),
        ("truncate.org", "tcp-only", "truncate.org"),
        ("local.org", "local", "local.org"),
        ("x.local-a.org", "local", "*.local-a.org"),
    ],
)
def test_rpz_triggers(policy: Policy, name: str, action: str, rule: str) -> None:
    decision = policy.decide(name)
    assert (decision.action, decision.rule, decision.list_name) == (action, rule, "rpz zone")
    assert decision.blocked == (action != "passthru")
    assert decision.rpz is not None and decision.rpz.action == action


def test_rpz_wildcard_matches_below_only() -> None:
    zone = ParsedList("rpz", rpz_wildcards={"only.example": RpzRule("nxdomain")})
    policy = Policy.build([BlockList("z", "malware", zone)])
    assert not policy.decide("only.example").blocked
    assert policy.decide("a.only.example").action == "nxdomain"
    assert not policy.decide("xonly.example").blocked


def test_rpz_passthru_and_list_exceptions_come_first() -> None:
    zone = parse(blocklist("rpz/basic.rpz"))
    exceptions = parse("@@||example.net^\n||mail.nxdomain.org^")
    policy = Policy.build([BlockList("z", "malware", zone), BlockList("e", "ads", exceptions)])
    assert policy.decide("www.example.net").action == "allow"  # the @@ wins over rpz-drop
    assert policy.decide("mail.nxdomain.org").action == "passthru"  # over a later list's block


def test_local_rpz_data_travels_with_the_decision(policy: Policy) -> None:
    decision = policy.decide("local-a.org")
    assert decision.rpz == RpzRule("local", [("A", "192.168.2.5")])
    assert decision.reason == "RPZ local in rpz zone"


# --- "why was this blocked?" ---------------------------------------------------------------------


def test_decision_says_why(policy: Policy) -> None:
    decision = policy.decide("cdn.evil.example")
    assert decision == Decision(
        "block",
        list_name="malware list",
        category="malware",
        rule="evil.example",
        reason="evil.example is on malware list (malware)",
    )
    decision = policy.decide("a.botnet.example")
    assert decision.rule == "||*.botnet.example^"  # the rule as the list wrote it
    assert decision.reason == "a wildcard rule on malware list (malware)"
    assert policy.decide("fine.evil.example").reason == "exception in malware list"


def test_decision_blocked() -> None:
    assert not Decision("allow").blocked and not Decision("passthru").blocked
    for action in ("block", "nxdomain", "nodata", "drop", "tcp-only", "local"):
        assert Decision(action).blocked


def test_no_lists_allows_everything() -> None:
    assert Policy().decide("evil.example") == ALLOW
    assert Policy.build([], allowlist=["x.example"]).allowlist == frozenset({"x.example"})


# --- size ------------------------------------------------------------------------------------------


def test_a_million_names(capsys: pytest.CaptureFixture[str]) -> None:
    """Sanity, not a timed assertion: the numbers go to the test output."""
    text = "\n".join(f"host{i}.zone{i % 997}.example" for i in range(1_000_000))
    started = time.perf_counter()
    parsed = parse(text, "domains")
    parsed_at = time.perf_counter()
    policy = Policy.build(
        [BlockList("big", "malware", parsed), BlockList("rules", "ads", parse(MALWARE))]
    )
    built = time.perf_counter()
    queries = [
        f"www.host{i * 7}.zone{(i * 7) % 997}.example" if i % 2 else f"miss{i}.example"
        for i in range(100_000)
    ]
    looked_up = time.perf_counter()
    hits = sum(policy.decide(query).blocked for query in queries)
    done = time.perf_counter()
    assert hits == 50_000
    with capsys.disabled():
        print(
            f"\n1,000,000 names: parsed in {parsed_at - started:.2f} s, policy built in "
            f"{built - parsed_at:.2f} s; 100,000 lookups in {done - looked_up:.2f} s "
            f"({(done - looked_up) * 10:.1f} us each)"
        )


# --- address triggers: the answer's addresses and the client's own ---------------------------

ADDRESS_RPZ = """\
$ORIGIN rpz.example.
@ SOA ns.rpz.example. admin.rpz.example. 1 3600 600 86400 60
@ NS ns.rpz.example.
24.0.113.0.203.rpz-ip CNAME .
32.9.113.0.203.rpz-ip CNAME rpz-passthru.
48.zz.c2.db8.2001.rpz-ip CNAME rpz-drop.
128.1.zz.db8.2001.rpz-ip CNAME *.
24.0.2.0.192.rpz-client-ip CNAME rpz-drop.
32.7.2.0.192.rpz-client-ip CNAME rpz-passthru.
24.zz.1.zz.rpz-ip CNAME .
33.1.2.3.4.rpz-ip CNAME .
"""


def address_policy() -> Policy:
    return Policy.build(
        [
            BlockList("zone", "malware", parse(ADDRESS_RPZ)),
            BlockList("c2 ips", "malware", parse("198.51.100.0/24\n185.220.101.9\n10.1.2.3\n")),
            BlockList("ad ips", "ads", parse("185.220.102.0/24\n")),
        ]
    )


def test_rpz_ip_triggers_most_specific_first() -> None:
    p = address_policy()
    d = p.decide_answer(["93.184.215.14", "203.0.113.5"])
    assert (d.action, d.list_name, d.rule) == ("nxdomain", "zone", "203.0.113.5 in 203.0.113.0/24")
    assert "the answer address 203.0.113.5 is on zone" in d.reason
    assert p.decide_answer(["203.0.113.9"]).action == "passthru"  # the /32 wins over the /24
    assert not p.decide_answer(["203.0.113.9"]).blocked
    assert p.decide_answer(["2001:db8:c2:1::5"]).action == "drop"  # 48.zz.c2.db8.2001
    assert p.decide_answer(["2001:db8::1"]).action == "nodata"  # 128.1.zz.db8.2001
    assert p.decide_answer(["93.184.215.14", "2001:db8:1::1"]) == ALLOW
    assert p.decide_answer([]) == ALLOW


def test_address_lines_of_plain_lists_and_the_profile() -> None:
    p = address_policy()
    d = p.decide_answer(["185.220.101.9"])
    assert (d.action, d.list_name, d.category, d.rule) == (
        "block",
        "c2 ips",
        "malware",
        "185.220.101.9",
    )
    assert p.decide_answer(["198.51.100.200"]).rule == "198.51.100.200 in 198.51.100.0/24"
    # A private address line still blocks the literal name, never answers (the home's own).
    assert p.decide_answer(["10.1.2.3"]) == ALLOW
    assert p.decide("10.1.2.3").blocked
    # A profile that does not block ads is not stopped by the ad list's addresses.
    no_ads = Profile(frozenset({"malware"}))
    assert p.decide_answer(["185.220.102.4"]).list_name == "ad ips"
    assert p.decide_answer(["185.220.102.4"], no_ads) == ALLOW
    assert p.decide_answer(["185.220.101.9"], no_ads).blocked
    assert p.decide_answer(["185.220.101.9"], Profile(frozenset())) == ALLOW


def test_rpz_client_ip_triggers() -> None:
    p = address_policy()
    assert p.decide_client("192.0.2.55").action == "drop"
    assert p.decide_client("::ffff:192.0.2.55").action == "drop"  # from a dual-stack socket
    assert p.decide_client("192.0.2.7").action == "passthru"
    assert p.decide_client("192.168.1.20") == ALLOW
    assert p.decide_client("not an address") == ALLOW


def test_address_triggers_that_are_not_addresses_are_reported() -> None:
    parsed = parse(ADDRESS_RPZ)
    assert len(parsed.answer_ips) == 4 and len(parsed.client_ips) == 2
    reasons = {reason for reason in parsed.rejected}
    assert any(r.startswith("rpz-ip trigger that is not an address") for r in reasons)
    assert sum(parsed.rejected.values()) == 2  # two "zz" (one "::" only) and a /33
