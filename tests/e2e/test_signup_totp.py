"""Sign-up with email verification, then an authenticator app whose codes work only once."""

from __future__ import annotations

import base64
import os
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import unique_email

from .helpers import (
    create_user,
    enable_totp,
    expect_signed_in,
    open_security,
    run_py,
    screenshot,
    sign_in,
    sign_out,
    sign_up,
    submit_sign_in,
    totp_code,
    two_factor_row,
)

pytestmark = pytest.mark.e2e

PASSWORD = "tidal marmot lantern 42"


def test_totp_code_matches_rfc6238_vectors() -> None:
    # RFC 6238 appendix B (SHA-1, 8 digits); the 6-digit code is its last six digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, at=59, digits=8) == "94287082"
    assert totp_code(secret, at=1111111109, digits=8) == "07081804"
    assert totp_code(secret, at=1234567890) == "005924"


def test_sign_up_verify_and_sign_in_with_a_totp_code_that_works_once(page, live_server_proc):
    server = live_server_proc
    email = unique_email("totp")

    sign_up(page, server, email, PASSWORD)
    sign_in(page, server, email, PASSWORD)
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()

    secret = enable_totp(page, PASSWORD)
    open_security(page)
    expect(two_factor_row(page, "Authenticator app")).to_contain_text("on")
    expect(two_factor_row(page, "Recovery codes")).to_contain_text("10 unused")
    screenshot(page, "security")
    sign_out(page)

    # First use: the code is taken now and used at once. The server accepts codes of the previous,
    # current and next period, so a second use within 30 s of the first is still inside the code's
    # validity window: only replay protection can refuse it.
    code = totp_code(secret)
    submit_sign_in(page, server, email, PASSWORD)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(code)
    first_use = time.time()
    page.get_by_role("button", name="Sign In").click()
    expect_signed_in(page, email)
    sign_out(page)

    # Second use of the same code string: refused with an error by the field.
    submit_sign_in(page, server, email, PASSWORD)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_label("Code").fill(code)
    assert time.time() - first_use < 25, "too slow: the code may have left its validity window"
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("alert").filter(has_text="Incorrect code.")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("navigation", name="Account", exact=True)).to_have_count(0)
    now = time.time()
    still_valid = {totp_code(secret, at=now + d) for d in (-30, 0, 30)}
    assert code in still_valid, "the code had expired rather than been refused as a replay"

    # A fresh code (next period: still inside the tolerance) finishes the sign-in.
    page.get_by_label("Code").fill(totp_code(secret, at=now + 30))
    page.get_by_role("button", name="Sign In").click()
    expect_signed_in(page, email)


def test_a_used_totp_code_is_remembered_while_it_is_still_accepted(page, live_server_proc):
    """With MFA_TOTP_TOLERANCE=1 a code is accepted during three periods; allauth alone remembers
    a used code for one period only, so it could be replayed 30-60 s after use. lanward's
    accounts app extends that memory (accounts/apps.py); this checks the expiry it stores."""
    server = live_server_proc
    email = unique_email("totpmemory")
    secret = base64.b32encode(os.urandom(20)).decode()
    create_user(server, email, PASSWORD, totp_secret=secret)
    now = time.time()
    code, code_counter = totp_code(secret, at=now), int(now // 30)
    submit_sign_in(page, server, email, PASSWORD)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign In").click()
    expect_signed_in(page, email)
    # Accepted while the current period is the code's own or the next one (tolerance 1).
    accepted_until = (code_counter + 2) * 30
    remembered_until = float(
        run_py(
            server,
            f"""
from django.core.cache import cache
from django.db import connection, models
from lanward.accounts.models import User
user = User.objects.get(email={email!r})
key = cache.make_and_validate_key(f"allauth.mfa.totp.used?user={{user.pk}}&code={code}")
with connection.cursor() as cursor:
    cursor.execute("SELECT expires FROM lanward_cache WHERE cache_key = %s", [key])
    value = cursor.fetchone()[0]
expression = models.Expression(output_field=models.DateTimeField())
for convert in connection.ops.get_db_converters(expression) + expression.get_db_converters(
    connection
):
    value = convert(value, expression, connection)
print(value.timestamp())
""",
        )
    )
    assert remembered_until >= accepted_until, (
        f"used code forgotten {accepted_until - remembered_until:.0f} s before it stops working"
    )
