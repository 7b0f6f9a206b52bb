"""lanward.engine.dns.lists: every list format, what is accepted and what is counted, and that
no text makes the parser fail except with a ValueError that says what is wrong."""

from __future__ import annotations

import ipaddress
import json
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanward.engine.dns.lists import (
    RpzRule,
    _wildcard,
    detect_format,
    normalize_domain,
    parse,
)
from tests.engine.dns.corpus import blocklist

# --- format detection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("# StevenBlack\n127.0.0.1 localhost\n0.0.0.0 ads.example\n0.0.0.0 t.example\n", "hosts"),
        (":: ads.example\n::1 localhost\n", "hosts"),
        ("ads.example\ntracker.example\n", "domains"),
        ("# a comment\n\nads.example\n", "domains"),
        ("[Adblock Plus 2.0]\nads.example\n", "adblock"),
        ("! Title: x\n||ads.example^\n", "adblock"),
        ("@@||good.example^\n", "adblock"),
        ('  {"blacklist": ["x.example"]}', "eth-phishing-json"),
        ("$ORIGIN rpz.\n@ SOA a. b. 1 2 3 4 5\nx.example CNAME .\n", "rpz"),
        ("", "domains"),
    ],
)
def test_detect_format(text: str, fmt: str) -> None:
    assert detect_format(text) == fmt
    assert parse(text).format == fmt


@pytest.mark.parametrize(
    ("relative", "fmt"),
    [
        ("ublock/urlhaus-filter-online.txt", "adblock"),
        ("ublock/badware.min.txt", "adblock"),
        ("et-derived/malicious.txt", "adblock"),
        ("eth-phishing-detect/config.json", "eth-phishing-json"),
        ("rpz/basic.rpz", "rpz"),
    ],
)
def test_detect_format_of_real_lists(relative: str, fmt: str) -> None:
    assert detect_format(blocklist(relative)) == fmt


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown list format"):
        parse("x.example", "csv")


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ads.Example.COM.", "ads.example.com"),
        ("  x.example  ", "x.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("_dmarc.example", "_dmarc.example"),
        ("1.2.3.4", "1.2.3.4"),
        ("2001:db8::1", "2001:db8::1"),
        ("localhost", None),
        ("example", None),
        ("-bad.example", None),
        ("bad-.example", None),
        ("a..example", None),
        (".example", None),
        ("a b.example", None),
        ("a/b.example", None),
        ("evil\n.example", None),  # a label regex ending in "$" let this one through
        ("*.example", None),
        ("a" * 64 + ".example", None),
        (".".join(["a" * 63] * 4), None),  # 255 characters
        ("", None),
    ],
)
def test_normalize_domain(text: str, name: str | None) -> None:
    assert normalize_domain(text) == name


# --- hosts files ---------------------------------------------------------------------------------

HOSTS = """\
# Title: a hosts file
127.0.0.1 localhost
127.0.0.1 localhost.localdomain
255.255.255.255 broadcasthost
::1 localhost ip6-localhost ip6-loopback
fe80::1%lo0 localhost
ff02::1 ip6-allnodes
0.0.0.0 0.0.0.0
0.0.0.0 ads.example.com   # an ad server
127.0.0.1 tracker.example.net metrics.example.net
:: v6.example.org
0.0.0.0 ADS.Example.COM.
0.0.0.0 bücher.example
0.0.0.0 printer.localdomain
garbage
not-an-address example.com
0.0.0.0 bad-.example nodot
"""


def test_hosts() -> None:
    parsed = parse(HOSTS)
    assert parsed.format == "hosts"
    assert parsed.block == {
        "ads.example.com",
        "tracker.example.net",
        "metrics.example.net",
        "v6.example.org",
        "xn--bcher-kva.example",
    }
    assert parsed.accepted == 6  # ads.example.com twice
    # localhost and friends are neither blocked nor counted as garbage
    assert parsed.rejected == {
        "hosts line without an address and a name": 1,
        "hosts line not starting with an address": 1,
        "not a domain name": 2,
    }
    assert parsed.examples["hosts line without an address and a name"] == "garbage"
    assert parsed.examples["not a domain name"] == "0.0.0.0 bad-.example nodot"
    assert parsed.size == 5


# --- plain domain lists ----------------------------------------------------------------------


