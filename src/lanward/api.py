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
