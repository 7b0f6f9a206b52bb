"""The troubleshooting bundle: station logs, configuration, versions and recent errors, with
addresses, names and credentials masked (lanward.privacy.redact).

Nothing is written or sent when a bundle is built: the person reviews the masked text first.
A `Cut` pins what the bundle holds (how far each log reached, the time), so the bundle built
again on "Download" or "Attach" is byte for byte the one reviewed; if it is not (a log was
rotated, the configuration changed), the person is asked to review again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import platform
import socket
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .redact import CREDENTIAL_WORDS, MASK, Redactor

LOG_TAIL_BYTES = 256 * 1024
MAX_LOGS = 12
SKIP_LOGS = {"sms.log"}  # an outbox of text messages, not a log
PACKAGES = ("django", "django-allauth", "django-ninja", "nfstream", "cryptography", "dnspython")
SETTINGS_TOO = (
    "DEBUG",
    "TIME_ZONE",
    "ALLOWED_HOSTS",
    "EMAIL_BACKEND",
    "EMAIL_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "SMS_PROVIDER",
    "SMS_HTTP_URL",
    "SMS_HTTP_AUTH_HEADER",
    "SECRET_KEY",
)


@dataclass
class Cut:
    at: str  # ISO time: database rows up to then
    logs: dict[str, int]  # log path (relative to the data dir) -> bytes included

    @classmethod
    def now(cls) -> Cut:
        return cls(timezone.now().isoformat(), {rel: size for rel, size in _logs()})

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "logs": self.logs}

    @classmethod
    def from_dict(cls, data: Any) -> Cut:
        try:
            return cls(str(data["at"]), {str(k): int(v) for k, v in data["logs"].items()})
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ValueError("not a bundle cut") from exc


@dataclass
class Bundle:
    files: dict[str, str]
    masked: Counter[str] = field(default_factory=Counter)
    cut: Cut | None = None

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return h.hexdigest()

    def zip_bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(self.files):
                info = zipfile.ZipInfo(f"lanward-troubleshooting/{name}", (2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, self.files[name])
        return out.getvalue()

    @property
    def filename(self) -> str:
        stamp = self.cut.at[:16].replace(":", "").replace("-", "") if self.cut else "now"
        return f"lanward-troubleshooting-{stamp}.zip"


def _logs() -> list[tuple[str, int]]:
    """(path relative to the data dir, size) of the station's logs, newest first."""
    root = Path(settings.DATA_DIR)
    found = []
    for path in root.rglob("*.log"):
        rel = path.relative_to(root)
        if path.name in SKIP_LOGS or len(rel.parts) > 3 or rel.parts[0] == "uploads":
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((stat.st_mtime, str(rel), stat.st_size))
    found.sort(reverse=True)
    return [(rel, size) for _, rel, size in found[:MAX_LOGS]]


def _read_log(rel: str, size: int) -> str:
    path = Path(settings.DATA_DIR) / rel
    start = max(0, size - LOG_TAIL_BYTES)
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(size - start)
    except OSError as exc:
        return f"(could not read this log: {exc.strerror})\n"
    text = data.decode("utf-8", "replace")
    if start:
        text = f"(the first {start} bytes are left out)\n" + text.split("\n", 1)[-1]
    return text


def _secret_name(name: str) -> bool:
    import re

    return bool(re.search(CREDENTIAL_WORDS, name, re.I))


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def _configuration() -> dict[str, Any]:
    names = sorted(n for n in dir(settings) if n.startswith("LANWARD_")) + list(SETTINGS_TOO)
    values = {}
    for name in names:
        value = getattr(settings, name, None)
        secret = _secret_name(name) and isinstance(value, str | bytes) and value
        values[name] = MASK if secret else _plain(value)
    db = settings.DATABASES["default"]
    values["DATABASE"] = {
        "ENGINE": db.get("ENGINE"),
        "HOST": db.get("HOST"),
        "NAME": str(db.get("NAME")),
    }
    environment = {
        k: (MASK if _secret_name(k) else v)
        for k, v in sorted(os.environ.items())
        if k.startswith("LANWARD_") or k in ("DATABASE_URL", "TZ")
    }
    from .models import PrivacySettings

    prefs = PrivacySettings.load()
    privacy = {f.name: _plain(getattr(prefs, f.name)) for f in prefs._meta.concrete_fields}
    from lanward.dnsfilter.models import BlockListSource

    lists = list(
        BlockListSource.objects.values(
            "name", "source", "category", "enabled", "entries", "last_update", "last_error"
        )
    )
    return {
        "settings": values,
        "environment": environment,
        "privacy_settings": privacy,
        "block_lists": _plain([{k: str(v) for k, v in row.items()} for row in lists]),
    }