def test_domains() -> None:
    parsed = parse(
        "# a list\nexample.com\n*.wild.example.org\nSub.Example.NET.\nbücher.example\n"
        "evil.example # trailing comment\n1.2.3.4\nnot a domain\n-bad.example\nsingle\n"
    )
    assert parsed.format == "domains"
    assert parsed.block == {
        "example.com",
        "wild.example.org",
        "sub.example.net",
        "xn--bcher-kva.example",
        "evil.example",
        "1.2.3.4",
    }
    assert parsed.rejected == {"not a domain name": 3}
    assert parsed.examples["not a domain name"] == "not a domain"


# --- AdBlock-style rules -----------------------------------------------------------------------

ADBLOCK = """\
[Adblock Plus 2.0]
! Title: test rules
# also a comment
||ads.example^
@@||good.ads.example^
||*.cdn.example^
||track*.example^
@@||ok*.track.example^
||imp.example^$important
@@||imp-ok.example^$important
||all.example^$all
||doc.example^$doc,popup
||tp.example^$third-party
||notfirst.example^$~first-party
||Bücher.Example^
||pipe.example|
||nocaret.example
plain.example
1.2.3.4
||script.example^$script
||xhr.example^$xhr,third-party
||dom.example^$domain=site.example
||path.example/ads/*
||path.example^*.js
|http://url.example/
example.org##.banner
##.ad
example.org#@#.banner
example.org#?#div:has(.ad)
/banner\\d+/
/^https:\\/\\/[a-z]+\\.example\\/$/$doc
||*^
||bad..example^
"""


def test_adblock_accepts_whole_domain_rules() -> None:
    parsed = parse(ADBLOCK)
    assert parsed.format == "adblock"
    assert parsed.block == {
        "ads.example",
        "imp.example",
        "all.example",
        "doc.example",
        "tp.example",
        "notfirst.example",
        "xn--bcher-kva.example",
        "pipe.example",
        "nocaret.example",
        "plain.example",
        "1.2.3.4",
    }
    assert parsed.allow == {"good.ads.example", "imp-ok.example"}
    assert parsed.important == {"imp.example"}
    assert parsed.important_allow == {"imp-ok.example"}
    assert parsed.accepted == 16
    assert parsed.size == 11 + 2


def test_adblock_wildcards() -> None:
    parsed = parse(ADBLOCK)
    cdn, track = parsed.block_patterns
    assert [cdn.match(n) is not None for n in ("a.cdn.example", "a.b.cdn.example")] == [True] * 2
    assert [cdn.match(n) for n in ("cdn.example", "xcdn.example", "cdn.example.org")] == [None] * 3
    assert all(track.match(n) for n in ("track.example", "tracker.example", "a.track-1.example"))
    assert not any(track.match(n) for n in ("atrack.example", "track.example.org", "example"))
    (ok,) = parsed.allow_patterns
    assert ok.match("okay.track.example") and not ok.match("track.example")
    # what a user sees when asking why: the rule as written, not the regex
    assert parsed.pattern_rules[cdn.pattern] == "||*.cdn.example^"


def test_adblock_counts_what_it_cannot_apply() -> None:
    parsed = parse(ADBLOCK)
    assert parsed.rejected == {
        "rule limited to some requests ($script)": 1,
        "rule limited to some requests ($xhr)": 1,
        "rule limited to some requests ($domain=site.example)": 1,
        "URL or path rule (not a whole domain)": 3,
        "cosmetic (element hiding) rule": 4,
        "regular-expression rule": 2,
        "wildcard rule too broad or malformed": 1,
        "not a domain name": 1,
    }
    assert parsed.examples["URL or path rule (not a whole domain)"] == "||path.example/ads/*"
    assert parsed.examples["cosmetic (element hiding) rule"] == "example.org##.banner"
    assert parsed.examples["regular-expression rule"] == "/banner\\d+/"


def test_adblock_regex_with_dollar_is_a_regex_rule() -> None:
    """A `$` inside a regex is not where the options start: the reason names the regex."""
    parsed = parse("/^https:\\/\\/x\\.example\\/$/$doc,match-case\n", "adblock")
    assert parsed.rejected == {"regular-expression rule": 1}


def test_adblock_real_lists() -> None:
    urlhaus = parse(blocklist("ublock/urlhaus-filter-online.txt"))
    # 2,307 IPs and 601 hostnames (uBlock Origin reads a bare hostname as ||host^), one
    # ||host^$all; the other 3,345 ||host/path^$all rules name a URL, not a domain
    assert urlhaus.accepted == 2909
    assert urlhaus.rejected == {"URL or path rule (not a whole domain)": 3345}
    assert "111101111.ru" in urlhaus.block and "1.1.104.12" in urlhaus.block
    et = parse(blocklist("et-derived/malicious.txt"))
    assert et.accepted == 2059 == len(et.block)
    assert not et.rejected


