from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("security/", views.security, name="security"),
    path("phone/", views.phone, name="phone"),
    path("phone/remove/", views.remove_phone, name="remove_phone"),
    path("two-factor/code/<str:method>/", views.code_factor, name="code_factor"),
    path("login/code/", views.login_code, name="login_code"),
    path("activity/", views.activity_log, name="activity"),
    path("export/", views.export, name="export"),
    path("delete/", views.delete_account, name="delete"),
    path("merge/", views.merge_start, name="merge"),
    path("merge/account/", views.merge_credentials, name="merge_credentials"),
    path("merge/second-factor/", views.merge_second_factor, name="merge_second_factor"),
    path("merge/review/", views.merge_review, name="merge_review"),
    path("merge/cancel/", views.merge_cancel, name="merge_cancel"),
]
