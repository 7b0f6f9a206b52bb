"""lanward.engine.dns.cache: TTLs honoured and counted down, negative caching by the SOA (RFC 2308),
failures never kept, and a bounded least-recently-used store. Time is passed in (`now`)."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

from lanward.engine.dns.cache import AnswerCache

T0 = 1000.0


def query(name: str = "www.example.", rdtype: str = "A") -> dns.message.Message:
    return dns.message.make_query(name, rdtype)


def answer(
    q: dns.message.Message, *records: tuple[str, int, str, str], rcode: int = dns.rcode.NOERROR
) -> dns.message.Message:
    response = dns.message.make_response(q)
    response.set_rcode(rcode)
    for name, ttl, rdtype, value in records:
        response.answer.append(dns.rrset.from_text(name, ttl, "IN", rdtype, value))
    return response


def negative(q: dns.message.Message, rcode: int, soa_ttl: int, minimum: int) -> dns.message.Message:
    response = dns.message.make_response(q)
    response.set_rcode(rcode)
    response.authority.append(
        dns.rrset.from_text(
            "example.",
            soa_ttl,
            "IN",
            "SOA",
            f"ns.example. admin.example. 1 7200 900 1209600 {minimum}",
        )
    )
    return response


def ttls(response: dns.message.Message) -> list[int]:
    return [rrset.ttl for section in (response.answer, response.authority) for rrset in section]


def test_ttl_is_honoured_and_counted_down() -> None:
    cache, q = AnswerCache(), query()
    cache.put(q, answer(q, ("www.example.", 300, "A", "192.0.2.1")), T0)
    for age, left in ((0, 300), (1, 299), (100.9, 200), (299, 1)):
        cached = cache.get(q, T0 + age)
        assert cached is not None and ttls(cached) == [left]
        assert [r.to_text() for r in cached.answer[0]] == ["192.0.2.1"]
    assert cache.get(q, T0 + 300) is None
    assert not cache.entries  # the expired entry is gone, not just hidden


def test_the_shortest_ttl_decides() -> None:
    cache, q = AnswerCache(), query()
    response = answer(
        q,
        ("www.example.", 3600, "CNAME", "cdn.example."),
        ("cdn.example.", 20, "A", "192.0.2.1"),
    )
    cache.put(q, response, T0)
    assert cache.get(q, T0 + 19) is not None
    assert cache.get(q, T0 + 20) is None


def test_a_hit_answers_the_new_query() -> None:
    cache, q = AnswerCache(), query()
    cache.put(q, answer(q, ("www.example.", 300, "A", "192.0.2.1")), T0)
    again = query("WWW.Example.")  # same name, other case, other id
    cached = cache.get(again, T0 + 5)
    assert cached is not None and cached.id == again.id
    assert cache.get(query(rdtype="AAAA"), T0 + 5) is None
    assert (cache.hits, cache.misses) == (1, 1)


def test_long_ttls_are_capped() -> None:
    cache, q = AnswerCache(max_ttl=3600), query()
    cache.put(q, answer(q, ("www.example.", 7 * 86400, "A", "192.0.2.1")), T0)
    cached = cache.get(q, T0 + 600)
    # the client is not promised longer than the cache itself keeps the answer
    assert cached is not None and ttls(cached) == [3000]
    assert cache.get(q, T0 + 3600) is None


def test_nxdomain_is_cached_for_the_soa_minimum() -> None:
    cache, q = AnswerCache(), query("nope.example.")
    cache.put(q, negative(q, dns.rcode.NXDOMAIN, soa_ttl=3600, minimum=300), T0)
    cached = cache.get(q, T0 + 100)
    assert cached is not None and cached.rcode() == dns.rcode.NXDOMAIN
    assert ttls(cached) == [200]  # min(SOA TTL, SOA minimum), counted down
    assert cache.get(q, T0 + 300) is None


def test_nodata_is_cached_for_the_soa_ttl_when_shorter() -> None:
    cache, q = AnswerCache(), query(rdtype="AAAA")
    cache.put(q, negative(q, dns.rcode.NOERROR, soa_ttl=60, minimum=3600), T0)
    cached = cache.get(q, T0 + 10)
    assert cached is not None and not cached.answer and ttls(cached) == [50]
    assert cache.get(q, T0 + 60) is None


def test_negative_answers_are_capped() -> None:
    cache, q = AnswerCache(negative_ttl=900), query()
    cache.put(q, negative(q, dns.rcode.NXDOMAIN, soa_ttl=86400, minimum=86400), T0)
    cached = cache.get(q, T0)
    assert cached is not None and ttls(cached) == [900]
    assert cache.get(q, T0 + 900) is None


def test_what_is_never_cached() -> None:
    cache, q = AnswerCache(), query()
    for response in (
        answer(q, rcode=dns.rcode.SERVFAIL),
        answer(q, ("www.example.", 300, "A", "192.0.2.1"), rcode=dns.rcode.SERVFAIL),
        answer(q, rcode=dns.rcode.REFUSED),
        answer(q, rcode=dns.rcode.FORMERR),
        answer(q, rcode=dns.rcode.NXDOMAIN),  # no SOA: nothing says for how long
        answer(q),  # NOERROR, empty, no SOA
        answer(q, ("www.example.", 0, "A", "192.0.2.1")),  # TTL 0 means: don't keep it
    ):
        cache.put(q, response, T0)
        assert cache.get(q, T0) is None
    truncated = answer(q, ("www.example.", 300, "A", "192.0.2.1"))
    truncated.flags |= dns.flags.TC
    cache.put(q, truncated, T0)
    assert cache.get(q, T0) is None
    assert not cache.entries


def test_servfail_does_not_replace_a_good_answer() -> None:
    cache, q = AnswerCache(), query()
    cache.put(q, answer(q, ("www.example.", 300, "A", "192.0.2.1")), T0)
    cache.put(q, answer(q, rcode=dns.rcode.SERVFAIL), T0 + 1)
    cached = cache.get(q, T0 + 2)
    assert cached is not None and cached.rcode() == dns.rcode.NOERROR


def test_bounded_least_recently_used() -> None:
    cache = AnswerCache(max_entries=2)
    a, b, c = query("a.example."), query("b.example."), query("c.example.")
    for q in (a, b):
        cache.put(q, answer(q, (q.question[0].name.to_text(), 300, "A", "192.0.2.1")), T0)
    assert cache.get(a, T0 + 1) is not None  # a is now more recently used than b
    cache.put(c, answer(c, ("c.example.", 300, "A", "192.0.2.3")), T0 + 2)
    assert len(cache.entries) == 2
    assert cache.get(b, T0 + 3) is None
    assert cache.get(a, T0 + 3) is not None and cache.get(c, T0 + 3) is not None


def test_the_bound_holds() -> None:
    cache = AnswerCache(max_entries=50)
    for i in range(500):
        q = query(f"h{i}.example.")
        cache.put(q, answer(q, (f"h{i}.example.", 300, "A", "192.0.2.1")), T0 + i)
        assert len(cache.entries) <= 50
    assert cache.get(query("h499.example."), T0 + 500) is not None
    assert cache.get(query("h0.example."), T0 + 500) is None
