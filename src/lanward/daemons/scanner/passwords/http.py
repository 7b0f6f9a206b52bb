"""Web console logins: HTTP Basic, HTTP Digest (httpx's implementation) and login forms."""

from __future__ import annotations

import httpx

from lanward.daemons.scanner.passwords.attempts import Attempt
from lanward.daemons.scanner.web import fetch, http_client, same_host
from lanward.engine.seccheck import forms
from lanward.engine.seccheck.credentials import Credential
from lanward.engine.seccheck.model import Service


def _transport_error(exc: httpx.HTTPError) -> OSError:
    # Keep only the class name: an httpx message can quote the request.
    return OSError(f"HTTP request failed ({type(exc).__name__})")


def auth_attempt(service: Service, timeout: float) -> Attempt:
    url = str(service.evidence.get("url") or f"{service.name}://{service.address}:{service.port}/")
    digest = service.evidence.get("login") == "digest"

    async def attempt(cred: Credential) -> bool:
        auth: httpx.Auth = (
            httpx.DigestAuth(cred.username, cred.password)
            if digest
            else httpx.BasicAuth(cred.username, cred.password)
        )
        async with http_client(timeout) as client:
            try:
                resp = await client.get(url, auth=auth)
            except httpx.HTTPError as exc:
                raise _transport_error(exc) from None
        return resp.status_code < 400

    return attempt


def form_attempt(service: Service, timeout: float) -> Attempt:
    page_url = str(service.evidence.get("url", ""))

    async def attempt(cred: Credential) -> bool:
        async with http_client(timeout) as client:
            try:
                # The page again each time: hidden fields (tokens) and cookies can change.
                _, body = await fetch(client, "GET", page_url)
                form = forms.login_form(body, page_url)
                if form is None or not same_host(form.action, service.address):
                    return False
                data = form.fill(cred.username, cred.password)
                if form.method == "GET":
                    resp, answer = await fetch(client, "GET", form.action, params=data)
                else:
                    resp, answer = await fetch(client, "POST", form.action, data=data)
            except httpx.HTTPError as exc:
                raise _transport_error(exc) from None
        return forms.login_accepted(resp.status_code, resp.headers.get("location", ""), answer)

    return attempt
