"""A TCP relay on loopback that records a real client-server conversation, for the parser tests
(and `edited`, the damage the fuzz tests do to such a recording).

client -> relay -> server: the test points a real client at `Relay(server_port).port`; the relay
forwards every byte and keeps each side's bytes in the order they came (`chunks`), which the
test then plays to a FlowParser as TCP packets (build.Conversation). One connection per relay.
"""

from __future__ import annotations

import selectors
import socket
import threading

from hypothesis import strategies as st


class Relay:
    """client -> relay -> server on loopback; `chunks` is what each side sent, in order."""

    def __init__(self, server_port: int, timeout: float = 10) -> None:
        self.server_port = server_port
        self.timeout = timeout
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.chunks: list[tuple[bool, bytes]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", self.server_port), timeout=self.timeout)
        peers = {client: (server, True), server: (client, False)}
        sel = selectors.DefaultSelector()
        for sock in peers:
            sel.register(sock, selectors.EVENT_READ)
        open_sides = 2
        while open_sides:
            for key, _ in sel.select(timeout=self.timeout):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                other, to_server = peers[sock]
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    sel.unregister(sock)
                    try:
                        other.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass  # the other side is already gone
                    open_sides -= 1
                    continue
                self.chunks.append((to_server, data))
                other.sendall(data)
        client.close()
        server.close()
        self.listener.close()

    def join(self, timeout: float = 30) -> list[tuple[bool, bytes]]:
        self.thread.join(timeout=timeout)
        assert not self.thread.is_alive(), "the relay did not finish"
        return self.chunks


def edited(data: st.DataObject, stream: bytes) -> bytes:
    """`stream` with up to 12 random edits (a cut of up to 64 bytes and an insert at a random
    place each): the recorded bytes of a real session, damaged, for the parsers' fuzz tests."""
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(stream)), st.integers(0, 64), st.binary(max_size=64)),
            max_size=12,
        )
    )
    for at, cut, insert in edits:
        stream = stream[:at] + insert + stream[at + cut :]
    return stream
