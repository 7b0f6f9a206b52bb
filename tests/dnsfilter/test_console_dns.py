"""End to end: `lanward dns serve --console` reads the console's database and logs to it.

The resolver runs as a subprocess against a database prepared here (a list, a device at
127.0.0.1 owned by a member whose log privacy is "hidden"); its upstream is a tiny dnspython
server in this process; queries are made with dnspython.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.xdist_group("dns")

UPSTREAM_ADDRESS = "93.184.216.34"  # public, so rebinding protection lets it through

PREPARE = """
import json
from django.utils import timezone
from lanward.dnsfilter.models import BlockListSource, MemberPolicy
from lanward.inventory.models import Device, Member

BlockListSource.objects.create(name="Bad list", source={list_path!r}, category="malware")
kid = Member.objects.create(name="Kid")
MemberPolicy.objects.create(member=kid, blocked_categories=["malware"], privacy="hidden")
tablet = Device.objects.create(
    mac="02:00:00:00:00:01", first_seen=timezone.now(), last_seen=timezone.now(),
    ips=["127.0.0.1"], owner=kid, name="Kid's tablet",
)
print(json.dumps({{"device": tablet.pk, "member": kid.pk}}))
"""


class Upstream:
    """Answers every A query with UPSTREAM_ADDRESS; remembers what it was asked."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.asked: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            question = query.question[0]
            self.asked.append(question.name.to_text().rstrip("."))
            response = dns.message.make_response(query)
            if question.rdtype == dns.rdatatype.A:
                response.answer.append(
                    dns.rrset.from_text(question.name, 60, "IN", "A", UPSTREAM_ADDRESS)
                )
            self.sock.sendto(response.to_wire(), peer)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    server.thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.thread.join(timeout=2)
        server.sock.close()


def station_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LANWARD_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(LANWARD_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


def lanward(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lanward.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.1)


def ask(port: int, name: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=3)


def test_console_mode_filters_and_logs_to_the_database(tmp_path, upstream):
    data_dir = tmp_path / "station"
    list_path = tmp_path / "bad.txt"
    list_path.write_text("bad.example\n")
    env = station_env(data_dir)
    lanward(env, "manage", "migrate", "--noinput", "-v", "0")
    prepare = PREPARE.format(list_path=str(list_path))
    ids = json.loads(lanward(env, "manage", "shell", "-v", "0", "-c", prepare).splitlines()[-1])

    port = free_port()
    log_path = tmp_path / "dns.log"
    with log_path.open("w") as log:
        resolver = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lanward.cli",
                "dns",
                "serve",
                "--console",
                "--listen",
                f"127.0.0.1:{port}",
                "--upstream",
                f"127.0.0.1:{upstream.port}",
                "--watch-seconds",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: "lanward dns: ready" in log_path.read_text() or resolver.poll() is not None,
            20,
            "the resolver did not start",
        )
        assert resolver.poll() is None, log_path.read_text()

        blocked = ask(port, "www.bad.example")
        allowed = ask(port, "good.example")

        assert blocked.rcode() == dns.rcode.NXDOMAIN
        assert blocked.answer == []
        assert allowed.rcode() == dns.rcode.NOERROR
        assert [r.to_text() for r in allowed.answer[0]] == [UPSTREAM_ADDRESS]
        assert upstream.asked == ["good.example"]  # the blocked name never left the station

        def logged() -> list[tuple]:
            with sqlite3.connect(data_dir / "lanward.sqlite3") as db:
                return db.execute(
                    "SELECT client, device_id, member_id, name, qtype, action, list_name, category"
                    " FROM dnsfilter_querylog ORDER BY action"
                ).fetchall()

        rows = wait_for(lambda: len(logged()) >= 2 and logged(), 5, "no query log rows")

        # A list added in the console applies within seconds, without a restart.
        later = tmp_path / "later.txt"
        later.write_text("later.example\n")
        add = (
            "from lanward.dnsfilter.models import BlockListSource\n"
            f"BlockListSource.objects.create(name='Later', source={str(later)!r}, category='malware')"
        )
        lanward(env, "manage", "shell", "-v", "0", "-c", add)
        wait_for(
            lambda: ask(port, "www.later.example").rcode() == dns.rcode.NXDOMAIN,
            15,
            "a list added in the console was not applied",
        )
    finally:
        resolver.terminate()
        try:
            resolver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            resolver.kill()

    device, member = ids["device"], ids["member"]
    assert rows[:2] == [
        ("127.0.0.1", device, member, "", "A", "allowed", "", ""),
        ("127.0.0.1", device, member, "", "A", "blocked", "Bad list", "malware"),
    ]
    assert resolver.returncode == 0, log_path.read_text()
    with sqlite3.connect(data_dir / "lanward.sqlite3") as db:
        source = db.execute(
            "SELECT format, entries, last_error FROM dnsfilter_blocklistsource ORDER BY id"
        ).fetchone()
    assert source == ("domains", 1, "")
