from django.urls import path

from . import views

app_name = "stations"

urlpatterns = [
    path("", views.station_list, name="stations"),
    path("pairing-code/", views.new_pairing_code, name="pairing_code"),
    path("<uuid:pk>/remove/", views.remove_station, name="remove"),
]
