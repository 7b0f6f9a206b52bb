"""Helpers for the API-level tests that talk HTTP to a running `lanward serve`.

Everything here talks to 127.0.0.1 only: to the server under test over HTTP, and to its database
(accounts are made with `lanward manage shell`, everything else is read with plain SQL).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import sqlite3
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.conftest import (
    LiveServer,
    Mailbox,
    first_link,
    run_live_server,
    unique_email,
)

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"
GENERIC_LOGIN_ERROR = "The email address and/or password you specified are not correct."
TIMEOUT = 30

CSRF_INPUT_RE = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')
CSRF_VALUE_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE_RE = re.compile(r'nonce="[^"]*"')


# --- HTTP -----------------------------------------------------------------------------------


class Client:
    """A browser-like client: one cookie jar, forms posted with their CSRF token."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.base = server.url
        self.http = requests.Session()
        # No idle keep-alive connections: they would hold up the server's shutdown.
        self.http.headers["Connection"] = "close"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.get(self.url(path), **kw)

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on the page at `path`."""
        r = self.get(path, allow_redirects=True)
        match = CSRF_VALUE_RE.search(r.text)
        assert match, f"no CSRF token on {path} ({r.status_code}): {r.text[:500]}"
        return match.group(1)

    def post(
        self,
        path: str,
        data: Any = None,
        *,
        form_page: str | None = None,
        token: str | None = None,
        csrf: bool = True,
        **kw: Any,
    ) -> requests.Response:
        """POST a form. The CSRF token comes from `form_page` (default: `path`)."""
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        url = self.url(path)
        if csrf:
            token = token or self.csrf(form_page or path)
            if isinstance(data, list):
                data = [("csrfmiddlewaretoken", token), *data]
            else:
                data = {"csrfmiddlewaretoken": token, **(data or {})}
        headers = {"Referer": url, **kw.pop("headers", {})}
        return self.http.post(url, data=data, headers=headers, **kw)

    @property
    def sessionid(self) -> str | None:
        return self.http.cookies.get("sessionid")

    def set_sessionid(self, value: str) -> None:
        """Put a session cookie in the jar as if the server had set it."""
        self.http.cookies.set("sessionid", value, domain="127.0.0.1", path="/")

    def me(self) -> requests.Response:
        return self.get("/api/v1/me")


def location(r: requests.Response) -> str:
    return r.headers.get("Location", "")


def login_form(client: Client, email: str, password: str, **headers: str) -> requests.Response:
    return client.post("/accounts/login/", {"login": email, "password": password}, headers=headers)


def sign_in(server: LiveServer, email: str, password: str = PASSWORD) -> Client:
    """A client signed in to an account without a second factor."""
    client = Client(server)
    r = login_form(client, email, password)
    assert r.status_code == 302 and location(r) == "/", (r.status_code, location(r), r.text[:800])
    assert client.me().status_code == 200
    return client


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    r = client.post("/accounts/reauthenticate/", {"password": password})
    assert r.status_code == 302, (r.status_code, r.text[:800])


def app_api(server: LiveServer, path: str, method: str = "POST", **kw: Any) -> requests.Response:
    """A call to allauth's headless API for apps (session tokens, no cookies, no CSRF)."""
    kw.setdefault("timeout", TIMEOUT)
    return requests.request(method, f"{server.url}/_allauth/app/v1{path}", **kw)


def normalize(text: str, *values: str) -> str:
    """A page without what legitimately differs between two requests: CSRF tokens, nonces,
    session tokens and the values the user typed (replaced by a placeholder)."""
    text = CSRF_INPUT_RE.sub("<csrf>", text)
    text = NONCE_RE.sub('nonce=""', text)
    text = re.sub(r'"session_token": "[^"]*"', '"session_token": "<token>"', text)
    for i, value in enumerate(values):
        text = text.replace(value, f"<value{i}>")
    return text


def field_errors(html: str) -> list[str]:
    """The error messages shown by a form (field and form-wide), as text."""
    blocks = re.findall(
        r'<div class="(?:field-error|form-errors)"[^>]*>(.*?)</div>', html, flags=re.S
    )
    messages = []
    for block in blocks:
        messages.extend(m.strip() for m in re.findall(r"<p>(.*?)</p>", block, flags=re.S))
    return [m for m in messages if m]


# --- The server's database ------------------------------------------------------------------
#
# Accounts are made ahead, many in one `lanward manage shell` (each costs a Django start-up);
# the tests then read (and, rarely, nudge) the database directly with SQL, which is instant.


class Database:
    """Plain SQL against the server's database (SQLite file or PostgreSQL)."""

    def __init__(self, server: LiveServer) -> None:
        url = server.env.get("DATABASE_URL", "")
        self.postgres = bool(url)
        self.url = url
        self.path = server.data_dir / "lanward.sqlite3"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                cur = conn.execute(sql, params)  # type: ignore[arg-type]
                return cur.fetchall() if cur.description else []
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as conn, conn:
            cur = conn.execute(sql.replace("%s", "?"), params)
            return cur.fetchall()

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def timestamp(self, value: Any) -> datetime | None:
        """A datetime column as an aware UTC datetime (SQLite keeps naive UTC text)."""
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def param(self, moment: datetime) -> Any:
        """A datetime as this database wants it in a parameter."""
        if self.postgres:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def db(server: LiveServer) -> Database:
    return Database(server)


