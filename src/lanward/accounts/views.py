"""Views of the accounts app: thin, the work is in models and the small service modules."""

from __future__ import annotations

import json
import time
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.decorators import login_stage_required
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import activity, merge
from .factors import DeliveryError, mask_email, mask_phone, send_code
from .forms import (
    CodeForm,
    DeleteAccountForm,
    LoginCodeForm,
    MergeCredentialsForm,
    MergeSecondFactorForm,
    PhoneForm,
    ProfileForm,
)
from .models import AccountEvent, CodeFactor, OneTimeCode, User
from .stages import CodeFactorStage

Kind = AccountEvent.Kind


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {
        "recent": AccountEvent.objects.filter(user=user)[:5],
        "mfa_on": is_mfa_enabled(user) or user.code_factors.exists(),
        "email_verified": EmailAddress.objects.filter(user=user, verified=True).exists(),
    }
    from lanward.licensing.summary import protection_summary

    context["protection"] = protection_summary(user)
    if user.has_perm("inventory.view_device"):
        from lanward.inventory.summary import station_summary

        context["station"] = station_summary()
    return render(request, "accounts/home.html", context)


# --- Profile ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        changed = ", ".join(form.changed_data)
        form.save()
        if changed:
            activity.record(user, Kind.PROFILE_CHANGED, request, f"changed: {changed}")
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    methods = set(user.code_factors.values_list("method", flat=True))
    return render(
        request,
        "accounts/security.html",
        {
            "totp": Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first(),
            "recovery": Authenticator.objects.filter(
                user=user, type=Authenticator.Type.RECOVERY_CODES
            ).first(),
            "email_factor": "email" in methods,
            "sms_factor": "sms" in methods,
            "masked_phone": mask_phone(user.phone) if user.phone else "",
        },
    )


