"""Security headers that Django does not set by itself; deeply nested JSON refused."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

# Pages under these prefixes deal with credentials: never framed, never cached.
AUTH_PREFIXES = ("/accounts/", "/admin/login", "/_allauth/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        csp = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; base-uri 'self'; frame-ancestors 'none'"
        )
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if request.path.startswith(AUTH_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure() and not settings.DEBUG:
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


class HeadlessJSONMiddleware:
    """allauth's headless API answers malformed JSON with 400, but a deeply nested body (a few
    thousand "[") makes its json.loads raise RecursionError, which would be a 500. Refuse such
    bodies with 400 before they reach it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/_allauth/") and request.method not in ("GET", "HEAD"):
            try:
                json.loads(request.body)
            except RecursionError:
                return HttpResponseBadRequest()
            except ValueError:
                pass  # allauth answers it
        return self.get_response(request)
