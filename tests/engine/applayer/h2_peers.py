"""Real HTTP/2 for the parser's tests: a hyper-h2 client and server (H2Connection), each side
reading what the other wrote, their bytes laid out as one TCP conversation; and hyperframe to
look at the frames they sent."""

from __future__ import annotations

from collections.abc import Iterable

import h2.config
import h2.connection
import h2.events
from hyperframe.frame import Frame

from lanward.engine.applayer import FlowParser, http2
from lanward.engine.events import HttpTransaction
from tests.engine.applayer.build import Conversation, feed

Headers = list[tuple[str, str]]


def transactions(events: list) -> list[HttpTransaction]:
    return [e for e in events if isinstance(e, HttpTransaction)]


def request_headers(path: str, method: str = "GET", **extra: str) -> Headers:
    headers = [
        (":method", method),
        (":path", path),
        (":scheme", "http"),
        (":authority", "Files.Example.COM:8080"),
        ("user-agent", "h2-test/1.0"),
    ]
    return headers + [(k.replace("_", "-"), v) for k, v in extra.items()]


class Peers:
    """An h2 client and an h2 server talking through a Conversation (the capture).

    `client_sends()` / `server_sends()` move what a side wrote to the other side (which reads
    it, as the real peer would) and into the capture; `script` keeps the same bytes in order
    for tests that build their own packets.
    """

    def __init__(self, conversation: Conversation | None = None, mss: int = 1400) -> None:
        self.conversation = conversation or Conversation(server_port=8080).handshake()
        self.mss = mss
        self.client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.server = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.script: list[tuple[bool, bytes]] = []
        self.requests: dict[int, Headers] = {}

    def start(self) -> Peers:
        self.client.initiate_connection()
        self.server.initiate_connection()
        self.client_sends()
        self.server_sends()
        self.client_sends()
        return self

    def _move(
        self, to_server: bool, mss: int | None = None, read: bool = True
    ) -> list[h2.events.Event]:
        sender, receiver = (self.client, self.server) if to_server else (self.server, self.client)
        data = sender.data_to_send()
        if not data:
            return []
        self.script.append((to_server, data))
        self.conversation.send(to_server, data, mss or self.mss)
        if not read:
            return []
        events = receiver.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self.requests[event.stream_id] = [(str(k), str(v)) for k, v in event.headers or []]
            if isinstance(event, h2.events.DataReceived) and event.stream_id:
                receiver.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        return events

    def client_sends(self, mss: int | None = None, read: bool = True) -> list[h2.events.Event]:
        """What the client wrote goes on the wire; the server reads it unless `read` is off
        (bytes a real server would refuse to read, sent to see what the parser does)."""
        return self._move(True, mss, read)

    def server_sends(self, mss: int | None = None) -> list[h2.events.Event]:
        return self._move(False, mss)

    def request(self, headers: Headers, body: bytes = b"") -> int:
        stream_id = self.client.get_next_available_stream_id()
        self.client.send_headers(stream_id, headers, end_stream=not body)
        if body:
            self.send_body(self.client, stream_id, body)
        return stream_id

    def respond(
        self,
        stream_id: int,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
        status: int = 200,
        pad: int = 0,
        end: bool = True,
    ) -> None:
        self.server.send_headers(stream_id, [(":status", str(status)), *headers])
        self.send_body(self.server, stream_id, body, pad=pad, end=end)

    def send_body(
        self,
        sender: h2.connection.H2Connection,
        stream_id: int,
        body: bytes,
        pad: int = 0,
        end: bool = True,
    ) -> None:
        """The body in DATA frames as large as the frame size and flow control allow; the
        receiver's WINDOW_UPDATEs go back and forth as needed."""
        to_server = sender is self.client
        while body:
            window = sender.local_flow_control_window(stream_id)
            overhead = pad + 1 if pad else 0
            size = min(window, sender.max_outbound_frame_size) - overhead
            if size <= 0:
                self._move(to_server)
                self._move(not to_server)
                continue
            chunk, body = body[:size], body[size:]
            sender.send_data(stream_id, chunk, end_stream=end and not body, pad_length=pad or None)
        self._move(to_server)

    def finish(self) -> Conversation:
        return self.conversation.finish()


def run(peers: Peers) -> tuple[list[HttpTransaction], FlowParser, list]:
    c = peers.finish()
    events, parser = feed(c.key, c.packets)
    return transactions(events), parser, events


def frames(data: bytes) -> list[Frame]:
    """The frames of one direction's bytes (after the client preface), read with hyperframe."""
    if data.startswith(http2.PREFACE):
        data = data[len(http2.PREFACE) :]
    out = []
    while len(data) >= 9:
        frame, length = Frame.parse_frame_header(memoryview(data[:9]))
        frame.parse_body(memoryview(data[9 : 9 + length]))
        out.append(frame)
        data = data[9 + length :]
    return out


def sent(peers: Peers, to_server: bool) -> bytes:
    return b"".join(data for side, data in peers.script if side == to_server)
