"""A management app signs in through the headless API with an emailed second-factor code."""

import requests

from tests.conftest import six_digit_code, unique_email

PASSWORD = "headless app passphrase"


def make_user_with_email_factor(live, email):
    live.shell(
        "from allauth.account.models import EmailAddress\n"
        "from lanward.accounts.models import User, CodeFactor\n"
        f"u = User.objects.create_user({email!r}, {PASSWORD!r})\n"
        "EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
        "CodeFactor.objects.create(user=u, method='email')\n"
    )


def test_app_login_with_email_code(live_server_proc):
    live = live_server_proc
    email = unique_email("headless")
    make_user_with_email_factor(live, email)
    base = live.url + "/_allauth/app/v1"

    r = requests.post(base + "/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 401
    body = r.json()
    pending = [f for f in body["data"]["flows"] if f.get("is_pending")]
    assert [f["id"] for f in pending] == ["lanward_code_factor"]
    token = body["meta"]["session_token"]
    headers = {"X-Session-Token": token}

    # Without the code the session is not signed in: the API refuses it.
    assert requests.get(live.url + "/api/v1/me", headers=headers, timeout=10).status_code == 401

    r = requests.post(
        base + "/auth/2fa/code/send", json={"method": "sms"}, headers=headers, timeout=30
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "method_not_enabled"

    r = requests.post(
        base + "/auth/2fa/code/send", json={"method": "email"}, headers=headers, timeout=30
    )
    assert r.status_code == 401  # still pending
    code = six_digit_code(live.mailbox.wait_for(email, "code"))

    r = requests.post(
        base + "/auth/2fa/code/authenticate", json={"code": "000000"}, headers=headers, timeout=30
    )
    assert r.status_code == 400

    r = requests.post(
        base + "/auth/2fa/code/authenticate", json={"code": code}, headers=headers, timeout=30
    )
    assert r.status_code == 200, r.text
    token = r.json()["meta"].get("session_token", token)
    me = requests.get(live.url + "/api/v1/me", headers={"X-Session-Token": token}, timeout=10)
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert me.json()["two_factor"] is True


def test_code_endpoints_refuse_without_a_pending_login(live_server_proc):
    base = live_server_proc.url + "/_allauth/app/v1"
    r = requests.post(base + "/auth/2fa/code/authenticate", json={"code": "123456"}, timeout=10)
    assert r.status_code == 401
