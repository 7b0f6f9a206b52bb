from django.contrib import admin

from .models import Device, DeviceEvent, DeviceLink, Member, StationNotice


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("mac", "name", "hostname", "type", "brand", "model", "owner", "last_seen")
    list_filter = ("type", "online", "is_new")
    search_fields = ("mac", "name", "hostname", "vendor", "brand", "model")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("name", "created")


admin.site.register(DeviceLink)
admin.site.register(DeviceEvent)
admin.site.register(StationNotice)
