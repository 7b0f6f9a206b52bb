"""Headless (allauth API) endpoints for the email and SMS second factors.

A client whose sign-in is pending on the `lanward_code_factor` flow asks for a code with
`POST /_allauth/{client}/v1/auth/2fa/code/send {"method": "email"|"sms"}` and completes it with
`POST /_allauth/{client}/v1/auth/2fa/code/authenticate {"code": "..."}` (an emailed or texted
code, an authenticator-app code or a recovery code), the same way allauth's own
`auth/2fa/authenticate` completes its `mfa_authenticate` flow.
"""

from __future__ import annotations

from typing import Any

from allauth.headless.base.response import AuthenticationResponse
from allauth.headless.base.views import AuthenticationStageAPIView
from allauth.headless.constants import Client
from allauth.headless.internal.restkit import inputs
from allauth.headless.internal.restkit.response import ErrorResponse
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path

from .factors import DeliveryError, send_code
from .forms import LoginCodeForm
from .models import CodeFactor
from .stages import CodeFactorStage


class SendCodeInput(inputs.Input):
    method = forms.ChoiceField(choices=CodeFactor.Method.choices)


class CodeAuthenticateInput(LoginCodeForm, inputs.Input):
    pass


class SendCodeView(AuthenticationStageAPIView):
    input_class = SendCodeInput
    stage_class = CodeFactorStage

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = self.stage.login.user
        method = self.input.cleaned_data["method"]
        if not CodeFactor.objects.filter(user=user, method=method).exists():
            return ErrorResponse(
                request,
                exception=ValidationError(
                    "This account does not use that method.", code="method_not_enabled"
                ),
            )
        try:
            send_code(user, method, "login", request)
        except DeliveryError as exc:
            return ErrorResponse(request, exception=ValidationError(str(exc), code="delivery"))
        # Still pending: the response lists the flow, like any unfinished sign-in.
        return AuthenticationResponse(request)


class CodeAuthenticateView(AuthenticationStageAPIView):
    input_class = CodeAuthenticateInput
    stage_class = CodeFactorStage

    def get_input_kwargs(self) -> dict[str, Any]:
        return {"user": self.stage.login.user}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.input.save()
        return self.respond_next_stage()


def no_phone_api(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """allauth mounts `account/phone` even when phone numbers are not an allauth feature; its
    view then fails with a 500. Phone numbers are managed at /accounts/phone/."""
    return JsonResponse({"status": 404}, status=404)


def urlpatterns() -> list[URLPattern]:
    patterns = []
    for client in (Client.APP, Client.BROWSER):
        patterns.append(path(f"_allauth/{client.value}/v1/account/phone", no_phone_api))
        prefix = f"_allauth/{client.value}/v1/auth/2fa/code/"
        patterns += [
            path(
                prefix + "send",
                SendCodeView.as_api_view(client=client),
                name=f"headless_{client.value}_code_send",
            ),
            path(
                prefix + "authenticate",
                CodeAuthenticateView.as_api_view(client=client),
                name=f"headless_{client.value}_code_authenticate",
            ),
        ]
    return patterns
