"""Email and SMS one-time codes: issuing, delivering and checking them."""

from __future__ import annotations

import secrets

from django.http import HttpRequest

from lanward.lib.sms import SMSError, send_sms

from .models import CodeFactor, OneTimeCode, User
from .notify import send_code_mail

CODE_DIGITS = 6


class DeliveryError(Exception):
    """The code could not be delivered; the message says what to do."""


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def send_code(
    user: User, method: str, purpose: str, request: HttpRequest | None, phone: str = ""
) -> None:
    code = new_code()
    if method == CodeFactor.Method.EMAIL:
        OneTimeCode.issue(user, purpose, method, code)
        send_code_mail(user, code, purpose, request)
        return
    if method == CodeFactor.Method.SMS:
        to = phone or user.phone
        if not to or (not phone and not user.phone_verified):
            raise DeliveryError("Add and verify a phone number in your profile first.")
        OneTimeCode.issue(user, purpose, method, code)
        try:
            send_sms(to, f"Your lanward code is {code}. It expires in 10 minutes.")
        except SMSError as exc:
            raise DeliveryError(
                f"We could not send the text message ({exc}). Try again or use another method."
            ) from exc
        return
    raise DeliveryError(f"Unknown method {method!r}.")


def mask_phone(phone: str) -> str:
    return phone[:3] + "•" * max(0, len(phone) - 5) + phone[-2:] if len(phone) > 5 else phone


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    name, _, tld = domain.rpartition(".")
    return f"{local[:1]}***@{name[:1]}{'*' * max(len(name) - 1, 1)}.{tld}"
