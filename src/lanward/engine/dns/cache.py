"""A DNS answer cache that honours TTLs and negative caching (RFC 2308). Pure: callers pass `now`."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

Key = tuple[str, int, int]  # (qname, rdtype, rdclass)


@dataclass
class Entry:
    message: dns.message.Message
    stored_at: float
    ttl: int


class AnswerCache:
    def __init__(
        self, max_entries: int = 20_000, max_ttl: int = 86_400, negative_ttl: int = 900
    ) -> None:
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.negative_ttl = negative_ttl
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(query: dns.message.Message) -> Key:
        q = query.question[0]
        return (q.name.to_text().lower(), int(q.rdtype), int(q.rdclass))

    def ttl_of(self, response: dns.message.Message) -> int:
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return 0  # SERVFAIL, REFUSED...: never cached
        if response.answer and rcode == dns.rcode.NOERROR:
            return min(min(r.ttl for r in response.answer), self.max_ttl)
        for rrset in response.authority:  # NXDOMAIN / NODATA: SOA minimum, capped by its TTL
            if rrset.rdtype == dns.rdatatype.SOA:
                return min(rrset.ttl, rrset[0].minimum, self.negative_ttl)  # type: ignore[attr-defined]
        return 0

    def put(self, query: dns.message.Message, response: dns.message.Message, now: float) -> None:
        ttl = self.ttl_of(response)
        if ttl <= 0 or response.flags & 0x0200:  # never cache truncated answers
            return
        key = self.key(query)
        # Kept parsed: re-parsing the wire on every hit cost more than the rest of a cached answer.
        self.entries[key] = Entry(response, now, ttl)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def get(self, query: dns.message.Message, now: float) -> dns.message.Message | None:
        key = self.key(query)
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        age = int(now - entry.stored_at)
        if age >= entry.ttl:
            del self.entries[key]
            self.misses += 1
            return None
        self.hits += 1
        self.entries.move_to_end(key)  # least recently *used* goes first, not least recently put
        stored = entry.message
        response = dns.message.Message(id=query.id)
        response.flags = stored.flags
        response.set_rcode(stored.rcode())
        response.question = list(stored.question)
        # Never promise a client longer than this cache keeps the answer (max_ttl, or the
        # negative TTL, which RFC 2308 says the SOA's TTL must not exceed either).
        positive = bool(stored.answer) and stored.rcode() == dns.rcode.NOERROR
        cap = self.max_ttl if positive else entry.ttl

        def aged(section: list[dns.rrset.RRset]) -> list[dns.rrset.RRset]:
            out = []
            for rrset in section:
                copy = rrset.copy()
                copy.ttl = max(0, min(rrset.ttl, cap) - age)
                out.append(copy)
            return out

        response.answer = aged(stored.answer)
        response.authority = aged(stored.authority)
        response.additional = aged(stored.additional)
        return response