def _versions() -> dict[str, Any]:
    import lanward

    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "lanward": lanward.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": packages,
    }


def _pairing() -> tuple[dict[str, Any], list[str]]:
    """The station's license state (no secret), and the secrets to mask everywhere."""
    from lanward.lib import license_token, portal_client

    try:
        pairing = portal_client.load(Path(settings.DATA_DIR) / "station-pairing.json")
    except portal_client.PortalError as exc:
        return {"paired": False, "problem": str(exc)}, []
    state: dict[str, Any] = {"paired": True, "portal": pairing.portal}
    try:
        claims = pairing.verify(grace_seconds=settings.LANWARD_LICENSE_GRACE_SECONDS)
        state["license"] = {
            "plan": claims.plan,
            "expires": datetime.fromtimestamp(claims.license_expires_at).isoformat(),
            "in_grace": claims.in_grace,
        }
    except (license_token.TokenError, portal_client.PortalError) as exc:
        state["license_problem"] = str(exc)
    return state, [pairing.secret, pairing.license_token]


def _recent_errors(until: datetime) -> dict[str, Any]:
    from lanward.dnsfilter.models import BlockListSource
    from lanward.inventory.models import StationNotice

    notices = StationNotice.objects.filter(created__lte=until).order_by("-created")[:200]
    return {
        "station_notices": [
            {"time": n.created.isoformat(), "kind": n.kind, "message": n.message} for n in notices
        ],
        "block_list_errors": [
            {"list": s.name, "error": s.last_error}
            for s in BlockListSource.objects.exclude(last_error="")
        ],
    }


def _known() -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Names, secrets and MACs the database knows, to mask wherever they appear."""
    from django.apps import apps

    from lanward.accounts.models import User
    from lanward.inventory.models import Device, DeviceLink, Member, UnlinkedMac

    names: list[tuple[str, str]] = [("host", socket.gethostname())]
    macs: list[str] = []
    for mac, name, hostname in Device.objects.values_list("mac", "name", "hostname"):
        macs.append(mac)
        names += [("device", name), ("device", hostname)]
    macs += DeviceLink.objects.values_list("mac", flat=True)
    macs += UnlinkedMac.objects.values_list("mac", flat=True)
    names += [("member", n) for n in Member.objects.values_list("name", flat=True)]
    secrets = [settings.SECRET_KEY, settings.SMS_HTTP_AUTH_HEADER]
    secrets.append(getattr(settings, "EMAIL_HOST_PASSWORD", ""))
    secrets.append(str(settings.DATABASES["default"].get("PASSWORD") or ""))
    for first, last, email, phone in User.objects.values_list(
        "first_name", "last_name", "email", "phone"
    ):
        names += [("person", first), ("person", last), ("email", email), ("phone", phone)]
    if apps.is_installed("lanward.stations"):
        from lanward.stations.models import Station

        names += [("station", n) for n in Station.objects.values_list("name", flat=True)]
    from lanward.licensing.models import ActivationCode, License

    secrets += License.objects.values_list("key", flat=True)
    secrets += ActivationCode.objects.values_list("code", flat=True)
    return [(k, n) for k, n in names if n], [s for s in secrets if s], macs


def build(cut: Cut | None = None) -> Bundle:
    """Build the masked bundle in memory (nothing is written)."""
    cut = cut or Cut.now()
    until = datetime.fromisoformat(cut.at)
    pairing, pairing_secrets = _pairing()
    names, secrets, macs = _known()
    redactor = Redactor(names=names, secrets=secrets + pairing_secrets, macs=macs)

    def as_json(value: Any) -> str:
        plain = json.loads(json.dumps(value, default=str))
        return json.dumps(redactor.data(plain), indent=2) + "\n"

    files = {
        "versions.json": as_json(_versions()),
        "configuration.json": as_json({**_configuration(), "station_pairing": pairing}),
        "recent-errors.json": as_json(_recent_errors(until)),
    }
    for rel, size in sorted(cut.logs.items()):
        files[f"logs/{rel}"] = redactor.text(_read_log(rel, size))
    files["README.txt"] = (
        f"lanward troubleshooting bundle, built {cut.at}.\n\n"
        "IP and MAC addresses, email addresses, phone numbers, the names of devices, people "
        "and this station, and passwords, tokens and keys are replaced by placeholders such "
        "as [ip-1] or [redacted]. The same value always gets the same placeholder.\n\n"
        f"Masked: {', '.join(f'{n} {k}' for k, n in sorted(redactor.counts.items())) or 'nothing'}.\n"
    )
    return Bundle(files, redactor.counts, cut)
