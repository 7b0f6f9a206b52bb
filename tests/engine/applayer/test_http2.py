"""HTTP/2 in clear text through FlowParser: a real h2 client and a real h2 server (hyper-h2's
H2Connection, each side reading what the other wrote) make the bytes; they go through the
parser as TCP packets, and the transactions must say what the two peers said to each other."""

from __future__ import annotations

import gzip
import hashlib
import random
import zlib

import hpack
import pytest
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    HeadersFrame,
    RstStreamFrame,
    SettingsFrame,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import FlowParser, http, http2
from lanward.engine.applayer.http2 import Http2Parser
from lanward.engine.detect.dangerous_files import DangerousFiles
from lanward.engine.events import CredentialSeen, FlowKey, HttpTransaction
from tests.engine.applayer.build import EICAR, EICAR_SHA256, Conversation, feed, shuffled_data
from tests.engine.applayer.h2_peers import Peers, frames, request_headers, run, sent, transactions
from tests.engine.applayer.pcaps import run_pcap
from tests.engine.applayer.test_fuzz import tcp_packet
from tests.ndpi_corpus import CORPUS

# --- transactions --------------------------------------------------------------------------


def test_concurrent_streams_answered_out_of_order() -> None:
    """Twelve requests open at once; the server answers them interleaved, last first, each
    body in several DATA frames: every stream is its own transaction, nothing crossed."""
    peers = Peers().start()
    bodies = {}
    for i in range(12):
        stream_id = peers.request(request_headers(f"/files/f{i}.bin?n={i}"))
        bodies[stream_id] = random.Random(i).randbytes(30_000 + i * 1000)
    peers.client_sends()
    order = sorted(bodies, reverse=True)
    for stream_id in order:
        peers.server.send_headers(stream_id, [(":status", "200"), ("content-type", "x/bin")])
    for offset in range(0, 42_500, 2_500):  # round-robin: one slice of every stream in turn
        for stream_id in order:
            chunk = bodies[stream_id][offset : offset + 2_500]
            end = offset + 2_500 >= len(bodies[stream_id])
            if chunk:
                peers.server.send_data(stream_id, chunk, end_stream=end)
        peers.server_sends()
        peers.client_sends()
    txs, parser, _ = run(peers)
    assert parser.protocol == "http2"
    assert len(txs) == 12
    by_uri = {tx.uri: tx for tx in txs}
    for i, stream_id in enumerate(sorted(bodies)):
        tx = by_uri[f"/files/f{i}.bin?n={i}"]
        assert (tx.method, tx.version, tx.status) == ("GET", "HTTP/2", 200)
        assert tx.host == "files.example.com"
        assert tx.user_agent == "h2-test/1.0"
        assert ("user-agent", "h2-test/1.0") in tx.request_headers
        assert not any(name.startswith(":") for name, _ in tx.request_headers)
        assert dict(tx.response_headers)["content-type"] == "x/bin"
        assert tx.file is not None and tx.file.complete
        assert tx.file.name == f"f{i}.bin"
        assert tx.file.size == len(bodies[stream_id])
        assert tx.file.sha256 == hashlib.sha256(bodies[stream_id]).hexdigest()
        assert tx.response_body == bodies[stream_id]
    # reported as each one ended: the smallest body first, the largest last
    assert (txs[0].uri, txs[-1].uri) == ("/files/f0.bin?n=0", "/files/f11.bin?n=11")