# --- RPZ ---------------------------------------------------------------------------------------


def test_rpz_basic_zone() -> None:
    parsed = parse(blocklist("rpz/basic.rpz"))
    assert parsed.format == "rpz"
    assert parsed.rpz == {
        "nxdomain.org": RpzRule("nxdomain"),
        "mail.nxdomain.org": RpzRule("passthru"),
        "example.net": RpzRule("drop"),
        "truncate.org": RpzRule("tcp-only"),
        "local.org": RpzRule("local", [("CNAME", "explanation.example.com.")]),
        "local-a.org": RpzRule("local", [("A", "192.168.2.5")]),
    }
    # "*.x" triggers are kept apart from "x": they match below x, not x itself
    assert parsed.rpz_wildcards == {k: v for k, v in parsed.rpz.items() if k != "mail.nxdomain.org"}
    # Address triggers: answers holding 10.0.0.2, and everything 127.0.0.0/24 or 10.0.0.1 ask.
    assert parsed.answer_ips == {ipaddress.ip_network("10.0.0.2/32"): RpzRule("nxdomain")}
    assert parsed.client_ips == {
        ipaddress.ip_network("127.0.0.0/24"): RpzRule("drop"),
        ipaddress.ip_network("10.0.0.1/32"): RpzRule("tcp-only"),
    }
    assert parsed.accepted == 14
    assert parsed.rejected == {
        "rpz-nsdname trigger (needs the name servers of a recursive lookup; lanward forwards)": 3
    }
    assert parsed.size == 14


RPZ = """\
$TTL 300
$ORIGIN rpz.example.
@ SOA ns.rpz.example. admin.rpz.example. 1 3600 600 86400 60
@ NS ns.rpz.example.
nodata.example CNAME *.
multi.example A 192.0.2.1
multi.example A 192.0.2.2
multi.example AAAA 2001:db8::1
relative.example CNAME sinkhole
Upper.Example CNAME rpz-drop.
32.1.2.0.192.rpz-ip CNAME .
ns.evil.rpz-nsdname CNAME .
"""


def test_rpz_actions_and_local_data() -> None:
    parsed = parse(RPZ)
    assert parsed.rpz["nodata.example"] == RpzRule("nodata")
    assert parsed.rpz["multi.example"] == RpzRule(
        "local", [("A", "192.0.2.1"), ("A", "192.0.2.2"), ("AAAA", "2001:db8::1")]
    )
    # a relative CNAME target is relative to the zone's origin, as in any zone file
    assert parsed.rpz["relative.example"] == RpzRule("local", [("CNAME", "sinkhole.rpz.example.")])
    assert parsed.rpz["upper.example"] == RpzRule("drop")
    assert not parsed.rpz_wildcards
    assert parsed.answer_ips == {ipaddress.ip_network("192.0.2.1/32"): RpzRule("nxdomain")}
    assert sum(parsed.rejected.values()) == 1  # the nsdname trigger


@pytest.mark.parametrize(
    "text",
    [
        "$ORIGIN rpz.example.\n@ SOA a. b. 1 2 3 4 5\nx.example CNAME\n",
        "$ORIGIN rpz.example.\n@ SOA a. b. 1 2 3 4 5\nx.example A 999.1.1.1\n",
        "$ORIGIN rpz.example.\n@ SOA a. b. ( 1 2 3 4 5\nx.example CNAME .\n",
        "x.example CNAME .\n",  # no origin
    ],
)
def test_broken_rpz_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="the RPZ zone could not be read"):
        parse(text, "rpz")


# --- eth-phishing-detect JSON --------------------------------------------------------------------


def test_eth_phishing_corpus() -> None:
    parsed = parse(blocklist("eth-phishing-detect/config.json"))
    assert parsed.format == "eth-phishing-json"
    assert len(parsed.block) == 13750 and len(parsed.allow) == 1138
    assert parsed.rejected == {
        "not a domain name in blacklist": 2,
        "fuzzy lookalike entries (checked by smart alerts, not DNS rules)": 15,
    }


