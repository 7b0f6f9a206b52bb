"""The station's client for the account portal: pairing, heartbeats, offline license checks.

All the station says to the portal goes through here (STYLE rule 6): its name, version and the
pairing secret. The license token it gets back is verified offline with the portal's public key.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lanward.lib import license_token as tokens


class PortalError(Exception):
    """Talking to the portal failed; the message says what to do."""


@dataclass
class Pairing:
    portal: str
    station_id: str
    secret: str
    license_token: str
    public_key_pem: str

    def public_key(self) -> Ed25519PublicKey:
        key = serialization.load_pem_public_key(self.public_key_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise PortalError("the stored portal key is not an Ed25519 key; pair the station again")
        return key

    def verify(
        self, now: int | None = None, grace_seconds: int = 7 * 86400
    ) -> tokens.LicenseClaims:
        return tokens.verify(
            self.license_token,
            self.public_key(),
            self.station_id,
            int(time.time()) if now is None else now,
            grace_seconds,
        )


def _post(url: str, body: dict[str, Any], bearer: str = "", timeout: float = 15) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise PortalError(f"the portal address must start with http:// or https://, got {url!r}")
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if bearer:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return dict(json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail", "")
        except (ValueError, AttributeError):
            detail = ""
        raise PortalError(detail or f"the portal answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PortalError(
            f"could not reach the portal at {url}: {getattr(exc, 'reason', exc)}"
        ) from exc


def pair(portal: str, code: str, name: str) -> Pairing:
    portal = portal.rstrip("/")
    data = _post(f"{portal}/api/v1/stations/pair", {"pairing_code": code, "name": name})
    pairing = Pairing(
        portal, str(data["station_id"]), data["secret"], data["license_token"], data["public_key"]
    )
    pairing.verify()  # refuse a portal whose token does not check out
    return pairing


def heartbeat(pairing: Pairing, version: str) -> Pairing:
    data = _post(
        f"{pairing.portal}/api/v1/stations/{pairing.station_id}/heartbeat",
        {"version": version},
        bearer=pairing.secret,
    )
    pairing.license_token = data["license_token"]
    pairing.verify()
    return pairing


def save(pairing: Pairing, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(pairing.__dict__, indent=2))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def load(path: Path) -> Pairing:
    try:
        return Pairing(**json.loads(path.read_text()))
    except FileNotFoundError:
        raise PortalError(
            "this station is not paired yet: run lanward station pair --portal URL --code CODE"
        ) from None
    except (ValueError, TypeError) as exc:
        raise PortalError(f"{path} is damaged; pair the station again") from exc
