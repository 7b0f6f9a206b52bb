"""Sending SMS through a provider interface.

Two real providers: `LogFileSMS` appends each message to a file in the data dir (the default:
nothing leaves the station), and `HttpSMS` posts the message to any HTTP gateway using a URL, an
Authorization header and a body template from settings.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class SMSError(Exception):
    """Sending failed. `permanent` says whether retrying the same message can help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SMSProvider(Protocol):
    def send(self, to: str, text: str) -> None: ...


_log_lock = threading.Lock()


@dataclass
class LogFileSMS:
    path: Path

    def send(self, to: str, text: str) -> None:
        line = json.dumps(
            {"time": datetime.now(UTC).isoformat(timespec="seconds"), "to": to, "text": text}
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _log_lock, self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise SMSError(f"could not write the SMS log {self.path}: {exc.strerror}") from exc


def _json_escape(value: str) -> str:
    return json.dumps(value)[1:-1]


@dataclass
class HttpSMS:
    url: str
    body_template: str
    auth_header: str = ""
    content_type: str = "application/json"
    timeout: float = 10.0

    def render(self, to: str, text: str) -> bytes:
        if self.content_type == "application/json":
            to_v, text_v = _json_escape(to), _json_escape(text)
        else:
            from urllib.parse import quote_plus

            to_v, text_v = quote_plus(to), quote_plus(text)
        # str.replace, not str.format: templates are full of JSON braces.
        return self.body_template.replace("{to}", to_v).replace("{text}", text_v).encode()

    def send(self, to: str, text: str) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise SMSError("the SMS gateway URL must start with http:// or https://", True)
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.url, data=self.render(to, text), method="POST"
        )
        request.add_header("Content-Type", self.content_type)
        if self.auth_header:
            request.add_header("Authorization", self.auth_header)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read(65536)
        except urllib.error.HTTPError as exc:
            raise SMSError(
                f"the SMS gateway refused the message (HTTP {exc.code})", permanent=exc.code < 500
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SMSError(f"could not reach the SMS gateway: {reason}") from exc


def provider_from_settings() -> SMSProvider:
    from django.conf import settings

    name = settings.SMS_PROVIDER
    if name == "log":
        return LogFileSMS(Path(settings.SMS_LOG_FILE))
    if name == "http":
        return HttpSMS(
            url=settings.SMS_HTTP_URL,
            body_template=settings.SMS_HTTP_BODY_TEMPLATE,
            auth_header=settings.SMS_HTTP_AUTH_HEADER,
            content_type=settings.SMS_HTTP_CONTENT_TYPE,
            timeout=settings.SMS_HTTP_TIMEOUT,
        )
    raise SMSError(f"unknown SMS provider {name!r}: set LANWARD_SMS_PROVIDER to log or http", True)


def send_sms(to: str, text: str) -> None:
    provider_from_settings().send(to, text)
