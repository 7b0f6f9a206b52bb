"""Signed webhook POSTs (Standard Webhooks) and the rules for where they may go.

Every request carries three headers, as the Standard Webhooks specification defines them
(https://www.standardwebhooks.com/), so a receiver can use any of its libraries or a few lines:

    webhook-id:         a message id, the same on every retry of one message (deduplicate on it)
    webhook-timestamp:  seconds since the epoch when this attempt was signed
    webhook-signature:  "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))

`key` is the channel's secret without its "whsec_" prefix, base64-decoded. A receiver recomputes
the HMAC over the raw body bytes, compares in constant time, and refuses timestamps more than
five minutes away from its clock (replays). docs/notifications.md has a complete receiver.

Targets: only http(s) URLs whose host resolves to public addresses. The station's own network
(private, loopback, link-local, ...) is refused unless LANWARD_WEBHOOK_ALLOWED_NETS lists it, so a
webhook can't be turned into a way to reach devices at home (STYLE rule 6). The addresses are
checked when the channel is saved and again before every request.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
USER_AGENT = "lanward-webhook/1"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookError(Exception):
    """A delivery failed. `permanent`: trying again the same way won't help (e.g. HTTP 404)."""

    def __init__(self, message: str, permanent: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class TargetError(ValueError):
    """The URL may not be used as a webhook; the message says why and what to do."""


@dataclass(frozen=True)
class Sent:
    status: int
    elapsed: float


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, base64, with the spec's "whsec_" prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    at = datetime.fromtimestamp(timestamp, UTC)
    signature = Webhook(secret).sign(msg_id, at, body.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """CIDR strings ("192.168.1.10/32") as networks; a bad entry raises ValueError naming it."""
    nets: list[Network] = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(
                f"{entry!r} is not an address or network (e.g. 192.168.1.10/32)"
            ) from exc
    return nets


def check_url(url: str) -> tuple[str, int]:
    """(host, port) of a URL a webhook may use, or TargetError saying what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"This is not a valid web address ({exc}).") from exc
    if parts.scheme not in ("http", "https"):
        if not parts.scheme:
            raise TargetError(
                "A webhook address starts with https:// (or http://), "
                "e.g. https://hooks.example.com/lanward."
            )
        raise TargetError(
            f"A webhook address starts with https:// (or http://), not {parts.scheme}://."
        )
    if not parts.hostname:
        raise TargetError("The address has no host name, e.g. https://hooks.example.com/lanward.")
    if parts.username or parts.password:
        raise TargetError(
            "Don't put a user name or password in the address: the receiver checks the "
            "signature instead (see the secret shown after saving)."
        )
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (an IP literal is its own answer)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetError(f"The host name {host} can't be found; check the address.") from exc
    return sorted({str(info[4][0]) for info in infos})


def check_addresses(host: str, addresses: Sequence[str], allowed: Sequence[Network]) -> None:
    """Every address must be public, or inside a network the owner allowed."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if any(address in net for net in allowed):
            continue
        if not address.is_global or address.is_multicast:
            shown = host if host == text else f"{host} ({text})"
            raise TargetError(
                f"{shown} is not an internet address (it is on the home network, the station "
                "itself or a reserved range). "
                f"To send webhooks there (e.g. to Home Assistant), set "
                f"LANWARD_WEBHOOK_ALLOWED_NETS={address}/{address.max_prefixlen} on the station."
            )


def check_target(url: str, allowed: Sequence[Network]) -> None:
    host, port = check_url(url)
    check_addresses(host, resolve(host, port), allowed)


def post(
    url: str,
    payload: dict[str, Any],
    secret: str,
    msg_id: str,
    allowed: Sequence[Network] = (),
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> Sent:
    """POST the payload as JSON, signed. 2xx is success; anything else raises WebhookError."""
    try:
        check_target(url, allowed)
    except TargetError as exc:
        raise WebhookError(str(exc), permanent=True) from exc
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **sign(secret, msg_id, int(time.time()), body),
    }
    started = time.monotonic()
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        ) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise WebhookError(f"the receiver did not answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise WebhookError(f"could not connect: {_reason(exc)}") from exc
    elapsed = time.monotonic() - started
    status = response.status_code
    if 200 <= status < 300:
        return Sent(status, elapsed)
    if 300 <= status < 400:
        where = response.headers.get("location", "")
        raise WebhookError(
            f"the receiver redirects (HTTP {status}) to {where or 'another address'}; "
            "use that address instead",
            permanent=True,
            status=status,
        )
    # Client errors mean the request itself is refused (wrong path, signature rejected):
    # retrying won't help. Timeouts, rate limits and server errors are worth another try.
    permanent = 400 <= status < 500 and status not in (408, 425, 429)
    raise WebhookError(f"the receiver answered HTTP {status}", permanent=permanent, status=status)


def _reason(exc: httpx.HTTPError) -> str:
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or str(cause) or type(exc).__name__
    return text[:200]
