"""Login stages: the second factor, by authenticator app, recovery code, email or SMS code."""

from __future__ import annotations

from typing import Any

from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.stages import AuthenticateStage

from .models import CodeFactor


def has_code_factor(user: Any) -> bool:
    return CodeFactor.objects.filter(user=user).exists()


class TotpOnlyStage(AuthenticateStage):
    """allauth's authenticator-app stage, for users who have no email or SMS factor."""

    def _should_handle(self, request):  # type: ignore[no-untyped-def]
        if self.login.user is not None and has_code_factor(self.login.user):
            return False
        return super()._should_handle(request)


class CodeFactorStage(LoginStage):
    key = "lanward_code_factor"
    urlname = "accounts:login_code"

    def handle(self) -> tuple:
        user = self.login.user
        if user is None or not has_code_factor(user):
            return None, True
        self.state["authentication_required"] = True
        return headed_redirect_response(self.urlname), True
