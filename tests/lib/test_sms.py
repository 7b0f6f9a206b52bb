"""The SMS providers: a log file and a generic HTTP gateway (tested against a local server)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from lanward.lib.sms import HttpSMS, LogFileSMS, SMSError


@pytest.fixture
def gateway():
    received = []

    class Handler(BaseHTTPRequestHandler):
        status = 200

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(self.server.status)  # type: ignore[attr-defined]
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.status = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, received
    server.shutdown()


def test_log_provider_appends_json_lines(tmp_path):
    path = tmp_path / "sub" / "sms.log"
    provider = LogFileSMS(path)
    provider.send("+14155552671", "Your code is 123456")
    provider.send("+14155552672", "second")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["to"] for line in lines] == ["+14155552671", "+14155552672"]
    assert lines[0]["text"] == "Your code is 123456"


def test_log_provider_reports_an_unwritable_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SMSError, match="could not write"):
        LogFileSMS(blocker / "sms.log").send("+1", "x")


def test_http_provider_posts_the_template_with_auth(gateway):
    server, received = gateway
    url = f"http://127.0.0.1:{server.server_port}/send"
    provider = HttpSMS(
        url=url,
        body_template='{"to": "{to}", "message": "{text}", "from": "lanward"}',
        auth_header="Bearer s3cret",
    )
    provider.send("+14155552671", 'Code "42"\nbye')
    assert len(received) == 1
    request = received[0]
    assert request["path"] == "/send"
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert json.loads(request["body"]) == {
        "to": "+14155552671",
        "message": 'Code "42"\nbye',
        "from": "lanward",
    }


def test_http_provider_form_encoding(gateway):
    server, received = gateway
    provider = HttpSMS(
        url=f"http://127.0.0.1:{server.server_port}/",
        body_template="To={to}&Body={text}",
        content_type="application/x-www-form-urlencoded",
    )
    provider.send("+14155552671", "a&b c")
    assert received[0]["body"] == b"To=%2B14155552671&Body=a%26b+c"


def test_http_provider_gateway_refusal_is_permanent(gateway):
    server, _ = gateway
    server.status = 401
    provider = HttpSMS(url=f"http://127.0.0.1:{server.server_port}/", body_template="{to}")
    with pytest.raises(SMSError, match="HTTP 401") as info:
        provider.send("+1", "x")
    assert info.value.permanent


def test_http_provider_unreachable_gateway_is_temporary():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = HttpSMS(url=f"http://127.0.0.1:{port}/", body_template="{to}", timeout=2)
    with pytest.raises(SMSError, match="could not reach") as info:
        provider.send("+1", "x")
    assert not info.value.permanent


def test_http_provider_refuses_non_http_urls():
    with pytest.raises(SMSError, match="http"):
        HttpSMS(url="file:///etc/passwd", body_template="{to}").send("+1", "x")
