"""Security properties of the accounts portal (OWASP ASVS style), checked over real HTTP
against a running `lanward serve`.

`live_server_proc` runs with LANWARD_LOCKOUT_BASE_SECONDS=2. The `strict_server` fixture starts
a second server with a 3-second password reset link, a 1-second re-authentication window and a
long lock (so a lock made by a burst of attempts surely holds while the test looks at it).

Accounts are made ahead in batches (`Accounts`); the database is read with plain SQL.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.conftest import LiveServer, first_link, mail_body, unique_email
from tests.live.helpers import (
    GENERIC_LOGIN_ERROR,
    PASSWORD,
    WRONG,
    Accounts,
    Client,
    app_api,
    db,
    events,
    expire_lock,
    field_errors,
    is_bad_token_page,
    location,
    lock_state,
    login_form,
    normalize,
    reauthenticate,
    reset_link,
    sign_in,
    start_server,
    totp,
    use_reset_link,
    user_id,
)

pytestmark = pytest.mark.live

THRESHOLD = 5  # LANWARD_LOCKOUT_THRESHOLD's default
STRICT_LOCK_SECONDS = 600
RESET_SECONDS = 3  # LANWARD_PASSWORD_RESET_SECONDS of the strict server
STRICT = pytest.mark.xdist_group("strict_server")


@pytest.fixture(scope="module")
def strict_server(smtp_server) -> Any:
    with start_server(
        smtp_server,
        {
            "LANWARD_PASSWORD_RESET_SECONDS": str(RESET_SECONDS),
            "LANWARD_REAUTH_SECONDS": "1",
            "LANWARD_LOCKOUT_BASE_SECONDS": str(STRICT_LOCK_SECONDS),
        },
    ) as server:
        yield server


@pytest.fixture(scope="module")
def accounts(live_server_proc) -> Accounts:
    return Accounts(live_server_proc, plain=24, totp=8)


@pytest.fixture(scope="module")
def strict_accounts(strict_server) -> Accounts:
    return Accounts(strict_server, plain=4)


def assert_refused_like_wrong_password(server: LiveServer, email: str, password: str) -> None:
    """Signing in with `password` fails exactly as a wrong password does."""
    wrong = login_form(Client(server), email, WRONG)
    tried = login_form(Client(server), email, password)
    assert tried.status_code == wrong.status_code == 200
    assert GENERIC_LOGIN_ERROR in tried.text
    assert normalize(tried.text) == normalize(wrong.text)
    api_wrong = app_api(server, "/auth/login", json={"email": email, "password": WRONG})
    api_tried = app_api(server, "/auth/login", json={"email": email, "password": password})
    assert api_tried.status_code == api_wrong.status_code == 400
    assert api_tried.json() == api_wrong.json()


def fail_sign_ins(server: LiveServer, email: str, times: int = THRESHOLD) -> None:
    client = Client(server)
    token = client.csrf("/accounts/login/")
    for _ in range(times):
        r = client.post("/accounts/login/", {"login": email, "password": WRONG}, token=token)
        assert r.status_code == 200 and GENERIC_LOGIN_ERROR in r.text


def start_totp_sign_in(server: LiveServer, email: str, password: str = PASSWORD) -> Client:
    """A client that gave the right password and now stands at the authenticator-app step."""
    client = Client(server)
    r = login_form(client, email, password)
    assert r.status_code == 302 and location(r) == "/accounts/2fa/authenticate/", (
        r.status_code,
        location(r),
    )
    assert client.me().status_code == 401
    return client


def send_totp(client: Client, code: str) -> requests.Response:
    return client.post("/accounts/2fa/authenticate/", {"code": code})


# --- 1. No account enumeration ---------------------------------------------------------------


def test_sign_in_answers_the_same_for_unknown_and_known_accounts(live_server_proc, accounts):
    server = live_server_proc
    known = accounts.plain()
    unknown = unique_email("enum-login-nobody")
    answers = []
    for email in (known, unknown):
        r = login_form(Client(server), email, WRONG)
        answers.append((r.status_code, sorted(r.cookies.keys()), normalize(r.text, email)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and GENERIC_LOGIN_ERROR in answers[0][2]

    api = []
    for email in (known, unknown):
        r = app_api(server, "/auth/login", json={"email": email, "password": WRONG})
        api.append((r.status_code, r.json()))
    assert api[0] == api[1]
    assert api[0][0] == 400
    assert api[0][1]["errors"][0]["message"] == GENERIC_LOGIN_ERROR


def test_password_reset_request_answers_the_same_for_unknown_and_known(live_server_proc, accounts):
    server = live_server_proc
    known = accounts.plain()
    unknown = unique_email("enum-reset-nobody")
    answers = []
    for email in (known, unknown):
        client = Client(server)
        r = client.post("/accounts/password/reset/", {"email": email})
        done = client.get(location(r))
        answers.append((r.status_code, location(r), done.status_code, normalize(done.text, email)))
    assert answers[0] == answers[1]
    assert answers[0][:3] == (302, "/accounts/password/reset/done/", 200)

    api = []
    for email in (known, unknown):
        r = app_api(server, "/auth/password/request", json={"email": email})
        api.append((r.status_code, r.json()))
    assert api[0] == api[1] == (200, {"status": 200})
    # Not vacuous: the known account really got its two links (web and API).
    server.mailbox.wait_for(known, "password reset", after=1)


def test_sign_up_answers_the_same_for_existing_and_new_email(live_server_proc, accounts):
    server = live_server_proc
    existing = accounts.plain()
    new = unique_email("enum-signup-new")
    answers = []
    for email in (existing, new):
        client = Client(server)
        r = client.post(
            "/accounts/signup/",
            {"email": email, "password1": PASSWORD + "!", "password2": PASSWORD + "!"},
        )
        page = client.get(location(r))
        answers.append(
            (
                r.status_code,
                location(r),
                sorted(r.cookies.keys()),
                page.status_code,
                normalize(page.text, email),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/accounts/confirm-email/")
    # The owner of the existing address is told by mail; the new address gets a link.
    server.mailbox.wait_for(existing, "already")
    assert "/accounts/confirm-email/" in first_link(server.mailbox.wait_for(new, "confirm"))

    api = []
    for email in (existing, unique_email("enum-signup-api")):
        r = app_api(server, "/auth/signup", json={"email": email, "password": PASSWORD + "?"})
        api.append((r.status_code, normalize(r.text, email)))
    assert api[0] == api[1]
    assert api[0][0] == 401 and '"verify_email"' in api[0][1]


# --- 2. Lockout --------------------------------------------------------------------------------


@STRICT
def test_lockout_holds_under_twenty_concurrent_wrong_attempts(strict_server, strict_accounts):
    server = strict_server
    email = strict_accounts.plain()
    web_clients = [Client(server) for _ in range(10)]
    tokens = [c.csrf("/accounts/login/") for c in web_clients]
    start = threading.Barrier(20, timeout=60)

    def web(i: int) -> tuple[int, bool]:
        start.wait()
        r = web_clients[i].post(
            "/accounts/login/", {"login": email, "password": WRONG}, token=tokens[i]
        )
        return r.status_code, GENERIC_LOGIN_ERROR in r.text

    def api(_: int) -> tuple[int, bool]:
        start.wait()
        r = app_api(server, "/auth/login", json={"email": email, "password": WRONG})
        return r.status_code, GENERIC_LOGIN_ERROR in r.text

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(web, i) for i in range(10)]
        futures += [pool.submit(api, i) for i in range(10)]
        results = [f.result() for f in futures]
    assert results == [(200, True)] * 10 + [(400, True)] * 10

    # The right password is now refused with the generic message, on the web and the API ...
    assert_refused_like_wrong_password(server, email, PASSWORD)
    # ... and pretending to come from elsewhere does not help: X-Forwarded-For is not trusted.
    client = Client(server)
    r = login_form(client, email, PASSWORD, **{"X-Forwarded-For": "203.0.113.7"})
    assert r.status_code == 200 and GENERIC_LOGIN_ERROR in r.text and client.sessionid is None

    state = lock_state(server, email)
    assert state["locked"] and not state["permanent"] and state["lockouts"] == 1
    assert STRICT_LOCK_SECONDS - 30 <= state["lock_seconds"] <= STRICT_LOCK_SECONDS
    log = events(server, email)
    kinds = [kind for kind, _, _ in log]
    assert kinds.count("locked") == 1 and "login" not in kinds
    # Counted before checking: no more than THRESHOLD passwords were ever verified.
    checked = [e for e in log if e[:2] == ("login_failed", "wrong password")]
    assert len(checked) == THRESHOLD
    assert {ip for _, _, ip in log} == {"127.0.0.1"}  # not the forged address
    assert state["last_failure_ip"] == "127.0.0.1"

    mail = server.mailbox.wait_for(email, "locked")
    body = mail_body(mail)
    assert "too many failed sign-ins" in body and "/accounts/password/reset/" in body
    assert len(server.mailbox.for_address(email)) == 1  # one lock, one mail


def test_temporary_lock_ends_by_itself_and_success_resets_counters(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    fail_sign_ins(server, email, THRESHOLD - 1)
    before_lock = time.monotonic()
    fail_sign_ins(server, email, 1)  # this one locks, for 2 s
    after_lock = time.monotonic()
    r = login_form(Client(server), email, PASSWORD)
    if time.monotonic() - before_lock < 1.8:  # surely still locked (a slow machine may be late)
        assert r.status_code == 200 and GENERIC_LOGIN_ERROR in r.text

    state = lock_state(server, email)
    assert state["lockouts"] == 1 and not state["permanent"]
    assert 1.5 <= state["lock_seconds"] <= 3
    server.mailbox.wait_for(email, "locked")

    time.sleep(max(0.0, 2.2 - (time.monotonic() - after_lock)))  # surely over now
    sign_in(server, email)
    state = lock_state(server, email)
    assert not state["locked"]
    assert (state["failures"], state["lockouts"]) == (0, 0)
    # With the counters reset, the next lock is a first (2 s) lock again.
    fail_sign_ins(server, email)
    state = lock_state(server, email)
    assert state["lockouts"] == 1 and 1.5 <= state["lock_seconds"] <= 3


def test_locks_double_then_become_permanent_until_a_password_reset(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    for n, seconds in enumerate([2, 4, 8], start=1):
        fail_sign_ins(server, email)
        state = lock_state(server, email)  # (the 2 s lock may be over by now: fine)
        assert not state["permanent"] and state["lockouts"] == n
        assert seconds - 0.5 <= state["lock_seconds"] <= seconds + 1, state
        expire_lock(server, email)  # as if its time had run out

    fail_sign_ins(server, email)  # the fourth lock is permanent
    expire_lock(server, email)  # time does not end it
    state = lock_state(server, email)
    assert state["locked"] and state["permanent"] and state["lock_seconds"] is None
    assert [kind for kind, _, _ in events(server, email)].count("locked") == 4
    assert_refused_like_wrong_password(server, email, PASSWORD)
    mail = server.mailbox.wait_for(email, "locked", after=3)
    assert "stays locked until you reset your password" in mail_body(mail)

    new_password = "a brand new passphrase 42"
    r = use_reset_link(Client(server), reset_link(server, email), new_password)
    assert (r.status_code, location(r)) == (302, "/accounts/password/reset/key/done/")
    state = lock_state(server, email)
    assert not state["locked"] and not state["permanent"]
    assert (state["failures"], state["lockouts"]) == (0, 0)
    assert ("unlocked", "password reset") in [e[:2] for e in events(server, email)]
    sign_in(server, email, new_password)


# --- 3. Password reset links -------------------------------------------------------------------


def test_reset_link_works_once(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    link = reset_link(server, email)

    new_password = "my new reset passphrase"
    r = use_reset_link(Client(server), link, new_password)
    assert (r.status_code, location(r)) == (302, "/accounts/password/reset/key/done/")
    sign_in(server, email, new_password)
    assert login_form(Client(server), email, PASSWORD).status_code == 200  # old one is gone

    assert is_bad_token_page(use_reset_link(Client(server), link, "yet another passphrase 1"))
    sign_in(server, email, new_password)


def test_reset_link_dies_when_the_password_changes_otherwise(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    link = reset_link(server, email)
    client = sign_in(server, email)
    changed = "changed by the owner 77"
    r = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": changed, "password2": changed},
    )
    assert r.status_code == 302, field_errors(r.text)
    assert is_bad_token_page(use_reset_link(Client(server), link, "attacker's passphrase 9"))
    sign_in(server, email, changed)


@STRICT
def test_reset_link_expires(strict_server, strict_accounts):
    server = strict_server
    email = strict_accounts.plain()
    for _ in range(3):  # a very busy machine may take the link's whole lifetime to open it
        link = reset_link(server, email)
        client = Client(server)
        opened = client.get(link)  # fresh: accepted, the form is offered
        opened_at = time.monotonic()
        if opened.status_code == 302:
            break
    assert opened.status_code == 302 and location(opened).endswith("-set-password/")
    form_url = location(opened)
    token = client.csrf(form_url)
    # The link was made before it was opened; its age counts in whole seconds.
    time.sleep(max(0.0, RESET_SECONDS + 1.2 - (time.monotonic() - opened_at)))
    r = client.post(
        form_url, {"password1": "too late now 123", "password2": "too late now 123"}, token=token
    )
    assert is_bad_token_page(r), (r.status_code, location(r))
    assert is_bad_token_page(use_reset_link(Client(server), link, "too late now 456"))
    sign_in(server, email)  # the password did not change


def test_reset_does_not_skip_the_authenticator_app(live_server_proc, accounts):
    server = live_server_proc
    email, secret = accounts.totp()
    new_password = "reset but still two factor"
    client = Client(server)
    r = use_reset_link(client, reset_link(server, email), new_password)
    assert (r.status_code, location(r)) == (302, "/accounts/password/reset/key/done/")
    assert client.me().status_code == 401  # a reset does not sign in

    client = start_totp_sign_in(server, email, new_password)
    r = app_api(server, "/auth/login", json={"email": email, "password": new_password})
    assert r.status_code == 401
    assert {"id": "mfa_authenticate", "is_pending": True} in [
        {k: f.get(k) for k in ("id", "is_pending")} for f in r.json()["data"]["flows"]
    ]
    pending_token = r.json()["meta"]["session_token"]
    me = requests.get(
        server.url + "/api/v1/me", headers={"X-Session-Token": pending_token}, timeout=30
    )
    assert me.status_code == 401

    r = send_totp(client, totp(secret))
    assert (r.status_code, location(r)) == (302, "/")
    assert client.me().json()["email"] == email


# --- 4. TOTP codes are used once --------------------------------------------------------------


def test_totp_code_cannot_be_replayed(live_server_proc, accounts):
    server = live_server_proc
    email, secret = accounts.totp()
    # With a tolerance of one period, the next period's code is good for 30 s at least.
    code = totp(secret, time.time() + 30)
    first = start_totp_sign_in(server, email)
    r = send_totp(first, code)
    assert (r.status_code, location(r)) == (302, "/")
    assert first.me().status_code == 200

    second = start_totp_sign_in(server, email)
    r = send_totp(second, code)
    assert r.status_code == 200 and field_errors(r.text), (r.status_code, location(r))
    assert second.me().status_code == 401
    # ... nor through the app API.
    r = app_api(server, "/auth/login", json={"email": email, "password": PASSWORD})
    token = r.json()["meta"]["session_token"]
    r = app_api(
        server, "/auth/2fa/authenticate", json={"code": code}, headers={"X-Session-Token": token}
    )
    assert r.status_code == 400, r.text
    # The refusal was for the replay only: another good code is accepted. (When a 30 s period
    # turned since the first sign-in, the used code is the current one: take the previous
    # period's then, which the tolerance of one period still accepts.)
    other = totp(secret)
    if other == code:
        other = totp(secret, time.time() - 30)
    r = send_totp(second, other)
    assert (r.status_code, location(r)) == (302, "/")
    assert [kind for kind, _, _ in events(server, email)].count("mfa_failed") >= 2


def test_totp_code_stays_used_for_as_long_as_it_is_accepted(live_server_proc, accounts):
    """With a tolerance of one period a code is accepted for up to 90 s; it must not work again
    once 30 s have passed (allauth by itself remembers a used code for one period only)."""
    server = live_server_proc
    email, secret = accounts.totp()
    used_at = time.time()
    code = totp(secret, used_at)
    r = send_totp(start_totp_sign_in(server, email), code)
    assert (r.status_code, location(r)) == (302, "/")

    database = db(server)
    key = f"%allauth.mfa.totp.used?user={user_id(server, email)}&code={code}"
    [(cache_key, expires)] = database.query(
        "SELECT cache_key, expires FROM lanward_cache WHERE cache_key LIKE %s", key
    )
    expires = database.timestamp(expires)
    accepted_until = (int(used_at // 30) + 2) * 30  # its own period and the next one
    assert expires.timestamp() >= accepted_until - 1, "forgotten while still accepted"

    # 31 seconds later, as far as the memory of used codes goes: the code is still accepted
    # by time (it is within the tolerance), so only the memory stops a replay.
    database.query(
        "UPDATE lanward_cache SET expires = %s WHERE cache_key = %s",
        database.param(expires - timedelta(seconds=31)),
        cache_key,
    )
    r = send_totp(start_totp_sign_in(server, email), code)
    assert r.status_code == 200 and field_errors(r.text), "a used code worked again"


def test_totp_code_is_accepted_once_under_concurrent_use(live_server_proc, accounts):
    server = live_server_proc
    email, secret = accounts.totp()
    clients = [start_totp_sign_in(server, email) for _ in range(8)]
    tokens = [c.csrf("/accounts/2fa/authenticate/") for c in clients]
    code = totp(secret, time.time() + 30)  # the next period's code: good for 30 s at least
    start = threading.Barrier(len(clients), timeout=60)

    def submit(i: int) -> int:
        start.wait()
        return (
            clients[i]
            .post("/accounts/2fa/authenticate/", {"code": code}, token=tokens[i])
            .status_code
        )

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(submit, range(len(clients))))
    assert sorted(statuses) == [200] * (len(clients) - 1) + [302]
    assert sum(c.me().status_code == 200 for c in clients) == 1


# --- 5. Sessions and CSRF ----------------------------------------------------------------------


def test_session_id_changes_at_sign_in(live_server_proc, accounts):
    server = live_server_proc
    totp_email, secret = accounts.totp()
    plain_email, attacker_email = accounts.plain(), accounts.plain()

    client = start_totp_sign_in(server, totp_email)
    before = client.sessionid
    assert before  # the half-done sign-in lives in a session
    r = send_totp(client, totp(secret))
    assert (r.status_code, location(r)) == (302, "/")
    after = client.sessionid
    assert after and after != before
    set_cookie = r.headers["Set-Cookie"]
    assert "sessionid=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie

    # An anonymous session planted in a victim's browser (here: one that opened the attacker's
    # own reset link) is not the one that becomes signed in; nor is a made-up session id.
    attacker = Client(server)
    opened = attacker.get(reset_link(server, attacker_email))
    assert opened.status_code == 302 and attacker.sessionid
    for planted in (attacker.sessionid, "made-up-session-id-0123456789"):
        victim = Client(server)
        victim.set_sessionid(planted)
        r = login_form(victim, plain_email, PASSWORD)
        assert (r.status_code, location(r)) == (302, "/")
        assert victim.sessionid != planted and victim.me().json()["email"] == plain_email
        assert attacker.me().status_code == 401


def test_session_cookie_is_refused_after_sign_out(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    client = sign_in(server, email)
    old = client.sessionid
    r = client.post("/accounts/logout/", {}, form_page="/accounts/logout/")
    assert r.status_code == 302
    assert client.me().status_code == 401

    replay = Client(server)
    replay.set_sessionid(old)
    r = replay.get("/")
    assert r.status_code == 302 and location(r).startswith("/accounts/login/")
    assert replay.me().status_code == 401
    assert replay.get("/accounts/profile/").status_code == 302


def test_post_without_csrf_token_is_forbidden(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    client = Client(server)
    client.get("/accounts/login/")  # has the CSRF cookie, but sends no token
    r = client.post("/accounts/login/", {"login": email, "password": PASSWORD}, csrf=False)
    assert r.status_code == 403 and client.sessionid is None
    r = client.post(
        "/accounts/login/",
        {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": "x" * 64},
        csrf=False,
    )
    assert r.status_code == 403 and client.sessionid is None

    client = sign_in(server, email)
    r = client.post("/accounts/profile/", {"first_name": "Mallory"}, csrf=False)
    assert r.status_code == 403
    assert client.me().json()["first_name"] == ""
    # The browser flavour of the headless API wants the token too.
    r = client.http.post(
        server.url + "/_allauth/browser/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 403


# --- 6. Re-authentication for sensitive changes -------------------------------------------------

SENSITIVE_POSTS = [
    ("/accounts/phone/", {"phone": "+33612345678"}, "/accounts/phone/"),
    ("/accounts/two-factor/code/email/", {}, "/accounts/security/"),
    ("/accounts/email/", {"action_add": "", "email": "second-{}@example.com"}, "/accounts/email/"),
]


def post_sensitive(client: Client, suffix: str) -> list[requests.Response]:
    out = []
    for path, data, form_page in SENSITIVE_POSTS:
        data = {k: v.format(suffix) for k, v in data.items()}
        out.append(client.post(path, data, form_page=form_page))
    return out


def assert_needs_reauthentication(responses: list[requests.Response]) -> None:
    for (path, _, _), r in zip(SENSITIVE_POSTS, responses, strict=True):
        assert r.status_code == 302, (path, r.status_code)
        assert location(r).startswith("/accounts/reauthenticate/"), (path, location(r))


def sensitive_state(server: LiveServer, email: str) -> dict[str, Any]:
    uid, database = user_id(server, email), db(server)
    return {
        "factors": [
            method
            for (method,) in database.query(
                "SELECT method FROM accounts_codefactor WHERE user_id = %s", uid
            )
        ],
        "emails": database.value(
            "SELECT COUNT(*) FROM account_emailaddress WHERE user_id = %s", uid
        ),
        "phone_codes": database.value(
            "SELECT COUNT(*) FROM accounts_onetimecode WHERE user_id = %s AND purpose = 'phone'",
            uid,
        ),
    }


def test_sensitive_changes_need_a_recent_reauthentication(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    client = sign_in(server, email)
    assert_needs_reauthentication(post_sensitive(client, "a"))
    assert sensitive_state(server, email) == {"factors": [], "emails": 1, "phone_codes": 0}

    r = client.post("/accounts/reauthenticate/", {"password": WRONG})
    assert r.status_code == 200 and field_errors(r.text)
    assert_needs_reauthentication(post_sensitive(client, "b"))

    reauthenticate(client)
    responses = post_sensitive(client, "c")
    assert [location(r) for r in responses] == [
        "/accounts/phone/",
        "/accounts/security/",
        "/accounts/email/",
    ]
    assert sensitive_state(server, email) == {"factors": ["email"], "emails": 2, "phone_codes": 1}


@STRICT
def test_reauthentication_goes_stale(strict_server, strict_accounts):
    server = strict_server
    email = strict_accounts.plain()
    client = sign_in(server, email)
    reauthenticate(client)
    time.sleep(1.6)  # LANWARD_REAUTH_SECONDS=1
    assert_needs_reauthentication(post_sensitive(client, "a"))
    assert sensitive_state(server, email) == {"factors": [], "emails": 1, "phone_codes": 0}


def test_merge_requires_the_current_password(live_server_proc, accounts):
    server = live_server_proc
    target, source = accounts.plain(), accounts.plain()
    source_id = user_id(server, source)
    client = sign_in(server, target)

    # The later steps cannot be reached without step 1.
    assert location(client.get("/accounts/merge/account/")) == "/accounts/merge/"
    r = client.post(
        "/accounts/merge/account/",
        {"email": source, "password": PASSWORD},
        form_page="/accounts/merge/",
    )
    assert (r.status_code, location(r)) == (302, "/accounts/merge/")
    assert location(client.get("/accounts/merge/review/")) == "/accounts/merge/"

    r = client.post("/accounts/merge/", {"password": WRONG})
    assert r.status_code == 200
    assert field_errors(r.text) == ["This is not your current password."]
    assert location(client.get("/accounts/merge/account/")) == "/accounts/merge/"

    r = client.post("/accounts/merge/", {"password": PASSWORD})
    assert (r.status_code, location(r)) == (302, "/accounts/merge/account/")
    r = client.post("/accounts/merge/account/", {"email": source, "password": PASSWORD})
    assert (r.status_code, location(r)) == (302, "/accounts/merge/review/")
    r = client.post("/accounts/merge/review/", {})
    assert (r.status_code, location(r)) == (302, "/accounts/activity/")
    # The other account is closed, renamed and points to this one.
    row = db(server).query(
        "SELECT is_active, email, merged_into_id FROM accounts_user WHERE id = %s", source_id
    )
    assert row and not row[0][0] and row[0][1] != source
    assert row[0][2] == user_id(server, target)


# --- 7. The JSON API ---------------------------------------------------------------------------


def test_openapi_document(live_server_proc):
    r = requests.get(live_server_proc.url + "/api/v1/openapi.json", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.") and "/api/v1/me" in doc["paths"]
    assert "get" in doc["paths"]["/api/v1/me"]


def test_me_needs_a_session_cookie_or_a_session_token(live_server_proc, accounts):
    server = live_server_proc
    email = accounts.plain()
    me_url = server.url + "/api/v1/me"
    assert requests.get(me_url, timeout=30).status_code == 401
    assert (
        requests.get(me_url, headers={"X-Session-Token": "x" * 32}, timeout=30).status_code == 401
    )

    client = sign_in(server, email)
    r = client.me()
    assert r.status_code == 200 and r.json()["email"] == email and r.json()["two_factor"] is False

    r = app_api(server, "/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["meta"]["session_token"]
    headers = {"X-Session-Token": token}
    r = requests.get(me_url, headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()["email"] == email
    r = requests.get(server.url + "/api/v1/me/activity?limit=3", headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()[0]["kind"] == "login"

    r = app_api(server, "/auth/session", method="DELETE", headers=headers)
    assert r.status_code == 401  # signed out
    assert requests.get(me_url, headers=headers, timeout=30).status_code == 401


# --- 8. Garbage never makes a 500 ----------------------------------------------------------------

LONG = "A" * 100_000
UNICODE = "ünïcødé ✓ 𝔘𝔫𝔦 \u202e\u200b 中文 🙂"
NUL = "a\x00b"


def assert_form_errors(r: requests.Response, what: Any) -> None:
    assert r.status_code < 500, (what, r.status_code)
    assert r.status_code == 200, (what, r.status_code, location(r))
    assert field_errors(r.text), (what, r.text[:1500])


def no_server_errors(server: LiveServer, since: int) -> None:
    log = (server.data_dir / "server.log").read_text(errors="replace")[since:]
    assert "Internal Server Error" not in log and "Traceback" not in log, log[-5000:]


def log_size(server: LiveServer) -> int:
    return len((server.data_dir / "server.log").read_text(errors="replace"))


def test_garbage_in_anonymous_forms_gives_field_errors(live_server_proc, accounts):
    server = live_server_proc
    since = log_size(server)
    known = accounts.plain()
    forms: dict[str, list[Any]] = {
        "/accounts/signup/": [
            {},
            {"email": LONG, "password1": LONG, "password2": LONG},
            {"email": NUL + "@example.com", "password1": NUL, "password2": NUL},
            {"email": UNICODE, "password1": UNICODE, "password2": UNICODE + "x"},
            {"email": known, "password1": "short", "password2": "short"},
            [("email", "a@example.com"), ("email", "\x00"), ("password1", 1)],
        ],
        "/accounts/login/": [
            {},
            {"login": LONG, "password": LONG},
            {"login": NUL, "password": NUL},
            {"login": known, "password": NUL},
            {"login": UNICODE, "password": UNICODE},
            {"login": known},
            [("login", known), ("login", "\x00"), ("password", "x")],
        ],
        "/accounts/password/reset/": [
            {},
            {"email": LONG},
            {"email": NUL},
            {"email": UNICODE},
            {"email": "<script>alert(1)</script>@example.com"},
        ],
    }
    for path, payloads in forms.items():
        client = Client(server)
        token = client.csrf(path)
        for data in payloads:
            r = client.post(path, data, token=token)
            assert_form_errors(r, (path, str(data)[:80]))
    for path in [
        "/accounts/password/reset/key/%00-%00/",
        "/accounts/password/reset/key/zzzzzzzzzzzzzzzzzzzzzzzzzz-" + "A" * 5000 + "/",
        "/accounts/confirm-email/" + "A" * 5000 + "/",
        "/accounts/login/?next=%00",
        "/accounts/login/?next=" + "A" * 5000,
        "/api/v1/me/activity?limit=%00",
    ]:
        assert Client(server).get(path).status_code < 500, path
    no_server_errors(server, since)


def test_garbage_in_signed_in_forms_gives_field_errors(live_server_proc, accounts):
    server = live_server_proc
    since = log_size(server)
    email, other = accounts.plain(), accounts.plain()
    with_totp, _ = accounts.totp()
    client = sign_in(server, email)
    reauthenticate(client)

    token = client.csrf("/accounts/profile/")  # good for every form of this session

    def check(path: str, payloads: list[Any]) -> None:
        for data in payloads:
            r = client.post(path, data, token=token)
            assert_form_errors(r, (path, str(data)[:80]))

    check(
        "/accounts/profile/",
        [
            {"first_name": LONG},
            {"first_name": NUL},
            {"last_name": "x", "country": "XX" + UNICODE},
            {"recovery_email": NUL},
            {"recovery_email": UNICODE},
            {"recovery_email": email},
        ],
    )
    check(
        "/accounts/phone/",
        [{}, {"phone": LONG}, {"phone": NUL}, {"phone": UNICODE}, {"phone": "+1 555"}],
    )
    r = client.post("/accounts/phone/", {"phone": "+33612345678"})  # a code is pending now
    assert location(r) == "/accounts/phone/"
    check(
        "/accounts/phone/",
        [{"code": LONG}, {"code": NUL}, {"code": UNICODE}, {"code": "12345a"}, {"code": "-1"}],
    )
    check("/accounts/reauthenticate/", [{}, {"password": NUL}, {"password": LONG}])
    check(
        "/accounts/password/change/",
        [{}, {"oldpassword": NUL, "password1": LONG, "password2": UNICODE}],
    )
    check(
        "/accounts/email/",
        [{"action_add": "", "email": e} for e in (LONG, NUL, UNICODE)],
    )
    # Wrong passwords here count toward the lockout like any sign-in: stay under its five.
    check("/accounts/delete/", [{}, {"password": NUL, "confirm": "on"}])
    check("/accounts/merge/", [{}, {"password": LONG}, {"password": UNICODE}])
    assert client.post("/accounts/merge/", {"password": PASSWORD}).status_code == 302
    check(
        "/accounts/merge/account/",
        [
            {},
            {"email": LONG, "password": LONG},
            {"email": NUL, "password": NUL},
            {"email": UNICODE, "password": UNICODE},
            {"email": other, "password": NUL},
            {"email": email, "password": PASSWORD},  # yourself
        ],
    )
    r = client.post("/accounts/merge/account/", {"email": with_totp, "password": PASSWORD})
    assert location(r) == "/accounts/merge/second-factor/"
    check(
        "/accounts/merge/second-factor/",
        [{}, {"code": LONG}, {"code": NUL}, {"code": UNICODE}, {"code": "000000000"}],
    )
    for path, data in [
        ("/accounts/merge/second-factor/", {"action": "send", "method": NUL}),
        ("/accounts/two-factor/code/%00/", {}),
        ("/accounts/two-factor/code/" + "A" * 3000 + "/", {"action": "disable"}),
    ]:
        r = client.post(path, data, token=token)
        assert r.status_code < 500 and r.status_code in (302, 404), (path, r.status_code)
    for path in ["/accounts/activity/?kind=%00&page=%00", "/api/v1/me/activity?limit=abc"]:
        assert client.get(path).status_code < 500, path
    r = client.get("/api/v1/me/activity?limit=-99999999999999999999999")
    assert r.status_code == 200 and len(r.json()) == 1
    # Nothing was merged, nothing was deleted.
    assert client.me().json()["email"] == email
    active = "SELECT is_active FROM accounts_user WHERE email = %s"
    assert db(server).value(active, with_totp) and db(server).value(active, email)
    no_server_errors(server, since)


def test_garbage_at_the_headless_api_gives_client_errors(live_server_proc, accounts):
    server = live_server_proc
    since = log_size(server)
    email, code_email = accounts.plain(), accounts.plain()
    totp_email, _ = accounts.totp()
    database = db(server)
    database.query(
        "INSERT INTO accounts_codefactor (user_id, method, created) VALUES (%s, 'email', %s)",
        user_id(server, code_email),
        database.param(datetime.now(UTC)),
    )

    def token_for(who: str, status: int) -> dict[str, str]:
        r = app_api(server, "/auth/login", json={"email": who, "password": PASSWORD})
        assert r.status_code == status, r.text
        return {"X-Session-Token": r.json()["meta"]["session_token"]}

    signed_in = token_for(email, 200)
    totp_pending = token_for(totp_email, 401)
    code_pending = token_for(code_email, 401)
    json_bodies: list[Any] = [
        {},
        [],
        None,
        "string",
        12345,
        {"email": 123, "password": ["x"], "code": {"a": 1}, "key": None, "method": 5},
        {"email": LONG, "password": LONG, "code": LONG, "key": LONG, "method": LONG},
        {"email": NUL, "password": NUL, "code": NUL, "key": NUL, "method": NUL},
        {"email": UNICODE, "password": UNICODE, "code": UNICODE, "key": UNICODE},
        {"current_password": NUL, "new_password": LONG, "method": "sms"},
        {"email": email, "password": NUL},
    ]
    raw_bodies = [b"", b"not json", b"{", b"\x00\xff\xfe", ("{" * 5000).encode(), b"[" * 5000]
    endpoints = [
        ("/auth/login", {}),
        ("/auth/signup", {}),
        ("/auth/password/request", {}),
        ("/auth/password/reset", {}),
        ("/auth/code/confirm", {}),
        ("/auth/2fa/authenticate", totp_pending),
        ("/auth/2fa/code/send", code_pending),
        ("/auth/2fa/code/authenticate", code_pending),
        ("/auth/reauthenticate", signed_in),
        ("/account/password/change", signed_in),
        ("/account/email", signed_in),
        ("/account/phone", signed_in),
    ]
    for path, headers in endpoints:
        for body in json_bodies:
            r = app_api(server, path, json=body, headers=headers)
            assert r.status_code < 500, (path, str(body)[:80], r.status_code, r.text[:300])
            if r.status_code == 400 and isinstance(body, dict) and body:
                assert r.json()["errors"], (path, str(body)[:80])
        for raw in raw_bodies:
            r = app_api(
                server, path, data=raw, headers={**headers, "Content-Type": "application/json"}
            )
            assert 400 <= r.status_code < 500, (path, raw[:20], r.status_code, r.text[:300])
        r = app_api(server, path, data={"email": email}, headers=headers)  # a form, not JSON
        assert r.status_code < 500, (path, r.status_code)
    r = app_api(
        server, "/auth/password/reset", method="GET", headers={"X-Password-Reset-Key": "A" * 3000}
    )
    assert r.status_code == 400
    for token in ["x", "A" * 5000, UNICODE.encode().hex()]:
        r = requests.get(server.url + "/api/v1/me", headers={"X-Session-Token": token}, timeout=30)
        assert r.status_code == 401
    # The garbage signed nobody in.
    for headers in (totp_pending, code_pending):
        me = requests.get(server.url + "/api/v1/me", headers=headers, timeout=30)
        assert me.status_code == 401
    no_server_errors(server, since)


def headless_paths() -> list[str]:
    """Every route of allauth's headless API for apps (and lanward's additions to it)."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns: list[Any], prefix: str = "") -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    paths = sorted({"/" + p for p in walk(get_resolver().url_patterns)})
    return [p for p in paths if p.startswith("/_allauth/app/v1/") and "<" not in p]


def test_no_headless_route_fails_with_any_method(live_server_proc, accounts):
    server = live_server_proc
    since = log_size(server)
    paths = headless_paths()
    assert "/_allauth/app/v1/auth/login" in paths and "/_allauth/app/v1/account/phone" in paths
    email = accounts.plain()
    totp_email, _ = accounts.totp()

    def token_for(who: str) -> dict[str, str]:
        r = app_api(server, "/auth/login", json={"email": who, "password": PASSWORD})
        return {"X-Session-Token": r.json()["meta"]["session_token"]}

    calls = [
        (method, path, headers)
        for headers in ({}, token_for(email), token_for(totp_email))
        for path in paths
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        # (signing out would spoil the token for the calls after it)
        if not (path.endswith("/auth/session") and method == "DELETE")
    ]

    def call(method: str, path: str, headers: dict[str, str]) -> tuple[str, str, bool, int]:
        r = requests.request(method, server.url + path, json={}, headers=headers, timeout=30)
        return method, path, bool(headers), r.status_code

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda c: call(*c), calls))
    assert [a for a in answers if a[3] >= 500] == []
    no_server_errors(server, since)
