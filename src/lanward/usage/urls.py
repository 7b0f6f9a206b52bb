from django.urls import path

from . import views

app_name = "usage"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("members/<int:pk>/", views.member, name="member"),
    path("export.<str:fmt>", views.export, name="export"),
]