def test_concurrent_streams_share_the_flow_body_budget() -> None:
    """Fourteen 150 KB downloads at once: what their bodies keep comes out of HTTP/1's flow
    budget as it is kept (the first streams keep 100 KiB each, then what is left, then at
    least the minimum), while every file is hashed whole."""
    peers = Peers().start()
    bodies = {
        peers.request(request_headers(f"/d{i}")): random.Random(i).randbytes(150_000)
        for i in range(14)
    }
    peers.client_sends()
    for stream_id in bodies:
        peers.server.send_headers(stream_id, [(":status", "200")])
    for offset in range(0, 150_000, 2_000):
        for stream_id, body in bodies.items():
            end = offset + 2_000 >= len(body)
            peers.server.send_data(stream_id, body[offset : offset + 2_000], end_stream=end)
        peers.server_sends()
        peers.client_sends()
    txs, _, _ = run(peers)
    kept = [len(tx.response_body) for tx in txs]
    assert len(txs) == 14 and all(tx.file is not None and tx.file.complete for tx in txs)
    assert {tx.file.sha256 for tx in txs if tx.file} == {
        hashlib.sha256(b).hexdigest() for b in bodies.values()
    }
    assert max(kept) <= http.RESPONSE_BODY_KEEP and min(kept) >= http.RESPONSE_BODY_KEEP_MIN
    assert sum(kept) <= http.FLOW_BODY_BUDGET + 14 * http.RESPONSE_BODY_KEEP_MIN
    assert sum(kept) >= http.FLOW_BODY_BUDGET  # the budget is used, not reserved and lost
    for tx in txs:
        assert tx.response_body == bodies[2 * int(tx.uri[2:]) + 1][: len(tx.response_body)]


@pytest.mark.parametrize("mss", [1400, 977, 7])
def test_large_body_in_many_data_frames_and_segments(mss: int) -> None:
    """2 MiB in 16 KiB DATA frames, padded, many flow-control rounds, cut in segments that
    split frame headers and pad-length bytes anywhere."""
    size = 2 * 1024 * 1024 if mss > 100 else 36_000
    body = random.Random(mss).randbytes(size)
    peers = Peers(mss=mss).start()
    stream_id = peers.request(request_headers("/big/archive.zip"))
    peers.client_sends()
    peers.respond(stream_id, body, [("content-type", "application/zip")], pad=17)
    data_frames = [f for f in frames(sent(peers, False)) if isinstance(f, DataFrame)]
    assert len(data_frames) >= size // 16384 and all(f.pad_length == 17 for f in data_frames)
    (tx,), _, _ = run(peers)
    assert tx.file is not None
    assert tx.file.size == size
    assert tx.file.sha256 == hashlib.sha256(body).hexdigest()
    assert tx.file.md5 == hashlib.md5(body).hexdigest()
    assert tx.file.complete
    assert tx.response_body == body[: http.RESPONSE_BODY_KEEP]


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_body_is_hashed_decoded(coding: str) -> None:
    original = b"".join(b"line %d of a log that compresses well\n" % i for i in range(20_000))
    encoded = gzip.compress(original, mtime=0) if coding == "gzip" else zlib.compress(original)
    peers = Peers().start()
    stream_id = peers.request(request_headers("/logs/today.txt", accept_encoding=coding))
    peers.client_sends()
    peers.respond(stream_id, encoded, [("content-encoding", coding)])
    (tx,), _, _ = run(peers)
    assert tx.file is not None
    assert tx.file.sha256 == hashlib.sha256(original).hexdigest()
    assert tx.file.size == len(original) and tx.file.complete
    assert tx.response_body == original[: http.RESPONSE_BODY_KEEP]


def test_eicar_download_is_a_dangerous_file() -> None:
    peers = Peers().start()
    stream_id = peers.request(request_headers("/eicar.com"))
    peers.client_sends()
    peers.respond(stream_id, EICAR, [("content-disposition", 'attachment; filename="t.com"')])
    (tx,), _, _ = run(peers)
    assert tx.file is not None and tx.file.sha256 == EICAR_SHA256
    assert (tx.file.name, tx.file.magic) == ("t.com", "EICAR test file")
    (alert,) = DangerousFiles().app_event(tx)
    assert alert["evidence"]["url"] == "http://files.example.com/eicar.com"