def test_eth_phishing_json() -> None:
    text = json.dumps(
        {
            "version": 2,
            "blacklist": ["Evil.Example", "bücher.example", 5, "nodot", None],
            "whitelist": ["good.example"],
            "fuzzylist": ["metamask.io", "opensea.io"],
        }
    )
    parsed = parse(text)
    assert parsed.block == {"evil.example", "xn--bcher-kva.example"}
    assert parsed.allow == {"good.example"}
    assert parsed.rejected == {
        "not a domain name in blacklist": 3,
        "fuzzy lookalike entries (checked by smart alerts, not DNS rules)": 2,
    }
    assert parsed.examples["not a domain name in blacklist"] == "5"
    assert parse('{"blacklist": null}').size == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('{"blacklist": ["a.example",]}', "not valid JSON"),
        ("[]", "must be an object"),
        ('{"blacklist": 5}', "'blacklist' must be an array"),
        ('{"whitelist": "good.example"}', "'whitelist' must be an array"),
        ('{"fuzzylist": {"a": 1}}', "'fuzzylist' must be an array"),
        ("{" + '"a":[' * 100_000, "nested too deeply|not valid JSON"),
    ],
)
def test_broken_json_is_a_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(text, "eth-phishing-json")


# --- wildcards: linear time, same meaning --------------------------------------------------------


def _backtracking_wildcard(pattern: str) -> re.Pattern[str]:
    """The straightforward translation `_wildcard` replaced (it backtracks polynomially)."""
    body = re.escape(pattern).replace(r"\*", "[a-z0-9._-]*")
    return re.compile(rf"^(?:[a-z0-9_-]+\.)*{body}$")


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.text("ab.-*", min_size=1, max_size=10).filter(lambda p: p.strip("*.")),
    name=st.text("ab.-", max_size=16),
)
def test_wildcard_means_what_it_meant(pattern: str, name: str) -> None:
    pattern = pattern.strip(".")
    old, new = _backtracking_wildcard(pattern), _wildcard(pattern)
    assert bool(old.match(name)) == bool(new.match(name))


def test_wildcard_rule_cannot_stall_the_resolver() -> None:
    """Six stars and a 250-character query name took the old translation minutes."""
    (pattern,) = parse("||*a*a*a*a*a*ab.example^", "adblock").block_patterns
    started = time.perf_counter()
    assert not pattern.match("a" * 250)
    assert not pattern.match(("a." * 125).rstrip("."))
    assert pattern.match("xaaaaaaab.example")
    assert time.perf_counter() - started < 1.0


# --- nothing makes the parser fail but a clear ValueError -----------------------------------------

LINE_PARTS = st.sampled_from(
    [
        "||",
        "@@",
        "^",
        "$",
        "*",
        ".",
        "#",
        "##",
        "!",
        "[",
        "/",
        "|",
        " ",
        "\t",
        "0.0.0.0 ",
        "::",
        "a",
        "example",
        ".com",
        "bücher",
        "xn--",
        "-",
        "_",
        "$important",
        "$script",
        ",",
        "~",
        "\x00",
        "\ud800",
        "a" * 70,
    ]
)
LISTISH = st.lists(st.lists(LINE_PARTS | st.text(max_size=8), max_size=8).map("".join)).map(
    "\n".join
)
ZONEISH = st.lists(
    st.sampled_from(
        [
            "$ORIGIN rpz.example.",
            "$TTL 60",
            "@ SOA a. b. 1 2 3 4 5",
            "x.example CNAME .",
            "*.x.example CNAME rpz-drop.",
            "y CNAME *.",
            "z A 192.0.2.1",
            "z AAAA ::1",
            "w TXT hello",
            "1.0.0.0.10.rpz-ip CNAME .",
            "rpz-nsdname CNAME .",
            "(",
            ")",
            "$INCLUDE /etc/passwd",
            "$GENERATE 1-3 h$ A 10.0.0.$",
        ]
    )
    | st.text(max_size=20)
).map("\n".join)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["blacklist", "whitelist", "fuzzylist", "x"]), inner)
    ),
    max_leaves=12,
).map(json.dumps)


@settings(max_examples=150, deadline=None)
@given(text=st.text() | LISTISH)
@pytest.mark.parametrize("fmt", ["hosts", "domains", "adblock"])
def test_text_formats_never_raise(fmt: str, text: str) -> None:
    parsed = parse(text, fmt)
    assert parsed.accepted + sum(parsed.rejected.values()) <= len(text.splitlines()) * 64


@settings(max_examples=150, deadline=None)
@given(text=st.text() | LISTISH | ZONEISH | JSONISH)
@pytest.mark.parametrize("fmt", ["eth-phishing-json", "rpz", None])
def test_structured_formats_raise_only_value_error(fmt: str | None, text: str) -> None:
    try:
        parse(text, fmt)
    except ValueError as exc:
        assert str(exc)
