"""Business rules QuickBooks Online enforces on writes, and the fields it computes (reference §12, §13.8-11).

`normalize` gets the client's writable fields (merged for a sparse update) and returns the record body
the server would store: field limits and formats checked (`fields`, whose table cites Intuit's API
reference entity by entity), defaults filled, references checked and named, totals computed. It raises
a `QboFault` with the real code for every rule a request breaks, before anything is stored.

Modules: `fields` (lengths, formats, numeric ranges: the field rules table), `names` (name lists: names,
uniqueness, hierarchy), `items`, `lists` (Class, Department, PaymentMethod, TaxRate, Preferences),
`transactions`, `refunds` (RefundReceipt), `effects` (balances, links, deletes and voids).

Entity-level rules (pages under developer.intuit.com/app/developer/qbo/docs/api/accounting/; every
fault is HTTP 400 `{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type":
"ValidationFault"}, "time"}`, reference §11):

| rule                                                               | code | page                         |
|--------------------------------------------------------------------|------|------------------------------|
| Customer/Vendor: DisplayName or a name part required               | 6080 | most-commonly-used/customer  |
| Employee: GivenName or FamilyName required                         | 2020 | all-entities/employee        |
| DisplayName unique across Customer, Vendor, Employee (any case)    | 6240 | most-commonly-used/customer  |
| Item Name unique (6240 assumed, reference §13.9)                   | 6240 | most-commonly-used/item      |
| names: no ':', tab, newline                                        | 6000 | customer / vendor / employee |
| Item: IncomeAccountRef for Service and Inventory                   | 2020 | most-commonly-used/item      |
| Item Inventory: AssetAccountRef, ExpenseAccountRef, InvStartDate,  | 2020 | most-commonly-used/item      |
|   QtyOnHand (TrackQtyOnHand set true)                              |      |                              |
| Item Type one of Service, NonInventory, Inventory, Category, Group | 2170 | most-commonly-used/item      |
| Invoice/Estimate/CreditMemo: CustomerRef; every sales form: Line   | 2020 | invoice, creditmemo          |
| RefundReceipt: DepositToAccountRef (2020), a Bank or Other Current | 2020 / 6000 | refundreceipt (rules/ |
|   Asset account (fault code undocumented: 6000)                    |      |   refunds.py)                |
| Payment: CustomerRef and TotalAmt                                  | 2020 | all-entities/payment         |
| reference to a missing record / an inactive or deleted one         | 2500 / 610 | reference §11          |
| line Amount = Qty x UnitPrice when both are given                  | 6070 | reference §12                |
| DocNumber duplicate (only with the company's duplicate check on)   | 6140 | most-commonly-used/invoice   |
| sub-customers at most 5 levels                                     | 6180 | most-commonly-used/customer  |
| Class/Department: ParentRef required for a sub-list entry          | 2020 | all-entities/class           |
| PaymentMethod Type CREDIT_CARD or NON_CREDIT_CARD                  | 2170 | all-entities/paymentmethod   |
| void: amounts and quantities zeroed, "Voided" prepended to the     |  --  | invoice / payment /          |
|   PrivateNote (separator undocumented: "Voided - <note>")          |      |   salesreceipt, "Void"       |
| read-only: TaxCode and TaxRate writes, updates of read-only fields | 500 / ignored | taxcode, taxrate     |

Money (modules `payments`, `tax`, `currency`, `terms`; "undoc." = Intuit documents no code, 6000 is the
sandbox's choice and each module's docstring says what it relies on):

| rule                                                               | code | page                         |
|--------------------------------------------------------------------|------|------------------------------|
| Payment LinkedTxn: Invoice or CreditMemo (other documented types   | 2170 | all-entities/payment         |
|   Expense, Check, CreditCardCredit, JournalEntry: not modelled)    |      |                              |
| Payment line more than the invoice's open balance / the credit     | 6000 undoc. | all-entities/payment  |
|   memo's RemainingCredit; another customer's invoice or memo       |      |                              |
| Payment: applied (invoices - credits) more than TotalAmt; credit   | 6000 undoc. | all-entities/payment  |
|   used more than invoices paid; UnappliedAmt = TotalAmt - applied  |      |                              |
| Invoice Balance / CreditMemo RemainingCredit follow every payment  |  --  | manage-linked-transactions   |
|   create, update, delete and void; both carry LinkedTxn Payment    |      |                              |
| invoice or credit memo applied by a payment: no delete or void     | 6000 | manage-linked-transactions   |
| Customer.Balance = open invoices - unused credit memos and payments|  --  | customer (Balance; netting   |
|                                                                    |      |   of credits undocumented)   |
| US line TaxCodeRef other than TAX / NON                            | 6100 | stackoverflow.com/q/30780062 |
| US TxnTaxDetail.TxnTaxCodeRef: tax computed on TAX lines            |  --  | manage-sales-tax-for-us-     |
|                                                                    |      |   locales                    |
| non-US: every sales line needs a TaxCodeRef ("Make sure all your   | 6000 undoc. | manage-sales-tax-for- |
|   transactions have a GST/HST rate before you save."); tax from    |      |   non-us-locales; autotask   |
|   the code's rates                                                 |      |   KB360030193511             |
| foreign CurrencyRef with multicurrency off                         | 6000 undoc. | manage-multiple-currencies |
| Customer CurrencyRef: home currency by default, fixed once set;    | 6000 undoc. | customer (CurrencyRef) |
|   a new currency joins CompanyCurrency                             |      |                              |
| transaction CurrencyRef differs from its customer's                | 6000 undoc. | manage-multiple-currencies |
| ExchangeRate / HomeTotalAmt on foreign transactions (rate from     |  --  | manage-multiple-currencies,  |
|   ExchangeRate as of TxnDate, else 1)                              |      |   all-entities/exchangerate  |
| Preferences: MultiCurrencyEnabled and HomeCurrency not changeable  | 6000 undoc. | manage-multiple-currencies |
|   through the API (the UI only; the sandbox's control API)         |      |                              |
| Invoice DueDate: TxnDate + the term's DueDays (or its day of month)|  --  | invoice (DueDate), term      |
|   from SalesTermRef, else the customer's, else the company default |      |   (fallbacks undocumented)   |
| Reports AgedReceivables, AgedReceivableDetail, CustomerBalance    |  --  | reports.py, reports_detail.py |
| Report CustomerSales (Sales by Customer Summary, before tax;      |  --  | reports_sales.py |
|   accrual, or cash: invoices and credit memos as payments apply  |      |                  |
|   them)                                                          |      |                  |
| Customer Active false with a non-zero balance ("Delete List Has    | 6000 assumed | captured: github.com/ |
|   Balance Error")                                                  |      |   ruckus/quickbooks-ruby#390 |
| invoice status is derived, not stored: paid = Balance 0, partly    |  --  | invoice (Balance, DueDate);  |
|   paid = 0 < Balance < TotalAmt, overdue = Balance > 0 and DueDate  |      |   no status field documented |
|   before today (the docs define no such field: a client's reading) |      |                              |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import custom_fields, errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.rules import (
    currency,
    fields,
    items,
    lists,
    names,
    payments,
    refunds,
    transactions,
)
from inolink_tui.sandbox.quickbooks.rules.common import DELETED_SUFFIX, same_content
from inolink_tui.sandbox.quickbooks.rules.effects import after_write, before_remove, customer_balance, voided_copy

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

__all__ = [
    "DELETED_SUFFIX",
    "after_write",
    "before_remove",
    "customer_balance",
    "normalize",
    "same_content",
    "voided_copy",
]

Handler = Callable[["QboState", EntitySpec, dict[str, Any], dict[str, Any] | None, str], dict[str, Any]]

_HANDLERS: dict[str, Handler] = {
    "Customer": names.person,
    "Vendor": names.person,
    "Employee": names.person,
    "Item": items.item,
    "Account": names.account,
    "Term": names.term,
    "TaxCode": names.taxcode,
    "CompanyInfo": names.company,
    "Class": lists.simple_list,
    "Department": lists.simple_list,
    "PaymentMethod": lists.payment_method,
    "TaxRate": lists.tax_rate,
    "CustomerType": lists.customer_type,
    "Preferences": lists.preferences,
    "Estimate": transactions.sales_txn,
    "Invoice": transactions.sales_txn,
    "SalesReceipt": transactions.sales_txn,
    "CreditMemo": transactions.sales_txn,
    "RefundReceipt": refunds.refund_receipt,
    "Payment": payments.payment,
    "CompanyCurrency": currency.company_currency,
    "ExchangeRate": currency.exchange_rate,
}


def normalize(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, record_id: str
) -> dict[str, Any]:
    if spec.kind == "readonly" and existing is not None:
        raise errors.unsupported(f"Operation Update is not supported for {spec.name}.")
    fields.check(spec.name, body)
    out = _HANDLERS[spec.name](state, spec, body, existing, record_id)
    if "CustomField" in spec.fields and spec.name in (*custom_fields.SALES_FORMS, *custom_fields.API_ENTITIES):
        custom_fields.apply(state, spec, out, existing)
    return out