def test_uploads_and_sign_ins_as_in_http1() -> None:
    """A login form POSTed in a request body (DATA from the client) and a Basic header: the
    same sign-in events HTTP/1 gives, with the answer's verdict."""
    peers = Peers().start()
    form = b"username=alice&password=s3cret&go=1"
    login = peers.request(
        request_headers(
            "/login", "POST", content_type="application/x-www-form-urlencoded", cookie="a=b"
        ),
        form,
    )
    basic = peers.request(request_headers("/admin", authorization="Basic Ym9iOmh1bnRlcjI="))
    put = peers.request(request_headers("/up/notes.txt", "PUT"), b"my notes")
    peers.client_sends()
    peers.respond(login, b"welcome", status=302)
    peers.respond(basic, b"no", status=401)
    peers.respond(put, b"", status=201)
    txs, _, events = run(peers)
    by_uri = {tx.uri: tx for tx in txs}
    assert by_uri["/login"].request_body == form
    assert by_uri["/up/notes.txt"].uploads[0].sha256 == hashlib.sha256(b"my notes").hexdigest()
    seen = {(e.protocol, e.username, e.success) for e in events if isinstance(e, CredentialSeen)}
    assert seen == {("http-form", "alice", None), ("http-basic", "bob", False)}


def test_headers_spanning_continuation_frames() -> None:
    """A 40 KB cookie: the client's header block does not fit one frame, so h2 sends HEADERS
    and CONTINUATIONs; the header arrives whole."""
    cookie = "session=" + random.Random(3).randbytes(20_000).hex()
    peers = Peers().start()
    stream_id = peers.request(request_headers("/with-cookie", cookie=cookie))
    peers.client_sends(mss=613)
    kinds = [type(f) for f in frames(sent(peers, True))]
    assert HeadersFrame in kinds and ContinuationFrame in kinds
    peers.respond(stream_id, b"ok")
    (tx,), _, _ = run(peers)
    assert dict(tx.request_headers)["cookie"] == cookie
    assert tx.status == 200 and tx.response_body == b"ok"


def test_push_promise_is_a_transaction_of_its_own() -> None:
    peers = Peers().start()
    stream_id = peers.request(request_headers("/index.html"))
    peers.client_sends()
    peers.server.push_stream(stream_id, 2, request_headers("/style.css"))
    peers.respond(stream_id, b"<link rel=stylesheet href=/style.css>")
    peers.respond(2, b"body { color: red }", [("content-type", "text/css")])
    txs, _, _ = run(peers)
    pushed = next(tx for tx in txs if tx.uri == "/style.css")
    assert (pushed.method, pushed.host, pushed.status) == ("GET", "files.example.com", 200)
    assert pushed.response_body == b"body { color: red }"
    assert {tx.uri for tx in txs} == {"/index.html", "/style.css"}


def test_reset_stream_and_goaway() -> None:
    """The client resets a download half-way (its file is incomplete); the server's GOAWAY
    says the last two requests were never processed (reported without an answer)."""
    peers = Peers().start()
    body = random.Random(5).randbytes(50_000)
    first = peers.request(request_headers("/movie.mp4"))
    peers.client_sends()
    peers.respond(first, body[:20_000], end=False)
    peers.client.reset_stream(first)
    peers.client_sends()
    assert any(isinstance(f, RstStreamFrame) for f in frames(sent(peers, True)))
    second = peers.request(request_headers("/a"))
    third = peers.request(request_headers("/b"))
    fourth = peers.request(request_headers("/c"))
    peers.client_sends()
    peers.respond(second, b"a")
    peers.server.close_connection(last_stream_id=second)
    peers.server_sends()
    txs, _, _ = run(peers)
    by_uri = {tx.uri: tx for tx in txs}
    movie = by_uri["/movie.mp4"]
    assert movie.file is not None and not movie.file.complete and movie.file.size == 20_000
    assert by_uri["/a"].status == 200
    assert (by_uri["/b"].status, by_uri["/c"].status) == (0, 0)
    assert (third, fourth) == (5, 7)
    assert [tx.uri for tx in txs] == ["/movie.mp4", "/a", "/b", "/c"]


