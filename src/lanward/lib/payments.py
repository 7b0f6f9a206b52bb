"""Payment providers. One ships: invoices that staff mark as paid (no outside service needed).

A card processor plugs in by implementing `PaymentProvider.charge` (talking to its API through a
stored customer/payment-method reference, never a card number) and calling
`lanward.licensing.services.invoice_paid` / `invoice_failed` from its webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ChargeResult:
    status: str  # "paid", "pending" (waiting for someone to pay) or "failed"
    reference: str = ""
    message: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(self, invoice: Any) -> ChargeResult: ...


class InvoiceProvider:
    """Renewals create an open invoice; staff mark it paid in the admin when the money arrives."""

    name = "invoice"

    def charge(self, invoice: Any) -> ChargeResult:
        return ChargeResult(
            "pending", reference=f"INV-{invoice.pk:06d}", message="invoice sent; awaiting payment"
        )


def provider_from_settings() -> PaymentProvider:
    from django.conf import settings
    from django.utils.module_loading import import_string

    cls = import_string(settings.LANWARD_PAYMENT_PROVIDER)
    provider: PaymentProvider = cls()
    return provider
