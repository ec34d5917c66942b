"""The prepared org's columns and tables for money back from QuickBooks (an org where `crm setup` already ran).

These mirror what `crm setup` creates (domain/crm_requirements_money.py) with the "ino" prefix, so that
`crm setup` on the prepared org has nothing to do:
- accounts and contacts: `ino_openbalance`, `ino_agingcurrent`, `ino_overdue1to30`, `ino_overdue31to60`,
  `ino_overdue61to90`, `ino_overdueover90` (money), `ino_balanceupdatedon`, `ino_lasttransactiondate`
  (datetime), `ino_ytdsales` (money);
- invoices: `ino_invoicestatus` (choice Open / Partially Paid / Paid / Overdue / Canceled, 100000000 up),
  `ino_amountpaid`, `ino_balance` (money), `ino_accountingduedate`, `ino_lastpaymentdate` (datetime);
- `ino_payments` (`ino_name`, `ino_paymentnumber`, `ino_paymentdate`, `ino_amount`, `ino_unappliedamount`,
  `ino_paymentmethod`, `ino_referencenumber`, `ino_accountingid` with alternate key
  `ino_paymentaccountingidkey`, lookups `ino_accountid` -> accounts and `ino_contactid` -> contacts);
- `ino_paymentapplications` (`ino_name`, `ino_applicationkey` with alternate key `ino_applicationkey_key`,
  lookups `ino_paymentid` -> ino_payments and `ino_invoiceid` -> invoices, `ino_amountapplied`);
- payments also carry `ino_voidedon` (datetime: a payment voided or deleted in QuickBooks kept, marked void);
- `ino_salestransactions` (`ino_name`, `ino_transactiontype`, `ino_transactionnumber`, `ino_transactiondate`,
  `ino_amount`, `ino_balance`, `ino_transactionstatus`, `ino_accountingid`, `ino_transactionkey` with alternate
  key `ino_transactionkey_key`, lookups `ino_accountid` -> accounts and `ino_contactid` -> contacts).
Custom tables and lookups behave as any in the sandbox (Microsoft Learn: create and update tables / columns
using the Web API); nothing here is vendor behaviour of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from inolink_tui.sandbox.dataverse.schema_types import AlternateKey, Column, Table, _choice, _dt, _lookup, _m, _s

INVOICE_STATUS_LABELS = {
    100000000: "Open",
    100000001: "Partially Paid",
    100000002: "Paid",
    100000003: "Overdue",
    100000004: "Canceled",  # added by `crm setup` since voided invoices show Canceled (domain/invoice_status.py)
}


def aging_columns() -> list[Column]:
    return [
        _m("ino_openbalance"),
        _m("ino_agingcurrent"),
        _m("ino_overdue1to30"),
        _m("ino_overdue31to60"),
        _m("ino_overdue61to90"),
        _m("ino_overdueover90"),
        _dt("ino_balanceupdatedon"),
        _dt("ino_lasttransactiondate"),
        _m("ino_ytdsales"),
    ]


def invoice_money_columns() -> list[Column]:
    return [
        _choice("ino_invoicestatus", INVOICE_STATUS_LABELS, "Invoice Status"),
        _m("ino_amountpaid"),
        _m("ino_balance"),
        _dt("ino_accountingduedate"),
        _dt("ino_lastpaymentdate"),
    ]


def money_tables(make: Callable[..., Table]) -> list[Table]:
    """The payment and payment application tables, built with schema.py's `_table` (passed in: no cycle)."""
    payment = make(
        "ino_payment",
        "ino_payments",
        "ino_name",
        10003,
        [
            _s("ino_name", 200, "Name"),
            _s("ino_paymentnumber", 50, "Payment Number"),
            _dt("ino_paymentdate"),
            _m("ino_amount"),
            _m("ino_unappliedamount"),
            _s("ino_paymentmethod", 100, "Payment Method"),
            _s("ino_referencenumber", 100, "Reference Number"),
            _s("ino_accountingid", 50, "Accounting ID"),
            _lookup("ino_accountid", {"ino_accountid": "accounts"}),
            _lookup("ino_contactid", {"ino_contactid": "contacts"}),
            _dt("ino_voidedon"),
        ],
        display="Payment",
        keys=(AlternateKey("ino_paymentaccountingidkey", ("ino_accountingid",), "Accounting ID"),),
    )
    application = make(
        "ino_paymentapplication",
        "ino_paymentapplications",
        "ino_name",
        10004,
        [
            _s("ino_name", 200, "Name"),
            _s("ino_applicationkey", 100, "Application Key"),
            _lookup("ino_paymentid", {"ino_paymentid": "ino_payments"}),
            _lookup("ino_invoiceid", {"ino_invoiceid": "invoices"}),
            _m("ino_amountapplied"),
        ],
        display="Payment Application",
        keys=(AlternateKey("ino_applicationkey_key", ("ino_applicationkey",), "Application Key"),),
    )
    sales_transaction = make(
        "ino_salestransaction",
        "ino_salestransactions",
        "ino_name",
        10005,
        [
            _s("ino_name", 200, "Name"),
            _s("ino_transactiontype", 50, "Transaction Type"),
            _s("ino_transactionnumber", 50, "Number"),
            _dt("ino_transactiondate"),
            _m("ino_amount"),
            _m("ino_balance"),
            _s("ino_transactionstatus", 50, "Status"),
            _s("ino_accountingid", 50, "Accounting ID"),
            _s("ino_transactionkey", 100, "Transaction Key"),
            _lookup("ino_accountid", {"ino_accountid": "accounts"}),
            _lookup("ino_contactid", {"ino_contactid": "contacts"}),
        ],
        display="Sales Transaction",
        keys=(AlternateKey("ino_transactionkey_key", ("ino_transactionkey",), "Transaction Key"),),
    )
    return [payment, application, sales_transaction]
