from django.urls import path

from . import views

app_name = "dnsfilter"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("lists/", views.add_list, name="add_list"),
    path("lists/<int:pk>/", views.toggle_list, name="toggle_list"),
    path("allow/", views.allow, name="allow"),
    path("members/<int:pk>/", views.member_policy, name="member_policy"),
    path("devices/<int:pk>/", views.device_policy, name="device_policy"),
    path("log/", views.query_log, name="log"),
]
