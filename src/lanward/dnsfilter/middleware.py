"""The block page. When the resolver answers blocked names with the station's address, browsers
arrive here asking for the blocked site's Host: say which list blocked it and how to ask for an
exception, instead of showing the console or a connection error."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lanward.engine.dns.policy import Policy

POLICY_SECONDS = 60.0  # how long the block page trusts the lists it last read
LOG_WAIT_SECONDS = 1.5  # the resolver's query log is written every second


def _own_names() -> set[str]:
    hostname = socket.gethostname().lower()
    names = {"localhost", "testserver", "lanward.local", hostname, f"{hostname}.local"}
    names.add(settings.LANWARD_PUBLIC_HOST.split(":")[0].lower())
    names.update(h.lower() for h in settings.LANWARD_STATION_NAMES)
    # Names the owner told Django the station answers to are the console, not a blocked site.
    names.update(h.lower().lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*")
    return names


class BlockPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.own = _own_names()
        self.policy: Policy | None = None
        self.policy_read = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.META.get("HTTP_HOST", "").rsplit(":", 1)[0].strip("[]").lower().rstrip(".")
        if (
            host
            and host not in self.own
            and not _is_ip(host)
            and "." in host
            and not request.path.startswith(settings.STATIC_URL)  # the block page's own style
        ):
            from .services import why

            decision = why(host, policy=self._policy())
            # A block by the answer's address is known from the resolver's query log only, which
            # it writes every second: the browser may be here before that.
            deadline = time.monotonic() + LOG_WAIT_SECONDS
            while not decision.blocked and time.monotonic() < deadline:
                time.sleep(0.2)
                decision = why(host, policy=self._policy())
            return render(
                request,
                "dnsfilter/blocked.html",
                {"domain": host, "decision": decision},
                status=403,
            )
        return self.get_response(request)

    def _policy(self) -> Policy:
        """The lists, read at most once a minute: every request a blocked page makes lands here,
        and reading them means downloading each list."""
        if self.policy is None or time.monotonic() - self.policy_read > POLICY_SECONDS:
            from .services import CONSOLE_MAX_AGE, build_policy

            self.policy, self.policy_read = build_policy(max_age=CONSOLE_MAX_AGE), time.monotonic()
        return self.policy


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
