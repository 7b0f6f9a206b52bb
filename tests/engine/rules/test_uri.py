"""http.uri normalisation (libhtp with Suricata's IDS personality) and the http buffers."""

from __future__ import annotations

import pytest

from lanward.engine.rules.uri import normalize_uri, remove_dot_segments
from tests.engine.rules.util import http, sids, uri_rule


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (b"/index.html", b"/index.html"),
        (b"/a%20b", b"/a b"),
        (b"/a%2fb", b"/a/b"),  # encoded separators are decoded
        (b"/a%5cb", b"/a/b"),  # and a backslash is a separator
        (b"/a\\b", b"/a/b"),
        (b"/a//b///c", b"/a/b/c"),  # repeated separators squeezed
        (b"/a/./b/../c", b"/a/c"),
        (b"/a/%2e%2e/b", b"/b"),  # encoded dots are dots once decoded
        (b"/../../etc/passwd", b"/etc/passwd"),
        (b"/%zz%4", b"/%zz%4"),  # invalid escapes keep their percent sign
        (b"/%u0041b", b"/Ab"),  # %u encoding
        (b"/%uff0fx", b"/x"),  # %u full-width solidus: a separator, squeezed
        (b"/\xef\xbc\x8fetc", b"//etc"),  # UTF-8 full-width solidus: folded after squeezing
        (b"/caf\xc3\xa9", b"/caf\xe9"),  # UTF-8 folded to one byte
        (b"/a?x=%27%20or%201%3D1", b"/a?x=' or 1=1"),  # query decoded
        (b"/a?x=1+2", b"/a?x=1+2"),  # '+' stays (Suricata: query-plusspace-decode off)
        (b"/a?x=../b", b"/a?x=../b"),  # no dot removal in the query
        (b"/a#frag%41", b"/a#fragA"),
        (b"http://Example.com:8080/a/../b?q", b"/b?q"),  # absolute URI: authority dropped
    ],
)
def test_normalize_uri(raw: bytes, normalized: bytes) -> None:
    assert normalize_uri(raw) == normalized


def test_full_width_forms() -> None:
    # %uFF0F and %uFF0E decode to '/' and '.' (best fit), then dot segments go
    assert normalize_uri(b"/a%uff0fb") == b"/a/b"
    assert normalize_uri(b"/a/%uff0e%uff0e/b") == b"/b"


@pytest.mark.parametrize(
    ("path", "out"),
    [
        (b"/a/b/c/./../../g", b"/a/g"),  # RFC 3986 5.2.4 example
        (b"mid/content=5/../6", b"mid/6"),
        (b"/..", b"/"),
        (b"/.", b"/"),
        (b"../a", b"a"),
    ],
)
def test_remove_dot_segments(path: bytes, out: bytes) -> None:
    assert remove_dot_segments(path) == out


def test_http_buffers() -> None:
    event = http(
        "/Search?q=%3Cscript%3E",
        method="POST",
        host="www.example.com",
        user_agent="curl/8.0",
        headers=(("Host", "WWW.Example.com:8080"), ("User-Agent", "curl/8.0")),
    )
    rules = "\n".join(
        [
            uri_rule('http.uri; content:"/Search?q=<script>";', 1),
            uri_rule('http.uri.raw; content:"%3Cscript%3E";', 2),
            uri_rule('http.method; content:"POST"; startswith; endswith;', 3),
            uri_rule('http.host; content:"www.example.com"; startswith; endswith;', 4),
            uri_rule('http.host.raw; content:"WWW.Example.com:8080"; bsize:20;', 5),
            uri_rule('http.user_agent; content:"curl/";', 6),
            uri_rule('content:"curl"; http_user_agent; content:"POST"; http_method;', 7),
            uri_rule('uricontent:"<script>";', 8),
            uri_rule('content:"%3C"; http_raw_uri; content:"example"; http_host;', 9),
            uri_rule('content:"Example"; http_raw_host;', 10),
            uri_rule('pcre:"/script/U"; pcre:"/3Cscript/I"; pcre:"/^curl/V";', 11),
            uri_rule('pcre:"/^www\\./W"; pcre:"/:8080$/Z"; pcre:"/^POST$/M";', 12),
            uri_rule('http.uri; content:"<SCRIPT>";', 13),  # case matters
        ]
    )
    assert sids(rules, event) == list(range(1, 13))


def test_http_host_with_capitals_is_refused_like_suricata_does() -> None:
    from tests.engine.rules.util import ruleset

    rules = ruleset(uri_rule('http.host; content:"Example.com";'))
    assert rules.report.files[0].malformed[0].line == 1
    assert "lower case" in rules.report.files[0].malformed[0].message
    ok = ruleset(uri_rule('http.host; content:"Example.com"; nocase;'))
    assert len(ok) == 1
