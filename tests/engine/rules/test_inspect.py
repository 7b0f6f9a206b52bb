"""Payload keyword semantics, as Suricata's content inspection has them, through real rules.

The buffer is mostly http.uri.raw (the request target as sent), so no normalisation is in play.
"""

from __future__ import annotations

import pytest

from lanward.engine.rules.inspect import Content, Matcher, inspect, link
from tests.engine.rules.util import http, sids, uri_rule


def raw(options: str) -> str:
    return uri_rule("http.uri.raw; " + options)


def hits(options: str, uri: str) -> bool:
    return sids(raw(options), http(uri)) == [1]


@pytest.mark.parametrize(
    ("options", "uri", "expected"),
    [
        ('content:"abc";', "/xxabcxx", True),
        ('content:"ABC";', "/xxabcxx", False),
        ('content:"ABC"; nocase;', "/xxabcxx", True),
        ('content:"|2f 61|bc";', "/abc", True),  # hex bytes, with a space between them
        ('content:"a|62|c";', "/abc", True),
        ('content:"a\\;b";', "/a;b", True),  # escaped semicolon
        ('content:"a\\"b";', '/a"b', True),
        ('content:"a\\\\b";', "/a\\b", True),
        ('content:!"abc";', "/xyz", True),
        ('content:!"abc";', "/xxabc", False),
        ('content:"/ab"; startswith;', "/abc", True),
        ('content:"ab"; startswith;', "/abc", False),
        ('content:"bc"; endswith;', "/abc", True),
        ('content:"bc"; endswith;', "/bca", False),
        ('content:"bc"; endswith;', "/bcxbc", True),  # a later occurrence is the one at the end
        ('content:"/abc"; startswith; endswith;', "/abc", True),
        ('content:"/abc"; startswith; endswith;', "/abcd", False),
        ('content:"abc"; offset:2;', "/xabc", True),
        ('content:"abc"; offset:3;', "/xabc", False),
        ('content:"abc"; depth:4;', "/abc", True),
        ('content:"abc"; depth:4;', "/xabc", False),
        ('content:"abc"; offset:2; depth:3;', "/xabcd", True),  # depth counts from offset
        ('content:"abc"; depth:3; offset:2;', "/xabcd", True),  # in either order
        ('content:"abc"; offset:2; depth:3;', "/xxabc", False),
    ],
)
def test_content(options: str, uri: str, expected: bool) -> None:
    assert hits(options, uri) is expected


@pytest.mark.parametrize(
    ("options", "uri", "expected"),
    [
        # distance: at least that far after the end of the previous match
        ('content:"a"; content:"b"; distance:0;', "/ab", True),
        ('content:"a"; content:"b"; distance:1;', "/ab", False),
        ('content:"a"; content:"b"; distance:1;', "/axb", True),
        # within: the whole content inside that many bytes after the previous match
        ('content:"a"; content:"bc"; within:2;', "/abc", True),
        ('content:"a"; content:"bc"; within:2;', "/axbc", False),
        ('content:"a"; content:"b"; distance:2; within:1;', "/axxb", True),
        ('content:"a"; content:"b"; distance:2; within:1;', "/axb", False),
        # a negative distance reaches back before the end of the previous match
        ('content:"def"; content:"abc"; distance:-6; within:3;', "/abcdef", True),
        ('content:"def"; content:"/ab"; distance:-100;', "/abcdef", True),  # clamped at 0
        # backtracking: the second "abc" is the one followed by "def"
        ('content:"abc"; content:"def"; distance:0; within:3;', "/abcXYZabcdef", True),
        ('content:"abc"; content:"def"; distance:0; within:3;', "/abcXYZabcXdef", False),
        # three levels: the chain is re-searched from the first content
        (
            'content:"a"; content:"b"; within:1; content:"c"; within:1;',
            "/abxabyabc",
            True,
        ),
        # relative to the start when nothing came before it in the buffer
        ('content:"/a"; distance:0; within:2;', "/abc", True),
        ('content:"bc"; distance:0; within:2;', "/abc", False),
    ],
)
def test_relative_content(options: str, uri: str, expected: bool) -> None:
    assert hits(options, uri) is expected


@pytest.mark.parametrize(
    ("options", "uri", "expected"),
    [
        # a negated relative content: the first "abc" is followed by "def", the second is not,
        # and Suricata backtracks to the second, so the rule matches
        ('content:"abc"; content:!"def"; distance:0; within:3;', "/abcdef-abcxyz", True),
        ('content:"abc"; content:!"def"; distance:0; within:3;', "/abcdef", False),
        # a negated content does not move the anchor: "c" is relative to the end of "a"
        ('content:"a"; content:!"x"; distance:0; content:"c"; distance:1; within:1;', "/abc", True),
        ('content:"a"; content:!"b"; within:1; content:"c";', "/abc", False),
        # negated, out of the window: matches
        ('content:"abc"; content:!"def"; distance:5;', "/abcdef", True),
    ],
)
def test_negated_relative(options: str, uri: str, expected: bool) -> None:
    assert hits(options, uri) is expected


