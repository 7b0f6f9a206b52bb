from django.contrib import admin

from .models import PairingCode, Station


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "license", "version", "last_heartbeat", "removed_at")
    search_fields = ("name", "owner__email")
    readonly_fields = ("secret_hash",)


admin.site.register(PairingCode)
