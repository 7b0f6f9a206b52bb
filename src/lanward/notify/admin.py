from django.contrib import admin

from .models import Channel, Delivery, Notification, SourceCursor


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created", "recipient", "kind", "severity", "title", "read_at")
    list_filter = ("kind", "severity")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("owner", "type", "name", "enabled", "consecutive_failures", "failing_since")
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("notification", "channel", "status", "attempts", "next_attempt", "last_error")
    list_filter = ("status", "digest")


admin.site.register(SourceCursor)
