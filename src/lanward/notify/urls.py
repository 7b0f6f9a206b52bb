from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:pk>/device/<str:action>/", views.device_action, name="device_action"),
    path("act/<str:token>/", views.link_action, name="link"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/webhooks/new/", views.add_webhook, name="add_webhook"),
    path("settings/channels/<int:pk>/rules/", views.channel_rules, name="channel_rules"),
    path("settings/channels/<int:pk>/toggle/", views.toggle_channel, name="channel_toggle"),
    path("settings/channels/<int:pk>/delete/", views.delete_channel, name="channel_delete"),
    path("settings/channels/<int:pk>/test/", views.test_channel, name="channel_test"),
    path("settings/channels/<int:pk>/retry/", views.retry_channel, name="channel_retry"),
]
