"""Helpers for the browser tests: a person's steps through the real pages, and small checks.

Everything here talks to the `live_server_proc` server (127.0.0.1 only) through the browser, the
test SMTP server's mailbox, the server's SMS log file, or `lanward manage shell` for setup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import struct
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer, first_link, six_digit_code

SHOTS = Path("/tmp/lanward-shots")

# allauth's one message for a wrong email or password (and, by design, for a locked account).
GENERIC_LOGIN_ERROR = "The email address and/or password you specified are not correct."


def label(text: str) -> re.Pattern[str]:
    """A field's label, exactly, with or without the trailing colon Django may add."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


# --- RFC 6238 -----------------------------------------------------------------------------


def totp_code(secret: str, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code (HMAC-SHA1) for a base32 secret at time `at` (default: now)."""
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.strip().upper() + "=" * (-len(secret.strip()) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


# --- Setup through the server's database ----------------------------------------------------


def run_py(server: LiveServer, code: str) -> str:
    """Run Python against the server's database; returns the last line it printed."""
    out = server.manage("shell", "--no-imports", "-c", code).stdout.strip()
    return out.splitlines()[-1] if out else ""


def create_users(server: LiveServer, *users: dict) -> list[int]:
    """Users with a verified primary email, in one shell run; returns their ids.

    Each is a dict: email, password, and optionally staff=True, totp_secret="BASE32...".
    """
    out = run_py(
        server,
        f"""
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from lanward.accounts.models import User
ids = []
for spec in {list(users)!r}:
    make = User.objects.create_superuser if spec.get("staff") else User.objects.create_user
    u = make(spec["email"], spec["password"])
    EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)
    if spec.get("totp_secret"):
        TOTP.activate(u, spec["totp_secret"])
    ids.append(u.pk)
print(" ".join(map(str, ids)))
""",
    )
    return [int(pk) for pk in out.split()]


def create_user(
    server: LiveServer, email: str, password: str, *, staff: bool = False, totp_secret: str = ""
) -> int:
    """A user with a verified primary email (optionally staff, optionally with TOTP); its id."""
    spec = {"email": email, "password": password, "staff": staff, "totp_secret": totp_secret}
    return create_users(server, spec)[0]


# --- Pages ----------------------------------------------------------------------------------


def sign_up(page: Page, server: LiveServer, email: str, password: str) -> None:
    """Sign up, then verify the address from the mail the test's SMTP server received."""
    page.goto(server.url + "/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_label(label("Password (again)")).fill(password)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    msg = server.mailbox.wait_for(email, "Confirm Your Email")
    page.goto(first_link(msg, "/accounts/confirm-email/"))
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"You have confirmed {email}.")).to_be_visible()


