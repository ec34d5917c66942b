"""The pure history check of `reconcile` (domain/reconcile_history.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.reconcile import DriftKind
from inolink_tui.domain.reconcile_history import history_drift

S = DEFAULT_SCHEMA
TODAY = date(2026, 3, 1)
CUSTOMERS = {"5": (EntityType.ACCOUNT, "acc-5")}


def txn(tid: str, total: str, balance: str, customer: str = "5", **extra: Any) -> dict[str, Any]:
    ref = {"value": customer, "name": "Amy"}
    return {"Id": tid, "DocNumber": f"D{tid}", "TotalAmt": total, "Balance": balance, "CustomerRef": ref, **extra}


def row(key: str, amount: float, balance: float | None, status: str) -> dict[str, Any]:
    return {
        "ino_salestransactionid": f"row-{key}",
        "ino_transactionkey": key,
        "ino_name": key,
        "ino_amount": amount,
        "ino_balance": balance,
        "ino_transactionstatus": status,
    }


def test_rows_that_agree_are_no_drift_and_a_voided_invoice_must_read_voided() -> None:
    invoices = [txn("1", "10.00", "10.00", DueDate="2026-04-01"), txn("2", "0", "0", PrivateNote="Voided")]
    rows = {"Invoice|1": row("Invoice|1", 10.0, 10.0, "Open"), "Invoice|2": row("Invoice|2", 25.0, 25.0, "Open")}
    found = history_drift(S, {"Invoice": invoices}, CUSTOMERS, rows, set(), TODAY)
    assert [(d.qbo_id, d.field, d.crm_value, d.qbo_value) for d in found] == [
        ("2", "ino_amount", "25.00", "0.00"),
        ("2", "ino_balance", "25.00", "0.00"),
        ("2", "ino_transactionstatus", "Open", "Voided"),
    ]
    assert all(d.kind is DriftKind.HISTORY and d.fix_transaction == "Invoice" and d.fixable for d in found)
    assert found[0].crm_id == "row-Invoice|2"


def test_missing_rows_count_only_for_linked_customers_and_unlinked_transactions() -> None:
    invoices = [txn("1", "5", "5"), txn("2", "6", "6", customer="99"), txn("3", "7", "7")]
    found = history_drift(S, {"Invoice": invoices}, CUSTOMERS, {}, {"Invoice|3"}, TODAY)
    assert [(d.qbo_id, d.side, d.qbo_value, d.crm_id) for d in found] == [("1", "CRM", "5.00", "")]


def test_a_row_of_a_deleted_transaction_is_drift_only_for_types_checked() -> None:
    rows = {"CreditMemo|8": row("CreditMemo|8", 3.0, 0.0, "Applied"), "Estimate|4": row("Estimate|4", 1, None, "x")}
    found = history_drift(S, {"CreditMemo": []}, CUSTOMERS, rows, set(), TODAY)
    assert [(d.qbo_id, d.side, d.crm_id, d.fix_transaction) for d in found] == [
        ("8", "QuickBooks", "row-CreditMemo|8", "CreditMemo")
    ]


def test_an_estimate_has_no_balance_to_compare() -> None:
    estimate = {"Id": "4", "TotalAmt": "9", "TxnStatus": "Accepted", "CustomerRef": {"value": "5"}}
    rows = {"Estimate|4": row("Estimate|4", 9.0, None, "Accepted")}
    assert history_drift(S, {"Estimate": [estimate]}, CUSTOMERS, rows, set(), TODAY) == []


def test_a_history_drift_reads_in_the_table_and_the_json_report() -> None:
    from inolink_tui.domain.reconcile import table_rows

    (drift,) = history_drift(S, {"SalesReceipt": [txn("3", "15", "0")]}, CUSTOMERS, {}, set(), TODAY)
    data = drift.as_json()
    assert (data["kind"], data["entity_type"], data["qbo_id"], data["fix_transaction"]) == (
        "history",
        EntityType.SALES_TRANSACTION.value,
        "3",
        "SalesReceipt",
    )
    (cells,) = table_rows([drift])
    assert cells[0] == "history" and cells[2] == "Sales Receipt D3 - Amy" and cells[-1] == "job"
