"""lib/webhook.py: where webhooks may go, the Standard Webhooks signature, and the POST against
a real receiver on 127.0.0.1 (success, server errors, refusals, redirects, silence)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from lanward.lib import webhook
from tests.notify.receiver import Receiver, verify

LOOPBACK = webhook.parse_networks(["127.0.0.1/32"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


# --- Where a webhook may go -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.com/hook", "starts with https:// (or http://), not ftp://"),
        ("javascript:alert(1)", "starts with https:// (or http://)"),
        ("hooks.example.com/lanward", "e.g. https://hooks.example.com/lanward"),
        ("https:///nohost", "has no host name"),
        ("https://user:pw@203.0.113.5/hook", "Don't put a user name or password"),
        ("https://203.0.113.5:99999/hook", "not a valid web address"),
    ],
)
def test_bad_urls_are_refused_with_what_to_do(url: str, says: str) -> None:
    with pytest.raises(webhook.TargetError, match=says.replace("(", r"\(").replace(")", r"\)")):
        webhook.check_target(url, [])


@pytest.mark.parametrize(
    "address",
    [
        "192.168.1.10",
        "10.0.0.5",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_home_network_and_special_addresses_are_refused(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(webhook.TargetError, match="LANWARD_WEBHOOK_ALLOWED_NETS="):
        webhook.check_target(f"http://{host}/hook", [])


def test_an_allowed_network_opens_the_home_network_address() -> None:
    allowed = webhook.parse_networks(["192.168.1.0/24"])
    webhook.check_target("http://192.168.1.10:8123/api/webhook/x", allowed)
    with pytest.raises(webhook.TargetError):
        webhook.check_target("http://192.168.2.10/x", allowed)


def test_public_addresses_are_fine() -> None:
    # Only checked, never contacted.
    webhook.check_target("https://9.9.9.9/hook", [])
    webhook.check_target("https://[2620:fe::fe]:8443/hook", [])


def test_documentation_ranges_are_not_internet_addresses() -> None:
    with pytest.raises(webhook.TargetError, match="203.0.113.5 is not an internet address"):
        webhook.check_target("https://203.0.113.5/hook", [])


def test_bad_allowed_networks_entry_is_named() -> None:
    with pytest.raises(ValueError, match="'home' is not an address or network"):
        webhook.parse_networks(["home"])


def test_localhost_by_name_resolves_to_loopback_and_is_refused() -> None:
    with pytest.raises(webhook.TargetError, match=r"localhost \(127\.0\.0\.1\)|localhost \(::1\)"):
        webhook.check_target("http://localhost:8080/hook", [])


# --- The signature ---------------------------------------------------------------------------


def test_signature_verifies_with_the_documented_recipe_and_the_standard_library() -> None:
    secret = webhook.new_secret()
    assert secret.startswith("whsec_")
    body = b'{"title":"N\xc3\xa4he"}'
    now = int(time.time())
    headers = webhook.sign(secret, "lanward-7", now, body)
    assert headers["webhook-id"] == "lanward-7"
    assert headers["webhook-timestamp"] == str(now)
    assert verify(secret, headers, body)
    assert Webhook(secret).verify(body, headers) == {"title": "Nähe"}


def test_signature_fails_for_another_body_secret_or_an_old_timestamp() -> None:
    secret = webhook.new_secret()
    body = b'{"a":1}'
    headers = webhook.sign(secret, "lanward-1", int(time.time()), body)
    assert not verify(secret, headers, b'{"a":2}')
    assert not verify(webhook.new_secret(), headers, body)
    old = webhook.sign(secret, "lanward-1", int(time.time()) - 3600, body)
    assert not verify(secret, old, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, old)


def test_signing_uses_the_given_time_not_the_clock() -> None:
    secret = webhook.new_secret()
    at = datetime(2030, 1, 1, tzinfo=UTC)
    headers = webhook.sign(secret, "x", int(at.timestamp()), b"{}")
    assert Webhook(secret).sign("x", at, "{}") == headers["webhook-signature"]
    assert (
        Webhook(secret).sign("x", at + timedelta(seconds=1), "{}") != headers["webhook-signature"]
    )


# --- The POST -------------------------------------------------------------------------------


def test_post_sends_signed_json(receiver: Receiver) -> None:
    secret = webhook.new_secret()
    sent = webhook.post(receiver.url, {"title": "hi"}, secret, "lanward-1", allowed=LOOPBACK)
    assert sent.status == 200
    (request,) = receiver.requests
    assert request.path == "/hooks/lanward"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"title": "hi"}
    assert verify(secret, request.headers, request.body)


def test_post_refuses_loopback_unless_allowed(receiver: Receiver) -> None:
    with pytest.raises(webhook.WebhookError) as caught:
        webhook.post(receiver.url, {}, webhook.new_secret(), "x")
    assert caught.value.permanent
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("code", "permanent"),
    [(500, False), (503, False), (429, False), (408, False), (404, True), (401, True), (410, True)],
)
def test_post_failures_say_whether_retrying_helps(
    receiver: Receiver, code: int, permanent: bool
) -> None:
    receiver.answer(code)
    with pytest.raises(webhook.WebhookError, match=f"HTTP {code}") as caught:
        webhook.post(receiver.url, {}, webhook.new_secret(), "x", allowed=LOOPBACK)
    assert caught.value.permanent is permanent
    assert caught.value.status == code


def test_post_does_not_follow_redirects() -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("location", "http://192.168.1.1/")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(
            webhook.WebhookError, match="redirects .* to http://192.168.1.1/"
        ) as caught:
            webhook.post(
                f"http://127.0.0.1:{server.server_address[1]}/",
                {},
                webhook.new_secret(),
                "x",
                allowed=LOOPBACK,
            )
        assert caught.value.permanent
    finally:
        server.shutdown()
        server.server_close()


def test_post_to_a_closed_port_is_a_retryable_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(webhook.WebhookError, match="could not connect") as caught:
        webhook.post(f"http://127.0.0.1:{port}/", {}, webhook.new_secret(), "x", allowed=LOOPBACK)
    assert not caught.value.permanent


def test_post_to_a_silent_receiver_times_out() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        started = time.monotonic()
        with pytest.raises(webhook.WebhookError, match="did not answer within 0.5 s"):
            webhook.post(
                f"http://127.0.0.1:{silent.getsockname()[1]}/",
                {},
                webhook.new_secret(),
                "x",
                allowed=LOOPBACK,
                timeout=0.5,
            )
        assert time.monotonic() - started < 5
    finally:
        silent.close()
