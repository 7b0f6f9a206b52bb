"""The project's own JSON API under /api/v1/ (django-ninja), with allauth session-token auth.

Clients authenticate through allauth's headless API (/_allauth/app/v1/auth/login) and send the
session token it returns as `X-Session-Token`; browsers may use their session cookie.
"""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.ninja.security import x_session_token_auth
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

import lanward

api = NinjaAPI(
    title="lanward API",
    version="1",
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[x_session_token_auth, django_auth],
)


class VersionOut(Schema):
    name: str
    version: str


class EventOut(Schema):
    time: str
    kind: str
    label: str
    ip: str | None
    user_agent: str
    detail: str


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    country: str
    phone: str
    phone_verified: bool
    two_factor: bool


@api.get("/version", auth=None, response=VersionOut, summary="Server name and version")
def version(request: HttpRequest) -> dict[str, Any]:
    return {"name": "lanward", "version": lanward.__version__}


@api.get("/me", response=MeOut, summary="The signed-in account")
def me(request: HttpRequest) -> dict[str, Any]:
    from allauth.mfa.utils import is_mfa_enabled

    user = request.auth if hasattr(request.auth, "email") else request.user  # type: ignore[attr-defined]
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "country": str(user.country or ""),
        "phone": user.phone,
        "phone_verified": user.phone_verified,
        "two_factor": is_mfa_enabled(user) or user.code_factors.exists(),
    }


@api.get("/me/activity", response=list[EventOut], summary="Recent account activity")
def my_activity(request: HttpRequest, limit: int = 50) -> list[dict[str, Any]]:
    from lanward.accounts.models import AccountEvent

    user = request.auth if hasattr(request.auth, "email") else request.user  # type: ignore[attr-defined]
    limit = max(1, min(limit, 500))
    return [
        {
            "time": e.created.isoformat(),
            "kind": e.kind,
            "label": e.get_kind_display(),
            "ip": e.ip,
            "user_agent": e.user_agent,
            "detail": e.detail,
        }
        for e in AccountEvent.objects.filter(user=user)[:limit]
    ]


# --- Licenses and stations ------------------------------------------------------------------

from uuid import UUID  # noqa: E402

from django.shortcuts import get_object_or_404  # noqa: E402
from ninja.errors import HttpError  # noqa: E402
from ninja.security import HttpBearer  # noqa: E402

from lanward.lib import ratelimit  # noqa: E402


def _user(request: HttpRequest) -> Any:
    return request.auth if hasattr(request.auth, "email") else request.user  # type: ignore[attr-defined]


class LicenseOut(Schema):
    id: int
    plan: str
    plan_name: str
    status: str
    starts_at: str
    ends_at: str
    days_left: int
    seats: int
    seats_used: int
    key: str
    auto_renew: bool
    subscription_status: str
    renewal_amount: str
    currency: str


def _license_out(lic: Any) -> dict[str, Any]:
    sub = lic.subscription
    return {
        "id": lic.pk,
        "plan": lic.plan.slug,
        "plan_name": lic.plan.name,
        "status": lic.display_status(),
        "starts_at": lic.starts_at.isoformat(),
        "ends_at": lic.ends_at.isoformat(),
        "days_left": lic.days_left(),
        "seats": lic.plan.seats,
        "seats_used": lic.seats_used,
        "key": lic.masked_key,
        "auto_renew": sub.auto_renew,
        "subscription_status": sub.status,
        "renewal_amount": str(sub.amount),
        "currency": sub.currency,
    }


class ErrorOut(Schema):
    code: str
    detail: str


class CodeIn(Schema):
    code: str


class AutoRenewIn(Schema):
    enabled: bool


class RecoverIn(Schema):
    activation_code: str


class RecoverOut(Schema):
    message: str
    email: str


def _own_license(request: HttpRequest, pk: int) -> Any:
    from lanward.licensing.models import License

    return get_object_or_404(
        License.objects.select_related("plan", "subscription"), pk=pk, owner=_user(request)
    )


@api.get("/licenses", response=list[LicenseOut], summary="Your licenses", tags=["licenses"])
def list_licenses(request: HttpRequest) -> list[dict[str, Any]]:
    from lanward.licensing.models import License

    return [
        _license_out(lic)
        for lic in License.objects.filter(owner=_user(request)).select_related(
            "plan", "subscription"
        )
    ]


@api.post(
    "/licenses/activate",
    response={201: LicenseOut, 400: ErrorOut, 429: ErrorOut},
    tags=["licenses"],
)
def activate_license(request: HttpRequest, body: CodeIn) -> Any:
    from lanward.licensing import services

    try:
        lic = services.activate(_user(request), body.code, ratelimit.client_ip(request))
    except services.LicensingError as exc:
        return (429 if exc.code == "rate_limited" else 400), {"code": exc.code, "detail": str(exc)}
    return 201, _license_out(lic)


@api.post(
    "/licenses/{license_id}/auto-renew",
    response={200: LicenseOut, 400: ErrorOut},
    tags=["licenses"],
)
def license_auto_renew(request: HttpRequest, license_id: int, body: AutoRenewIn) -> Any:
    from lanward.licensing import services

    lic = _own_license(request, license_id)
    try:
        services.set_auto_renew(lic, body.enabled)
    except services.LicensingError as exc:
        return 400, {"code": exc.code, "detail": str(exc)}
    return 200, _license_out(_own_license(request, license_id))


