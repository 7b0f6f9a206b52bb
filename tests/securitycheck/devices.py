"""Small real servers on loopback that stand in for home devices in these tests.

Each listens on 127.0.0.x at a free port and answers like the product it plays: an FTP
greeting (vsftpd 2.3.4 or a fixed version), an HTTP server naming itself lighttpd/1.4.35,
a Telnet login prompt, or a tarpit that accepts and never answers (to keep a scan busy).
"""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class _Threaded(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Greeting(socketserver.BaseRequestHandler):
    """Speaks first, then refuses every login (no password ever works here)."""

    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            self.request.sendall(self.server.greeting)  # type: ignore[attr-defined]
            while data := self.request.recv(1024):
                if data.upper().startswith(b"QUIT"):
                    self.request.sendall(b"221 Goodbye.\r\n")
                    return
                self.request.sendall(self.server.reply)  # type: ignore[attr-defined]
        except OSError:
            pass


class _Tarpit(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while not self.server.stopping.is_set():  # type: ignore[attr-defined]
            time.sleep(0.1)


def _http_handler(server_header: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = server_header
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = b"<html><head><title>Camera</title></head><body>hello</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def _serve(server: socketserver.TCPServer) -> Iterator[int]:
    server.stopping = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.stopping.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@contextmanager
def ftp(version: str = "2.3.4", host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    server = _Threaded((host, port), _Greeting)
    server.greeting = f"220 (vsFTPd {version})\r\n".encode()  # type: ignore[attr-defined]
    server.reply = b"530 Login incorrect.\r\n"  # type: ignore[attr-defined]
    with _serve(server) as bound:
        yield bound


@contextmanager
def telnet(host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    server = _Threaded((host, port), _Greeting)
    # IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, then a login prompt
    server.greeting = b"\xff\xfb\x01\xff\xfb\x03\r\nBusyBox v1.19.4 (2014-03-12)\r\nlogin: "  # type: ignore[attr-defined]
    server.reply = b"\r\nLogin incorrect\r\nlogin: "  # type: ignore[attr-defined]
    with _serve(server) as bound:
        yield bound


@contextmanager
def web(
    server_header: str = "lighttpd/1.4.35", host: str = "127.0.0.1", port: int = 0
) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer((host, port), _http_handler(server_header))
    server.daemon_threads = True
    with _serve(server) as bound:
        yield bound


@contextmanager
def tarpit(host: str = "127.0.0.1") -> Iterator[int]:
    server = _Threaded((host, 0), _Tarpit)
    with _serve(server) as bound:
        yield bound


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def pyftpd(
    users: dict[str, str], anonymous: bool = False, host: str = "127.0.0.1"
) -> Iterator[int]:
    """A real FTP server (pyftpdlib) with these accounts."""
    import tempfile

    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer

    home = tempfile.mkdtemp(prefix="lanward-ftp-")
    authorizer = DummyAuthorizer()
    for user, password in users.items():
        authorizer.add_user(user, password, home)
    if anonymous:
        authorizer.add_anonymous(home)

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.banner = "vsFTPd 3.0.5 ready"
    server = ThreadedFTPServer((host, 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"timeout": 0.1, "blocking": True}, daemon=True
    )
    thread.start()
    try:
        yield server.address[1]
    finally:
        server.close_all()
