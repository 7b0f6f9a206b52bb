"""`lanward dns serve` as a running process, asked by real clients (dnspython and Debian's dig).

The resolver forwards to a small authoritative server started here (tests/daemons/dnsfixtures.py)
that counts what it is asked, so caching, TCP retries and failover are seen from the upstream's
side too. The RPZ corpus zone is loaded into lanward and into Debian's unbound side by side and
every QNAME trigger is asked of both. Malformed packets, garbage list lines and list refreshes
over HTTP run against the same kind of process.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.zone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.daemons.dnsfixtures import (
    CORPUS,
    AuthServer,
    DnsProcess,
    ListServer,
    Unavailable,
    addresses,
    dead_upstreams,
    dig,
    ipv6_loopback,
    make_query,
    rcode,
    start_lanward,
    start_unbound,
    tcp,
    udp,
)

pytestmark = [pytest.mark.xdist_group("dns")]

NEGATIVE_TTL = 2  # the upstream's SOA minimum: how long lanward may cache its NXDOMAINs
BIG = [f"52.{i // 100}.{i % 100}.9" for i in range(120)]  # ~2 kB: more than 1232, less than 4096
RECORDS = {
    "www.example.com": {
        "A": ["93.184.215.14"],
        "AAAA": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "TXT": ['"hello"'],
    },
    "cached.example.com": {"A": ["93.184.215.20"]},
    "edns.example.com": {"A": ["93.184.215.21"]},
    "v6.example.com": {"A": ["93.184.215.22"], "AAAA": ["2606:2800:21f::22"]},
    "failover.example.com": {"A": ["93.184.215.23"]},
    "big.example.com": {"A": BIG},
    "allowed.blocked.example.org": {"A": ["93.184.215.24"]},
    "ok.ads.example.org": {"A": ["93.184.215.25"]},
    # DNS rebinding: public names answering private addresses, and LAN names that may.
    "rebind.example.com": {"A": ["192.168.1.10"]},
    "rebind6.example.com": {"AAAA": ["fd00::10"]},
    "loopback.example.com": {"A": ["127.0.0.1"]},
    "router.lan": {"A": ["192.168.1.1"]},
    "nas.home.arpa": {"A": ["192.168.1.2"]},
    # RPZ: names the basic zone lets through or points at.
    "mail.nxdomain.org": {"A": ["93.184.215.30"]},
    "explanation.example.com": {"A": ["93.184.215.40"]},
    "truncate.org": {"A": ["93.184.215.50"]},
    "a.truncate.org": {"A": ["93.184.215.51"]},
    "ip-trigger.example.com": {"A": ["10.0.0.2"]},  # the zone's rpz-ip trigger (10.0.0.2/32)
    # Names whose answers point into a C2 address list (not listed by name themselves).
    "fastflux.example.net": {"A": ["198.51.100.7"]},
    "mixed.example.net": {"A": ["93.184.215.70", "203.0.113.66"]},
    "c2-v6.example.net": {"AAAA": ["2001:db8:c2::5"]},
    # Record data only (no packet goes there): a public address, since the documentation
    # ranges count as private and rebinding protection would refuse them anyway.
    "allowed-c2.example.org": {"A": ["185.220.101.8"]},
    "clean.example.net": {"A": ["93.184.215.71"]},
    # list refresh
    "old.example.org": {"A": ["93.184.215.60"]},
    "new.example.org": {"A": ["93.184.215.61"]},
    "file.example.org": {"A": ["93.184.215.62"]},
    "good.example.org": {"A": ["93.184.215.63"]},
}
TC = dns.flags.TC


@pytest.fixture(scope="module")
def upstream() -> Iterator[AuthServer]:
    server = AuthServer(RECORDS, negative_ttl=NEGATIVE_TTL).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lists_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lists")
    (folder / "blocked.txt").write_text("# malware\nblocked.example.org\n")
    # A C2 address list (Feodo Tracker's IP blocklist has this shape): networks and addresses.
    (folder / "c2-addresses.txt").write_text(
        "# botnet C2 servers\n198.51.100.0/24\n203.0.113.66\n2001:db8:c2::/48\n185.220.101.0/24\n"
        "10.0.0.0/8\n"
    )
    (folder / "ads.txt").write_text(
        "[Adblock Plus 2.0]\n! ads\n||ads.example.org^\n@@||ok.ads.example.org^\n"
    )
    return folder


@pytest.fixture(scope="module")
def resolver(
    tmp_path_factory: pytest.TempPathFactory, upstream: AuthServer, lists_dir: Path
) -> Iterator[DnsProcess]:
    """The main resolver: NXDOMAIN for blocked names, one exception each way, IPv4 and IPv6."""
    server = start_lanward(
        tmp_path_factory.mktemp("lanward-main"),
        "--upstream",
        upstream.address,
        "--list",
        f"malware={lists_dir / 'blocked.txt'}",
        "--list",
        f"ads={lists_dir / 'ads.txt'}",
        "--list",
        f"malware={lists_dir / 'c2-addresses.txt'}",
        "--allow",
        "allowed.blocked.example.org",
        "--allow",
        "allowed-c2.example.org",
        "--block-answer",
        "nxdomain",
        "--timeout",
        "1",
        ipv6=ipv6_loopback(),
    )
    yield server
    server.stop()


def soa_owner(response: dns.message.Message) -> str:
    return next((r.name.to_text() for r in response.authority if r.rdtype == dns.rdatatype.SOA), "")


# --- blocking ---------------------------------------------------------------------------------

BLOCKED = [
    "blocked.example.org",
    "deep.sub.blocked.example.org",
    "ads.example.org",
    "x.ads.example.org",
]


@pytest.mark.parametrize("name", BLOCKED)
def test_blocked_names_and_their_subdomains_get_nxdomain(
    resolver: DnsProcess, upstream: AuthServer, name: str
) -> None:
    for rdtype in ("A", "AAAA", "TXT"):
        for response in (udp(resolver.port, name, rdtype), tcp(resolver.port, name, rdtype)):
            assert rcode(response) == "NXDOMAIN"
            assert not response.answer
            assert soa_owner(response) == "blocked.lanward."  # cacheable per RFC 2308
    answer = dig(resolver.port, name, "A")
    assert answer.status == "NXDOMAIN" and not answer.answers
    assert upstream.count(name) == 0  # a blocked name never reaches the upstream


@pytest.fixture(scope="module", params=["null", "192.0.2.7", "2001:db8::7"])
def blocking_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    upstream: AuthServer,
    lists_dir: Path,
) -> Iterator[tuple[str, DnsProcess]]:
    mode = request.param
    server = start_lanward(
        tmp_path_factory.mktemp("lanward-block"),
        "--upstream",
        upstream.address,
        "--list",
        str(lists_dir / "blocked.txt"),
        "--block-answer",
        mode,
        ipv6=False,
    )
    yield mode, server
    server.stop()


def test_block_answer_null_or_an_address(blocking_server: tuple[str, DnsProcess]) -> None:
    mode, server = blocking_server
    expected_a, expected_aaaa = {
        "null": ("0.0.0.0", "::"),
        "192.0.2.7": ("192.0.2.7", "::"),
        "2001:db8::7": ("0.0.0.0", "2001:db8::7"),
    }[mode]
    for name in ("blocked.example.org", "a.b.blocked.example.org"):
        for ask in (udp, tcp):
            a = ask(server.port, name, "A")
            assert (rcode(a), addresses(a)) == ("NOERROR", {expected_a})
            aaaa = ask(server.port, name, "AAAA")
            assert (rcode(aaaa), addresses(aaaa)) == ("NOERROR", {expected_aaaa})
            txt = ask(server.port, name, "TXT")  # no address to give: NODATA
            assert (rcode(txt), txt.answer, soa_owner(txt)) == ("NOERROR", [], "blocked.lanward.")
        answer = dig(server.port, name, "A")
        assert answer.status == "NOERROR"
        assert [(rtype, rdata) for _o, _t, rtype, rdata in answer.answers] == [("A", expected_a)]
        answer = dig(server.port, name, "AAAA")
        assert [(rtype, rdata) for _o, _t, rtype, rdata in answer.answers] == [
            ("AAAA", expected_aaaa)
        ]
    plain = udp(server.port, "www.example.com")
    assert addresses(plain) == {"93.184.215.14"}


# --- forwarding and caching -------------------------------------------------------------------


def test_answers_pointing_at_listed_c2_addresses_are_blocked(
    resolver: DnsProcess, upstream: AuthServer
) -> None:
    """A name no list knows (fast flux, a fresh domain) whose answer points at a listed C2
    address or network is blocked all the same, from the cache too."""
    for name, rdtype in (
        ("fastflux.example.net", "A"),  # inside 198.51.100.0/24
        ("mixed.example.net", "A"),  # one good address, one listed: blocked
        ("c2-v6.example.net", "AAAA"),  # inside 2001:db8:c2::/48
    ):
        for attempt in range(2):  # the second comes from the cache
            response = udp(resolver.port, name, rdtype)
            assert (rcode(response), response.answer) == ("NXDOMAIN", []), (name, attempt)
            assert soa_owner(response) == "blocked.lanward."
        assert dig(resolver.port, name, rdtype).status == "NXDOMAIN"
        assert upstream.count(name, rdtype) == 1  # asked once, then cached: checked both times
    # The allowlist wins over address triggers; an unrelated name is untouched; and a private
    # network line (10.0.0.0/8) is not an address trigger: the home must not go dark.
    assert addresses(udp(resolver.port, "allowed-c2.example.org")) == {"185.220.101.8"}
    assert addresses(udp(resolver.port, "clean.example.net")) == {"93.184.215.71"}
    assert addresses(udp(resolver.port, "router.lan")) == {"192.168.1.1"}


def test_forwarded_answers_are_cached_by_ttl_and_negative_answers_by_soa_minimum(
    resolver: DnsProcess, upstream: AuthServer
) -> None:
    first = udp(resolver.port, "cached.example.com")
    assert (rcode(first), addresses(first)) == ("NOERROR", {"93.184.215.20"})
    assert first.answer[0].ttl == 300
    missing = udp(resolver.port, "missing.example.com")
    assert rcode(missing) == "NXDOMAIN" and soa_owner(missing) == "example.com."
    assert dig(resolver.port, "missing.example.com").status == "NXDOMAIN"
    assert upstream.count("cached.example.com") == 1
    assert upstream.count("missing.example.com") == 1  # the NXDOMAIN came from the cache

    time.sleep(NEGATIVE_TTL + 0.3)
    again = tcp(resolver.port, "cached.example.com")
    assert addresses(again) == {"93.184.215.20"}
    assert again.answer[0].ttl < 300  # the cache counts the TTL down
    answer = dig(resolver.port, "cached.example.com")
    assert answer.status == "NOERROR" and answer.answers[0][1] < 300
    assert upstream.count("cached.example.com") == 1  # never asked again
    # The negative answer outlived its SOA minimum: the upstream is asked again.
    assert rcode(udp(resolver.port, "missing.example.com")) == "NXDOMAIN"
    assert upstream.count("missing.example.com") == 2


def test_allowlist_and_list_exceptions_win_over_blocks(
    resolver: DnsProcess, upstream: AuthServer
) -> None:
    # --allow beats the malware list's entry for the parent; @@ beats the ads list's ||rule.
    for name, address in (
        ("allowed.blocked.example.org", "93.184.215.24"),
        ("ok.ads.example.org", "93.184.215.25"),
    ):
        response = udp(resolver.port, name)
        assert (rcode(response), addresses(response)) == ("NOERROR", {address})
        answer = dig(resolver.port, name)
        assert answer.status == "NOERROR" and answer.answers[0][3] == address
        assert upstream.count(name) == 1
    # The exception covers subdomains: the upstream's own NXDOMAIN, not the block answer.
    response = udp(resolver.port, "sub.ok.ads.example.org")
    assert rcode(response) == "NXDOMAIN" and soa_owner(response) == "example.org."
    assert upstream.count("sub.ok.ads.example.org") == 1
    assert soa_owner(udp(resolver.port, "other.ads.example.org")) == "blocked.lanward."


def test_truncation_to_the_client_and_tcp_retry_to_the_upstream(
    resolver: DnsProcess, upstream: AuthServer
) -> None:
    full = udp(resolver.port, "big.example.com", edns=4096)
    assert not full.flags & TC and addresses(full) == set(BIG)
    # The upstream's UDP answer didn't fit lanward's 1232 bytes: lanward asked again over TCP.
    assert upstream.count("big.example.com", transport="udp") == 1
    assert upstream.count("big.example.com", transport="tcp") == 1

    for small in (None, 512):  # no EDNS (512 bytes) or a small EDNS buffer: TC over UDP
        cut = udp(resolver.port, "big.example.com", edns=small)
        assert cut.flags & TC and not cut.answer and rcode(cut) == "NOERROR"
    assert addresses(tcp(resolver.port, "big.example.com")) == set(BIG)
    answer = dig(resolver.port, "big.example.com", "A", "+bufsize=512", "+ignore")
    assert "tc" in answer.flags and not answer.answers
    answer = dig(resolver.port, "big.example.com", "A", "+bufsize=512")  # dig retries over TCP
    assert "tc" not in answer.flags and {a[3] for a in answer.answers} == set(BIG)
    answer = dig(resolver.port, "big.example.com", "A", "+tcp")
    assert len(answer.answers) == len(BIG)
    assert upstream.count("big.example.com") == 2  # everything after the first from the cache


def test_edns_queries_are_answered_with_edns(resolver: DnsProcess) -> None:
    for name in ("edns.example.com", "blocked.example.org", "missing-edns.example.com"):
        with_edns = udp(resolver.port, name, edns=1232)
        assert with_edns.edns == 0 and with_edns.payload >= 512
        without = udp(resolver.port, name)
        assert without.edns == -1
    assert dig(resolver.port, "edns.example.com").edns
    assert not dig(resolver.port, "edns.example.com", "A", "+noedns").edns


def test_a_dead_upstream_fails_over_to_the_live_one(tmp_path: Path, upstream: AuthServer) -> None:
    with dead_upstreams() as (refusing, silent):
        server = start_lanward(
            tmp_path,
            "--upstream",
            refusing,
            "--upstream",
            silent,
            "--upstream",
            upstream.address,
            "--timeout",
            "1",
            ipv6=False,
        )
        try:
            started = time.monotonic()
            response = udp(server.port, "failover.example.com", timeout=4)
            took = time.monotonic() - started
            assert addresses(response) == {"93.184.215.23"}
            assert took < 2.5  # the refusing one at once, the silent one after its 1 s timeout
            started = time.monotonic()  # the live upstream is now the preferred one
            assert dig(server.port, "www.example.com").status == "NOERROR"
            assert time.monotonic() - started < 1
        finally:
            server.stop()
    log = server.log()
    assert f"upstream {refusing} failed" in log and f"upstream {silent} failed" in log


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) in this environment")
def test_listening_on_ipv6(resolver: DnsProcess) -> None:
    for ask in (udp, tcp):
        response = ask(resolver.port, "v6.example.com", "AAAA", host="::1")
        assert addresses(response) == {"2606:2800:21f::22"}
        assert rcode(ask(resolver.port, "blocked.example.org", host="::1")) == "NXDOMAIN"
    answer = dig(resolver.port, "v6.example.com", "A", "-6", server="::1")
    assert answer.status == "NOERROR" and answer.answers[0][3] == "93.184.215.22"


def test_dns_rebinding_is_refused_except_for_local_domains(resolver: DnsProcess) -> None:
    for name, rdtype in (
        ("rebind.example.com", "A"),
        ("rebind6.example.com", "AAAA"),
        ("loopback.example.com", "A"),
    ):
        response = udp(resolver.port, name, rdtype)
        assert (rcode(response), response.answer) == ("REFUSED", [])
        assert dig(resolver.port, name, rdtype).status == "REFUSED"
    for name, address in (("router.lan", "192.168.1.1"), ("nas.home.arpa", "192.168.1.2")):
        assert addresses(udp(resolver.port, name)) == {address}
        answer = dig(resolver.port, name)
        assert answer.status == "NOERROR" and answer.answers[0][3] == address


# --- RPZ, side by side with unbound -----------------------------------------------------------

RPZ_ZONE = CORPUS / "blocklists" / "rpz" / "basic.rpz"

# Where lanward and unbound answer the same query differently, and why. Each entry pins both
# answers: (rcode, TC, answer records) or "no answer". Not compared: TTLs (lanward gives RPZ
# local data its 60 s block TTL, unbound the zone's 2 h) and authority sections (lanward adds
# its own SOA to negative answers so clients cache them). None left: the zone's rpz-ip trigger
# (32.2.0.0.10.rpz-ip CNAME .) turns an answer holding 10.0.0.2 into NXDOMAIN in both.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], tuple[str, object, object]] = {}
# Names whose upstream answer trips an address trigger of the zone.
ANSWER_TRIGGERED = [("ip-trigger.example.com", "A")]


def rpz_triggers(zone_text: str) -> list[str]:
    """The QNAME triggers of a zone, as names to ask: 'x.org' and 'a.x.org' for '*.x.org'."""
    zone = dns.zone.from_text(zone_text, relativize=True, check_origin=False)
    names = []
    for owner in zone.nodes:
        text = owner.to_text()
        if text == "@" or re.search(r"\.rpz-(client-ip|ip|nsdname|nsip)$", text):
            continue
        names.append("a." + text[2:] if text.startswith("*.") else text)
    return names


def outcome(port: int, name: str, rdtype: str, transport: str = "udp") -> object:
    try:
        ask = udp if transport == "udp" else tcp
        response = ask(port, name, rdtype, host="::1", timeout=1.5)
    except (dns.exception.Timeout, EOFError, ConnectionError):
        return "no answer"
    records = frozenset(
        (rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype), rdata.to_text())
        for rrset in response.answer
        for rdata in rrset
    )
    return (rcode(response), bool(response.flags & TC), records)


@pytest.fixture(scope="module")
def rpz_pair(
    tmp_path_factory: pytest.TempPathFactory, upstream: AuthServer
) -> Iterator[tuple[DnsProcess, DnsProcess]]:
    if not RPZ_ZONE.exists():
        pytest.skip(f"the shared corpus is missing ({RPZ_ZONE.resolve()} not found)")
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback: unbound must be asked from ::1 (see test_rpz_client_ip)")
    origin = dns.zone.from_text(RPZ_ZONE.read_text(), check_origin=False).origin.to_text()
    try:
        unbound = start_unbound(tmp_path_factory.mktemp("unbound"), RPZ_ZONE, origin, upstream.port)
    except Unavailable as exc:
        pytest.skip(f"unbound can't run here: {exc}")
    lanward = start_lanward(
        tmp_path_factory.mktemp("lanward-rpz"),
        "--upstream",
        upstream.address,
        "--list",
        str(RPZ_ZONE),
        "--timeout",
        "1",
    )
    yield lanward, unbound
    lanward.stop()
    unbound.stop()


def test_rpz_qname_triggers_answer_like_unbound(rpz_pair: tuple[DnsProcess, DnsProcess]) -> None:
    lanward, unbound = rpz_pair
    triggers = rpz_triggers(RPZ_ZONE.read_text())
    assert {"nxdomain.org", "a.nxdomain.org", "example.net", "local-a.org"} <= set(triggers)
    # Both ask from ::1: the zone's client-ip trigger drops everything from 127.0.0.0/24.
    names = triggers + ["x.nxdomain.org", "x.mail.nxdomain.org", "www.example.com"]
    cases = [(name, rdtype, "udp") for name in names for rdtype in ("A", "AAAA")]
    # TCP-only over TCP: both resolve normally.
    cases += [(name, "A", "tcp") for name in ("truncate.org", "a.truncate.org")]
    cases += [(name, "A", "udp") for name, _ in KNOWN_DISAGREEMENTS]
    cases += [(name, rdtype, "udp") for name, rdtype in ANSWER_TRIGGERED]
    with ThreadPoolExecutor(max_workers=16) as pool:  # drops cost a timeout each: ask at once
        futures = {
            (case, server.name): pool.submit(outcome, server.port, *case)
            for case in cases
            for server in (lanward, unbound)
        }
        results = {key: future.result() for key, future in futures.items()}
    disagreements = {}
    for name, rdtype, transport in cases:
        ours, theirs = (
            results[(name, rdtype, transport), "lanward"],
            results[(name, rdtype, transport), "unbound"],
        )
        known = KNOWN_DISAGREEMENTS.get((name, rdtype))
        if known is not None and transport == "udp":
            _why, expected_ours, expected_theirs = known
            assert (ours, theirs) == (expected_ours, expected_theirs), name
        elif ours != theirs:
            disagreements[(name, rdtype, transport)] = (ours, theirs)
    assert disagreements == {}
    # The comparison exercised the policy on both sides, not just the upstream.
    assert results[("example.net", "A", "udp"), "unbound"] == "no answer"
    assert results[("truncate.org", "A", "udp"), "lanward"] == ("NOERROR", True, frozenset())
    # RPZ local data that is a CNAME: lanward resolves the target as unbound does (stub
    # resolvers don't chase CNAMEs, so the CNAME alone would leave the client with no address).
    assert results[("a.local.org", "A", "udp"), "lanward"] == (
        "NOERROR",
        False,
        frozenset(
            {
                ("a.local.org.", "CNAME", "explanation.example.com."),
                ("explanation.example.com.", "A", "93.184.215.40"),
            }
        ),
    )
    # The rpz-ip trigger: NXDOMAIN in both, not lanward's rebinding refusal of a private answer.
    assert results[("ip-trigger.example.com", "A", "udp"), "lanward"] == (
        "NXDOMAIN",
        False,
        frozenset(),
    )
    applied = unbound.log()
    for name in ("nxdomain.org", "example.net", "truncate.org", "local.org", "local-a.org"):
        assert f"rpz: applied [basic] {name}." in applied
    assert "rpz-nsdname trigger" in lanward.log()  # reported as skipped, not silently ignored
    assert "rpz-ip trigger" not in lanward.log() and "rpz-client-ip trigger" not in lanward.log()


def test_rpz_client_ip_trigger_drops_that_client_in_both(
    rpz_pair: tuple[DnsProcess, DnsProcess],
) -> None:
    """The zone's `24.0.0.0.127.rpz-client-ip CNAME rpz-drop.` drops every query from
    127.0.0.0/24, in unbound and in lanward alike; ::1 is not in it and is answered."""
    lanward, unbound = rpz_pair
    for server in (lanward, unbound):
        with pytest.raises(dns.exception.Timeout):
            udp(server.port, "www.example.com", timeout=1)
        answer = udp(server.port, "www.example.com", host="::1", timeout=2)
        assert addresses(answer) == {"93.184.215.14"}, server.name


# --- malformed packets ------------------------------------------------------------------------

REAL_QUERY = make_query("www.example.com", "A").to_wire()


def expected_reply(wire: bytes) -> str:
    """What a careful server does with these bytes: stay silent, FORMERR, NOTIMP or answer."""
    if len(wire) < 12 or wire[2] & 0x80:  # no header to answer to, or a response (QR set)
        return "silence"
    try:
        message = dns.message.from_wire(wire)
    except Exception:  # noqa: BLE001 - any parse failure
        return "FORMERR"
    if message.opcode() != dns.opcode.QUERY:
        return "NOTIMP"
    if len(message.question) != 1:
        return "FORMERR"
    return "answer"


def still_answers(server: DnsProcess) -> None:
    assert rcode(udp(server.port, "blocked.example.org", timeout=2)) == "NXDOMAIN"


def send_udp(server: DnsProcess, wire: bytes, wait: float) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", server.port))
        sock.send(wire)
        if not wait:
            return None
        sock.settimeout(wait)
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


def check_reply(server: DnsProcess, wire: bytes, quiet_wait: float = 0.0) -> None:
    expected = expected_reply(wire)
    if expected == "silence":
        if quiet_wait:
            assert send_udp(server, wire, quiet_wait) is None, "a reply where none was due"
        else:
            send_udp(server, wire, 0)
        return
    reply = send_udp(server, wire, 3)
    assert reply is not None, f"no reply, expected {expected}"
    assert reply[:2] == wire[:2]  # same id
    response = dns.message.from_wire(reply)
    assert response.flags & dns.flags.QR
    if expected != "answer":
        assert rcode(response) == expected


def with_counts(qd: int, an: int, ns: int, ar: int, wire: bytes = REAL_QUERY) -> bytes:
    return wire[:4] + struct.pack("!HHHH", qd, an, ns, ar) + wire[12:]


MALFORMED = {
    "empty datagram": b"",
    "one byte": b"\x01",
    "header only, no question": with_counts(0, 0, 0, 0)[:12],
    "qdcount 5, one question": with_counts(5, 0, 0, 0),
    "ancount 3, no answers": with_counts(1, 3, 0, 0),
    "arcount 1, no additional": with_counts(1, 0, 0, 1),
    "a response (QR set)": dns.message.make_response(dns.message.from_wire(REAL_QUERY)).to_wire(),
    "a response that is junk": REAL_QUERY[:2] + b"\x84\x00" + b"\xff" * 40,
    "compression pointer loop": REAL_QUERY[:12] + b"\xc0\x0c\x00\x01\x00\x01",
    "label longer than 63": with_counts(1, 0, 0, 0)[:12]
    + b"\x40"
    + b"a" * 64
    + b"\x00\x00\x01\x00\x01",
    "oversized, query then zeros": REAL_QUERY + b"\x00" * (65507 - len(REAL_QUERY)),
    "oversized, all zeros": b"\x00" * 65507,
    "oversized, all ones": b"\xff" * 65507,
    "opcode NOTIFY": REAL_QUERY[:2] + b"\x20\x00" + REAL_QUERY[4:],
    "opcode STATUS": REAL_QUERY[:2] + b"\x10\x00" + REAL_QUERY[4:],
}


def test_malformed_packets_get_formerr_or_nothing_and_never_stop_the_server(
    resolver: DnsProcess,
) -> None:
    for label, wire in MALFORMED.items():
        try:
            check_reply(resolver, wire, quiet_wait=0.3)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from exc
        still_answers(resolver)
    for cut in range(len(REAL_QUERY)):  # every truncation of a real query
        check_reply(resolver, REAL_QUERY[:cut])
    still_answers(resolver)
    assert "Traceback" not in resolver.log()  # nothing blew up inside, even unseen


def mutate(wire: bytes, edits: list[tuple[int, int]]) -> bytes:
    data = bytearray(wire)
    for position, value in edits:
        data[position % len(data)] = value
    return bytes(data)


PACKETS = st.one_of(
    st.binary(max_size=600),
    st.builds(  # a header that parses, then junk
        lambda ident, flags, counts, rest: struct.pack("!HHHHHH", ident, flags, *counts) + rest,
        st.integers(0, 0xFFFF),
        st.integers(0, 0xFFFF) | st.sampled_from([0x0100, 0x0000, 0x0120]),
        st.tuples(*[st.integers(0, 3)] * 4),
        st.binary(max_size=200),
    ),
    st.builds(  # a real query with a few bytes changed
        mutate,
        st.sampled_from(
            [
                REAL_QUERY,
                make_query("blocked.example.org", "AAAA", edns=1232).to_wire(),
                make_query("www.example.com", "TXT", edns=512).to_wire(),
            ]
        ),
        st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=4),
    ),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire=PACKETS)
def test_random_packets_never_crash_the_server(resolver: DnsProcess, wire: bytes) -> None:
    check_reply(resolver, wire)
    still_answers(resolver)
    assert "Traceback" not in resolver.log()


def tcp_exchange(server: DnsProcess, payload: bytes, wait: float = 2) -> bytes:
    """Send raw bytes on a fresh TCP connection, half-close, and read whatever comes back."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        try:
            while chunk := sock.recv(65535):
                data += chunk
        except TimeoutError:
            pytest.fail("the server kept a half-closed connection open")
    return data