def shell(server: LiveServer, code: str) -> str:
    """Run Python against the server's database (`lanward manage shell`); returns stdout."""
    return server.manage("shell", "--no-imports", "-c", code).stdout


class Accounts:
    """Verified accounts with the password PASSWORD, made in batches ahead of the tests."""

    def __init__(self, server: LiveServer, plain: int = 0, totp: int = 0) -> None:
        self.server = server
        self._plain: list[str] = []
        self._totp: list[tuple[str, str]] = []
        self._make(plain, totp)

    def _make(self, plain: int, totp: int) -> None:
        from allauth.mfa.totp.internal.auth import generate_totp_secret

        users = [(unique_email("live"), "") for _ in range(plain)]
        users += [(unique_email("live-totp"), generate_totp_secret()) for _ in range(totp)]
        shell(
            self.server,
            f"""
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from lanward.accounts.models import User

hashed = make_password({PASSWORD!r})
for email, secret in {users!r}:
    user = User.objects.create(email=email, password=hashed)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if secret:
        TOTP.activate(user, secret)
""",
        )
        self._plain += [email for email, secret in users if not secret]
        self._totp += [(email, secret) for email, secret in users if secret]

    def plain(self) -> str:
        """A fresh account without a second factor."""
        if not self._plain:
            self._make(10, 0)
        return self._plain.pop()

    def totp(self) -> tuple[str, str]:
        """A fresh account with an authenticator app: (email, TOTP secret)."""
        if not self._totp:
            self._make(0, 4)
        return self._totp.pop()


def user_id(server: LiveServer, email: str) -> int:
    uid = db(server).value("SELECT id FROM accounts_user WHERE email = %s", email)
    assert uid is not None, f"no user {email}"
    return int(uid)


def events(server: LiveServer, email: str) -> list[tuple[str, str, str]]:
    """The account's activity, oldest first: (kind, detail, ip)."""
    rows = db(server).query(
        "SELECT kind, detail, ip FROM accounts_accountevent WHERE user_id = %s "
        "ORDER BY created, id",
        user_id(server, email),
    )
    return [(kind, detail, str(ip) if ip is not None else "") for kind, detail, ip in rows]


def lock_state(server: LiveServer, email: str) -> dict[str, Any]:
    database = db(server)
    rows = database.query(
        "SELECT failures, lockouts, locked_until, permanent, last_failure_at, last_failure_ip "
        "FROM accounts_lockstate WHERE user_id = %s",
        user_id(server, email),
    )
    if not rows:
        return {"locked": False, "permanent": False, "failures": 0, "lockouts": 0}
    failures, lockouts, locked_until, permanent, last_failure_at, ip = rows[0]
    locked_until = database.timestamp(locked_until)
    last_failure_at = database.timestamp(last_failure_at)
    now = datetime.now(UTC)
    return {
        "locked": bool(permanent) or bool(locked_until and locked_until > now),
        "permanent": bool(permanent),
        "failures": failures,
        "lockouts": lockouts,
        "lock_seconds": (
            (locked_until - last_failure_at).total_seconds()
            if locked_until and last_failure_at
            else None
        ),
        "last_failure_ip": str(ip) if ip is not None else None,
    }


def expire_lock(server: LiveServer, email: str) -> None:
    """Move a temporary lock's end into the past, as if its time had run out."""
    database = db(server)
    database.query(
        "UPDATE accounts_lockstate SET locked_until = %s "
        "WHERE user_id = %s AND locked_until IS NOT NULL AND NOT permanent",
        database.param(datetime.now(UTC) - timedelta(seconds=1)),
        user_id(server, email),
    )


# --- TOTP (RFC 6238, SHA-1, 6 digits, 30 s) ---------------------------------------------------


def totp(secret: str, at: float | None = None, period: int = 30) -> str:
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"


# --- Mail -------------------------------------------------------------------------------------


def reset_link(server: LiveServer, email: str) -> str:
    """Ask for a password reset link by web form and return the link from the mail."""
    subject = "password reset"
    earlier = [m for m in server.mailbox.for_address(email) if subject in str(m["Subject"]).lower()]
    r = Client(server).post("/accounts/password/reset/", {"email": email})
    assert r.status_code == 302, r.text[:800]
    msg = server.mailbox.wait_for(email, subject, after=len(earlier))
    return first_link(msg, "/accounts/password/reset/key/")


def use_reset_link(client: Client, link: str, new_password: str) -> requests.Response:
    """Open a reset link and set a new password. Returns the final response of the POST,
    or the page of the link itself when it offers no form (a bad or used link)."""
    r = client.get(link)
    if r.status_code != 302:
        return r
    form_url = location(r)
    return client.post(
        form_url, {"password1": new_password, "password2": new_password}, form_page=form_url
    )


def is_bad_token_page(r: requests.Response) -> bool:
    return r.status_code == 200 and "Bad Token" in r.text and 'name="password1"' not in r.text


# --- A second server with other settings -------------------------------------------------------


@contextlib.contextmanager
def start_server(smtp: tuple[str, int, Mailbox], extra_env: dict[str, str]) -> Iterator[LiveServer]:
    """`lanward serve` like the `live_server_proc` fixture, with more settings in `extra_env`."""
    with run_live_server(smtp, extra_env, prefix="lanward-live2-") as server:
        yield server
