from django.urls import path

from . import views

app_name = "licensing"

urlpatterns = [
    path("", views.license_list, name="licenses"),
    path("activate/", views.activate, name="activate"),
    path("<int:pk>/", views.license_detail, name="license"),
    path("<int:pk>/key/", views.license_key, name="license_key"),
    path("<int:pk>/auto-renew/", views.auto_renew, name="auto_renew"),
    path("<int:pk>/renew/", views.renew, name="renew"),
    path("<int:pk>/upgrade/", views.upgrade, name="upgrade"),
]