def framed(wire: bytes) -> bytes:
    return struct.pack("!H", len(wire)) + wire


def test_bogus_tcp_length_prefixes(resolver: DnsProcess) -> None:
    for payload in (
        b"\x00",  # half a length prefix
        b"\x00\x00",  # a zero-length message
        b"\xff\xff" + REAL_QUERY,  # claims 65535 bytes, sends 33
        struct.pack("!H", len(REAL_QUERY) + 50) + REAL_QUERY,  # claims more than it sends
        b"\x00\x05hello",  # shorter than a header
        framed(MALFORMED["a response (QR set)"]),
    ):
        assert tcp_exchange(resolver, payload) == b""
        still_answers(resolver)
    # A parseable header with a broken body: FORMERR, and the connection goes on serving.
    bad = with_counts(5, 0, 0, 0)
    replies = tcp_exchange(resolver, framed(bad) + framed(REAL_QUERY))
    (first_length,) = struct.unpack("!H", replies[:2])
    first = dns.message.from_wire(replies[2 : 2 + first_length])
    second = dns.message.from_wire(replies[4 + first_length :])
    assert rcode(first) == "FORMERR" and first.id == dns.message.from_wire(REAL_QUERY).id
    assert addresses(second) == {"93.184.215.14"}
    assert addresses(tcp(resolver.port, "www.example.com")) == {"93.184.215.14"}
    assert "Traceback" not in resolver.log()


