"""The resolver's address triggers, asked as any client address (the socket path and unbound
side by side are in test_dnsd_live.py): RPZ rpz-client-ip drop / TCP-only / passthru, and answer
addresses, with what the query log records. The upstream is a real DNS server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.rcode
import pytest

from lanward.daemons.dnsd import QueryRecord, Resolver, ResolverConfig, Upstream
from lanward.engine.dns.lists import parse
from lanward.engine.dns.policy import BlockList, Policy, Profile
from tests.daemons.dnsfixtures import LOCALHOST, AuthServer

ZONE = """\
$ORIGIN rpz.test.
@ SOA ns.rpz.test. admin.rpz.test. 1 3600 600 86400 60
@ NS ns.rpz.test.
blocked.example CNAME .
32.1.0.0.10.rpz-client-ip CNAME rpz-tcp-only.
24.0.2.0.192.rpz-client-ip CNAME rpz-drop.
32.7.2.0.192.rpz-client-ip CNAME rpz-passthru.
24.0.101.220.185.rpz-ip CNAME .
"""
RECORDS = {
    "www.example.com": {"A": ["93.184.215.14"]},
    "blocked.example": {"A": ["93.184.215.15"]},
    "c2.example": {"A": ["185.220.101.7"]},  # record data only: no packet goes there
    "ads.example": {"A": ["93.184.215.16"]},
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[AuthServer]:
    server = AuthServer(RECORDS).start()
    yield server
    server.stop()


@pytest.fixture
def resolver(upstream: AuthServer) -> Iterator[tuple[Resolver, list[QueryRecord]]]:
    policy = Policy.build(
        [
            BlockList("zone", "malware", parse(ZONE)),
            BlockList("ads", "ads", parse("ads.example\n")),
        ]
    )
    log: list[QueryRecord] = []
    config = ResolverConfig(upstreams=[Upstream(LOCALHOST, upstream.port)], timeout=2)
    kids = Profile(frozenset({"malware", "ads"}))
    yield Resolver(policy, config, lambda client: kids, log.append), log


def ask(
    resolver: Resolver, name: str, client: str, tcp: bool = False
) -> dns.message.Message | None:
    wire = asyncio.run(resolver.handle(dns.message.make_query(name, "A").to_wire(), client, tcp))
    return None if wire is None else dns.message.from_wire(wire)


def addresses(response: dns.message.Message | None) -> set[str]:
    assert response is not None
    return {r.to_text() for rrset in response.answer for r in rrset}


def test_a_dropped_client_gets_nothing_and_the_log_says_why(
    resolver: tuple[Resolver, list[QueryRecord]], upstream: AuthServer
) -> None:
    server, log = resolver
    assert ask(server, "www.example.com", "192.0.2.55") is None
    assert ask(server, "www.example.com", "::ffff:192.0.2.56") is None  # dual-stack socket
    assert (log[-1].action, log[-1].list_name, log[-1].rule) == (
        "rpz-drop",
        "zone",
        "::ffff:192.0.2.56 in 192.0.2.0/24",
    )
    assert upstream.count("www.example.com") == 0  # nothing was forwarded for them


def test_tcp_only_client_and_the_name_still_decides_over_tcp(
    resolver: tuple[Resolver, list[QueryRecord]],
) -> None:
    server, _log = resolver
    over_udp = ask(server, "www.example.com", "10.0.0.1")
    assert over_udp is not None and over_udp.flags & dns.flags.TC and not over_udp.answer
    assert addresses(ask(server, "www.example.com", "10.0.0.1", tcp=True)) == {"93.184.215.14"}
    # Back over TCP the client is still filtered by name: no way around the lists.
    blocked = ask(server, "blocked.example", "10.0.0.1", tcp=True)
    assert blocked is not None and blocked.rcode() == dns.rcode.NXDOMAIN
    ads = ask(server, "ads.example", "10.0.0.1", tcp=True)
    assert ads is not None and ads.rcode() == dns.rcode.NXDOMAIN


def test_a_passthru_client_is_not_filtered(resolver: tuple[Resolver, list[QueryRecord]]) -> None:
    server, log = resolver
    assert addresses(ask(server, "blocked.example", "192.0.2.7")) == {"93.184.215.15"}
    assert addresses(ask(server, "c2.example", "192.0.2.7")) == {"185.220.101.7"}
    assert log[-1].action == "allowed"


def test_answer_addresses_for_everyone_else(resolver: tuple[Resolver, list[QueryRecord]]) -> None:
    server, log = resolver
    response = ask(server, "c2.example", "192.168.1.20")
    assert response is not None and response.rcode() == dns.rcode.NXDOMAIN and not response.answer
    record = log[-1]
    assert (record.action, record.list_name, record.category, record.rule) == (
        "blocked",
        "zone",
        "malware",
        "185.220.101.7 in 185.220.101.0/24",
    )
    again = ask(server, "c2.example", "192.168.1.21")  # from the cache this time
    assert again is not None and again.rcode() == dns.rcode.NXDOMAIN and log[-1].cached
    assert addresses(ask(server, "www.example.com", "192.168.1.20")) == {"93.184.215.14"}
