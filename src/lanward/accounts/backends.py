"""allauth's email backend with the persistent lockout around every password check."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from . import activity, lockout
from .models import AccountEvent


class LockoutAuthenticationBackend(AuthenticationBackend):
    _request: HttpRequest | None = None

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, **credentials: Any
    ) -> AbstractBaseUser | None:
        self._request = request
        return super().authenticate(request, **credentials)

    def _check_password(
        self, user: AbstractBaseUser | None, password: str
    ) -> AbstractBaseUser | None:
        if user is None:
            return None
        attempt = lockout.begin_attempt(user, self._request)  # type: ignore[arg-type]
        if not attempt.allowed:
            # Refused like a wrong password; the caller still spends one hash on timing.
            activity.record(
                user,  # type: ignore[arg-type]
                AccountEvent.Kind.LOGIN_FAILED,
                self._request,
                "refused: account locked",
            )
            return None
        result = super()._check_password(user, password)
        if result is not None:
            lockout.record_success(user)  # type: ignore[arg-type]
        else:
            lockout.record_failure(user, self._request)  # type: ignore[arg-type]
        return result