@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def phone(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    pending = request.session.get("phone_pending")
    if request.method == "POST" and "code" in request.POST and pending:
        code_form = CodeForm(request.POST)
        if code_form.is_valid() and OneTimeCode.consume(
            user, "phone", code_form.cleaned_data["code"]
        ):
            old = user.phone
            user.phone = pending
            user.phone_verified = True
            user.save(update_fields=["phone", "phone_verified"])
            del request.session["phone_pending"]
            activity.record(
                user,
                Kind.PHONE_CHANGED,
                request,
                f"{mask_phone(old) or 'none'} -> {mask_phone(pending)}",
            )
            messages.success(request, "Your phone number is verified.")
            return redirect("accounts:security")
        if code_form.is_valid():
            code_form.add_error(
                "code",
                "That code is wrong or has expired. Check the text message or send a new code.",
            )
        return render(
            request,
            "accounts/phone.html",
            {"form": PhoneForm(), "code_form": code_form, "pending": pending},
        )
    form = PhoneForm(request.POST or None, country=str(user.country or ""))
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["phone"]
        try:
            send_code(user, "sms", "phone", request, phone=number)
        except DeliveryError as exc:
            form.add_error("phone", str(exc))
        else:
            request.session["phone_pending"] = number
            messages.info(request, f"We sent a code to {mask_phone(number)}.")
            return redirect("accounts:phone")
    return render(
        request,
        "accounts/phone.html",
        {"form": form, "code_form": CodeForm() if pending else None, "pending": pending},
    )


@reauthentication_required
@require_POST
def remove_phone(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    CodeFactor.objects.filter(user=user, method="sms").delete()
    user.phone, user.phone_verified = "", False
    user.save(update_fields=["phone", "phone_verified"])
    activity.record(user, Kind.PHONE_CHANGED, request, "removed")
    messages.success(request, "Your phone number is removed; SMS codes are off.")
    return redirect("accounts:security")


# --- Email and SMS second factors -----------------------------------------------------------


@reauthentication_required
@require_POST
def code_factor(request: HttpRequest, method: str) -> HttpResponse:
    user = _user(request)
    if method not in CodeFactor.Method.values:
        messages.error(request, "Unknown two-factor method.")
        return redirect("accounts:security")
    label = CodeFactor.Method(method).label
    if request.POST.get("action") == "disable":
        deleted, _ = CodeFactor.objects.filter(user=user, method=method).delete()
        if deleted:
            activity.record(user, Kind.MFA_REMOVED, request, label)
            messages.success(request, f"{label} is off.")
        return redirect("accounts:security")
    if method == "sms" and not (user.phone and user.phone_verified):
        messages.error(
            request, "Add and verify a mobile phone number first, then turn on SMS codes."
        )
        return redirect("accounts:phone")
    _, created = CodeFactor.objects.get_or_create(user=user, method=method)
    if created:
        activity.record(user, Kind.MFA_ADDED, request, label)
        messages.success(request, f"{label} is on: we will ask for a code at each sign-in.")
    return redirect("accounts:security")


@login_stage_required(stage=CodeFactorStage.key, redirect_urlname="account_login")
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    stage = request._login_stage  # type: ignore[attr-defined]
    user: User = stage.login.user
    methods = list(user.code_factors.values_list("method", flat=True))
    form = LoginCodeForm(user=user)
    if request.method == "POST" and request.POST.get("action") == "send":
        method = request.POST.get("method", "")
        if method in methods:
            try:
                send_code(user, method, "login", request)
            except DeliveryError as exc:
                messages.error(request, str(exc))
            else:
                where = mask_email(user.email) if method == "email" else mask_phone(user.phone)
                messages.info(request, f"We sent a code to {where}.")
        return redirect("accounts:login_code")
    if request.method == "POST":
        form = LoginCodeForm(user=user, data=request.POST)
        if form.is_valid():
            form.save()
            return stage.exit()
    return render(
        request,
        "accounts/login_code.html",
        {
            "form": form,
            "methods": methods,
            "has_totp": is_mfa_enabled(user, [Authenticator.Type.TOTP]),
            "masked_email": mask_email(user.email),
            "masked_phone": mask_phone(user.phone) if user.phone else "",
        },
    )


# --- Activity, export, delete -------------------------------------------------------------


@login_required
def activity_log(request: HttpRequest) -> HttpResponse:
    events = AccountEvent.objects.filter(user=_user(request))
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        events = events.filter(kind=kind)
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    return render(
        request, "accounts/activity.html", {"page": page, "kinds": Kind.choices, "kind": kind}
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "country": str(user.country or ""),
            "phone": user.phone,
            "phone_verified": user.phone_verified,
            "recovery_email": user.recovery_email,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user)
        ],
        "two_factor": {
            "authenticators": [
                {
                    "type": a.type,
                    "created_at": a.created_at.isoformat(),
                    "last_used_at": a.last_used_at.isoformat() if a.last_used_at else None,
                }
                for a in Authenticator.objects.filter(user=user)
            ],
            "code_methods": list(user.code_factors.values_list("method", flat=True)),
        },
        "activity": [
            {
                "time": e.created.isoformat(),
                "kind": e.kind,
                "ip": e.ip,
                "user_agent": e.user_agent,
                "detail": e.detail,
            }
            for e in AccountEvent.objects.filter(user=user)
        ],
    }
    from allauth.usersessions.models import UserSession

    data["sessions"] = [
        {
            "ip": s.ip,
            "user_agent": s.user_agent,
            "created_at": s.created_at.isoformat(),
            "last_seen_at": s.last_seen_at.isoformat(),
        }
        for s in UserSession.objects.filter(user=user)
    ]
    activity.record(user, Kind.EXPORTED, request)
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="lanward-account.json"'
    return response