def test_open_streams_are_bounded() -> None:
    """150 requests the server never answers: at most MAX_OPEN_STREAMS wait; the oldest are
    reported as they are, and every request is reported once."""
    peers = Peers(Conversation(server_port=8080).handshake())
    peers.client.initiate_connection()
    peers.client_sends()  # the client does not wait for the server's SETTINGS (no limit heard)
    c = peers.conversation
    for i in range(150):
        peers.request(request_headers(f"/r{i}"))
    peers.client_sends(read=False)  # a real h2 server would refuse streams past its 100
    parser = FlowParser(c.key)
    seen: list[HttpTransaction] = []
    for pkt in c.packets:
        ip = bytes(pkt.payload)
        seen += transactions(parser.packet(0, pkt.sport == c.client_port, ip))
        if isinstance(parser.app, Http2Parser):
            assert len(parser.app.streams) <= http2.MAX_OPEN_STREAMS
    assert len(seen) >= 150 - http2.MAX_OPEN_STREAMS
    seen += transactions(parser.close(1))
    assert parser.failure is None
    assert sorted(tx.uri for tx in seen) == sorted(f"/r{i}" for i in range(150))


def test_huge_header_lists_are_bounded() -> None:
    """600 headers: the transaction keeps the first 256 (HTTP/1's cap). A header block past
    MAX_HEADER_BLOCK stops the flow, after reporting what came before, never buffering it."""
    peers = Peers().start()
    many = [(f"x-h{i}", "v" * 40) for i in range(600)]
    small = peers.request(request_headers("/many") + many)
    peers.client_sends()
    peers.respond(small, b"fine")
    # 400 KB in HEADERS and CONTINUATIONs of 16 KiB, not Huffman-coded (hpack's Huffman coder
    # takes many seconds on a value this long; the frames are what h2 would send otherwise)
    huge = request_headers("/huge", x_big=random.Random(9).randbytes(200_000).hex())
    block = hpack.Encoder().encode(huge, huffman=False)
    pieces = [block[at : at + 16384] for at in range(0, len(block), 16384)]
    wire = HeadersFrame(5, data=pieces[0]).serialize()
    for n, piece in enumerate(pieces[1:], 2):
        flags = ["END_HEADERS"] if n == len(pieces) else []
        wire += ContinuationFrame(5, data=piece, flags=flags).serialize()
    peers.conversation.client(wire)
    c = peers.finish()
    parser = FlowParser(c.key)
    events: list = []
    largest = 0
    last: Http2Parser | None = None
    for pkt in c.packets:
        events += parser.packet(0, pkt.sport == c.client_port, bytes(pkt.payload))
        app = parser.app
        if isinstance(app, Http2Parser):
            last = app
            for side in app.sides.values():
                largest = max(largest, len(side.buf) + len(side.block or b""))
    events += parser.close(1)
    assert last is not None and last.stopped == "a header block too large to read"
    (tx,) = transactions(events)
    assert tx.uri == "/many" and tx.status == 200
    assert len(tx.request_headers) == 256
    assert tx.request_headers[1:] == tuple(many[: 256 - 1])  # user-agent, then x-h0...
    assert parser.failure is None and parser.dead
    assert largest <= http2.MAX_HEADER_BLOCK + http2.MAX_FRAME_BUFFER


def test_a_long_data_frame_streams_and_the_next_stream_is_read() -> None:
    """suricata-verify http2-long-frame in miniature: a DATA frame of 70,000 bytes (past the
    16 KiB default) is read without buffering it, and the request after it counts."""
    peers = Peers().start()
    first = peers.request(request_headers("/"))
    peers.client_sends()
    peers.server.send_headers(first, [(":status", "200")])
    peers.server_sends()
    long_frame = DataFrame(first, data=b"X" * 70_000, flags=["END_STREAM"]).serialize()
    peers.conversation.server(long_frame)
    peers.request(request_headers("/malware/payload.exe"))
    peers.client_sends()
    txs, _, _ = run(peers)
    assert [(tx.uri, tx.status) for tx in txs] == [("/", 200), ("/malware/payload.exe", 0)]
    assert txs[0].file is not None and txs[0].file.size == 70_000