# --- lists ------------------------------------------------------------------------------------

GARBAGE_LIST = (
    b"[Adblock Plus 2.0]\n"
    b"! good lines\n"
    b"||garbage-ok.example.org^\n"
    b"bad-host.example.net\n"
    b"||third.example.org^$important\n"
    b"! garbage\n"
    b"\x00\xff\xfe\x01binary\x9c junk\n"
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n"
    b"https://tracker.example.com/pixel.gif?id=1\n"
    b"##.ad\n"
    b"example.com##.banner\n"
    b"||x.example.org^$script\n"
    b"||y.example.org/path/ads.js\n"
    b"not a domain at all\n"
    b"/banner[0-9]+/\n"
)


def test_a_list_with_garbage_loads_its_good_lines_and_reports_the_rest(
    tmp_path: Path, upstream: AuthServer
) -> None:
    listing = tmp_path / "mixed.txt"
    listing.write_bytes(GARBAGE_LIST)
    server = start_lanward(
        tmp_path / "run", "--upstream", upstream.address, "--list", f"ads={listing}", ipv6=False
    )
    try:
        for name in ("garbage-ok.example.org", "bad-host.example.net", "a.third.example.org"):
            assert rcode(udp(server.port, name)) == "NXDOMAIN", name
            assert soa_owner(udp(server.port, name)) == "blocked.lanward."
        # Rules the list meant for single requests don't block whole domains.
        assert soa_owner(udp(server.port, "x.example.org")) == "example.org."
        assert soa_owner(udp(server.port, "y.example.org")) == "example.org."
    finally:
        assert server.stop() == 0  # SIGTERM: a clean exit
    log = server.log()
    summary = re.search(
        r"list \S*mixed\.txt \(ads, adblock\): (\d+) rules, (\d+) lines skipped", log
    )
    assert summary, log
    assert summary.groups() == ("3", "12")
    for count, reason in (
        # the binary line, the four lines a PNG header splits into, "not a domain at all"
        (6, "not a domain name"),
        (2, "URL or path rule"),
        (2, "cosmetic (element hiding) rule"),
        (1, "rule limited to some requests ($script)"),
        (1, "regular-expression rule"),
    ):
        assert f"skipped {count}: {reason}" in log, reason
    assert "\x00" not in log  # the junk is quoted in the log, not written raw


