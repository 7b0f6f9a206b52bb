from django.urls import path

from . import anomaly_views, views

app_name = "threats"

urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("eve.json", views.export_eve, name="export_eve"),
    path("<int:pk>/", views.alert_detail, name="alert"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/learn/", anomaly_views.learn_normal, name="learn_normal"),
    path("<int:pk>/allow/", views.allow_from_alert, name="allow"),
    path("allowances/", views.allowances, name="allowances"),
    path("feeds/", views.feeds, name="feeds"),
    path("feeds/add/", views.add_feed, name="add_feed"),
    path("feeds/<int:pk>/", views.change_feed, name="change_feed"),
    path("allowances/add/", views.add_allowance, name="add_allowance"),
    path("allowances/<str:what>/<int:pk>/revoke/", views.revoke, name="revoke"),
]
