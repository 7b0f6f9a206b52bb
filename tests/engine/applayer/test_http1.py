"""HTTP/1.x framing read as Suricata (libhtp) reads it: odd chunk sizes, headers cut by the
connection's end, request lines with spaces. Each shape is taken from a suricata-verify case."""

from __future__ import annotations

import pytest

from lanward.engine.applayer.http1 import request_line
from lanward.engine.events import HttpTransaction
from tests.engine.applayer.build import EICAR, Conversation, feed, http_response


def transactions(events: list) -> list[HttpTransaction]:
    return [e for e in events if isinstance(e, HttpTransaction)]


GET = b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"


@pytest.mark.parametrize("junk", [b"x", b",", b"\x00", b" x", b";ext=1", b"  "])
def test_chunk_size_is_its_leading_hex_digits(junk: bytes) -> None:
    """http-evader-009/010/011/014: sizes written 'fx', 'f,', 'f\\x00', 'f x' are 0xf."""
    body = EICAR[:15] + EICAR[15:30] + EICAR[30:38]
    chunks = b"f" + junk + b"\r\n" + EICAR[:15] + b"\r\n"
    chunks += b"F" + junk + b"\r\n" + EICAR[15:30] + b"\r\n"
    chunks += b"8" + junk + b"\r\n" + EICAR[30:38] + b"\r\n0\r\n\r\n"
    c = Conversation().handshake().client(GET)
    c.server(http_response(chunks, {"Transfer-Encoding": "chunked"}), mss=7)
    c.client(GET)
    c.server(http_response(b"next", {"Content-Length": "4"}))
    first, second = transactions(feed(c.key, c.packets)[0])
    assert first.response_body == body
    assert first.file is not None and first.file.complete
    assert second.response_body == b"next"  # the framing held


@pytest.mark.parametrize("line", [b"x\r\n", b"12345678901234567\r\n"])
def test_chunk_size_without_digits_or_too_long_breaks_the_body(line: bytes) -> None:
    c = Conversation().handshake().client(GET)
    c.server(http_response(line + b"abc\r\n0\r\n\r\n", {"Transfer-Encoding": "chunked"}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.status == 200 and tx.response_body == b""


def test_response_headers_cut_by_the_close_still_count() -> None:
    """http-close-headers: 'HTTP/1.0 200 OK\\nServer:ng1nx\\r\\n', then FIN: no blank line,
    bare LF, no space after the colon."""
    c = Conversation().handshake().client(GET)
    c.server(b"HTTP/1.0 200 OK\nServer:ng1nx\r\n").finish()
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.status == 200
    assert tx.response_headers == (("Server", "ng1nx"),)


def test_request_headers_cut_by_the_close_still_count() -> None:
    c = Conversation().handshake().client(b"GET /cut HTTP/1.1\r\nHost: h\r\nUser-Agent: u")
    (tx,) = transactions(feed(c.finish().key, c.packets)[0])
    assert (tx.uri, tx.host, tx.user_agent) == ("/cut", "h", "u")


def test_headers_still_open_while_the_flow_lives_are_not_guessed() -> None:
    c = Conversation().handshake().client(GET)
    c.server(b"HTTP/1.1 200 OK\r\nServer: s\r\n")
    assert transactions(feed(c.key, c.packets, close=False)[0]) == []


@pytest.mark.parametrize(
    "line, method, uri, version",
    [
        (b"GET /uri afterspace HTTP/1.1", "GET", "/uri afterspace", "HTTP/1.1"),
        (b"POST  /  HTTP/1.0", "POST", "/", "HTTP/1.0"),
        (b"GET\t/tab\tHTTP/1.1", "GET", "/tab", "HTTP/1.1"),
        (b"GET /a HTTP/1.1 b HTTP/1.0", "GET", "/a HTTP/1.1 b", "HTTP/1.0"),
    ],
)
def test_request_line_with_spaces_on_any_port(
    line: bytes, method: str, uri: str, version: str
) -> None:
    """http-uri-spaces, detect-pcre-04/05: the URI runs to the last ' HTTP/', and runs of
    blanks separate the parts; such a flow is recognised as HTTP on any port."""
    c = Conversation(server_port=63).handshake()
    c.client(line + b"\r\nUser-Agent: Mozilla\r\n\r\n")
    c.server(http_response(b"", {"Content-Length": "0"}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert (tx.method, tx.uri, tx.version, tx.user_agent) == (method, uri, version, "Mozilla")
    assert tx.status == 200


def test_resync_finds_a_request_line_with_spaces() -> None:
    c = Conversation().handshake()
    c.client(GET)
    c.server(http_response(b"1", {"Content-Length": "1"}))
    c.client(b"\x00\x01 not http\r\n\r\nPOST  /two words  HTTP/1.0\r\n\r\n")
    c.server(http_response(b"2", {"Content-Length": "1"}))
    txs = transactions(feed(c.key, c.packets)[0])
    assert [(t.method, t.uri) for t in txs] == [("GET", "/x"), ("POST", "/two words")]


def test_request_line_without_version() -> None:
    assert request_line("GET /a HTTP/1.1 junk") == ("GET", "/a HTTP/1.1 junk", "")
    assert request_line("GET /old") == ("GET", "/old", "")
    assert request_line("OPTIONS") == ("OPTIONS", "", "")
