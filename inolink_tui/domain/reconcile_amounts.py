"""The amount checks of `reconcile` for recorded payments (issue 16 item 6): a payment CRM has recorded must hold
QuickBooks' figures, not only exist.

For each QuickBooks payment of a linked customer that CRM has recorded: the payment row's amount and unapplied
amount against TotalAmt and UnappliedAmt, and each application row's amount applied against what the payment's
lines paid that invoice (domain/payments.py `applications`), to the cent; an application row CRM holds for an
invoice the payment no longer pays is reported too. A payment's Link Job rewrites its row and applications from
QuickBooks (an upsert on the same ids), so these drifts are fixable: `--fix` queues the Payment Link Job named by
`fix_payment`. An application CRM holds that QuickBooks dropped is not removed by that job (money rows are
never deleted by the engine), so it is reported without a fix.

`totals_drift` compares a linked customer's year-to-date sales and last transaction date with QuickBooks' (issue 16
item 2), as the Low Priority service writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.customer_totals import NO_TOTALS, CustomerTotals
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.invoice_status import amount
from inolink_tui.domain.payments import applications
from inolink_tui.domain.reconcile import Drift, DriftKind
from inolink_tui.domain.reconcile_money import CENT, cents

REWRITE = "a Payment Link Job rewrites the payment and its applications from QuickBooks (--fix queues it)"


def _cents(value: Any) -> Decimal:
    """A CRM money value to the cent; empty reads as 0 (the engine writes 0 for no unapplied amount)."""
    return cents(value) or Decimal("0.00")


def fixable_by_payment(drifts: Iterable[Drift]) -> list[Drift]:
    """Payment and application drifts (a payment missing, an application missing) made fixable by the payment's
    own Link Job: `qbo_id` is the QuickBooks payment Id for both kinds."""
    return [
        replace(d, fixable=True, fix_payment=d.qbo_id)
        if d.kind in (DriftKind.PAYMENT, DriftKind.APPLICATION) and d.qbo_id and not d.fix_payment
        else d
        for d in drifts
    ]


def payment_amount_drift(
    schema: CrmSchema,
    payments: Iterable[Mapping[str, Any]],
    customers: Mapping[str, tuple[EntityType, str]],
    payment_rows: Mapping[str, Mapping[str, Any]],
    application_rows: Mapping[str, Mapping[str, Any]],
) -> list[Drift]:
    """Amounts of recorded payments (`payment_rows`: QuickBooks payment Id -> CRM row) and of their applications
    (`application_rows`: "<payment Id>|<invoice Id>" -> CRM row) against QuickBooks' payments."""
    p = schema.payment
    by_payment: dict[str, dict[str, Mapping[str, Any]]] = {}
    for key, row in application_rows.items():
        pid, _, invoice_id = key.partition("|")
        by_payment.setdefault(pid, {})[invoice_id] = row
    out: list[Drift] = []
    for payment in payments:
        pid = str(payment.get("Id") or "")
        customer = payment.get("CustomerRef") or {}
        linked = customers.get(str(customer.get("value") or ""))
        recorded_row = payment_rows.get(pid)
        if linked is None or recorded_row is None:
            continue  # unlinked customer, or not recorded at all (payment_drift reports that)
        name = f"Payment {payment.get('PaymentRefNum') or payment.get('DocNumber') or pid}"
        if customer.get("name"):
            name += f" - {customer['name']}"
        base = Drift(DriftKind.PAYMENT, linked[0], name, linked[1], pid, side="CRM", fixable=True, fix_payment=pid)
        base = replace(base, detail=REWRITE)
        for column, field, want in (
            (p("amount"), "amount", amount(payment.get("TotalAmt")).quantize(CENT)),
            (p("unappliedamount"), "unapplied amount", amount(payment.get("UnappliedAmt")).quantize(CENT)),
        ):
            if (have := _cents(recorded_row.get(column))) != want:
                out.append(replace(base, field=field, crm_value=str(have), qbo_value=str(want)))
        recorded = by_payment.get(pid, {})
        paid = {a.invoice_id: a.amount.quantize(CENT) for a in applications(payment)}
        app = replace(base, kind=DriftKind.APPLICATION)
        for invoice_id, want in sorted(paid.items()):
            found = recorded.get(invoice_id)
            if found is not None and (have := _cents(found.get(p("amountapplied")))) != want:
                out.append(
                    replace(app, field=f"invoice {invoice_id} applied", crm_value=str(have), qbo_value=str(want))
                )
        for invoice_id, row in sorted(recorded.items()):
            if invoice_id not in paid:
                out.append(
                    replace(
                        app,
                        field=f"invoice {invoice_id} applied",
                        crm_value=str(_cents(row.get(p("amountapplied")))),
                        fixable=False,
                        fix_payment="",
                        detail="CRM records an application QuickBooks' payment no longer has",
                    )
                )
    return out


def totals_drift(
    schema: CrmSchema,
    entity_type: EntityType,
    name: str,
    crm_id: str,
    qbo_id: str,
    row: Mapping[str, Any],
    totals: Mapping[str, CustomerTotals],
) -> list[Drift]:
    """A linked account's or contact's year-to-date sales (to the cent) and last transaction date (the day)
    against QuickBooks' (domain/customer_totals.py); a customer QuickBooks has no figures for sold nothing."""
    figures = totals.get(qbo_id, NO_TOTALS)
    last = figures.last_transaction.isoformat() if figures.last_transaction else None
    have_last = str(row.get(schema.last_transaction_date) or "")[:10] or None
    wanted = [
        (schema.ytd_sales, str(_cents(row.get(schema.ytd_sales))), str(figures.ytd_sales.quantize(CENT))),
        (schema.last_transaction_date, have_last, last),
    ]
    return [
        Drift(
            DriftKind.AGING,
            entity_type,
            name,
            crm_id,
            qbo_id,
            field=column,
            crm_value=have,
            qbo_value=want,
            detail="the next Low Priority cycle writes QuickBooks' sales and last transaction date",
        )
        for column, have, want in wanted
        if have != want
    ]
