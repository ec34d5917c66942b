"""Conformance: payment terms on customers and invoices, and the due date they give.

INVOICE = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/invoice
TERM = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/term
"""

from __future__ import annotations

from tests.sandbox.conftest import Qbo
from tests.sandbox.quickbooks.money_helpers import books, customer, invoice

__all__ = ["books"]


async def test_due_date_from_the_invoice_term(books: Qbo) -> None:
    # INVOICE DueDate: "If date is not provided, the number of days specified in SalesTermRef added the
    # transaction date will be used." (seeded Net 15 is Term 2)
    buyer = await customer(books, "Terms One")
    made = await invoice(books, buyer["Id"], "10.00", TxnDate="2026-01-10", SalesTermRef={"value": "2"})
    assert made["SalesTermRef"] == {"value": "2", "name": "Net 15"} and made["DueDate"] == "2026-01-25"


async def test_due_date_given_is_kept(books: Qbo) -> None:
    # INVOICE DueDate is writable: a date sent wins over the term.
    buyer = await customer(books, "Terms Two")
    made = await invoice(books, buyer["Id"], "10.00", SalesTermRef={"value": "2"}, DueDate="2026-12-31")
    assert made["DueDate"] == "2026-12-31"


async def test_due_date_from_the_customer_term(books: Qbo) -> None:
    # most-commonly-used/customer SalesTermRef: the customer's default term; an invoice naming none takes it
    # (the reference does not say so for the API; the sales forms do).
    buyer = await customer(books, "Terms Three", SalesTermRef={"value": "4"})
    made = await invoice(books, buyer["Id"], "10.00", TxnDate="2026-01-01")
    assert made["DueDate"] == "2026-03-02"  # Net 60


async def test_due_date_from_the_company_default_term(books: Qbo) -> None:
    # all-entities/preferences SalesFormsPrefs.DefaultTerms (the seeded company's is Net 30, Term 3).
    buyer = await customer(books, "Terms Four")
    made = await invoice(books, buyer["Id"], "10.00", TxnDate="2026-01-01")
    assert made["DueDate"] == "2026-01-31"


async def test_date_driven_term(books: Qbo) -> None:
    # TERM: a DATE_DRIVEN term has DayOfMonthDue and DueNextMonthDays ("payment due next month if issued that
    # many days before the DayOfMonthDue").
    term = await books.create(
        "Term", {"Name": "15th", "Type": "DATE_DRIVEN", "DayOfMonthDue": 15, "DueNextMonthDays": 5}
    )
    buyer = await customer(books, "Terms Five")
    early = await invoice(books, buyer["Id"], "1.00", TxnDate="2026-01-02", SalesTermRef={"value": term["Id"]})
    late = await invoice(books, buyer["Id"], "1.00", TxnDate="2026-01-12", SalesTermRef={"value": term["Id"]})
    assert (early["DueDate"], late["DueDate"]) == ("2026-01-15", "2026-02-15")


async def test_term_on_a_customer_is_a_named_reference(books: Qbo) -> None:
    # most-commonly-used/customer SalesTermRef: a reference answered with the term's name.
    buyer = await customer(books, "Terms Six", SalesTermRef={"value": "3"})
    assert buyer["SalesTermRef"] == {"value": "3", "name": "Net 30"}
