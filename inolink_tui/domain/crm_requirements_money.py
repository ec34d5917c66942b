"""What `crm setup` adds for money coming back from QuickBooks (issue 16): aging and totals on accounts and
contacts, status and balance on invoices, the Payment and Payment Application tables, and the Sales Transaction
table (transactions entered in QuickBooks kept as history).

InoLink keeps payments in a custom entity "with Applied Transaction -> invoice" (reference notes 1.7); here a
payment row holds the QuickBooks payment (its Accounting ID is an alternate key, so a payment is never recorded
twice) and each invoice it paid is a Payment Application row with lookups to the payment and the invoice and
the amount applied (its key "<payment Id>|<invoice Id>" makes a rewrite an upsert, not a second row).
"""

from __future__ import annotations

from inolink_tui.domain.crm_requirements import ColumnSpec, KeySpec, Kind, TableSpec
from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS


def aging_columns(schema: CrmSchema, table: str) -> list[ColumnSpec]:
    """Aging and totals of one customer table (account or contact)."""
    s = schema
    return [
        ColumnSpec(table, s.open_balance, "Open Balance", Kind.MONEY),
        ColumnSpec(table, s.aging_current, "Current (Not Yet Due)", Kind.MONEY),
        ColumnSpec(table, s.overdue_1_to_30, "Overdue 1-30 Days", Kind.MONEY),
        ColumnSpec(table, s.overdue_31_to_60, "Overdue 31-60 Days", Kind.MONEY),
        ColumnSpec(table, s.overdue_61_to_90, "Overdue 61-90 Days", Kind.MONEY),
        ColumnSpec(table, s.overdue_over_90, "Overdue Over 90 Days", Kind.MONEY),
        ColumnSpec(table, s.balance_updated_on, "Balance Updated On", Kind.DATETIME),
        ColumnSpec(table, s.last_transaction_date, "Last Transaction Date", Kind.DATETIME),
        ColumnSpec(table, s.ytd_sales, "Year-to-Date Sales", Kind.MONEY),
    ]


def money_requirements(schema: CrmSchema) -> tuple[list[TableSpec], list[ColumnSpec], list[KeySpec]]:
    """The tables, columns and keys of money back to CRM, named with `schema`'s prefix.

    The account's open balance and 1-30 ... over-90 columns (the Low Priority service's since before) are
    listed here with the contact's, so both customer tables carry the same aging.
    """
    s, p = schema, schema.payment
    columns = aging_columns(s, "account") + aging_columns(s, "contact")
    columns += [
        ColumnSpec(
            "invoice",
            s.invoice_status,
            "Invoice Status",
            Kind.PICKLIST,
            options=tuple((value, status.value) for status, value in INVOICE_STATUS_OPTIONS.items()),
        ),
        ColumnSpec("invoice", s.amount_paid, "Amount Paid", Kind.MONEY),
        ColumnSpec("invoice", s.invoice_balance, "Balance", Kind.MONEY),
        ColumnSpec("invoice", s.accounting_due_date, "Due Date (QuickBooks)", Kind.DATETIME),
        ColumnSpec("invoice", s.last_payment_date, "Last Payment Date", Kind.DATETIME),
    ]
    pt, at = s.payment_table, s.application_table
    payment_name = ColumnSpec(pt, p("name"), "Name", Kind.STRING, max_length=200, primary_name=True)
    columns += [
        ColumnSpec(pt, p("paymentnumber"), "Payment Number", Kind.STRING, max_length=50),
        ColumnSpec(pt, p("paymentdate"), "Payment Date", Kind.DATETIME),
        ColumnSpec(pt, p("amount"), "Amount", Kind.MONEY),
        ColumnSpec(pt, p("unappliedamount"), "Unapplied Amount", Kind.MONEY),
        ColumnSpec(pt, p("paymentmethod"), "Payment Method", Kind.STRING, max_length=100),
        ColumnSpec(pt, p("referencenumber"), "Reference Number", Kind.STRING, max_length=100),
        ColumnSpec(pt, p("accountingid"), "Accounting ID", Kind.STRING, max_length=50),
        ColumnSpec(pt, p("accountid"), "Account", Kind.LOOKUP, targets=("account",)),
        ColumnSpec(pt, p("contactid"), "Contact", Kind.LOOKUP, targets=("contact",)),
        ColumnSpec(pt, s.voided_on, "Voided On", Kind.DATETIME),
    ]
    application_name = ColumnSpec(at, p("name"), "Name", Kind.STRING, max_length=200, primary_name=True)
    columns += [
        ColumnSpec(at, s.application_key, "Application Key", Kind.STRING, max_length=100),
        ColumnSpec(at, s.payment_id, "Payment", Kind.LOOKUP, targets=(pt,)),
        ColumnSpec(at, p("invoiceid"), "Invoice", Kind.LOOKUP, targets=("invoice",)),
        ColumnSpec(at, p("amountapplied"), "Amount Applied", Kind.MONEY),
    ]
    history_tables, history_columns, history_keys = sales_transaction_requirements(s)
    columns += history_columns
    tables = [
        TableSpec(pt, s.payments, "Payment", "Payments", payment_name),
        TableSpec(at, s.applications, "Payment Application", "Payment Applications", application_name),
        *history_tables,
    ]
    keys = [
        KeySpec(pt, s.payment_key, "Accounting ID", (p("accountingid"),)),
        KeySpec(at, p("applicationkey_key"), "Application Key", (s.application_key,)),
        *history_keys,
    ]
    return tables, columns, keys


def sales_transaction_requirements(schema: CrmSchema) -> tuple[list[TableSpec], list[ColumnSpec], list[KeySpec]]:
    """InoLink's *Sales Transactions* store (reference notes 1.7): one row per transaction entered in QuickBooks
    that `[sync]` keeps as history (domain/transaction_history.py), under its account or contact. The key
    "<QuickBooks entity>|<Id>" makes a rewrite an upsert."""
    s, c, tt = schema, schema.sales_transaction, schema.sales_transaction_table
    name = ColumnSpec(tt, c("name"), "Name", Kind.STRING, max_length=200, primary_name=True)
    columns = [
        ColumnSpec(tt, c("transactiontype"), "Transaction Type", Kind.STRING, max_length=50),
        ColumnSpec(tt, c("transactionnumber"), "Number", Kind.STRING, max_length=50),
        ColumnSpec(tt, c("transactiondate"), "Date", Kind.DATETIME),
        ColumnSpec(tt, c("amount"), "Amount", Kind.MONEY),
        ColumnSpec(tt, c("balance"), "Balance", Kind.MONEY),
        ColumnSpec(tt, c("transactionstatus"), "Status", Kind.STRING, max_length=50),
        ColumnSpec(tt, c("accountingid"), "Accounting ID", Kind.STRING, max_length=50),
        ColumnSpec(tt, s.transaction_key, "Transaction Key", Kind.STRING, max_length=100),
        ColumnSpec(tt, c("accountid"), "Account", Kind.LOOKUP, targets=("account",)),
        ColumnSpec(tt, c("contactid"), "Contact", Kind.LOOKUP, targets=("contact",)),
    ]
    table = TableSpec(tt, s.sales_transactions, "Sales Transaction", "Sales Transactions", name)
    return [table], columns, [KeySpec(tt, s.transaction_key_key, "Transaction Key", (s.transaction_key,))]
