"""The block page. When the resolver answers blocked names with the station's address, browsers
arrive here asking for the blocked site's Host: say which list blocked it and how to ask for an
exception, instead of showing the console or a connection error."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _own_names() -> set[str]:
    names = {"localhost", "testserver", "lanward.local", socket.gethostname().lower()}
    names.add(settings.LANWARD_PUBLIC_HOST.split(":")[0].lower())
    names.update(h.lower() for h in settings.LANWARD_STATION_NAMES)
    return names


class BlockPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.own = _own_names()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.META.get("HTTP_HOST", "").rsplit(":", 1)[0].strip("[]").lower().rstrip(".")
        if host and host not in self.own and not _is_ip(host) and "." in host:
            from .services import why

            decision = why(host)
            return render(
                request,
                "dnsfilter/blocked.html",
                {"domain": host, "decision": decision},
                status=403,
            )
        return self.get_response(request)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
