from django.urls import path

from . import views

app_name = "securitycheck"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("status.json", views.status, name="status"),
    path("scan/", views.scan_now, name="scan"),
    path("runs/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("devices/<int:pk>/", views.device_findings, name="device"),
    path("devices/<int:pk>/recheck/", views.recheck, name="recheck"),
]
