"""The money checks of `reconcile`: linked invoices, payments with their applications, and aging.

Pure comparisons of what QuickBooks holds (Invoice, Payment records and the AgedReceivables report) with what
the linked CRM rows hold, in the same terms money back to CRM writes them (domain/invoice_status.py,
domain/payments.py, domain/aging.py), to the cent. The detail says which service cycle writes the QuickBooks
figures; payment, application and (paid) invoice drifts are also repaired by a payment's Link Job
(engine/reconcile_money.py marks them, domain/reconcile_amounts.py compares the amounts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from inolink_tui.domain.aging import NO_BALANCE, Aging
from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, amount, invoice_status
from inolink_tui.domain.payments import application_key, applications
from inolink_tui.domain.reconcile import Drift, DriftKind

CENT = Decimal("0.01")
_STATUS_NAME = {value: status.value for status, value in INVOICE_STATUS_OPTIONS.items()}


def cents(value: Any) -> Decimal | None:
    """A CRM money value to the cent; None when empty or not a number (the reconcile checks share this reading)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None


def _status_name(value: Any) -> str | None:
    """The Invoice Status choice's label, the raw value when it is not one of ours, None when empty."""
    if value is None or value == "":
        return None
    try:
        return _STATUS_NAME.get(int(value), str(value))
    except (TypeError, ValueError):
        return str(value)


def invoice_drift(
    schema: CrmSchema, name: str, crm_id: str, row: Mapping[str, Any], invoice: Mapping[str, Any], today: date
) -> list[Drift]:
    """Status, amount paid and balance of a linked CRM invoice against its QuickBooks invoice."""
    total, balance = amount(invoice.get("TotalAmt")).quantize(CENT), amount(invoice.get("Balance")).quantize(CENT)
    status = invoice_status(invoice, today)
    wanted: list[tuple[str, Any, Any]] = [
        (schema.invoice_status, _status_name(row.get(schema.invoice_status)), status.value),
        (schema.amount_paid, cents(row.get(schema.amount_paid)), total - balance),
        (schema.invoice_balance, cents(row.get(schema.invoice_balance)), balance),
    ]
    return [
        Drift(
            DriftKind.INVOICE,
            EntityType.INVOICE,
            name,
            crm_id,
            str(invoice.get("Id") or ""),
            field=column,
            crm_value=None if have is None else str(have),
            qbo_value=str(want),
            detail="the High Priority service rewrites an invoice's status when QuickBooks reports the invoice or "
            "a payment of it changed",
        )
        for column, have, want in wanted
        if have != want
    ]


def payment_drift(
    payments: Iterable[Mapping[str, Any]],
    customers: Mapping[str, tuple[EntityType, str]],
    recorded: set[str],
    recorded_applications: set[str],
) -> list[Drift]:
    """QuickBooks payments of linked customers (`customers`: QuickBooks Id -> entity type, CRM id) that CRM has
    not recorded, or recorded without the application of an invoice the payment paid."""
    out: list[Drift] = []
    for payment in payments:
        pid = str(payment.get("Id") or "")
        customer = payment.get("CustomerRef") or {}
        linked = customers.get(str(customer.get("value") or ""))
        if linked is None:
            continue  # a payment of an unlinked customer is recorded once the customer is linked
        et, crm_id = linked
        name = f"Payment {payment.get('PaymentRefNum') or payment.get('DocNumber') or pid}"
        if customer.get("name"):
            name += f" - {customer['name']}"
        if pid not in recorded:
            out.append(
                Drift(
                    DriftKind.PAYMENT,
                    et,
                    name,
                    crm_id,
                    pid,
                    qbo_value=str(amount(payment.get("TotalAmt")).quantize(CENT)),
                    side="CRM",
                    detail="not recorded in CRM: the next Low Priority cycle records it (payment backfill)",
                )
            )
            continue
        for application in applications(payment):
            key = application_key(pid, application.invoice_id)
            if key not in recorded_applications:
                out.append(
                    Drift(
                        DriftKind.APPLICATION,
                        et,
                        name,
                        crm_id,
                        pid,
                        field=f"invoice {application.invoice_id}",
                        qbo_value=str(application.amount.quantize(CENT)),
                        side="CRM",
                        detail="the payment's application to this invoice is missing in CRM; the High Priority "
                        "service rewrites it when QuickBooks reports the payment changed",
                    )
                )
    return out


def aging_drift(
    schema: CrmSchema,
    entity_type: EntityType,
    name: str,
    crm_id: str,
    qbo_id: str,
    row: Mapping[str, Any],
    aging: Mapping[str, Aging],
) -> list[Drift]:
    """A linked account's or contact's open balance and buckets against the AgedReceivables report's row for its
    customer (a customer the report does not list owes nothing; an empty CRM value is 0)."""
    figures = aging.get(qbo_id, NO_BALANCE)
    out: list[Drift] = []
    for column, want in zip(schema.aging_columns, figures.as_tuple(), strict=True):
        have = cents(row.get(column)) or Decimal("0.00")
        if have != want.quantize(CENT):
            out.append(
                Drift(
                    DriftKind.AGING,
                    entity_type,
                    name,
                    crm_id,
                    qbo_id,
                    field=column,
                    crm_value=str(have),
                    qbo_value=str(want.quantize(CENT)),
                    detail="the next Low Priority cycle writes the AgedReceivables figures",
                )
            )
    return out
