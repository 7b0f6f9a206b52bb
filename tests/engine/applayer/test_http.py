"""HTTP/1.x through FlowParser: transactions, bodies, files, uploads, sign-ins, gaps."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import body as body_module
from lanward.engine.applayer import http
from lanward.engine.events import CredentialSeen, HttpTransaction
from tests.engine.applayer.build import (
    EICAR,
    EICAR_SHA256,
    Conversation,
    chunked,
    feed,
    gzipped,
    http_response,
    shuffled_data,
)

GET = b"GET /files/eicar.com?x=1 HTTP/1.1\r\nHost: Download.Example.COM:8080\r\nUser-Agent: curl/8.5\r\n\r\n"


def transactions(events: list) -> list[HttpTransaction]:
    return [e for e in events if isinstance(e, HttpTransaction)]


def credentials(events: list) -> list[CredentialSeen]:
    return [e for e in events if isinstance(e, CredentialSeen)]


def test_eicar_download_plain() -> None:
    c = Conversation().handshake().client(GET)
    c.server(http_response(EICAR, {"Content-Length": str(len(EICAR))})).finish()
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert (tx.method, tx.uri, tx.version) == ("GET", "/files/eicar.com?x=1", "HTTP/1.1")
    assert tx.host == "download.example.com"
    assert tx.user_agent == "curl/8.5"
    assert tx.status == 200
    assert tx.file is not None
    assert tx.file.sha256 == EICAR_SHA256
    assert tx.file.md5 == hashlib.md5(EICAR).hexdigest()
    assert tx.file.sha1 == hashlib.sha1(EICAR).hexdigest()
    assert (tx.file.name, tx.file.size, tx.file.magic) == ("eicar.com", 68, "EICAR test file")
    assert tx.file.complete and tx.file.direction == "to_client"
    assert tx.response_body == EICAR


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eicar_chunked_gzip_out_of_order_many_segments(seed: int) -> None:
    """The body gzip-compressed, chunked in 5-byte chunks, in 3-byte segments, shuffled."""
    payload = chunked(gzipped(EICAR), size=5)
    headers = {"Transfer-Encoding": "chunked", "Content-Encoding": "gzip"}
    headers["Content-Disposition"] = 'attachment; filename="test file.com"'
    c = Conversation(client_isn=2**32 - 40, server_isn=2**32 - 100)  # wraps during the body
    c.handshake().client(GET, mss=9).server(http_response(payload, headers), mss=3).finish()
    packets = shuffled_data(c.packets, seed) + c.packets[-3:]
    (tx,) = transactions(feed(c.key, packets)[0])
    assert tx.file is not None
    assert tx.file.sha256 == EICAR_SHA256
    assert tx.file.name == "test file.com"
    assert tx.file.complete
    assert tx.response_body == EICAR
    assert dict(tx.response_headers)["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("raw_deflate", [False, True])
def test_deflate_with_and_without_zlib_header(raw_deflate: bool) -> None:
    z = zlib.compressobj(wbits=-15 if raw_deflate else 15)
    data = z.compress(EICAR) + z.flush()
    c = Conversation().handshake().client(GET)
    c.server(http_response(data, {"Content-Encoding": "deflate", "Content-Length": str(len(data))}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.file is not None and tx.file.sha256 == EICAR_SHA256


def test_keep_alive_pipelining_head_and_204() -> None:
    requests = (
        b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        b"HEAD /b.exe HTTP/1.1\r\nHost: h\r\n\r\n"
        b"DELETE /c HTTP/1.1\r\nHost: h\r\n\r\n"
        b"GET /d HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    responses = (
        http_response(b"hello", {"Content-Length": "5"})
        + http_response(b"", {"Content-Length": "999"})  # HEAD: the length, not a body
        + http_response(b"", {}, "204 No Content")
        + http_response(b"MZ", {"Content-Length": "2"})
    )
    c = Conversation().handshake().client(requests, mss=50).server(responses, mss=60).finish()
    txs = transactions(feed(c.key, c.packets)[0])
    assert [(t.method, t.uri, t.status) for t in txs] == [
        ("GET", "/a", 200),
        ("HEAD", "/b.exe", 200),
        ("DELETE", "/c", 204),
        ("GET", "/d", 200),
    ]
    assert txs[0].response_body == b"hello"
    assert txs[1].file is None and txs[2].file is None
    assert txs[3].file is not None and txs[3].file.magic == "DOS/PE executable"


def test_interim_100_continue_and_close_delimited_body() -> None:
    c = Conversation().handshake()
    c.client(b"POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    c.server(b"HTTP/1.1 100 Continue\r\n\r\n")
    c.client(b"data")
    c.server(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
    c.finish()
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.status == 200 and tx.request_body == b"data"
    assert tx.response_body == b"until the end"
    assert tx.file is not None and tx.file.complete and tx.file.content_type == "text/plain"


def test_request_without_response_is_reported_at_close() -> None:
    c = Conversation().handshake().client(GET)
    events, _ = feed(c.key, c.packets)
    (tx,) = transactions(events)
    assert tx.status == 0 and tx.file is None and tx.response_headers == ()


def test_body_cut_short_is_incomplete() -> None:
    c = Conversation().handshake().client(GET)
    c.server(http_response(EICAR[:30], {"Content-Length": "68"}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.file is not None and not tx.file.complete and tx.file.size == 30


def test_capture_gap_inside_body_keeps_framing() -> None:
    """A lost segment inside a Content-Length body: that file is incomplete, the next is fine."""
    body = bytes(range(256)) * 20
    c = Conversation(mss=500).handshake().client(GET + GET)
    c.server(http_response(body, {"Content-Length": str(len(body))}))
    c.server(http_response(EICAR, {"Content-Length": "68"}))
    packets = c.packets
    lost = next(i for i, p in enumerate(packets) if len(p.payload.payload.payload) and i > 6)
    del packets[lost + 2]  # a middle segment of the first body
    first, second = transactions(feed(c.key, packets)[0])
    assert first.file is not None and not first.file.complete
    assert first.file.size == len(body)
    assert second.file is not None and second.file.complete
    assert second.file.sha256 == EICAR_SHA256


def test_retransmission_with_other_bytes_first_wins() -> None:
    c = Conversation().handshake().client(GET)
    c.server(http_response(EICAR, {"Content-Length": "68"}))
    last = c.packets[-2].copy()
    forged = last.copy()
    raw = bytes(forged["Raw"].load)
    forged["Raw"].load = raw[:-10] + b"0123456789"
    packets = c.packets[:-1] + [forged]
    (tx,) = transactions(feed(c.key, packets)[0])
    assert tx.file is not None and tx.file.sha256 == EICAR_SHA256


def test_http_on_any_port_and_resync_after_garbage() -> None:
    c = Conversation(server_port=31337).handshake()
    c.client(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
    c.server(http_response(b"1", {"Content-Length": "1"}))
    c.client(b"\x00\xff garbage that is no request \r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
    c.server(b"junk\r\n" + http_response(b"2", {"Content-Length": "1"}))
    txs = transactions(feed(c.key, c.packets)[0])
    assert [t.uri for t in txs] == ["/one", "/two"]
    assert txs[1].response_body == b"2"


def test_bodies_kept_only_up_to_the_cap_but_hashed_whole() -> None:
    big = b"A" * 200_000
    c = Conversation().handshake()
    c.client(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 200000\r\n\r\n" + big)
    c.server(http_response(big, {"Content-Length": "200000"}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert len(tx.request_body) == http.REQUEST_BODY_KEEP == 8192
    assert len(tx.response_body) == http.RESPONSE_BODY_KEEP == 100 * 1024  # Suricata's default
    assert tx.file is not None and tx.file.sha256 == hashlib.sha256(big).hexdigest()


def test_response_bodies_kept_within_a_budget_per_flow() -> None:
    """A keep-alive flow of many large responses keeps 100 KiB of each only while its budget
    lasts, then 8 KiB: the events wait on the flow until it ends."""
    big = bytes(range(256)) * 800  # 204800 bytes
    c = Conversation().handshake()
    for _ in range(14):
        c.client(GET)
        c.server(http_response(big, {"Content-Length": str(len(big))}))
    txs = transactions(feed(c.key, c.packets)[0])
    kept = [len(tx.response_body) for tx in txs]
    assert kept[:10] == [100 * 1024] * 10
    assert kept[10] == http.FLOW_BODY_BUDGET - 10 * 100 * 1024  # what was left of the budget
    assert kept[11:] == [http.RESPONSE_BODY_KEEP_MIN] * 3
    assert all(tx.file is not None and tx.file.size == len(big) for tx in txs)


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_request_body_is_inspected_inflated(coding: str) -> None:
    """Like a response body, a request body sent with a Content-Encoding is kept decoded
    (Suricata inflates it for http_client_body), and only up to the cap."""
    form = b"name=alice&comment=" + b"x" * 50_000
    packed = gzipped(form) if coding == "gzip" else zlib.compress(form)
    c = Conversation().handshake()
    c.client(
        b"POST /hi.php HTTP/1.1\r\nHost: h\r\nContent-Encoding: "
        + coding.encode()
        + f"\r\nContent-Length: {len(packed)}\r\n\r\n".encode()
        + packed
    )
    c.server(http_response(b"ok", {"Content-Length": "2"}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.request_body == form[: http.REQUEST_BODY_KEEP]
    assert tx.response_body == b"ok"


def test_decompression_bomb_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body_module, "MAX_DECODED_BYTES", 1_000_000)
    bomb = gzipped(b"\0" * 5_000_000)
    c = Conversation().handshake().client(GET)
    c.server(http_response(bomb, {"Content-Encoding": "gzip", "Content-Length": str(len(bomb))}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.file is not None and not tx.file.complete and tx.file.size <= 1_000_000


def test_false_gzip_is_hashed_as_sent() -> None:
    c = Conversation().handshake().client(GET)
    c.server(http_response(EICAR, {"Content-Encoding": "gzip", "Content-Length": "68"}))
    (tx,) = transactions(feed(c.key, c.packets)[0])
    assert tx.file is not None and tx.file.sha256 == EICAR_SHA256


def test_multipart_upload_and_put() -> None:
    boundary = "----b0undary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="e.com"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + EICAR
        + f"\r\n--{boundary}--\r\n".encode()
    )
    c = Conversation().handshake()
    c.client(
        b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary="
        + boundary.encode()
        + f"\r\nContent-Length: {len(form)}\r\n\r\n".encode()
        + form,
        mss=20,
    )
    c.server(http_response(b"ok", {"Content-Length": "2"}))
    c.client(b"PUT /dav/x.com HTTP/1.1\r\nHost: h\r\nContent-Length: 68\r\n\r\n" + EICAR)
    c.server(http_response(b"", {"Content-Length": "0"}, "201 Created"))
    post, put = transactions(feed(c.key, c.packets)[0])
    (upload,) = post.uploads
    assert (upload.name, upload.direction, upload.sha256) == ("e.com", "to_server", EICAR_SHA256)
    assert upload.content_type == "application/octet-stream" and upload.complete
    (stored,) = put.uploads
    assert (stored.name, stored.sha256) == ("x.com", EICAR_SHA256)


def test_basic_digest_and_form_credentials_without_the_secret() -> None:
    basic = base64.b64encode(b"alice:s3cret!").decode()
    c = Conversation().handshake()
    c.client(f"GET /admin HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic {basic}\r\n\r\n".encode())
    c.server(http_response(b"", {"Content-Length": "0"}))
    c.client(
        b'GET /x HTTP/1.1\r\nHost: cam\r\nAuthorization: Digest username="bob", realm="r", '
        b'nonce="n", uri="/x", response="abc"\r\n\r\n'
    )
    c.server(http_response(b"", {"Content-Length": "0"}, "401 Unauthorized"))
    form = b"email=carol%40example.com&password=hunter2&remember=1"
    c.client(
        b"POST /login HTTP/1.1\r\nHost: router\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(form)}\r\n\r\n".encode()
        + form
    )
    c.server(http_response(b"", {"Content-Length": "0"}, "302 Found"))
    c.client(b"GET /cgi?user=dave&pwd=x HTTP/1.1\r\nHost: nas\r\n\r\n")
    c.client(b"GET /search?q=password HTTP/1.1\r\nHost: nas\r\n\r\n")
    events, _ = feed(c.key, c.packets)
    found = [(e.protocol, e.username, e.success) for e in credentials(events)]
    assert found == [
        ("http-basic", "alice", True),
        ("http-digest", "bob", False),
        ("http-form", "carol@example.com", None),
        ("http-form", "dave", None),
    ]
    for event in events:
        assert "s3cret" not in repr(event) or isinstance(event, HttpTransaction)
        if isinstance(event, CredentialSeen):
            assert "hunter2" not in repr(event) and "s3cret" not in repr(event)


def test_connect_tunnel_continues_as_tls() -> None:
    from tests.engine.applayer.test_tls import client_hello_record

    c = Conversation(server_port=3128).handshake()
    c.client(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")
    c.server(b"HTTP/1.1 200 Connection established\r\n\r\n")
    c.client(client_hello_record("example.org"))
    events, _ = feed(c.key, c.packets)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["HttpTransaction", "TlsClientHello"]
    assert events[1].sni == "example.org"  # type: ignore[union-attr]


@settings(max_examples=40, deadline=None)
@given(
    client_mss=st.integers(min_value=1, max_value=120),
    server_mss=st.integers(min_value=2, max_value=200),
    chunk=st.integers(min_value=1, max_value=80),
    seed=st.integers(min_value=0, max_value=2**16),
    duplicate=st.booleans(),
)
def test_any_segmentation_and_order_gives_the_same_file(
    client_mss: int, server_mss: int, chunk: int, seed: int, duplicate: bool
) -> None:
    payload = chunked(gzipped(EICAR * 20), size=chunk)
    headers = {"Transfer-Encoding": "chunked", "Content-Encoding": "gzip"}
    c = Conversation().handshake().client(GET + GET, mss=client_mss)
    c.server(
        http_response(payload, headers) + http_response(EICAR, {"Content-Length": "68"}),
        mss=server_mss,
    )
    packets = shuffled_data(c.packets, seed)
    if duplicate:
        packets += packets[3 : 3 + len(packets) // 3]  # late retransmissions
    first, second = transactions(feed(c.key, packets)[0])
    assert first.file is not None and first.file.sha256 == hashlib.sha256(EICAR * 20).hexdigest()
    assert second.file is not None and second.file.sha256 == EICAR_SHA256


@pytest.mark.parametrize("code", [b"200x", "2\u00b20".encode("latin-1")])
def test_junk_in_the_status_code_is_no_failure(code: bytes) -> None:
    """'HTTP/1.1 200x' reads as 200; '2²0' (Latin-1 digits Python calls digits) as no status."""
    c = Conversation().handshake().client(GET)
    c.server(b"HTTP/1.1 " + code + b" OK\r\nContent-Length: 2\r\n\r\nok").finish()
    (tx,) = transactions(feed(c.key, c.packets)[0])  # feed asserts the parser did not fail
    assert (tx.status, tx.response_body) == (200 if code == b"200x" else 0, b"ok")
