from django.urls import path

from . import views

app_name = "threats"

urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