@pytest.mark.parametrize(
    ("options", "uri", "expected"),
    [
        ('pcre:"/a.c/";', "/xabcx", True),
        ('pcre:"/A.C/";', "/xabcx", False),
        ('pcre:"/A.C/i";', "/xabcx", True),
        ('pcre:!"/a.c/";', "/xabcx", False),
        ('pcre:!"/a.c/";', "/xyz", True),
        ('pcre:"/^\\/abc$/";', "/abc", True),
        ('pcre:"/^abc/";', "/abc", False),
        # R: anchored at the end of the previous match, so ^ is right after it
        ('content:"/a"; pcre:"/^bc/R";', "/abc", True),
        ('content:"/a"; pcre:"/^c/R";', "/abc", False),
        # backtracking through a relative content after the pcre
        ('pcre:"/a./"; content:"X"; distance:0; within:1;', "/abacXd", True),
        ('pcre:"/a./"; content:"X"; distance:0; within:1;', "/abacaX", False),
        # s, m, x
        ('pcre:"/a.b/s";', "/a\nb", True),
        ('pcre:"/a.b/";', "/a\nb", False),
        ('pcre:"/^b/m";', "/a\nb", True),
        ('pcre:"/a b c/x";', "/abc", True),
        # E: $ only at the very end; without it $ also matches before a final newline
        ('pcre:"/c$/";', "/abc\n", True),
        ('pcre:"/c$/E";', "/abc\n", False),
        # PCRE syntax Python's re spells differently
        ('pcre:"/(?<w>b)\\k<w>/";', "/abb", True),
        ('pcre:"/\\x{62}/";', "/abc", True),
        ('pcre:"/a[[:digit:]]+z/";', "/a123z", True),
        ('pcre:"/c\\z/";', "/abc", True),
    ],
)
def test_pcre(options: str, uri: str, expected: bool) -> None:
    assert hits(options, uri) is expected


@pytest.mark.parametrize(
    ("options", "uri", "expected"),
    [
        ("bsize:4;", "/abc", True),
        ("bsize:4;", "/abcd", False),
        ("bsize:<4;", "/ab", True),
        ("bsize:<4;", "/abc", False),
        ("bsize:>4;", "/abcd", True),
        ("bsize:>=4;", "/abc", True),
        ("bsize:<=4;", "/abcd", False),
        ("bsize:!4;", "/abc", False),
        ("bsize:2<>5;", "/a", False),  # the range excludes its ends
        ("bsize:2<>5;", "/ab", True),
        ("bsize:2<>5;", "/abc", True),
        ("bsize:2<>5;", "/abcd", False),
        ("bsize:2-5;", "/abc", True),
        ('content:"/a"; isdataat:1,relative;', "/ab", True),
        ('content:"/a"; isdataat:1,relative;', "/a", False),
        ('content:"/a"; isdataat:!1,relative;', "/a", True),
        ("isdataat:3;", "/abc", True),
        ("isdataat:4;", "/abc", False),
        ("isdataat:!4;", "/abc", True),
    ],
)
def test_bsize_and_isdataat(options: str, uri: str, expected: bool) -> None:
    assert hits(options, uri) is expected


def test_urilen_reads_the_normalised_uri_by_default() -> None:
    rules = uri_rule("urilen:4;", 1) + "\n" + uri_rule("urilen:8,raw;", 2)
    assert sids(rules, http("/a/../b?x")) == [1]  # normalised: "/b?x"
    assert sids(rules, http("/a/./bcd")) == [2]  # raw: 8 bytes, normalised "/a/bcd": 6
    assert sids(rules, http("/a/b/c")) == []


def test_an_absent_buffer_matches_nothing_but_an_empty_one_is_inspected() -> None:
    empty_ua = http(user_agent="")
    no_ua = http(user_agent=None)
    rules = (
        uri_rule("http.user_agent; bsize:0;", 1)
        + "\n"
        + uri_rule('http.user_agent; content:!"u";', 2)
    )
    assert sids(rules, empty_ua) == [1, 2]
    assert sids(rules, no_ua) == []


def test_inspection_ends_when_an_independent_content_fails() -> None:
    """A content that depends on nothing before it fails for good: no backtracking."""
    first = Content(b"a")
    second = Content(b"zz")
    matchers: list[Matcher] = [first, second]
    link(matchers)
    assert not first.relative_next
    assert not inspect(matchers, b"aaaa")
    third = Content(b"b", has_distance=True)
    head = Content(b"a")
    chained: list[Matcher] = [head, third]
    link(chained)
    assert head.relative_next
    assert inspect(chained, b"ab")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.google.com.example.com", True),  # ".google.com" inside, not at the end
        ("www.google.com", False),
        ("google.com", True),  # no ".google.com" at all
    ],
)
def test_negated_endswith_means_does_not_end_with(host: str, expected: bool) -> None:
    rule = uri_rule('http.host; content:!".google.com"; endswith;')
    assert (sids(rule, http("/", host=host)) == [1]) is expected


def test_backtracking_is_bounded() -> None:
    """A chain of relative contents over a long run of the first byte gives up, not hangs."""
    matchers: list[Matcher] = [Content(b"a")]
    for _ in range(6):
        matchers.append(Content(b"a", has_distance=True))
    matchers.append(Content(b"b", has_distance=True, distance=0, has_within=True, within=1))
    link(matchers)
    import time

    started = time.monotonic()
    assert not inspect(matchers, b"a" * 5000)
    assert time.monotonic() - started < 2
    assert inspect(matchers, b"a" * 7 + b"b")
