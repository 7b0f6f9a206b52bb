"""Fixtures for the web-protection console: the cast, a data dir, lists on disk and over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from tests.cast import cast, client_as, owner_client  # noqa: F401 - fixtures

# One small list per format the parser knows; each blocks the names in BLOCKED[format].
LISTS = {
    "hosts": "# a hosts file\n0.0.0.0 hosts-bad.example\n0.0.0.0 localhost\n127.0.0.1\n",
    "domains": "plain-bad.example\n*.wild-bad.example\nnot a domain\n",
    "adblock": "[Adblock Plus 2.0]\n||adblock-bad.example^\nexample.com##.banner\n"
    "@@||ok.adblock-bad.example^\n||tracker.example^$script\n",
    "rpz": "$ORIGIN rpz.example.\n$TTL 300\n@ SOA ns.rpz.example. admin.rpz.example. 1 3600 600 86400 300\n"
    "@ NS ns.rpz.example.\nzone-bad.example CNAME .\n*.zone-bad.example CNAME .\n"
    "32.1.0.0.10.rpz-ip CNAME .\n",
    "eth-phishing-json": '{"blacklist": ["eth-bad.example", "not a domain"],'
    ' "whitelist": ["eth-good.example"], "fuzzylist": ["metamask.io"]}',
}
BLOCKED = {
    "hosts": "hosts-bad.example",
    "domains": "plain-bad.example",
    "adblock": "adblock-bad.example",
    "rpz": "zone-bad.example",
    "eth-phishing-json": "eth-bad.example",
}


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """The station's data dir (lists cache, uploads) is a fresh directory per test."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture
def list_file(tmp_path: Path):
    """Write a list file into tmp_path: list_file("bad.example\\n") -> its path as a string."""

    def write(text: str, name: str = "list.txt") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@dataclass
class ListServer:
    """Lists served over HTTP on loopback; set `status[path]` to make a path fail."""

    base: str = ""
    files: dict[str, str] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def list_server() -> Iterator[ListServer]:
    served = ListServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            served.hits.append(self.path)
            status = served.status.get(self.path, 200 if self.path in served.files else 404)
            body = served.files.get(self.path, "").encode() if status == 200 else b"no"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def viewer(db: Any, django_user_model: Any) -> Any:
    """Signed in with inventory.view_device only: may look at the console, not change it."""
    user = django_user_model.objects.create_user("viewer@example.com")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="inventory", codename="view_device")
    )
    return user