@pytest.fixture
def list_server() -> Iterator[ListServer]:
    server = ListServer().start()
    yield server
    server.stop()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def blocked(server: DnsProcess, name: str) -> bool:
    return soa_owner(udp(server.port, name, timeout=2)) == "blocked.lanward."


def test_list_url_refresh_swaps_in_changes_and_keeps_the_last_good_copy(
    tmp_path: Path, upstream: AuthServer, list_server: ListServer
) -> None:
    list_server.set_body("old.example.org\n")
    local_list = tmp_path / "file-list.txt"
    local_list.write_text("file.example.org\n")
    server = start_lanward(
        tmp_path / "run",
        "--upstream",
        upstream.address,
        "--list",
        f"ads={list_server.url()}",
        "--list",
        f"custom={local_list}",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--refresh-minutes",
        "0.03",  # 1.8 s
        ipv6=False,
    )
    lost: list[str] = []
    answered = 0
    stop = threading.Event()

    def query_loop() -> None:  # queries keep being answered while lists are swapped
        nonlocal answered
        while not stop.is_set():
            for name in ("old.example.org", "new.example.org", "good.example.org"):
                try:
                    udp(server.port, name, timeout=2)
                    answered += 1
                except (dns.exception.DNSException, OSError) as exc:
                    lost.append(f"{name}: {exc!r}")

    loop = threading.Thread(target=query_loop, daemon=True)
    loop.start()
    try:
        assert blocked(server, "old.example.org") and not blocked(server, "new.example.org")
        assert blocked(server, "file.example.org")
        # Refreshes of an unchanged list are conditional requests answered 304.
        wait_for(lambda: any(r.status == 304 for r in list_server.requests), 10, "a 304")
        conditional = next(r for r in list_server.requests if r.status == 304).headers
        assert conditional["if-none-match"] == list_server.etag
        assert conditional["if-modified-since"] == list_server.last_modified

        list_server.set_body("new.example.org\n")
        wait_for(lambda: blocked(server, "new.example.org"), 10, "the new list")
        assert not blocked(server, "old.example.org")

        # The URL fails and the local file vanishes: both lists stay as they were.
        list_server.failing = True
        local_list.rename(tmp_path / "moved-away.txt")
        failures = sum(1 for r in list_server.requests if r.status == 500)
        wait_for(
            lambda: sum(1 for r in list_server.requests if r.status == 500) >= failures + 2,
            10,
            "two failed refreshes",
        )
        assert blocked(server, "new.example.org") and not blocked(server, "old.example.org")
        assert blocked(server, "file.example.org")
        assert not blocked(server, "good.example.org")
    finally:
        stop.set()
        loop.join(10)
        server.stop()
    assert lost == [] and answered > 20
    log = server.log()
    assert "using the last good copy (HTTP 500)" in log
    assert "keeping the copy loaded earlier" in log
