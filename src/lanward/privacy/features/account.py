"""Accounts, sign-in and sessions."""

from __future__ import annotations

from ..declare import Data, Egress, Feature, Files, Retention, Switch
from ..destinations import sms_gateway
from .common import ACCOUNT_MAILS, WITH_ACCOUNT, days

ACCOUNTS = Feature(
    key="accounts",
    name="Accounts and sign-in",
    purpose="Who may use the console: sign-in, two-factor authentication, the activity log.",
    apps=("accounts", "account", "mfa", "admin"),
    data=(
        Data(
            "accounts.user",
            "your sign-in email, name, country, phone number and backup email; the password "
            "only as a salted Argon2 hash",
            ("email", "first_name", "last_name", "country", "phone", "recovery_email", "password"),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "account.emailaddress",
            "your email addresses and whether they are verified",
            ("email", "verified"),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "account.emailconfirmation",
            "pending address verifications",
            ("email_address", "sent", "key"),
            Retention("until used or the account is deleted"),
            scope="account",
        ),
        Data(
            "mfa.authenticator",
            "two-factor secrets (authenticator app, recovery codes) and when they were last used",
            ("type", "data", "last_used_at"),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "accounts.codefactor",
            "which code-based second factors (email, SMS) you turned on",
            ("method",),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "accounts.onetimecode",
            "codes sent by email or SMS, stored only as hashes",
            ("code_hash", "expires_at", "used_at"),
            Retention("they expire within minutes; the retention job deletes them a day later"),
            scope="account",
        ),
        Data(
            "accounts.lockstate",
            "failed sign-ins and the address the last one came from",
            ("failures", "last_failure_at", "last_failure_ip"),
            WITH_ACCOUNT,
            scope="account",
        ),
        Data(
            "accounts.accountevent",
            "your account's activity log: sign-ins and changes, with address and browser",
            ("kind", "created", "ip", "user_agent", "detail"),
            days("activity_days", "LANWARD_ACTIVITY_RETENTION_DAYS", 365),
            scope="account",
        ),
        Data(
            "accounts.ratecounter",
            "attempt counters for rate limits, keyed by the action and the client's address",
            ("key", "window", "count"),
            Retention("a window's counter is deleted when the same key is counted again later"),
            scope="account",
        ),
        Data(
            "admin.logentry",
            "what staff changed in the administration pages",
            ("user", "object_repr", "change_message", "action_time"),
            WITH_ACCOUNT,
            scope="account",
        ),
    ),
    files=(
        Files(
            "mail/",
            "the mails the station would have sent, when no mail server is set up",
            days("outbox_days", "LANWARD_OUTBOX_RETENTION_DAYS", 30),
        ),
        Files(
            "sms.log",
            "text messages (number and text) when no SMS gateway is set up",
            days("outbox_days", "LANWARD_OUTBOX_RETENTION_DAYS", 30, rule="lines removed after"),
        ),
    ),
    egress=(
        ACCOUNT_MAILS,
        Egress(
            to="the SMS gateway in LANWARD_SMS_HTTP_URL",
            why="sign-in and phone verification codes by text message",
            sends="the phone number and the code",
            required=True,
            condition="only when LANWARD_SMS_PROVIDER=http and someone turned on SMS codes",
            destinations=sms_gateway,
        ),
    ),
    switches=(
        Switch(
            how="Profile → Delete my account removes the account, its log and what it owns",
            costs="you can no longer sign in; the household's devices and settings stay",
        ),
    ),
)

SESSIONS = Feature(
    key="sessions",
    name="Sessions",
    purpose="Keeping you signed in, and the list of your signed-in browsers (Sessions page).",
    apps=("sessions", "usersessions"),
    data=(
        Data(
            "sessions.session",
            "the signed-in state of each browser",
            ("session_key", "session_data", "expire_date"),
            Retention("until you sign out or it expires; then deleted by the retention job"),
            scope="account",
        ),
        Data(
            "usersessions.usersession",
            "each signed-in browser: its address, browser name and when it was last used",
            ("ip", "user_agent", "last_seen_at"),
            Retention("deleted by the retention job once the session has ended"),
            scope="account",
        ),
    ),
    switches=(
        Switch(
            how="Sessions page: sign out the other browsers",
            costs="those browsers have to sign in again",
        ),
    ),
)
