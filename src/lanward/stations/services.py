"""Pairing stations within a license's seats, heartbeats and removal."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from lanward.accounts.models import User
from lanward.licensing.keys import issue_token
from lanward.licensing.models import License

from .models import PairingCode, Station


class PairingError(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Paired:
    station: Station
    secret: str
    token: str


def _normalize_pairing_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def _pair(owner: User, name: str) -> Paired:
    name = " ".join(name.split())[:64]
    if not name:
        raise PairingError("Give the station a name, e.g. “Living room”.", "name")
    now = timezone.now()
    with transaction.atomic():
        # Lock the owner's licenses so concurrent pairings count seats one at a time.
        licenses = list(
            License.objects.select_for_update()
            .filter(owner=owner)
            .select_related("plan")
            .order_by("ends_at")
        )
        usable = [lic for lic in licenses if lic.is_usable(now)]
        if not usable:
            raise PairingError(
                "There is no active license on this account. Activate or renew one first.",
                "no_license",
            )
        for license in usable:
            if license.stations.filter(removed_at__isnull=True).count() < license.plan.seats:
                secret, secret_hash = Station.new_secret()
                station = Station.objects.create(
                    owner=owner, license=license, name=name, secret_hash=secret_hash
                )
                return Paired(station, secret, issue_token(license, str(station.id)))
        seats = sum(lic.plan.seats for lic in usable)
        raise PairingError(
            f"All {seats} seats of your license are in use. Remove a station or upgrade to a plan with more stations.",
            "no_seats",
        )


def pair_with_code(raw_code: str, name: str) -> Paired:
    code = _normalize_pairing_code(raw_code)
    now = timezone.now()
    with transaction.atomic():
        pairing = PairingCode.objects.select_for_update().filter(code=code).first()
        if pairing is None or pairing.used_at is not None or pairing.expires_at <= now:
            raise PairingError(
                "This pairing code is wrong, used or expired. Make a new one in the portal under Stations.",
                "bad_code",
            )
        paired = _pair(pairing.owner, name)
        pairing.used_at = now
        pairing.save(update_fields=["used_at"])
    return paired


def pair_with_credentials(
    email: str, password: str, name: str, request: HttpRequest | None
) -> Paired:
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise PairingError(
            "The email or password is not correct, or the account is locked.", "credentials"
        )
    from allauth.mfa.utils import is_mfa_enabled

    if is_mfa_enabled(user) or user.code_factors.exists():  # type: ignore[attr-defined]
        raise PairingError(
            "This account uses two-factor sign-in: pair with a pairing code from the portal instead.",
            "mfa",
        )
    return _pair(user, name)  # type: ignore[arg-type]


def heartbeat(station: Station, version: str = "") -> str:
    now = timezone.now()
    Station.objects.filter(pk=station.pk).update(
        last_heartbeat=now, version=version[:32] or station.version
    )
    station.refresh_from_db()
    return issue_token(station.license, str(station.id))


def remove(station: Station) -> None:
    Station.objects.filter(pk=station.pk, removed_at__isnull=True).update(removed_at=timezone.now())