def test_a_real_nghttp2_capture() -> None:
    """Wireshark's HTTP/2 sample (in suricata-verify's http2-keywords): nghttp2 fetching a page
    and its five files over h2c with prior knowledge, the server speaking first. Every body
    is whole and as long as the server's content-length says."""
    path = CORPUS / "suricata-verify" / "tests" / "http2-keywords" / "input.pcap"
    if not path.is_file():
        pytest.skip(f"no suricata-verify corpus at {path.parent.resolve()}")
    run = run_pcap(path)
    assert run.failures == []
    txs = run.of(HttpTransaction)
    assert [tx.uri.rsplit("/", 1)[-1] for tx in txs] == [
        "index.html",
        "theme.css",
        "theme.js",
        "doctools.js",
        "underscore.js",
        "jquery.js",
    ]
    for tx in txs:
        assert (tx.method, tx.version, tx.host, tx.status) == ("GET", "HTTP/2", "localhost", 200)
        assert tx.user_agent == "nghttp2/0.5.2-DEV"
        assert tx.file is not None and tx.file.complete
        assert tx.file.size == int(dict(tx.response_headers)["content-length"])
    assert txs[0].response_body.startswith(b"\n\n<!DOCTYPE html>")


# --- recognition ---------------------------------------------------------------------------


@pytest.mark.parametrize("one_segment", [False, True])
def test_h2c_upgrade_from_http1(one_segment: bool) -> None:
    """RFC 7540 3.2: GET with Upgrade: h2c, 101, then HTTP/2; the upgraded request is stream 1
    and is reported once, with the answer that came on stream 1. The 101 and the server's
    first frames may come in one segment."""
    peers = Peers()
    settings_header = peers.client.initiate_upgrade_connection()
    assert settings_header is not None
    upgrade = (
        b"GET /start?lang=en HTTP/1.1\r\nHost: upgrade.example\r\nUser-Agent: up/2\r\n"
        b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: " + settings_header + b"\r\n\r\n"
    )
    peers.conversation.client(upgrade)
    peers.server.initiate_upgrade_connection(settings_header)
    switching = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    if one_segment:
        peers.server.send_headers(1, [(":status", "200"), ("content-type", "text/plain")])
        peers.server.send_data(1, b"upgraded answer", end_stream=True)
        frames_out = peers.server.data_to_send()
        peers.conversation.server(switching + frames_out, mss=65000)
        peers.client.receive_data(frames_out)
        peers.client_sends()
    else:
        peers.conversation.server(switching)
        peers.server_sends()
        peers.client_sends()
        peers.respond(1, b"upgraded answer", [("content-type", "text/plain")])
    next_id = peers.request(request_headers("/second"))
    peers.client_sends()
    peers.respond(next_id, b"second answer")
    txs, parser, _ = run(peers)
    assert parser.protocol == "http2"
    assert [(tx.uri, tx.version, tx.status, tx.response_body) for tx in txs] == [
        ("/start?lang=en", "HTTP/2", 200, b"upgraded answer"),
        ("/second", "HTTP/2", 200, b"second answer"),
    ]
    assert (txs[0].host, txs[0].user_agent) == ("upgrade.example", "up/2")


