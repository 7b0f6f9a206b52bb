from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings/", views.settings_page, name="settings"),
    path("export/", views.export, name="export"),
    path("delete/", views.erase, name="erase"),
    path("troubleshooting/", views.troubleshooting, name="troubleshooting"),
    path("troubleshooting/send/", views.troubleshooting_send, name="troubleshooting_send"),
]
