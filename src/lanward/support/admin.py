from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from .models import Ticket, TicketMessage


class MessageInline(admin.StackedInline):
    model = TicketMessage
    fields = ("from_staff", "author", "body", "attachment", "created")
    readonly_fields = ("from_staff", "author", "created")
    extra = 1


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("pk", "subject", "owner", "status", "updated")
    list_filter = ("status",)
    search_fields = ("subject", "owner__email")
    inlines = [MessageInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        answered = False
        for obj in instances:
            if not obj.pk:
                obj.author = request.user
                obj.from_staff = True
                answered = True
            obj.save()
        formset.save_m2m()
        if answered:
            ticket = form.instance
            ticket.status = Ticket.Status.ANSWERED
            ticket.updated = timezone.now()
            ticket.save(update_fields=["status", "updated"])
            from allauth.account.adapter import get_adapter

            from lanward.accounts.notify import mail_context

            with mail_context(request) as req:
                get_adapter(req).send_mail(
                    "support/email/answered", ticket.owner.email, {"ticket": ticket}
                )
