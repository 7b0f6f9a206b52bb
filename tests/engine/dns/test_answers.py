"""lanward.engine.dns.answers: the answer for each block mode and RPZ action, and rebinding."""

from __future__ import annotations

import ipaddress

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from lanward.engine.dns import answers
from lanward.engine.dns.answers import BLOCK_TTL
from lanward.engine.dns.lists import RpzRule, parse
from lanward.engine.dns.policy import BlockList, Decision, Policy
from tests.engine.dns.corpus import blocklist

BLOCK = Decision("block", list_name="l", category="malware", rule="ads.example")


def query(name: str = "ads.example.", rdtype: str = "A") -> dns.message.Message:
    q = dns.message.make_query(name, rdtype)
    q.id = 4242
    return q


def roundtrip(response: dns.message.Message | None) -> dns.message.Message:
    """What the client receives: every answer must survive the wire."""
    assert response is not None
    return dns.message.from_wire(response.to_wire())


def addresses(response: dns.message.Message) -> list[str]:
    return [rdata.to_text() for rrset in response.answer for rdata in rrset]


def assert_negative(response: dns.message.Message, rcode: int) -> None:
    """NXDOMAIN / NODATA: no answer, an SOA in authority whose minimum (and TTL) is how long a
    downstream cache may keep the negative answer (RFC 2308)."""
    assert response.rcode() == rcode
    assert not response.answer
    (soa,) = response.authority
    assert soa.rdtype == dns.rdatatype.SOA
    assert soa.ttl == BLOCK_TTL and soa[0].minimum == BLOCK_TTL


def assert_is_response_to(response: dns.message.Message, q: dns.message.Message) -> None:
    assert response.id == q.id
    assert response.flags & dns.flags.QR and response.flags & dns.flags.RA
    assert response.question == q.question


# --- a list's block, in each block mode ----------------------------------------------------------


@pytest.mark.parametrize("rdtype", ["A", "AAAA", "MX", "TXT", "HTTPS"])
def test_nxdomain_mode(rdtype: str) -> None:
    q = query(rdtype=rdtype)
    response = roundtrip(answers.blocked(q, BLOCK, "nxdomain"))
    assert_is_response_to(response, q)
    assert_negative(response, dns.rcode.NXDOMAIN)


@pytest.mark.parametrize(
    ("mode", "rdtype", "expected"),
    [
        ("null", "A", ["0.0.0.0"]),
        ("null", "AAAA", ["::"]),
        ("192.0.2.7", "A", ["192.0.2.7"]),
        ("192.0.2.7", "AAAA", ["::"]),
        ("2001:db8::7", "AAAA", ["2001:db8::7"]),
        ("2001:db8::7", "A", ["0.0.0.0"]),
    ],
)
def test_address_modes(mode: str, rdtype: str, expected: list[str]) -> None:
    q = query(rdtype=rdtype)
    response = roundtrip(answers.blocked(q, BLOCK, mode))
    assert_is_response_to(response, q)
    assert response.rcode() == dns.rcode.NOERROR
    assert addresses(response) == expected
    (rrset,) = response.answer
    assert rrset.name == q.question[0].name and rrset.ttl == BLOCK_TTL


@pytest.mark.parametrize("mode", ["null", "192.0.2.7"])
@pytest.mark.parametrize("rdtype", ["MX", "TXT", "HTTPS", "CNAME"])
def test_address_modes_answer_other_types_with_nodata(mode: str, rdtype: str) -> None:
    response = roundtrip(answers.blocked(query(rdtype=rdtype), BLOCK, mode))
    assert_negative(response, dns.rcode.NOERROR)


def test_answer_keeps_the_query_names_case() -> None:
    q = query("WwW.Ads.Example.")
    response = roundtrip(answers.blocked(q, BLOCK, "null"))
    assert response.answer[0].name.to_text() == "WwW.Ads.Example."


# --- RPZ actions ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rpz() -> Policy:
    return Policy.build([BlockList("rpz", "malware", parse(blocklist("rpz/basic.rpz")))])


@pytest.mark.parametrize("mode", ["nxdomain", "null", "192.0.2.7"])
def test_rpz_nxdomain_whatever_the_mode(rpz: Policy, mode: str) -> None:
    decision = rpz.decide("www.nxdomain.org")
    q = query("www.nxdomain.org.")
    assert_negative(roundtrip(answers.blocked(q, decision, mode)), dns.rcode.NXDOMAIN)