def submit_sign_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    """Fill and send the sign-in form; what comes next is for the caller to check."""
    if not re.search(r"/accounts/login/(\?|$)", page.url):
        page.goto(server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def sign_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    """Sign in with a password, for an account without a second factor."""
    submit_sign_in(page, server, email, password)
    expect_signed_in(page, email)


def expect_signed_in(page: Page, email: str) -> None:
    expect(page.get_by_role("navigation", name="Account", exact=True)).to_contain_text(email)


def expect_sign_in_refused(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert").filter(has_text=GENERIC_LOGIN_ERROR)).to_be_visible()
    expect(page.get_by_role("navigation", name="Account", exact=True)).to_have_count(0)


def sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="Account", exact=True).get_by_role(
        "button", name="Sign out"
    ).click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def reauthenticate_if_asked(page: Page, password: str, then: Locator) -> None:
    """allauth asks for the password again before sensitive changes; answer when it does.

    `then` is what the page shows once the change went through (never on the page before it).
    """
    confirm = page.get_by_role("heading", name="Confirm Access")
    expect(then.or_(confirm).first).to_be_visible()
    if confirm.is_visible():
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Confirm").click()
    expect(then).to_be_visible()


def open_security(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()


def two_factor_row(page: Page, method: str) -> Locator:
    return page.locator("#two-factor tbody tr").filter(
        has=page.get_by_role("cell", name=re.compile(rf"^{re.escape(method)}( |$)"))
    )


def enable_totp(page: Page, password: str) -> str:
    """Security -> Set up authenticator app; returns the secret allauth showed."""
    open_security(page)
    page.get_by_role("link", name="Set up authenticator app").click()
    reauthenticate_if_asked(
        page, password, page.get_by_role("heading", name="Activate Authenticator App")
    )
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()
    return secret


def open_activity(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Recent account activity")).to_be_visible()


def activity_rows(page: Page) -> list[tuple[str, str]]:
    """(what, detail) for each row on the current Activity page."""
    rows = page.locator("table tbody tr")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).get_by_role("cell")
        if cells.count() == 5:
            out.append((cells.nth(1).inner_text().strip(), cells.nth(4).inner_text().strip()))
    return out


# --- Codes sent by email and SMS --------------------------------------------------------------


def mail_count(server: LiveServer, address: str, subject_contains: str = "") -> int:
    return len(
        [
            m
            for m in server.mailbox.for_address(address)
            if subject_contains.lower() in str(m["Subject"]).lower()
        ]
    )


def wait_for_mail_code(server: LiveServer, address: str, after: int) -> str:
    return six_digit_code(server.mailbox.wait_for(address, "code", after=after))


def sms_messages(server: LiveServer) -> list[dict]:
    path = server.data_dir / "sms.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sms_count(server: LiveServer, to: str) -> int:
    return sum(m["to"] == to for m in sms_messages(server))


def wait_for_sms_code(server: LiveServer, to: str, after: int, timeout: float = 10) -> str:
    """The code in the `after`-th text message to `to` (the provider writes JSON lines)."""
    deadline = time.monotonic() + timeout
    while True:
        texts = [m["text"] for m in sms_messages(server) if m["to"] == to]
        if len(texts) > after:
            match = re.search(r"\b(\d{6})\b", texts[after])
            assert match, texts[after]
            return match.group(1)
        assert time.monotonic() < deadline, f"no text message to {to}; log: {texts}"
        time.sleep(0.1)


# --- Forms and accessibility ----------------------------------------------------------------


def expect_field_error(page: Page, field_label: str | re.Pattern[str], text: str) -> None:
    """A visible error by the field: in the field's own block, tied to it by aria-describedby.

    A plain string names the label exactly (a trailing colon is allowed).
    """
    if isinstance(field_label, str):
        field_label = label(field_label)
    field = page.get_by_label(field_label)
    expect(field).to_have_attribute("aria-invalid", "true")
    block = page.locator("div.field").filter(has=field)
    error = block.locator(".field-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(text)
    error_id = error.get_attribute("id")
    described = (field.get_attribute("aria-describedby") or "").split()
    assert error_id in described, f"{field_label}: {error_id} not in aria-describedby {described}"


def assert_every_input_labelled(page: Page) -> int:
    """Each visible form control has a <label> and `page.get_by_label(<its text>)` finds it."""
    controls = page.locator(
        "main input:not([type=hidden]):not([type=submit]):not([type=button]), "
        "main select, main textarea"
    )
    checked = 0
    for i in range(controls.count()):
        control = controls.nth(i)
        if not control.is_visible():
            continue
        info = control.evaluate(
            """el => ({
                id: el.id,
                name: el.name,
                labels: Array.from(el.labels || []).map(l => l.textContent.trim()),
            })"""
        )
        assert info["labels"], f"control {info} on {page.url} has no label"
        text = re.sub(r"\s+", " ", info["labels"][0])
        found = page.get_by_label(text, exact=True)
        expect(found).to_have_count(1)
        assert found.evaluate("el => el.id") == info["id"], (text, info)
        checked += 1
    return checked


def screenshot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
