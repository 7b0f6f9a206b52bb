"""Against a running `lanward serve` (its own SQLite file, or PostgreSQL with DATABASE_URL):
one code sent 20 times at once activates one license; two renewal runs at once renew once."""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

import pytest
import requests

from tests.portal_live import create_users, run, session_token

pytestmark = pytest.mark.live


def test_the_same_code_sent_20_times_at_once_activates_one_license(live_server_proc):
    server = live_server_proc
    # Two accounts, ten tries each: all 20 stay within the per-account limit and reach the claim.
    emails = create_users(server, "racer", "racer")
    code = run(server, "result = ActivationCode.issue(Plan.objects.get(slug='home-1y'), 1)[0].code")
    tokens = [session_token(server, email) for email in emails]
    barrier = threading.Barrier(20)
    answers: list[tuple[str, int, dict[str, Any]]] = []
    lock = threading.Lock()

    def activate(i: int) -> None:
        barrier.wait()
        r = requests.post(
            f"{server.url}/api/v1/licenses/activate",
            json={"code": code},
            headers={"X-Session-Token": tokens[i % 2]},
            timeout=60,
        )
        with lock:
            answers.append((emails[i % 2], r.status_code, r.json()))

    threads = [threading.Thread(target=activate, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = Counter(status for _, status, _ in answers)
    assert statuses == {201: 1, 400: 19}, answers
    assert {body["code"] for _, status, body in answers if status == 400} == {"used"}
    winner = next(email for email, status, _ in answers if status == 201)
    stored = run(
        server,
        f"""
code = ActivationCode.objects.get(code={code!r})
result = {{
    "licenses": License.objects.filter(code=code).count(),
    "for_racers": License.objects.filter(owner__email__in={emails!r}).count(),
    "used_by": code.used_by.email,
}}
""",
    )
    assert stored == {"licenses": 1, "for_racers": 1, "used_by": winner}


RENEW_TWICE = """
import threading, time
from datetime import timedelta
from django.db import connection
from lanward.lib.payments import ChargeResult

user = User.objects.create_user({email!r})
EmailAddress.objects.create(user=user, email={email!r}, verified=True, primary=True)
code = ActivationCode.issue(Plan.objects.get(slug="home-1y"), 1)[0]
lic = services.activate(user, code.code, ip="192.0.2.200")
end = timezone.now() - timedelta(hours=1)  # due now; nobody else's license is touched
License.objects.filter(pk=lic.pk).update(ends_at=end)
charges = []

class Slow:
    name = "slow"

    def charge(self, invoice):
        charges.append(invoice.pk)
        time.sleep(0.3)  # hold the charge open so that the two runs overlap
        return ChargeResult("paid", reference="S-1")

barrier = threading.Barrier(2)
renewed, errors = [], []

def run():
    try:
        barrier.wait()
        report = services.run_renewals(provider=Slow())
        renewed.append(report.renewed.count(lic.pk))
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=run) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
lic.refresh_from_db()
result = {{
    "vendor": connection.vendor,
    "renewed": sorted(renewed),
    "errors": errors,
    "charges": len(charges),
    "invoices": Invoice.objects.filter(license=lic).count(),
    "moved_days": (lic.ends_at - end).days,
}}
"""


def test_two_renewal_runs_at_once_renew_exactly_once(live_server_proc):
    server = live_server_proc
    email = f"renew-race-{threading.get_ident()}@example.com"
    result = run(server, RENEW_TWICE.format(email=email))
    assert result["vendor"] == ("postgresql" if os.environ.get("DATABASE_URL") else "sqlite")
    assert result["errors"] == []
    assert result["renewed"] == [0, 1]
    assert result["charges"] == 1 and result["invoices"] == 1
    assert result["moved_days"] == 365
    server.mailbox.wait_for(email, "renewed")
    assert len([m for m in server.mailbox.for_address(email) if "renewed" in m["Subject"]]) == 1