@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DeleteAccountForm(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        email = user.email
        logout(request)
        user.delete()
        messages.success(request, f"The account {email} and its data are deleted.")
        return redirect("account_login")
    return render(request, "accounts/delete.html", {"form": form})


# --- Merge accounts -----------------------------------------------------------------------

MERGE_KEY = "lanward_merge"
MERGE_TTL = 600
GENERIC_MERGE_ERROR = (
    "The email or password is not correct, or that account cannot sign in right now. "
    "Check them and try again."
)


def _merge_state(request: HttpRequest) -> dict[str, Any]:
    state = request.session.get(MERGE_KEY) or {}
    if state and time.time() - state.get("at", 0) > MERGE_TTL:
        request.session.pop(MERGE_KEY, None)
        return {}
    return state


def _set_merge_state(request: HttpRequest, **values: Any) -> None:
    request.session[MERGE_KEY] = {"at": time.time(), **values}


def _merge_source(request: HttpRequest, state: dict[str, Any]) -> User | None:
    source_id = state.get("source")
    return User.objects.filter(pk=source_id, is_active=True).first() if source_id else None


def _needs_second_factor(user: User) -> bool:
    return is_mfa_enabled(user) or user.code_factors.exists()


@login_required
@require_http_methods(["GET", "POST"])
def merge_start(request: HttpRequest) -> HttpResponse:
    """Step 1: confirm your own password."""
    user = _user(request)
    error = ""
    if request.method == "POST":
        # Through the backend, so wrong guesses count toward the lockout like any sign-in.
        if authenticate(request, email=user.email, password=request.POST.get("password", "")):
            _set_merge_state(request, step="credentials")
            return redirect("accounts:merge_credentials")
        error = "This is not your current password."
    return render(request, "accounts/merge_start.html", {"error": error})


@login_required
@require_http_methods(["GET", "POST"])
def merge_credentials(request: HttpRequest) -> HttpResponse:
    """Step 2: the other account's email and password (counted toward its lockout)."""
    state = _merge_state(request)
    if state.get("step") not in {"credentials", "second_factor", "review"}:
        return redirect("accounts:merge")
    form = MergeCredentialsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        other = authenticate(
            request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if other is None:
            form.add_error(None, GENERIC_MERGE_ERROR)
        else:
            try:
                merge.check(_user(request), other)  # type: ignore[arg-type]
            except merge.MergeRefused as exc:
                form.add_error(None, str(exc))
            else:
                step = "second_factor" if _needs_second_factor(other) else "review"  # type: ignore[arg-type]
                _set_merge_state(request, step=step, source=other.pk)
                return redirect(f"accounts:merge_{step}")
    return render(request, "accounts/merge_credentials.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def merge_second_factor(request: HttpRequest) -> HttpResponse:
    """Step 3: the other account's second factor, when it has one."""
    state = _merge_state(request)
    source = _merge_source(request, state)
    if state.get("step") != "second_factor" or source is None:
        return redirect("accounts:merge")
    methods = list(source.code_factors.values_list("method", flat=True))
    form = MergeSecondFactorForm()
    if request.method == "POST" and request.POST.get("action") == "send":
        method = request.POST.get("method", "")
        if method in methods:
            try:
                send_code(source, method, "merge", request)
                messages.info(request, "We sent a code to the other account.")
            except DeliveryError as exc:
                messages.error(request, str(exc))
        return redirect("accounts:merge_second_factor")
    if request.method == "POST":
        form = MergeSecondFactorForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"].strip().replace(" ", "")
            ok = OneTimeCode.consume(source, "merge", code) or any(
                a.wrap().validate_code(code)
                for a in Authenticator.objects.filter(user=source).exclude(
                    type=Authenticator.Type.WEBAUTHN
                )
            )
            if ok:
                _set_merge_state(request, step="review", source=source.pk)
                return redirect("accounts:merge_review")
            activity.record(source, Kind.MFA_FAILED, request, "wrong code during a merge")
            form.add_error("code", "That code is not right. Check it and try again.")
    return render(
        request,
        "accounts/merge_second_factor.html",
        {"form": form, "methods": methods, "has_totp": is_mfa_enabled(source)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def merge_review(request: HttpRequest) -> HttpResponse:
    """Step 4: review what will move, then confirm."""
    state = _merge_state(request)
    source = _merge_source(request, state)
    if state.get("step") != "review" or source is None:
        return redirect("accounts:merge")
    if request.method == "POST":
        request.session.pop(MERGE_KEY, None)
        try:
            moved = merge.merge(_user(request), source, request)
        except merge.MergeRefused as exc:
            messages.error(request, str(exc))
            return redirect("accounts:merge")
        messages.success(
            request,
            f"Merged. {len(moved)} item(s) moved to this account; the other account is closed.",
        )
        return redirect("accounts:activity")
    return render(
        request,
        "accounts/merge_review.html",
        {"source": source, "items": merge.preview(source), "target": _user(request)},
    )


@require_POST
@login_required
def merge_cancel(request: HttpRequest) -> HttpResponse:
    request.session.pop(MERGE_KEY, None)
    messages.info(request, "Merge canceled; nothing changed.")
    return HttpResponseRedirect(reverse("accounts:profile"))


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps({"status": "ok"}), content_type="application/json")
