"""Conformance: payments, credit memos, sales receipts and what a client derives an invoice's status from.

One documented behaviour per test, each with its page, written from Intuit's reference with plain httpx
requests. PAYMENT = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.sandbox.conftest import Qbo
from tests.sandbox.quickbooks.money_helpers import (
    books,
    credit_memo,
    customer,
    fault,
    invoice,
    pay_line,
    read,
)

__all__ = ["books"]


async def test_payment_applied_to_an_invoice_lowers_its_balance_and_links_both(books: Qbo) -> None:
    # PAYMENT: "A Payment can be linked to multiple Invoices"; manage-linked-transactions: the invoice
    # carries LinkedTxn {TxnType: Payment}; its Balance is what is left to pay.
    buyer = await customer(books, "Pay One")
    inv = await invoice(books, buyer["Id"], "100.00")
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 60, "Line": [pay_line("60", inv["Id"])]}
    )
    assert payment["UnappliedAmt"] == 0 and payment["TotalAmt"] == 60
    after = await read(books, "Invoice", inv["Id"])
    assert after["Balance"] == 40 and after["TotalAmt"] == 100
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]
    assert int(after["SyncToken"]) == int(inv["SyncToken"]) + 1


async def test_payment_without_lines_is_unapplied_credit(books: Qbo) -> None:
    # PAYMENT: "can be created as unapplied to any Invoice or Credit Memo, in which case it is recorded as a
    # credit"; the create example answers UnappliedAmt 25.0 = TotalAmt, Line [], ProcessPayment false and the
    # Undeposited Funds account ("If you do not specify this account, payment is applied to the Undeposited
    # Funds account").
    buyer = await customer(books, "Pay Two")
    payment = await books.create("Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 25.0})
    assert payment["UnappliedAmt"] == 25 and payment["Line"] == [] and payment["ProcessPayment"] is False
    assert payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
    assert (await read(books, "Customer", buyer["Id"]))["Balance"] == -25


async def test_payment_partly_applied_keeps_the_rest_unapplied(books: Qbo) -> None:
    # PAYMENT example: TotalAmt 65.0, one line of 55.0 to invoice 70, UnappliedAmt 10.0.
    buyer = await customer(books, "Pay Three")
    inv = await invoice(books, buyer["Id"], "71.00")
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 65, "Line": [pay_line("55", inv["Id"])]}
    )
    assert payment["UnappliedAmt"] == 10
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 16


async def test_payment_over_the_open_balance_is_refused(books: Qbo) -> None:
    # PAYMENT: a line applies money to "the invoice to which payment is applied"; more than its open balance
    # is refused (the code is not documented: the sandbox answers the business-validation fault 6000).
    buyer = await customer(books, "Pay Four")
    inv = await invoice(books, buyer["Id"], "50.00")
    await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 30, "Line": [pay_line("30", inv["Id"])]}
    )
    response = await books.post(
        "payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 30, "Line": [pay_line("30", inv["Id"])]}
    )
    assert fault(response)["code"] == "6000"
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 20


async def test_payment_applying_more_than_its_total_is_refused(books: Qbo) -> None:
    # PAYMENT: UnappliedAmt is "the amount that has not been applied"; it cannot be negative.
    buyer = await customer(books, "Pay Five")
    inv = await invoice(books, buyer["Id"], "50.00")
    response = await books.post(
        "payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 10, "Line": [pay_line("20", inv["Id"])]}
    )
    assert fault(response)["code"] == "6000"


async def test_payment_for_another_customers_invoice_is_refused(books: Qbo) -> None:
    # PAYMENT: "The payment can be applied for a particular customer against multiple Invoices and Credit Memos"
    # (of that customer).
    owner = await customer(books, "Pay Owner")
    other = await customer(books, "Pay Other")
    inv = await invoice(books, owner["Id"], "40.00")
    response = await books.post(
        "payment", {"CustomerRef": {"value": other["Id"]}, "TotalAmt": 40, "Line": [pay_line("40", inv["Id"])]}
    )
    assert fault(response)["code"] == "6000"
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 40


async def test_payment_total_and_customer_are_required(books: Qbo) -> None:
    # PAYMENT "Create a payment": TotalAmt and CustomerRef are the required elements.
    buyer = await customer(books, "Pay Six")
    assert fault(await books.post("payment", {"CustomerRef": {"value": buyer["Id"]}}))["code"] == "2020"
    assert fault(await books.post("payment", {"TotalAmt": 5}))["code"] == "2020"


async def test_deleting_a_payment_restores_the_invoice_balance(books: Qbo) -> None:
    # PAYMENT "Delete a payment": operation=delete with Id and SyncToken answers status Deleted; the money it
    # applied is open again on the invoice.
    buyer = await customer(books, "Pay Seven")
    inv = await invoice(books, buyer["Id"], "80.00")
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 80, "Line": [pay_line("80", inv["Id"])]}
    )
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 0
    response = await books.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    assert response.json()["Payment"] == {"status": "Deleted", "domain": "QBO", "Id": payment["Id"]}
    after = await read(books, "Invoice", inv["Id"])
    assert after["Balance"] == 80 and not any(k["TxnType"] == "Payment" for k in after["LinkedTxn"])


async def test_voiding_a_payment_zeroes_it_and_reopens_the_invoice(books: Qbo) -> None:
    # PAYMENT "Void a payment": operation=update&include=void; "all amounts and quantities are zeroed and the
    # string, Voided, is injected into Payment.PrivateNote"; the void example answers Line [] and TotalAmt 0.
    buyer = await customer(books, "Pay Eight")
    inv = await invoice(books, buyer["Id"], "30.00")
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 30, "Line": [pay_line("30", inv["Id"])]}
    )
    response = await books.post(
        "payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
    )
    voided = response.json()["Payment"]
    assert voided["TotalAmt"] == 0 and voided["UnappliedAmt"] == 0 and voided["PrivateNote"] == "Voided"
    assert voided["Line"] == []
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 30


async def test_updating_a_payment_with_no_lines_unapplies_it(books: Qbo) -> None:
    # PAYMENT: "To remove all lines, send an empty Line element"; "Lines can be updated only ALL or NONE".
    buyer = await customer(books, "Pay Nine")
    inv = await invoice(books, buyer["Id"], "45.00")
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 45, "Line": [pay_line("45", inv["Id"])]}
    )
    response = await books.post("payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True, "Line": []})
    assert response.status_code == 200, response.text
    assert response.json()["Payment"]["UnappliedAmt"] == 45
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 45


async def test_invoice_with_a_payment_cannot_be_deleted(books: Qbo) -> None:
    # manage-linked-transactions: a linked payment must be removed before the invoice it pays.
    buyer = await customer(books, "Pay Ten")
    inv = await invoice(books, buyer["Id"], "20.00")
    await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 20, "Line": [pay_line("20", inv["Id"])]}
    )
    response = await books.post("invoice", {"Id": inv["Id"], "SyncToken": "1"}, operation="delete")
    assert fault(response)["code"] == "6000"


async def test_credit_memo_applied_through_a_payment(books: Qbo) -> None:
    # PAYMENT: lines link "CreditMemo--Payment is linked to the credit memo the customer has with the business";
    # all-entities/creditmemo: RemainingCredit is "the amount of the credit memo that remains" to apply.
    buyer = await customer(books, "Credit One")
    inv = await invoice(books, buyer["Id"], "100.00")
    memo = await credit_memo(books, buyer["Id"], "30.00")
    assert memo["RemainingCredit"] == 30
    payment = await books.create(
        "Payment",
        {
            "CustomerRef": {"value": buyer["Id"]},
            "TotalAmt": 0,
            "Line": [pay_line("30", inv["Id"]), pay_line("30", memo["Id"], "CreditMemo")],
        },
    )
    assert payment["UnappliedAmt"] == 0
    assert (await read(books, "Invoice", inv["Id"]))["Balance"] == 70
    after = await read(books, "CreditMemo", memo["Id"])
    assert after["RemainingCredit"] == 0 and after["Balance"] == 0
    assert (await read(books, "Customer", buyer["Id"]))["Balance"] == 70


async def test_credit_memo_cannot_give_more_than_its_remaining_credit(books: Qbo) -> None:
    # all-entities/creditmemo RemainingCredit: only what remains can be applied.
    buyer = await customer(books, "Credit Two")
    inv = await invoice(books, buyer["Id"], "100.00")
    memo = await credit_memo(books, buyer["Id"], "10.00")
    response = await books.post(
        "payment",
        {
            "CustomerRef": {"value": buyer["Id"]},
            "TotalAmt": 0,
            "Line": [pay_line("20", inv["Id"]), pay_line("20", memo["Id"], "CreditMemo")],
        },
    )
    assert fault(response)["code"] == "6000"


async def test_unapplied_credit_memo_lowers_the_customer_balance(books: Qbo) -> None:
    # most-commonly-used/customer Balance: "the open balance amount or the amount unpaid by the customer";
    # an unused credit memo is owed back, so it counts against it.
    buyer = await customer(books, "Credit Three")
    await invoice(books, buyer["Id"], "100.00")
    await credit_memo(books, buyer["Id"], "15.00")
    assert (await read(books, "Customer", buyer["Id"]))["Balance"] == 85


async def test_sales_receipt_is_paid_at_once(books: Qbo) -> None:
    # all-entities/salesreceipt: a sale paid in full when it is made; Balance 0, deposited to Undeposited
    # Funds unless DepositToAccountRef says otherwise (reference §12).
    buyer = await customer(books, "Receipt One")
    from tests.sandbox.quickbooks.money_helpers import item_id, sales_line

    receipt = await books.create(
        "SalesReceipt",
        {"CustomerRef": {"value": buyer["Id"]}, "Line": [sales_line(await item_id(books), "12.50")]},
    )
    assert receipt["TotalAmt"] == 12.5 and receipt["Balance"] == 0
    assert receipt["DepositToAccountRef"]["name"] == "Undeposited Funds"
    assert (await read(books, "Customer", buyer["Id"]))["Balance"] == 0


async def test_invoice_status_is_derivable_from_balance_and_due_date(books: Qbo) -> None:
    # most-commonly-used/invoice: Balance (what is unpaid), TotalAmt and DueDate ("If date is not provided,
    # the number of days specified in SalesTermRef added the transaction date will be used"). "Overdue" is not
    # a field: a client derives it as Balance > 0 and DueDate < today (the docs define no status field).
    buyer = await customer(books, "Status One")
    today = date.fromisoformat(books.sandbox.qbo.today())
    net30 = books.sandbox.qbo.raw("Term", "3")
    assert net30 is not None and net30["Name"] == "Net 30"
    old = await invoice(
        books, buyer["Id"], "90.00", TxnDate=(today - timedelta(days=45)).isoformat(), SalesTermRef={"value": "3"}
    )
    assert old["DueDate"] == (today - timedelta(days=15)).isoformat()
    await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 40, "Line": [pay_line("40", old["Id"])]}
    )
    after = await read(books, "Invoice", old["Id"])
    assert 0 < after["Balance"] < after["TotalAmt"]  # partially paid
    assert after["DueDate"] < today.isoformat()  # and overdue


async def test_payments_and_the_invoices_they_touch_are_in_cdc(books: Qbo) -> None:
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture:
    # Payment and Invoice are CDC entities; a payment's application is a change of the invoice too.
    buyer = await customer(books, "Cdc One")
    inv = await invoice(books, buyer["Id"], "10.00")
    books.sandbox.clock.advance(5)
    since = books.sandbox.qbo.metadata_time(books.sandbox.clock.now())
    books.sandbox.clock.advance(5)
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 10, "Line": [pay_line("10", inv["Id"])]}
    )
    response = await books.get("cdc", entities="Payment,Invoice,CreditMemo", changedSince=since)
    groups = response.json()["CDCResponse"][0]["QueryResponse"]
    found = {
        name: [o["Id"] for o in group[name]] for group in groups for name in group if name in ("Payment", "Invoice")
    }
    assert found == {"Payment": [payment["Id"]], "Invoice": [inv["Id"]]}


async def test_payments_are_queryable_by_customer(books: Qbo) -> None:
    # PAYMENT: CustomerRef is filterable ("Query a payment").
    buyer = await customer(books, "Query One")
    await books.create("Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 5})
    response = await books.query(f"select * from Payment where CustomerRef = '{buyer['Id']}'")
    assert [p["TotalAmt"] for p in response.json()["QueryResponse"]["Payment"]] == [5]


async def test_customer_with_an_open_balance_cannot_be_made_inactive(books: Qbo) -> None:
    # A captured answer (github.com/ruckus/quickbooks-ruby/issues/390): "Delete List Has Balance Error: The entity
    # you are trying to delete has an open balance. : This customer cannot be deleted because it has a non-zero
    # balance" (Active false is how a name-list record is deleted). Once paid, it can be.
    buyer = await customer(books, "Inactive One")
    inv = await invoice(books, buyer["Id"], "10.00")
    error = fault(await books.post("customer", {"Id": buyer["Id"], "SyncToken": "0", "sparse": True, "Active": False}))
    assert error["Message"] == "Delete List Has Balance Error"
    await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 10, "Line": [pay_line("10", inv["Id"])]}
    )
    response = await books.post("customer", {"Id": buyer["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert response.status_code == 200 and response.json()["Customer"]["Active"] is False


async def test_cdc_covers_every_sales_transaction_type(books: Qbo) -> None:
    # all-entities/changedatacapture: Invoice, Payment, CreditMemo, Estimate and SalesReceipt are CDC entities,
    # a deleted transaction comes back as {"status": "Deleted", "Id": ...}.
    buyer = await customer(books, "Cdc Two")
    books.sandbox.clock.advance(5)
    since = books.sandbox.qbo.metadata_time(books.sandbox.clock.now())
    books.sandbox.clock.advance(5)
    memo = await credit_memo(books, buyer["Id"], "5.00")
    payment = await books.create("Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 3})
    await books.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    response = await books.get("cdc", entities="Invoice,Payment,CreditMemo,Estimate,SalesReceipt", changedSince=since)
    assert response.status_code == 200, response.text
    groups = {
        name: objs
        for group in response.json()["CDCResponse"][0]["QueryResponse"]
        for name, objs in group.items()
        if isinstance(objs, list)
    }
    assert [o["Id"] for o in groups["CreditMemo"]] == [memo["Id"]]
    assert groups["Payment"] == [
        {"status": "Deleted", "domain": "QBO", "Id": payment["Id"], "MetaData": groups["Payment"][0]["MetaData"]}
    ]
