from django.apps import AppConfig


class DnsfilterConfig(AppConfig):
    name = "lanward.dnsfilter"
    label = "dnsfilter"
    verbose_name = "Web threat protection"
    default_auto_field = "django.db.models.BigAutoField"