def test_rpz_nodata() -> None:
    response = roundtrip(
        answers.blocked(query(), Decision("nodata", rpz=RpzRule("nodata")), "null")
    )
    assert_negative(response, dns.rcode.NOERROR)


def test_rpz_drop_sends_nothing(rpz: Policy) -> None:
    assert answers.blocked(query("x.example.net."), rpz.decide("x.example.net"), "null") is None


def test_rpz_tcp_only_truncates(rpz: Policy) -> None:
    q = query("truncate.org.")
    response = roundtrip(answers.blocked(q, rpz.decide("truncate.org"), "null"))
    assert response.flags & dns.flags.TC
    assert response.rcode() == dns.rcode.NOERROR and not response.answer


def test_rpz_local_cname(rpz: Policy) -> None:
    q = query("www.local.org.")
    response = roundtrip(answers.blocked(q, rpz.decide("www.local.org"), "nxdomain"))
    assert_is_response_to(response, q)
    (rrset,) = response.answer
    assert rrset.rdtype == dns.rdatatype.CNAME and rrset.name == q.question[0].name
    assert rrset[0].target.to_text() == "explanation.example.com."


def test_rpz_local_address(rpz: Policy) -> None:
    decision = rpz.decide("local-a.org")
    assert addresses(roundtrip(answers.blocked(query("local-a.org."), decision, "null"))) == [
        "192.168.2.5"
    ]
    # no AAAA in the local data: NODATA, not the A record and not an error
    response = roundtrip(answers.blocked(query("local-a.org.", "AAAA"), decision, "null"))
    assert_negative(response, dns.rcode.NOERROR)


def test_rpz_local_data_by_type() -> None:
    rule = RpzRule(
        "local", [("A", "192.0.2.1"), ("A", "192.0.2.2"), ("AAAA", "2001:db8::1"), ("TXT", "x")]
    )
    decision = Decision("local", rpz=rule)
    assert sorted(addresses(roundtrip(answers.blocked(query(), decision, "null")))) == [
        "192.0.2.1",
        "192.0.2.2",
    ]
    response = roundtrip(answers.blocked(query(rdtype="ANY"), decision, "null"))
    assert sorted(rrset.rdtype for rrset in response.answer) == [
        dns.rdatatype.A,
        dns.rdatatype.TXT,
        dns.rdatatype.AAAA,
    ]


# --- refusals and rebinding ----------------------------------------------------------------------


def test_refused() -> None:
    q = query()
    response = roundtrip(answers.refused(q))
    assert_is_response_to(response, q)
    assert response.rcode() == dns.rcode.REFUSED and not response.answer
    assert answers.refused(q, dns.rcode.SERVFAIL).rcode() == dns.rcode.SERVFAIL


def upstream_answer(*records: tuple[str, str]) -> dns.message.Message:
    response = dns.message.make_response(query())
    for rdtype, value in records:
        response.answer.append(dns.rrset.from_text("ads.example.", 300, "IN", rdtype, value))
    return response


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "127.0.0.1",
        "169.254.1.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::",
        "::ffff:192.168.1.1",
    ],
)
def test_private_answer_spots_local_addresses(address: str) -> None:
    rdtype = "AAAA" if ":" in address else "A"
    found = answers.private_answer(upstream_answer((rdtype, address)))
    assert found and ipaddress.ip_address(found) == ipaddress.ip_address(address)


def test_private_answer_passes_public_ones() -> None:
    assert answers.private_answer(upstream_answer(("A", "93.184.216.34"))) == ""
    assert answers.private_answer(upstream_answer(("AAAA", "::ffff:8.8.8.8"))) == ""
    assert answers.private_answer(upstream_answer(("AAAA", "2606:2800:220:1::1"))) == ""
    assert answers.private_answer(upstream_answer(("CNAME", "other.example."))) == ""
    assert answers.private_answer(upstream_answer()) == ""
    mixed = upstream_answer(("CNAME", "x.example."), ("A", "93.184.216.34"), ("A", "10.0.0.1"))
    assert answers.private_answer(mixed) == "10.0.0.1"
