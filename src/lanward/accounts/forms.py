"""Forms of the accounts app."""

from __future__ import annotations

from typing import Any

import phonenumbers
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.base.internal.flows import post_authentication
from django import forms
from django.contrib.auth import password_validation

from .models import OneTimeCode, User


class LoginCodeForm(AuthenticateForm):
    """Accepts an emailed or texted code, an authenticator-app code or a recovery code."""

    used_one_time_code = False

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip().replace(" ", "")
        if code and OneTimeCode.consume(self.user, "login", code):
            self.used_one_time_code = True
            return code
        self.cleaned_data["code"] = code
        return super().clean_code()

    def save(self) -> None:
        if self.used_one_time_code:
            record_authentication(context.request, self.user, "mfa", type="one_time_code")
            return
        post_authentication(context.request, self.authenticator)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "country", "recovery_email"]
        labels = {"country": "Country"}

    def clean_recovery_email(self) -> str:
        value = (self.cleaned_data.get("recovery_email") or "").strip().lower()
        if value and value == self.instance.email.lower():
            raise forms.ValidationError(
                "Use a different address from your sign-in email, so it still works if you "
                "lose access to that one."
            )
        return value


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="Mobile phone number",
        max_length=32,
        help_text="With the country code, e.g. +1 415 555 2671.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, country: str = "", **kwargs: Any) -> None:
        self.country = country or None
        super().__init__(*args, **kwargs)

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        try:
            number = phonenumbers.parse(raw, self.country)
        except phonenumbers.NumberParseException:
            raise forms.ValidationError(
                "This does not look like a phone number. Include the country code, e.g. +1."
            ) from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(
                "This number is not valid for its country. Check the digits and the country code."
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("Enter the digits from the message we sent you.")
        return code


class MergeCredentialsForm(forms.Form):
    email = forms.EmailField(
        label="Email of the other account",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label="Password of the other account",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class MergeSecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Two-factor code of the other account",
        max_length=32,
        help_text="From its authenticator app, one of its recovery codes, or the code we sent.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and its data are deleted for good.", required=True
    )

    def __init__(self, *args: Any, user: User, request: Any = None, **kwargs: Any) -> None:
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        from django.contrib.auth import authenticate

        password = self.cleaned_data["password"]
        # Through the backend, so wrong guesses count toward the lockout like any sign-in.
        if authenticate(self.request, email=self.user.email, password=password) is None:
            raise forms.ValidationError("This is not your current password.")
        return password


def password_help() -> str:
    return password_validation.password_validators_help_text_html()
