"""Signed license tokens (Ed25519): issued by the portal, verified offline by a station.

A token is `base64url(payload).base64url(signature)`; the payload is compact JSON with the
license id, plan, seats, license end (`lic_exp`), station id (`sid`), issue time (`iat`) and
token expiry (`exp`). A station refreshes its token at each heartbeat; when it cannot reach the
portal it keeps working until `exp` plus its grace period, but never past the license's end.
Pure: no Django, no clock reads (the caller passes `now`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class TokenError(Exception):
    """The token must not be trusted; `reason` is one of: malformed, signature, station, expired."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class LicenseClaims:
    license_id: int
    plan: str
    seats: int
    station_id: str
    issued_at: int
    expires_at: int
    license_expires_at: int
    in_grace: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    # validate: anything outside the base64url alphabet is malformed, not silently dropped.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def sign(private_key: Ed25519PrivateKey, claims: dict[str, Any]) -> str:
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(private_key.sign(payload))}"


def verify(
    token: str,
    public_key: Ed25519PublicKey,
    station_id: str,
    now: int,
    grace_seconds: int = 7 * 86400,
) -> LicenseClaims:
    try:
        payload_b64, sig_b64 = token.strip().split(".")
        payload, signature = _unb64(payload_b64), _unb64(sig_b64)
    except (ValueError, TypeError) as exc:
        raise TokenError("malformed", "this is not a license token") from exc
    try:
        public_key.verify(signature, payload)
    except InvalidSignature as exc:
        raise TokenError(
            "signature",
            "the license token's signature is not valid (tampered or from another portal)",
        ) from exc
    try:
        data = json.loads(payload)
        claims = LicenseClaims(
            license_id=int(data["lid"]),
            plan=str(data["plan"]),
            seats=int(data["seats"]),
            station_id=str(data["sid"]),
            issued_at=int(data["iat"]),
            expires_at=int(data["exp"]),
            license_expires_at=int(data["lic_exp"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed", "the license token's contents are incomplete") from exc
    if claims.station_id != station_id:
        raise TokenError("station", "this license token was issued to another station")
    if now > claims.license_expires_at:
        raise TokenError("expired", "the license has expired; renew it in the portal")
    if now > claims.expires_at + grace_seconds:
        raise TokenError(
            "expired",
            "the license token is too old and the portal could not be reached to refresh it",
        )
    return LicenseClaims(**{**claims.__dict__, "in_grace": now > claims.expires_at})