@api.post(
    "/licenses/{license_id}/renew", response={200: LicenseOut, 400: ErrorOut}, tags=["licenses"]
)
def license_renew(request: HttpRequest, license_id: int) -> Any:
    from lanward.licensing import services

    lic = _own_license(request, license_id)
    try:
        services.renew_now(lic)
    except services.LicensingError as exc:
        return 400, {"code": exc.code, "detail": str(exc)}
    return 200, _license_out(_own_license(request, license_id))


@api.post(
    "/account/recover-email",
    auth=None,
    response={200: RecoverOut, 400: ErrorOut, 429: ErrorOut},
    tags=["account"],
)
def recover_email(request: HttpRequest, body: RecoverIn) -> Any:
    from lanward.licensing import services

    try:
        return 200, services.recover_email(body.activation_code, request)
    except services.LicensingError as exc:
        return (429 if exc.code == "rate_limited" else 400), {"code": exc.code, "detail": str(exc)}


class StationOut(Schema):
    id: UUID
    name: str
    license_id: int
    online: bool
    version: str
    last_heartbeat: str | None
    created: str


def _station_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "license_id": s.license_id,
        "online": s.is_online(),
        "version": s.version,
        "last_heartbeat": s.last_heartbeat.isoformat() if s.last_heartbeat else None,
        "created": s.created.isoformat(),
    }


class PairingCodeOut(Schema):
    code: str
    expires_at: str


class PairIn(Schema):
    name: str
    pairing_code: str | None = None
    email: str | None = None
    password: str | None = None


class PairedOut(Schema):
    station_id: UUID
    secret: str
    license_token: str
    public_key: str


class HeartbeatIn(Schema):
    version: str = ""


class HeartbeatOut(Schema):
    license_token: str
    license_status: str


class StationAuth(HttpBearer):
    """A station authenticates with `Authorization: Bearer <secret>` from its pairing."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        station_id = (
            request.resolver_match.kwargs.get("station_id") if request.resolver_match else None
        )
        from lanward.stations.models import Station

        try:
            station_id = UUID(str(station_id))
        except ValueError:
            return None  # not a station id: 401, like a wrong secret (not a 500)
        station = (
            Station.objects.filter(pk=station_id, removed_at__isnull=True)
            .select_related("license__plan")
            .first()
        )
        if station is not None and station.check_secret(token):
            return station
        return None


@api.get("/stations", response=list[StationOut], tags=["stations"])
def list_stations(request: HttpRequest) -> list[dict[str, Any]]:
    from lanward.stations.models import Station

    return [
        _station_out(s)
        for s in Station.objects.filter(owner=_user(request), removed_at__isnull=True)
    ]


@api.post("/stations/pairing-codes", response={201: PairingCodeOut}, tags=["stations"])
def create_pairing_code(request: HttpRequest) -> Any:
    from lanward.stations.models import PairingCode

    code = PairingCode.issue(_user(request))
    return 201, {"code": code.pretty, "expires_at": code.expires_at.isoformat()}


@api.post(
    "/stations/pair",
    auth=None,
    response={201: PairedOut, 400: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    tags=["stations"],
)
def pair_station(request: HttpRequest, body: PairIn) -> Any:
    from lanward.licensing.keys import public_key_pem
    from lanward.stations import services

    if not ratelimit.hit(f"pair:{ratelimit.client_ip(request)}", 30, 600):
        return 429, {
            "code": "rate_limited",
            "detail": "Too many pairing attempts. Wait ten minutes.",
        }
    try:
        if body.pairing_code:
            paired = services.pair_with_code(body.pairing_code, body.name)
        elif body.email and body.password:
            paired = services.pair_with_credentials(body.email, body.password, body.name, request)
        else:
            return 400, {
                "code": "missing",
                "detail": "Send a pairing_code, or the account's email and password.",
            }
    except services.PairingError as exc:
        return (409 if exc.code == "no_seats" else 400), {"code": exc.code, "detail": str(exc)}
    return 201, {
        "station_id": paired.station.id,
        "secret": paired.secret,
        "license_token": paired.token,
        "public_key": public_key_pem(),
    }


@api.post(
    "/stations/{station_id}/heartbeat",
    auth=StationAuth(),
    response={200: HeartbeatOut},
    tags=["stations"],
)
def station_heartbeat(request: HttpRequest, station_id: UUID, body: HeartbeatIn) -> Any:
    from lanward.stations import services

    station = request.auth  # type: ignore[attr-defined]
    token = services.heartbeat(station, body.version)
    return 200, {"license_token": token, "license_status": station.license.display_status()}


@api.delete("/stations/{station_id}", response={204: None}, tags=["stations"])
def delete_station(request: HttpRequest, station_id: UUID) -> Any:
    from lanward.stations import services
    from lanward.stations.models import Station

    station = get_object_or_404(
        Station, pk=station_id, owner=_user(request), removed_at__isnull=True
    )
    services.remove(station)
    return 204, None


@api.get(
    "/license-public-key",
    auth=None,
    tags=["stations"],
    summary="The PEM public key that verifies license tokens",
)
def license_public_key(request: HttpRequest) -> Any:
    from django.http import HttpResponse

    from lanward.licensing.keys import public_key_pem

    return HttpResponse(public_key_pem(), content_type="application/x-pem-file")


__all__ = ["api", "HttpError"]
