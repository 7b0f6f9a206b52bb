from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("devices/", views.device_list, name="devices"),
    path("devices/<int:pk>/", views.device_detail, name="device"),
    path("devices/<int:pk>/access/<str:action>/", views.device_access, name="device_access"),
    path("devices/<int:pk>/links/<int:link_pk>/unlink/", views.device_unlink, name="device_unlink"),
    path("members/", views.member_list, name="members"),
    path("members/new/", views.member_edit, name="member_new"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/delete/", views.member_delete, name="member_delete"),
    path("members/<int:pk>/picture/", views.member_picture, name="member_picture"),
]
