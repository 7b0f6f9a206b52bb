"""allauth adapter: our login stages and mail context."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

MFA_STAGE = "allauth.mfa.stages.AuthenticateStage"


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        stages = super().get_login_stages()
        # allauth's TOTP stage gives way to ours when the user also has an email or SMS factor;
        # ours then offers every method the user has on one page.
        stages = ["lanward.accounts.stages.TotpOnlyStage" if s == MFA_STAGE else s for s in stages]
        index = stages.index("lanward.accounts.stages.TotpOnlyStage") + 1
        stages.insert(index, "lanward.accounts.stages.CodeFactorStage")
        return stages

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        context.setdefault("site_name", settings.SITE_NAME)
        super().send_mail(template_prefix, email, context)

    def get_client_ip(self, request: HttpRequest) -> str:
        # Behind a reverse proxy the operator opts in; otherwise never trust X-Forwarded-For.
        if settings.SECURE_PROXY_SSL_HEADER:
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            if forwarded:
                return forwarded.split(",")[0].strip()
        return request.META.get("REMOTE_ADDR", "")
