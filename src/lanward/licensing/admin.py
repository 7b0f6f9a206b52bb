from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import ActivationCode, Invoice, License, Plan, Reminder, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "name",
        "duration_days",
        "seats",
        "renewal_price",
        "currency",
        "is_trial",
        "active",
    )


@admin.register(ActivationCode)
class ActivationCodeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "plan", "batch", "created", "expires_at", "used_at", "used_by")
    list_filter = ("plan", "batch")
    search_fields = ("code", "batch", "used_by__email")
    readonly_fields = ("code", "used_at", "used_by")


class SubscriptionInline(admin.StackedInline):
    model = Subscription
    extra = 0


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    list_display = ("pk", "owner", "plan", "status", "starts_at", "ends_at")
    list_filter = ("status", "plan")
    search_fields = ("owner__email", "key")
    inlines = [SubscriptionInline]


@admin.action(description="Mark the selected invoices as paid")
def mark_paid(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Invoice]
) -> None:
    for invoice in queryset:
        services.invoice_paid(invoice)
    modeladmin.message_user(
        request, f"{queryset.count()} invoice(s) marked paid.", messages.SUCCESS
    )


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("pk", "license", "amount", "currency", "status", "reason", "created", "paid_at")
    list_filter = ("status", "reason")
    actions = [mark_paid]


admin.site.register(Reminder)
