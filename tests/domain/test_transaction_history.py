"""Transactions entered in QuickBooks as CRM sees them (domain/transaction_history.py), from the shapes of the
QuickBooks reference pages (Invoice, Estimate, CreditMemo, SalesReceipt, Payment "Void")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_ENTITY_TYPE_OPTIONS, CrmSchema
from inolink_tui.domain.enums import SYNCED_ENTITY_TYPES, EntityType
from inolink_tui.domain.filters import parse_filter
from inolink_tui.domain.invoice_status import is_voided
from inolink_tui.domain.transaction_history import (
    RemovedPayments,
    TransactionPolicy,
    history_columns,
    record_columns,
    sales_lines,
    transaction_balance,
    transaction_status,
)

TODAY = date(2026, 3, 10)


def test_sales_transaction_is_a_new_entity_type_and_old_values_stay() -> None:
    assert DEFAULT_ENTITY_TYPE_OPTIONS[EntityType.PAYMENT] == 100000006
    assert DEFAULT_ENTITY_TYPE_OPTIONS[EntityType.SALES_TRANSACTION] == 100000007
    assert EntityType.parse("sales-transaction") is EntityType.SALES_TRANSACTION
    flt = parse_filter("entity:sales-transaction", datetime.now(UTC))
    assert flt.entity_types == (EntityType.SALES_TRANSACTION,)
    assert EntityType.SALES_TRANSACTION not in SYNCED_ENTITY_TYPES and not EntityType.SALES_TRANSACTION.is_transaction
    schema = CrmSchema(prefix="abc")
    assert schema.entity_set_for(EntityType.SALES_TRANSACTION) == "abc_salestransactions"
    assert schema.logical_name_for(EntityType.SALES_TRANSACTION) == "abc_salestransaction"


@pytest.mark.parametrize(
    ("entity", "txn", "status", "balance"),
    [
        ("Invoice", {"TotalAmt": 10, "Balance": 10, "DueDate": "2026-04-01"}, "Open", 10.0),
        ("Invoice", {"TotalAmt": 10, "Balance": 4, "DueDate": "2026-03-01"}, "Overdue", 4.0),
        ("Invoice", {"TotalAmt": 0, "Balance": 0, "PrivateNote": "Voided"}, "Voided", 0.0),
        ("Estimate", {"TotalAmt": 8, "TxnStatus": "Accepted"}, "Accepted", None),
        ("Estimate", {"TotalAmt": 8}, "Pending", None),
        ("CreditMemo", {"TotalAmt": 5, "RemainingCredit": 5}, "Unapplied", 5.0),
        ("CreditMemo", {"TotalAmt": 5, "RemainingCredit": 0}, "Applied", 0.0),
        ("SalesReceipt", {"TotalAmt": 7}, "Paid", 0.0),
    ],
)
def test_status_and_balance_as_the_customer_card_shows(
    entity: str, txn: dict[str, object], status: str, balance: float | None
) -> None:
    assert transaction_status(entity, txn, TODAY) == status
    assert transaction_balance(entity, txn) == balance


def test_void_needs_both_the_note_and_zero_amounts() -> None:
    assert is_voided({"TotalAmt": 0, "PrivateNote": "Voided - wrong customer"})
    assert not is_voided({"TotalAmt": 3, "PrivateNote": "Voided cheque replaced"})
    assert not is_voided({"TotalAmt": 0})


def test_removed_payments_policy() -> None:
    mirror = TransactionPolicy()
    assert not mirror.keeps_removed_payment(deleted=True) and mirror.keeps_removed_payment(deleted=False)
    delete = TransactionPolicy(removed_payments=RemovedPayments.DELETE)
    assert not delete.keeps_removed_payment(deleted=True) and not delete.keeps_removed_payment(deleted=False)
    void = TransactionPolicy(removed_payments=RemovedPayments.VOID)
    assert void.keeps_removed_payment(deleted=True) and void.keeps_removed_payment(deleted=False)


def test_history_row_and_record_header_columns() -> None:
    schema = CrmSchema(prefix="abc")
    memo = {"Id": "42", "DocNumber": "1007", "TxnDate": "2026-03-02", "TotalAmt": "12.50", "RemainingCredit": 2}
    row = history_columns(schema, "CreditMemo", memo, TODAY, "Amy's Bird Sanctuary")
    assert row == {
        "abc_name": "Credit Memo 1007 - Amy's Bird Sanctuary",
        "abc_transactiontype": "Credit Memo",
        "abc_transactionnumber": "1007",
        "abc_transactiondate": "2026-03-02",
        "abc_amount": 12.5,
        "abc_balance": 2.0,
        "abc_transactionstatus": "Unapplied",
        "abc_accountingid": "42",
        "abc_transactionkey": "CreditMemo|42",
    }
    header = record_columns(
        schema, "Invoice", {"Id": "9", "DocNumber": "1010", "CustomerMemo": {"value": "Thanks"}}, "Amy"
    )
    assert header["name"] == "QuickBooks Invoice 1010 - Amy" and header["description"] == "Thanks"
    assert header["abc_accountingid"] == "9" and header["abc_accountingref"] == "1010"


def test_sales_lines_keep_item_lines_only() -> None:
    txn = {
        "Line": [
            {
                "LineNum": 1,
                "Amount": 20,
                "DetailType": "SalesItemLineDetail",
                "Description": "Hours",
                "SalesItemLineDetail": {"ItemRef": {"value": "3", "name": "Hours"}, "Qty": 2, "UnitPrice": 10},
            },
            {"Amount": 9, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "5"}}},
            {"Amount": 29, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ]
    }
    first, second = sales_lines(txn)
    assert (first.number, first.item_id, first.description, first.quantity, first.price) == (1, "3", "Hours", 2, 10)
    assert (second.number, second.item_id, second.quantity, second.price) == (2, "5", 1, 9)
