from django.contrib import admin

from .models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("time", "severity", "kind", "device", "summary", "acknowledged")
    list_filter = ("severity", "kind", "acknowledged")