def test_upgrade_to_something_else_is_not_http2() -> None:
    c = Conversation().handshake()
    c.client(b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    c.server(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello")
    events, parser = feed(c.key, c.finish().packets)
    (tx,) = transactions(events)
    assert (tx.version, tx.status) == ("HTTP/1.1", 101) and parser.protocol != "http2"


def test_preface_in_tiny_segments_after_a_server_that_speaks_first() -> None:
    """An h2c server may send its SETTINGS before the client's preface arrives; the preface
    then comes three bytes at a time, and its first line must not pass for an HTTP/1 request
    line ('PRI * HTTP/2.0')."""
    c = Conversation(server_port=8080).handshake()
    peers = Peers(c, mss=3)
    peers.client.initiate_connection()
    peers.server.initiate_connection()
    peers.server_sends(mss=1400)
    stream_id = peers.request(request_headers("/tiny"))
    peers.client_sends()
    peers.respond(stream_id, b"done", pad=3)
    txs, parser, _ = run(peers)
    assert parser.protocol == "http2"
    assert [(tx.method, tx.uri, tx.response_body) for tx in txs] == [("GET", "/tiny", b"done")]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_segments_out_of_order(seed: int) -> None:
    peers = Peers(Conversation(client_isn=2**32 - 500), mss=200).start()
    body = random.Random(seed).randbytes(40_000)
    stream_id = peers.request(request_headers("/shuffled"))
    peers.client_sends()
    peers.respond(stream_id, body)
    c = peers.finish()
    (tx,) = transactions(feed(c.key, shuffled_data(c.packets, seed) + c.packets[-3:])[0])
    assert tx.file is not None and tx.file.sha256 == hashlib.sha256(body).hexdigest()


def test_a_gap_inside_a_body_and_one_outside() -> None:
    """A lost segment inside a DATA payload: the file is incomplete, reading goes on. A lost
    segment that held frame headers: the flow stops, what came before is reported."""
    peers = Peers(mss=1000).start()
    body = random.Random(1).randbytes(10_000)
    first = peers.request(request_headers("/holed"))
    peers.client_sends()
    peers.server.send_headers(first, [(":status", "200")])
    peers.server.send_data(first, body, end_stream=True)
    before = len(peers.conversation.packets)
    peers.server_sends()
    lost = next(
        i
        for i, p in enumerate(peers.conversation.packets[before + 2 :], before + 2)
        if len(p["TCP"].payload)
    )
    second = peers.request(request_headers("/after"))
    peers.client_sends()
    peers.respond(second, b"still read")
    c = peers.finish()
    packets = [p for i, p in enumerate(c.packets) if i != lost]
    first_tx, second_tx = transactions(feed(c.key, packets)[0])
    assert first_tx.file is not None and not first_tx.file.complete
    assert first_tx.file.size == len(body)  # the hole counted, as HTTP/1 counts it
    assert (second_tx.uri, second_tx.response_body) == ("/after", b"still read")

    peers = Peers(mss=1000).start()
    a = peers.request(request_headers("/a"))
    peers.client_sends()
    peers.respond(a, b"A")
    cut = len(peers.conversation.packets)
    b = peers.request(request_headers("/b"))
    peers.client_sends()
    peers.respond(b, b"B")
    peers.request(request_headers("/c"))
    peers.client_sends()
    c = peers.finish()
    packets = [p for i, p in enumerate(c.packets) if i != cut]  # /b's HEADERS
    events, parser = feed(c.key, packets)
    txs = transactions(events)
    # /b's answer is kept though its request was lost (as HTTP/1 keeps such answers); /c, after
    # the hole in the client's bytes, is not read: its header block cannot be decoded blind.
    assert [(tx.method, tx.uri, tx.response_body) for tx in txs] == [
        ("GET", "/a", b"A"),
        ("", "", b"B"),
    ]
    assert parser.dead and parser.failure is None


# --- hostile bytes -------------------------------------------------------------------------


def _valid_start(client_port: int = 40000) -> Peers:
    peers = Peers(Conversation(client_port=client_port, server_port=8080).handshake()).start()
    stream_id = peers.request(request_headers("/before"))
    peers.client_sends()
    peers.respond(stream_id, b"fine")
    return peers


def _raw_frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return (
        len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream_id.to_bytes(4, "big")
    ) + payload


UNDECODABLE = "a header block that does not decode"
BAD_CLIENT_BYTES = {  # what the client sends after a good exchange, and why reading stops
    "hpack garbage": (_raw_frame(0x1, 0x5, 3, b"\xff\xff\xff\xff\xff\x7f\x00garbage"), UNDECODABLE),
    "index past the table": (_raw_frame(0x1, 0x5, 3, b"\xff\x80\x10"), UNDECODABLE),
    "table size past the limit": (_raw_frame(0x1, 0x5, 3, b"\x3f\xe1\xff\x03\x82"), UNDECODABLE),
    "padding longer than the frame": (
        _raw_frame(0x1, 0xC, 3, b"\xf0abc"),
        "a malformed HeadersFrame",
    ),
    "continuation without headers": (
        _raw_frame(0x9, 0x4, 3, b"\x82"),
        "a CONTINUATION outside a header block",
    ),
    "headers interrupted": (
        _raw_frame(0x1, 0x0, 3, b"\x82") + _raw_frame(0x0, 0x0, 3, b"x"),
        "a header block interrupted",
    ),
    "settings of 7 bytes": (
        _raw_frame(0x4, 0x0, 0, b"\x00\x01\x00\x00\x10\x00\x00"),
        "a malformed SettingsFrame",
    ),
    "headers on stream 0": (_raw_frame(0x1, 0x5, 0, b"\x82"), "a malformed frame header"),
    "a 16 MiB header frame": (
        b"\xff\xff\xff\x01\x04\x00\x00\x00\x03" + b"A" * 5000,
        "a header block frame too large to read",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CLIENT_BYTES))
def test_malformed_frames_stop_this_flow_only(case: str) -> None:
    """Bad frames or an HPACK block that does not decode: no exception, the earlier
    transaction is reported, the flow is read no further; a flow interleaved with it, packet
    by packet, is not affected."""
    bad_bytes, reason = BAD_CLIENT_BYTES[case]
    peers = _valid_start()
    peers.conversation.client(bad_bytes)
    stream_id = peers.request(request_headers("/after"))
    peers.client_sends()
    peers.respond(stream_id, b"not read")
    bad = peers.finish()
    good = _valid_start(40001).finish()
    parsers = {40000: FlowParser(bad.key), 40001: FlowParser(good.key)}
    events: dict[int, list] = {40000: [], 40001: []}
    h2_parser = None
    longest = max(len(bad.packets), len(good.packets))
    for n in range(longest):
        for packets in (bad.packets, good.packets):
            if n >= len(packets):
                continue
            pkt = packets[n]
            port = pkt.sport if pkt.sport != 8080 else pkt.dport
            events[port] += parsers[port].packet(0, pkt.sport == port, bytes(pkt.payload))
            if isinstance(parsers[40000].app, Http2Parser):
                h2_parser = parsers[40000].app
    for port, parser in parsers.items():
        events[port] += parser.close(1)
        assert parser.failure is None
    assert [tx.uri for tx in transactions(events[40000])] == ["/before"]
    assert parsers[40000].dead and h2_parser is not None
    assert h2_parser.stopped == reason
    assert [(tx.uri, tx.response_body) for tx in transactions(events[40001])] == [
        ("/before", b"fine")
    ]


def test_settings_raise_the_table_the_decoder_allows() -> None:
    """The client allows the server a 32 KiB HPACK table; the server's encoder uses it."""
    peers = Peers().start()
    peers.client.update_settings({SettingsFrame.HEADER_TABLE_SIZE: 32_768})
    peers.client_sends()
    peers.server_sends()
    stream_id = peers.request(request_headers("/t"))
    peers.client_sends()
    peers.respond(stream_id, b"x", [(f"x-r{i}", "v" * 500) for i in range(40)])
    stream_id = peers.request(request_headers("/u"))
    peers.client_sends()
    peers.respond(stream_id, b"y", [(f"x-r{i}", "v" * 500) for i in range(40)])
    settings_frames = [f for f in frames(sent(peers, True)) if isinstance(f, SettingsFrame)]
    assert settings_frames[-1].settings == {SettingsFrame.HEADER_TABLE_SIZE: 32_768}
    assert peers.server.encoder.header_table_size == 32_768
    txs, parser, _ = run(peers)
    assert [tx.uri for tx in txs] == ["/t", "/u"]
    assert len(txs[1].response_headers) == 40
    assert isinstance(parser.app, Http2Parser) and parser.app.stopped == ""


# --- property ------------------------------------------------------------------------------


def _script() -> list[tuple[bool, bytes]]:
    peers = Peers().start()
    streams = [
        peers.request(request_headers("/p1", cookie="c" * 300)),
        peers.request(request_headers("/p2", "POST", content_type="text/plain"), b"body" * 50),
    ]
    peers.client_sends()
    peers.respond(streams[0], gzip.compress(b"hello" * 300), [("content-encoding", "gzip")])
    peers.respond(streams[1], b"answer", pad=5)
    return peers.script


SCRIPT = _script()


def _packets(script: list[tuple[bool, bytes]], mss: int) -> list[tuple[bool, bytes]]:
    seq = {True: 1000, False: 5000}
    out = [
        (True, tcp_packet(True, 999, 0, 0x02, b"")),
        (False, tcp_packet(False, 4999, 1000, 0x12, b"")),
    ]
    for to_server, data in script:
        for start in range(0, len(data), mss):
            chunk = data[start : start + mss]
            out.append(
                (to_server, tcp_packet(to_server, seq[to_server], seq[not to_server], 0x18, chunk))
            )
            seq[to_server] += len(chunk)
        out.append(
            (
                not to_server,
                tcp_packet(not to_server, seq[not to_server], seq[to_server], 0x10, b""),
            )
        )
    return out


def test_the_property_script_is_valid() -> None:
    parser = FlowParser(FlowKey("10.0.0.2", 40000, "10.0.0.1", 80, 6))
    events = []
    for to_server, packet in _packets(SCRIPT, 500):
        events += parser.packet(0, to_server, packet)
    events += parser.close(1)
    txs = transactions(events)
    assert [(tx.uri, tx.status) for tx in txs] == [("/p1", 200), ("/p2", 200)]
    assert txs[0].response_body == b"hello" * 300 and txs[1].request_body == b"body" * 50


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.integers(min_value=0, max_value=len(SCRIPT) - 1),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.sampled_from(["flip", "insert", "delete", "byte"]),
            st.binary(min_size=1, max_size=12),
        ),
        min_size=1,
        max_size=6,
    ),
    mss=st.sampled_from([7, 100, 1400]),
)
def test_mutated_h2_never_raises(message: int, edits, mss: int) -> None:  # type: ignore[no-untyped-def]
    script = list(SCRIPT)
    to_server, data = script[message]
    buf = bytearray(data)
    for at, how, blob in edits:
        at %= len(buf) + 1
        if how == "flip" and at < len(buf):
            buf[at] ^= blob[0] or 0x80
        elif how == "byte" and at < len(buf):
            buf[at] = blob[0]
        elif how == "insert":
            buf[at:at] = blob
        else:
            del buf[at : at + len(blob)]
    script[message] = (to_server, bytes(buf))
    parser = FlowParser(FlowKey("10.0.0.2", 40000, "10.0.0.1", 80, 6))
    for side, packet in _packets(script, mss):
        parser.packet(0, side, packet)
    parser.close(1)
    assert parser.failure is None


@settings(max_examples=300, deadline=None)
@given(
    chunks=st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from([b"", http2.PREFACE, SCRIPT[0][1][:40], SCRIPT[1][1][:30]]),
            st.binary(max_size=200),
            st.integers(min_value=0, max_value=40),
        ),
        max_size=20,
    )
)
def test_parser_on_random_frames_and_gaps(chunks) -> None:  # type: ignore[no-untyped-def]
    parser = Http2Parser(FlowKey("10.0.0.2", 40000, "10.0.0.1", 80, 6))
    for to_server, head, data, gap in chunks:
        if gap:
            parser.gap(to_server, gap, 0)
        parser.feed(to_server, head + data, 0)
    parser.close(0)
