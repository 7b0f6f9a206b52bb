from django.contrib import admin

from .models import AllowEntry, BlockListSource, MemberPolicy, QueryLog


@admin.register(BlockListSource)
class BlockListSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "enabled", "entries", "rejected", "last_update")


@admin.register(QueryLog)
class QueryLogAdmin(admin.ModelAdmin):
    list_display = ("time", "client", "name", "qtype", "action", "list_name")
    list_filter = ("action", "category")
    search_fields = ("name", "client")


admin.site.register(AllowEntry)
admin.site.register(MemberPolicy)
