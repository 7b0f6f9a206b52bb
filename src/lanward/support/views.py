"""Portal pages: support tickets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import services
from .forms import ReplyForm, TicketForm
from .models import Ticket, TicketMessage


def _save_message(ticket: Ticket, request: HttpRequest, body: str, attachment: object) -> None:
    services.add_message(ticket, request.user, body, attachment)


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "support/ticket_list.html", {"tickets": Ticket.objects.filter(owner=request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        ticket = services.open_ticket(
            request.user,
            form.cleaned_data["subject"],
            form.cleaned_data["body"],
            form.cleaned_data.get("attachment"),
        )
        messages.success(request, f"Ticket #{ticket.pk} is open. We answer by mail and here.")
        return redirect("support:ticket", pk=ticket.pk)
    return render(request, "support/ticket_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, owner=request.user)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            _save_message(
                ticket, request, form.cleaned_data["body"], form.cleaned_data.get("attachment")
            )
            ticket.status = Ticket.Status.OPEN
            ticket.updated = timezone.now()
            ticket.save(update_fields=["status", "updated"])
        return redirect("support:ticket", pk=pk)
    return render(
        request,
        "support/ticket_detail.html",
        {"ticket": ticket, "form": form, "ticket_messages": ticket.messages.all()},
    )


@login_required
def attachment(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    msg = get_object_or_404(TicketMessage, pk=message_pk, ticket_id=pk, ticket__owner=request.user)
    if not msg.attachment:
        raise Http404("no attachment")
    try:
        handle = msg.attachment.open("rb")
    except FileNotFoundError:
        raise Http404("attachment missing") from None
    return FileResponse(handle, as_attachment=True, filename=msg.attachment_name or "attachment")
