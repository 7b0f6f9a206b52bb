"""Building DNS answers (dnspython messages): block answers, RPZ actions, rebinding refusals."""

from __future__ import annotations

import ipaddress

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from lanward.engine.dns.policy import Decision

BLOCK_TTL = 60


# Negative answers carry an SOA so resolvers cache them for BLOCK_TTL seconds (RFC 2308).
# Built once: parsing it from text took most of the time of a block answer.
_BLOCK_SOA = dns.rrset.from_text(
    dns.name.from_text("blocked.lanward."),
    BLOCK_TTL,
    "IN",
    "SOA",
    f"ns.lanward. hostmaster.lanward. 1 3600 600 86400 {BLOCK_TTL}",
)


def _soa(qname: dns.name.Name) -> dns.rrset.RRset:
    return _BLOCK_SOA


def blocked(
    query: dns.message.Message, decision: Decision, mode: str
) -> dns.message.Message | None:
    """The answer for a blocked query; None means: send nothing (RPZ DROP)."""
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    question = query.question[0]
    qname, qtype = question.name, question.rdtype
    action = decision.action
    if action == "drop":
        return None
    if action == "tcp-only":
        response.flags |= dns.flags.TC
        return response
    if action == "nodata":
        response.authority.append(_soa(qname))
        return response
    if action == "local" and decision.rpz is not None:
        for rdtype_text, rdata_text in decision.rpz.records:
            rdtype = dns.rdatatype.from_text(rdtype_text)
            if rdtype in (qtype, dns.rdatatype.CNAME) or qtype == dns.rdatatype.ANY:
                response.answer.append(
                    dns.rrset.from_text(qname, BLOCK_TTL, "IN", rdtype_text, rdata_text)
                )
        if not response.answer:
            response.authority.append(_soa(qname))
        return response
    # "block" from a list, or RPZ NXDOMAIN: the configured block answer.
    if mode == "nxdomain" or action == "nxdomain":
        response.set_rcode(dns.rcode.NXDOMAIN)
        response.authority.append(_soa(qname))
        return response
    addresses = {"null": ("0.0.0.0", "::")}.get(mode)  # noqa: S104 - an answer, not a bind
    if addresses is None:
        ip = ipaddress.ip_address(mode)
        addresses = (str(ip), "::") if ip.version == 4 else ("0.0.0.0", str(ip))  # noqa: S104
    if qtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text(qname, BLOCK_TTL, "IN", "A", addresses[0]))
    elif qtype == dns.rdatatype.AAAA:
        response.answer.append(dns.rrset.from_text(qname, BLOCK_TTL, "IN", "AAAA", addresses[1]))
    else:
        response.authority.append(_soa(qname))
    return response


def refused(
    query: dns.message.Message, rcode: dns.rcode.Rcode = dns.rcode.REFUSED
) -> dns.message.Message:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    response.set_rcode(rcode)
    return response


def addresses(response: dns.message.Message) -> list[str]:
    """The A and AAAA addresses of the answer section (CNAME targets' included), in order."""
    return [
        rdata.address  # type: ignore[attr-defined]
        for rrset in response.answer
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
        for rdata in rrset
    ]


def private_answer(response: dns.message.Message) -> str:
    """An address in the answer that points into a private network (DNS rebinding), or ""."""
    for rrset in response.answer:
        if rrset.rdtype not in (dns.rdatatype.A, dns.rdatatype.AAAA):
            continue
        for rdata in rrset:
            ip = ipaddress.ip_address(rdata.address)  # type: ignore[attr-defined]
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified:
                return str(ip)
    return ""
