from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lanward.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the activity-log receivers)

        _remember_used_totp_codes_while_valid()


def _remember_used_totp_codes_while_valid() -> None:
    """allauth remembers a used TOTP code for one period, but with MFA_TOTP_TOLERANCE = n a code
    is accepted during 2n+1 periods: once the memory ran out, the same code worked again.
    Remember it for as long as it can be accepted, so that each code works once."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache

    def mark_code_used(self: TOTP, code: str) -> bool:
        window = app_settings.TOTP_PERIOD * (2 * app_settings.TOTP_TOLERANCE + 1)
        return bool(cache.add(self._get_used_cache_key(code), "y", timeout=window))

    TOTP._mark_code_used = mark_code_used  # type: ignore[method-assign]
