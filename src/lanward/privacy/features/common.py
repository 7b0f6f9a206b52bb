"""Retention rules and egress entries several features share."""

from __future__ import annotations

from ..declare import Egress, Retention
from ..destinations import mail_server

UNTIL_DELETED = Retention("until you delete it")
WITH_ACCOUNT = Retention("as long as the account exists; deleted with it")
WITH_DEVICE = Retention("as long as the device is in the inventory; deleted with it")
SETTING = Retention("until you change or remove it")


def days(setting: str, variable: str, default: int, rule: str = "deleted after") -> Retention:
    return Retention(
        f"{rule} the days set in Privacy settings", setting, f"{default} days ({variable})"
    )


ACCOUNT_MAILS = Egress(
    to="the mail server in LANWARD_EMAIL_URL",
    why="account mails: address verification, password reset, sign-in codes, lockout and "
    "license notices",
    sends="the recipient's address and the mail's text",
    required=True,
    condition="only when LANWARD_EMAIL_URL is set; otherwise mails are written to files in "
    "the data folder and nothing is sent",
    destinations=mail_server,
)
