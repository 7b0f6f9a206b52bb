"""The station's portal client against a real local HTTP peer: a portal whose token does not
check out is refused, errors say what to do, the pairing file round-trips."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lanward.lib import license_token as tokens
from lanward.lib import portal_client
from lanward.lib.portal_client import PortalError
from tests.conftest import free_port

STATION = "5a0c1e7d-2222-4333-8444-555566667777"
PORTAL_KEY = Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def token(key: Ed25519PrivateKey = PORTAL_KEY, station: str = STATION) -> str:
    now = int(time.time())
    return tokens.sign(
        key,
        {
            "lid": 1,
            "plan": "home-1y",
            "seats": 3,
            "sid": station,
            "iat": now,
            "exp": now + 86400,
            "lic_exp": now + 300 * 86400,
        },
    )


class FakePortal:
    """Answers each POST with the next scripted (status, body); records what it was sent."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []


@pytest.fixture
def portal() -> Iterator[tuple[str, FakePortal]]:
    fake = FakePortal()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            fake.requests.append((self.path, dict(self.headers), body))
            status, answer = fake.answers.pop(0)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()


def paired_answer(key: Ed25519PrivateKey = PORTAL_KEY, published: Ed25519PrivateKey = PORTAL_KEY):
    return 201, {
        "station_id": STATION,
        "secret": "s3cret",
        "license_token": token(key),
        "public_key": pem(published),
    }


def test_pair_heartbeat_save_and_load(portal, tmp_path):
    url, fake = portal
    fake.answers = [paired_answer(), (200, {"license_token": token(), "license_status": "active"})]
    pairing = portal_client.pair(url + "/", "ABCD-EFGH", "Attic")
    assert fake.requests[0][0] == "/api/v1/stations/pair"
    assert fake.requests[0][2] == {"pairing_code": "ABCD-EFGH", "name": "Attic"}
    assert pairing.verify().seats == 3
    portal_client.heartbeat(pairing, "1.2.3")
    path, headers, body = fake.requests[1]
    assert path == f"/api/v1/stations/{STATION}/heartbeat"
    assert headers["Authorization"] == "Bearer s3cret" and body == {"version": "1.2.3"}
    saved = tmp_path / "pairing.json"
    portal_client.save(pairing, saved)
    assert portal_client.load(saved) == pairing


def test_a_portal_whose_token_does_not_match_its_key_is_refused(portal):
    url, fake = portal
    fake.answers = [paired_answer(key=Ed25519PrivateKey.generate())]
    with pytest.raises(tokens.TokenError) as info:
        portal_client.pair(url, "ABCD-EFGH", "Attic")
    assert info.value.reason == "signature"


def test_the_portals_refusal_is_passed_on(portal):
    url, fake = portal
    fake.answers = [
        (409, {"code": "no_seats", "detail": "All 3 seats of your license are in use."})
    ]
    with pytest.raises(PortalError, match="All 3 seats"):
        portal_client.pair(url, "ABCD-EFGH", "Attic")


def test_an_unreachable_portal_says_so():
    with pytest.raises(PortalError, match="could not reach the portal"):
        portal_client.pair(f"http://127.0.0.1:{free_port()}", "ABCD-EFGH", "Attic")


def test_only_http_portals():
    with pytest.raises(PortalError, match="must start with http:// or https://"):
        portal_client.pair("file:///etc/passwd", "ABCD-EFGH", "Attic")


def test_a_missing_or_damaged_pairing_file_says_what_to_do(tmp_path):
    with pytest.raises(PortalError, match="not paired yet"):
        portal_client.load(tmp_path / "none.json")
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json")
    with pytest.raises(PortalError, match="damaged; pair the station again"):
        portal_client.load(damaged)
