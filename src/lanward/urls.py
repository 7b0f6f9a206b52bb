from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from lanward.accounts import headless as account_headless
from lanward.accounts import views as account_views
from lanward.api import api
from lanward.licensing import views as licensing_views

admin.site.site_header = "lanward administration"
admin.site.site_title = "lanward"
# Staff sign in through allauth like everyone else: Django's own admin login form would check the
# password only and skip two-factor authentication and email verification.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path(
        "downloads/", TemplateView.as_view(template_name="lanward/downloads.html"), name="downloads"
    ),
    path("accounts/recover-email/", licensing_views.recover_email, name="recover_email"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("lanward.accounts.urls")),
    *account_headless.urlpatterns(),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    path("", include("lanward.inventory.urls")),
    path("usage/", include("lanward.usage.urls")),
    path("protection/", include("lanward.dnsfilter.urls")),
    path("alerts/", include("lanward.threats.urls")),
    path("security-check/", include("lanward.securitycheck.urls")),
    path("notifications/", include("lanward.notify.urls")),
    path("licenses/", include("lanward.licensing.urls")),
    path("stations/", include("lanward.stations.urls")),
    path("support/", include("lanward.support.urls")),
    path("privacy/", include("lanward.privacy.urls")),
    path("admin/", admin.site.urls),
]
