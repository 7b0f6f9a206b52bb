from django.apps import AppConfig


class LanwardConfig(AppConfig):
    name = "lanward"
    verbose_name = "lanward"
