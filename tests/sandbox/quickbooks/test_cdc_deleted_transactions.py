"""CDC reports deleted sales transactions as Intuit documents them (issue 16 item 1).

https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture:
"Deleted entities return a Deleted value for the status field"; reference notes §8: a deletion is a tombstone
(`status`, `domain`, `Id`, `MetaData.LastUpdatedTime`) after the group's active objects. A voided transaction is
kept ("all amounts and quantities are zeroed", Payment reference "Void a payment"), so CDC returns it whole.
"""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Qbo
from tests.sandbox.quickbooks.money_helpers import (
    books,
    credit_memo,
    customer,
    invoice,
    item_id,
    pay_line,
    sales_line,
)

__all__ = ["books"]


def groups_of(response: Any) -> dict[str, list[dict[str, Any]]]:
    assert response.status_code == 200, response.text
    return {
        name: objs
        for group in response.json()["CDCResponse"][0]["QueryResponse"]
        for name, objs in group.items()
        if isinstance(objs, list)
    }


async def test_deleted_credit_memo_estimate_sales_receipt_and_payment_are_tombstones(books: Qbo) -> None:
    buyer = await customer(books, "Cdc Deletes")
    item = await item_id(books)
    books.sandbox.clock.advance(5)
    since = books.sandbox.qbo.metadata_time(books.sandbox.clock.now())
    books.sandbox.clock.advance(5)
    memo = await credit_memo(books, buyer["Id"], "5.00")
    kept = await credit_memo(books, buyer["Id"], "2.00")
    estimate = await books.create(
        "Estimate", {"CustomerRef": {"value": buyer["Id"]}, "Line": [sales_line(item, "4.00")]}
    )
    receipt = await books.create(
        "SalesReceipt", {"CustomerRef": {"value": buyer["Id"]}, "Line": [sales_line(item, "6.00")]}
    )
    payment = await books.create("Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 3})
    books.sandbox.clock.advance(5)
    for entity, record in (
        ("creditmemo", memo),
        ("estimate", estimate),
        ("salesreceipt", receipt),
        ("payment", payment),
    ):
        answer = await books.post(entity, {"Id": record["Id"], "SyncToken": record["SyncToken"]}, operation="delete")
        assert answer.status_code == 200, answer.text
    groups = groups_of(await books.get("cdc", entities="CreditMemo,Estimate,SalesReceipt,Payment", changedSince=since))
    for name, record in (("CreditMemo", memo), ("Estimate", estimate), ("SalesReceipt", receipt), ("Payment", payment)):
        tombstone = groups[name][-1]  # deleted objects come after the active ones
        assert set(tombstone) == {"status", "domain", "Id", "MetaData"}, tombstone
        assert (tombstone["status"], tombstone["domain"], tombstone["Id"]) == ("Deleted", "QBO", record["Id"])
        assert tombstone["MetaData"]["LastUpdatedTime"] >= since
    assert [o["Id"] for o in groups["CreditMemo"]] == [kept["Id"], memo["Id"]]
    assert "status" not in groups["CreditMemo"][0] and groups["CreditMemo"][0]["TotalAmt"] == 2


async def test_a_voided_payment_is_an_ordinary_change_in_cdc(books: Qbo) -> None:
    buyer = await customer(books, "Cdc Void")
    inv = await invoice(books, buyer["Id"], "8.00")
    payment = await books.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 8, "Line": [pay_line("8", inv["Id"])]}
    )
    books.sandbox.clock.advance(5)
    since = books.sandbox.qbo.metadata_time(books.sandbox.clock.now())
    books.sandbox.clock.advance(5)
    answer = await books.post("payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}, operation="void")
    assert answer.status_code == 200, answer.text
    groups = groups_of(await books.get("cdc", entities="Payment,Invoice", changedSince=since))
    (voided,) = groups["Payment"]
    assert voided["Id"] == payment["Id"] and "status" not in voided
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    (reopened,) = groups["Invoice"]
    assert reopened["Id"] == inv["Id"] and reopened["Balance"] == 8
