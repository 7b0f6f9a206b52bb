"""The portal's Ed25519 signing key, generated once into the data dir."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from lanward.lib import license_token


@lru_cache(maxsize=1)
def private_key() -> Ed25519PrivateKey:
    path = Path(settings.LANWARD_LICENSE_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # first writer wins when two workers start together
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise RuntimeError(
            f"{path} is not an Ed25519 key; move it away to let lanward make a new one"
        )
    return loaded


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem() -> str:
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _usable_until(license: Any) -> Any:
    """The license's end date or, while a failed renewal is retried, the end of its grace period:
    the portal shows such a license as past due but usable, so its stations keep working."""
    sub = getattr(license, "subscription", None)
    if sub is not None and sub.status == "past_due" and sub.grace_until:
        return max(license.ends_at, sub.grace_until)
    return license.ends_at


def issue_token(license: Any, station_id: str, now: int | None = None) -> str:
    now = now if now is not None else int(time.time())
    claims = {
        "lid": license.pk,
        "plan": license.plan.slug,
        "seats": license.plan.seats,
        "sid": station_id,
        "iat": now,
        "exp": now + settings.LANWARD_LICENSE_TOKEN_SECONDS,
        "lic_exp": int(_usable_until(license).timestamp()),
    }
    return license_token.sign(private_key(), claims)
