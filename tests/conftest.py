"""Shared test fixtures: a real SMTP server, a real running lanward server, a real browser.

- `smtp_server`: an aiosmtpd server on loopback that keeps every message it receives.
- `live_server_proc`: `lanward serve` in a subprocess with its own data dir, its own database
  (a new PostgreSQL database when DATABASE_URL is set, else a new SQLite file) and mail going to
  `smtp_server`. One per pytest worker (session scope).
- `browser`: Playwright driving Debian's chromium (never a downloaded browser).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Messages received by the test SMTP server, oldest first."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def add(self, raw: bytes) -> None:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.lock.notify_all()

    def for_address(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(
        self, address: str, subject_contains: str = "", timeout: float = 15.0, after: int = 0
    ) -> EmailMessage:
        """The first message to `address` (the `after`-th on) whose subject contains the text."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [
                    m
                    for m in self.messages
                    if address.lower() in str(m["To"]).lower()
                    and subject_contains.lower() in str(m["Subject"]).lower()
                ]
                if len(found) > after:
                    return found[after]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [(m["To"], m["Subject"]) for m in self.messages]
                    raise AssertionError(
                        f"no mail to {address} with {subject_contains!r} within {timeout}s; "
                        f"received: {subjects}"
                    )
                self.lock.wait(remaining)


def mail_body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    assert part is not None
    return part.get_content()


def first_link(msg: EmailMessage, contains: str = "") -> str:
    links = re.findall(r"https?://[^\s\"'<>]+", mail_body(msg))
    links = [link for link in links if contains in link]
    assert links, f"no link containing {contains!r} in: {mail_body(msg)}"
    return links[0]


def six_digit_code(msg: EmailMessage) -> str:
    match = re.search(r"\b(\d{6})\b", mail_body(msg))
    assert match, f"no code in: {mail_body(msg)}"
    return match.group(1)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, int, Mailbox]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            mailbox.add(envelope.original_content or envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, mailbox
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def mailbox(smtp_server: tuple[str, int, Mailbox]) -> Mailbox:
    return smtp_server[2]


# --- A running lanward ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _new_database_url(base_url: str) -> tuple[str, str]:
    """Create a fresh PostgreSQL database next to the one in DATABASE_URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(base_url)
    name = f"lanward_live_{uuid.uuid4().hex[:10]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), admin_url


def _drop_database(admin_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    mailbox: Mailbox

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `lanward manage ...` against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "lanward.cli", "manage", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def shell(self, code: str) -> str:
        """Run Python in `lanward manage shell` against this server's database; returns stdout."""
        result = self.manage("shell", "-c", code)
        return result.stdout.strip()


@contextlib.contextmanager
def run_live_server(
    smtp: tuple[str, int, Mailbox], extra_env: dict[str, str], prefix: str = "lanward-live-"
) -> Iterator[LiveServer]:
    """`lanward serve` in a subprocess with its own data dir and database, mail to `smtp`."""
    host, smtp_port, mailbox = smtp
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
    env.update(
        {
            "LANWARD_DATA_DIR": str(data_dir),
            "LANWARD_EMAIL_URL": f"smtp://{host}:{smtp_port}",
            "LANWARD_SECRET_KEY": "live-test-" + uuid.uuid4().hex,
            # allauth's IP rate limits would throttle the many sign-ins tests make from one IP;
            # the database lockout under test does not depend on them.
            "LANWARD_DISABLE_RATE_LIMITS": "1",
            # Network safety: the server under test never scans the devices tests create.
            "LANWARD_SCAN_NEW_DEVICES": "0",
            "LANWARD_SCAN_INTERVAL_DAYS": "0",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
    )
    admin_url = ""
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], admin_url = _new_database_url(os.environ["DATABASE_URL"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lanward.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"lanward serve exited: {log_path.read_text()}")
                with contextlib.suppress(requests.RequestException):
                    if requests.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"lanward serve did not start: {log_path.read_text()}")
                time.sleep(0.3)
            yield LiveServer(url=url, data_dir=data_dir, env=env, mailbox=mailbox)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            if admin_url:
                _drop_database(admin_url, env["DATABASE_URL"])
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server_proc(smtp_server: tuple[str, int, Mailbox]) -> Iterator[LiveServer]:
    with run_live_server(
        smtp_server, {"LANWARD_LOCKOUT_BASE_SECONDS": "2", "LANWARD_REAUTH_SECONDS": "300"}
    ) as server:
        yield server


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


# --- Browser --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_leftover_running_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """Playwright's sync API runs its event loop in a greenlet of the main thread and marks it
    as the thread's running loop (playwright/_impl/_greenlets.py), so while the session's
    browser lives, a later test in the same worker could not start a loop of its own ("Cannot
    run the event loop while another loop is running"). A test that does not use the browser
    gets the mark cleared while it runs, and Playwright gets it back afterwards."""
    import asyncio

    leftover = asyncio._get_running_loop()
    if leftover is None or {"browser", "page"} & set(request.fixturenames):
        yield
        return
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(leftover)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()
