"""The running server answers and the signup mail reaches the test SMTP server."""

import re

import requests

from tests.conftest import first_link, unique_email


def csrf(session: requests.Session, url: str) -> str:
    html = session.get(url, timeout=10).text
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def test_signup_sends_verification_mail(live_server_proc):
    s = requests.Session()
    email = unique_email("smoke")
    url = live_server_proc.url + "/accounts/signup/"
    r = s.post(
        url,
        data={
            "csrfmiddlewaretoken": csrf(s, url),
            "email": email,
            "password1": "correct horse battery",
            "password2": "correct horse battery",
        },
        headers={"Referer": url},
        timeout=30,
    )
    assert r.status_code == 200, r.text[:500]
    msg = live_server_proc.mailbox.wait_for(email, "confirm")
    assert "/accounts/confirm-email/" in first_link(msg, "confirm-email")


def test_the_programs_keep_their_logs_in_the_data_folder(live_server_proc):
    """`lanward serve` and the job runner it starts each write their own log file (the
    troubleshooting bundle's "station logs"); the web server keeps warnings and errors."""
    import time

    missing = f"/no-such-page-{time.time_ns()}/"
    assert requests.get(live_server_proc.url + missing, timeout=10).status_code == 404
    logs = live_server_proc.data_dir / "logs"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        web = (logs / "web.log").read_text() if (logs / "web.log").exists() else ""
        if missing in web:
            break
        time.sleep(0.2)
    assert f"WARNING django.request: Not Found: {missing}" in web
    assert "INFO" not in web  # the web workers keep only warnings and errors
    assert (logs / "jobs.log").exists()
