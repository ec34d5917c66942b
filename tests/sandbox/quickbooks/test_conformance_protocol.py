"""Conformance: the Accounting API's protocol over HTTP (reference §3-§6, §11, §13 items 5-12), one sandbox.

Sources: the reference notes' sections named on each test; "Handling common errors"
(https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/handling-common-errors: the Fault
shape, 500 Unsupported Operation for non-UTF-8 bodies, the two 610 details); "Error codes"
(https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes); the entity pages under
https://developer.intuit.com/app/developer/qbo/docs/api/accounting/ (delete for transactions, Active for lists).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import BASE, Qbo, QboLimits, make_sandbox, qbo_for


@pytest.fixture(scope="module")
def shared() -> Sandbox:
    return make_sandbox(records=2, qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0))


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"Fault", "time"} and body["Fault"]["type"]
    error: dict[str, Any] = body["Fault"]["Error"][0]
    assert isinstance(error["code"], str)
    return error


def income(q: Qbo) -> str:
    return next(a["Id"] for a in q.sandbox.qbo.all("Account") if a.get("AccountType") == "Income")


def item_line(q: Qbo, amount: float) -> dict[str, Any]:
    item = next(i["Id"] for i in q.sandbox.qbo.all("Item") if i["Name"] == "Write-In")
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}


async def test_minorversion_is_accepted_and_ignored(q: Qbo) -> None:
    # §3: every request uses 75 since 2025-08-01; smaller values are ignored; a fake may ignore the parameter
    url = q.url("companyinfo/1")
    answers = [
        await q.http.get(url, params=params, headers=q.headers)
        for params in ({"minorversion": "75"}, {"minorversion": "4"}, {})
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.json()["CompanyInfo"]["SyncToken"] for a in answers}) == 1


async def test_every_answer_has_an_intuit_tid(q: Qbo) -> None:
    # §13.7: an Intuit-Tid header on every response (success, fault and 401)
    ok = await q.get("companyinfo/1")
    fault = await q.get("customer/abc")
    unauthorized = await q.http.get(q.url("companyinfo/1"))
    assert [ok.status_code, fault.status_code, unauthorized.status_code] == [200, 400, 401]
    assert all(r.headers["intuit-tid"] for r in (ok, fault, unauthorized))
    assert ok.headers["content-type"] == "application/json;charset=utf-8"
    assert unauthorized.headers["content-type"] == "application/json"


async def test_ids_are_sequential_digit_strings(q: Qbo) -> None:
    # §3 / §13.8: Id is a string of digits, sequential; SyncToken "0" on create
    first = await q.create("Customer", {"DisplayName": "Seq One"})
    second = await q.create("Customer", {"DisplayName": "Seq Two"})
    assert int(second["Id"]) == int(first["Id"]) + 1
    assert first["SyncToken"] == second["SyncToken"] == "0"


async def test_synctoken_counts_real_changes_only(q: Qbo) -> None:
    # §4: +1 per change; a no-op update keeps the token (seen for sparse; full no-op is §14 unconfirmed)
    made = await q.create("Customer", {"DisplayName": "Counter", "Notes": "a"})
    one = (await q.post("customer", {"Id": made["Id"], "SyncToken": "0", "sparse": True, "Notes": "b"})).json()
    assert one["Customer"]["SyncToken"] == "1"
    same = await q.post("customer", {"Id": made["Id"], "SyncToken": "1", "sparse": True, "Notes": "b"})
    assert same.json()["Customer"]["SyncToken"] == "1"
    full = {k: v for k, v in one["Customer"].items() if k not in ("MetaData",)}
    assert (await q.post("customer", full)).json()["Customer"]["SyncToken"] == "1"
    stale = await q.post("customer", {"Id": made["Id"], "SyncToken": "0", "sparse": True, "Notes": "c"})
    error = error_of(stale)
    assert error["code"] == "5010" and error["Message"] == "Stale Object Error"
    assert error["Detail"].startswith("Stale Object Error : You and ")


async def test_sparse_update_cannot_remove_the_display_name(q: Qbo) -> None:
    # §5: "DisplayName cannot be removed with a sparse update"
    made = await q.create("Customer", {"DisplayName": "Keeps Name"})
    answer = await q.post("customer", {"Id": made["Id"], "SyncToken": "0", "sparse": True, "DisplayName": None})
    if answer.status_code == 200:
        assert answer.json()["Customer"]["DisplayName"] == "Keeps Name"
    read = (await q.get(f"customer/{made['Id']}")).json()["Customer"]
    assert read["DisplayName"] == "Keeps Name"


async def test_answers_carry_no_nulls(q: Qbo) -> None:
    # §3 / §13.7: "Only attributes that have values are returned. There are no nulls."
    made = await q.create("Customer", {"DisplayName": "No Nulls", "CompanyName": None, "Notes": None})
    assert "CompanyName" not in made and "Notes" not in made
    assert "null" not in (await q.get(f"customer/{made['Id']}")).text


async def test_name_lists_refuse_delete(q: Qbo) -> None:
    # §5: "Name-list entities cannot be deleted (Customer, Vendor, Employee, Item, Account, Class, ...)"
    vendor = await q.create("Vendor", {"DisplayName": "Undeletable Vendor"})
    item = await q.create("Item", {"Name": "Undeletable", "Type": "Service", "IncomeAccountRef": {"value": income(q)}})
    for entity, record in (("vendor", vendor), ("item", item)):
        refused = await q.post(entity, {"Id": record["Id"], "SyncToken": "0"}, operation="delete")
        assert refused.status_code == 400
        still = await q.get(f"{entity}/{record['Id']}")
        assert still.status_code == 200


async def test_item_and_vendor_deactivation_rename_and_hide(q: Qbo) -> None:
    # §5: inactive name-list records get " (deleted)" appended, which frees the name; queries skip them
    item = await q.create("Item", {"Name": "Fees Billed", "Type": "Service", "IncomeAccountRef": {"value": income(q)}})
    gone = await q.post("item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert gone.json()["Item"]["Name"] == "Fees Billed (deleted)" and gone.json()["Item"]["Active"] is False
    default = (await q.query("select * from Item where Name like 'Fees Billed%'")).json()["QueryResponse"]
    assert default == {}
    both = await q.query("select * from Item where Active in (true, false) and Name like 'Fees Billed%'")
    assert [r["Id"] for r in both.json()["QueryResponse"]["Item"]] == [item["Id"]]
    again = await q.create("Item", {"Name": "Fees Billed", "Type": "Service", "IncomeAccountRef": {"value": income(q)}})
    assert again["Id"] != item["Id"]
    vendor = await q.create("Vendor", {"DisplayName": "Short Lived"})
    off = await q.post("vendor", {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert off.json()["Vendor"]["DisplayName"] == "Short Lived (deleted)"


async def test_deleted_transaction_is_gone_for_good(q: Qbo) -> None:
    # §5: delete answers {"domain","status":"Deleted","Id"}; later use is 610 "Another user has deleted this
    # transaction."; §4: Id and SyncToken are required for delete, a stale token is 5010
    customer = await q.create("Customer", {"DisplayName": "Deletes Things"})
    invoice = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 5)]})
    no_token = error_of(await q.post("invoice", {"Id": invoice["Id"]}, operation="delete"))
    assert no_token["code"] == "2020"
    stale = error_of(await q.post("invoice", {"Id": invoice["Id"], "SyncToken": "3"}, operation="delete"))
    assert stale["code"] == "5010"
    deleted = await q.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted.status_code == 200 and set(deleted.json()) == {"Invoice", "time"}
    assert deleted.json()["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
    for answer in (
        await q.post("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"}),
        await q.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"),
        await q.get(f"invoice/{invoice['Id']}"),
    ):
        error = error_of(answer)
        assert error["code"] == "610"
        assert error["Detail"] == "Object Not Found : Another user has deleted this transaction."


async def test_void_forms_for_invoice_payment_and_sales_receipt(q: Qbo) -> None:
    # §3: ?operation=void (reference docs) and ?operation=update&include=void (a common client); §5: the voided
    # invoice comes back whole, SyncToken + 1, every amount 0, PrivateNote "Voided"
    customer = await q.create("Customer", {"DisplayName": "Voids Things"})
    invoice = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 30)]})
    receipt = await q.create("SalesReceipt", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 12)]})
    voided_invoice = (await q.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")).json()
    assert voided_invoice["Invoice"]["SyncToken"] == "1" and voided_invoice["Invoice"]["Balance"] == 0
    answer = await q.post(
        "salesreceipt", {"Id": receipt["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
    )
    voided = answer.json()["SalesReceipt"]
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided" and voided["SyncToken"] == "1"
    assert (await q.get(f"salesreceipt/{receipt['Id']}")).json()["SalesReceipt"]["TotalAmt"] == 0


async def test_requestid_replays_a_fault_too(q: Qbo) -> None:
    # §6: "the same id gets the same response replayed": the first answer, even when it was a fault
    taken = await q.create("Customer", {"DisplayName": "Taken Name"})
    first = await q.post("customer", {"DisplayName": "Taken Name"}, requestid="rid-fault-1")
    assert error_of(first)["code"] == "6240"
    await q.post("customer", {"Id": taken["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "Other Name"})
    again = await q.post("customer", {"DisplayName": "Taken Name"}, requestid="rid-fault-1")
    assert again.status_code == 400 and again.content == first.content


async def test_requestid_replays_a_batch(q: Qbo) -> None:
    body = {"BatchItemRequest": [{"bId": "c1", "operation": "create", "Customer": {"DisplayName": "Batch Once"}}]}
    first = await q.post("batch", body, requestid="rid-batch-1")
    second = await q.post("batch", body, requestid="rid-batch-1")
    assert first.status_code == second.status_code == 200 and first.content == second.content
    count = await q.query("select count(*) from Customer where DisplayName = 'Batch Once'")
    assert count.json()["QueryResponse"]["totalCount"] == 1


async def test_a_revoked_token_gets_401_mid_run(q: Qbo) -> None:
    # §13.5 / §13.17: a missing, expired or revoked bearer token gets the lower-case 401, code 3200
    assert (await q.get("companyinfo/1")).status_code == 200
    q.sandbox.intuit.revoke(q.token)
    denied = await q.get("companyinfo/1")
    assert denied.status_code == 401
    assert denied.headers["www-authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    body = denied.json()
    assert body["fault"]["error"][0]["code"] == "3200" and isinstance(body["time"], int)
    assert body["fault"]["error"][0]["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"


async def test_customer_create_fills_the_documented_defaults(q: Qbo) -> None:
    # §3 create skeleton / §12 "Server-filled on create (US sandbox)", DefaultTaxCodeRef included; the customer
    # page: DefaultTaxCodeRef "is valid if Customer.Taxable is set to true"
    made = await q.create("Customer", {"DisplayName": "Skeleton Co"})
    expected = {
        "FullyQualifiedName": "Skeleton Co",
        "PrintOnCheckName": "Skeleton Co",
        "Active": True,
        "Taxable": True,
        "Job": False,
        "BillWithParent": False,
        "Balance": 0,
        "BalanceWithJobs": 0,
        "PreferredDeliveryMethod": "Print",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
    }
    assert {k: made.get(k) for k in expected} == expected
    tax_code = made["DefaultTaxCodeRef"]["value"]
    assert (await q.get(f"taxcode/{tax_code}")).status_code == 200
    untaxed = await q.create("Customer", {"DisplayName": "Exempt Co", "Taxable": False})
    assert "DefaultTaxCodeRef" not in untaxed
    chosen = await q.create("Customer", {"DisplayName": "Chosen Code Co", "DefaultTaxCodeRef": {"value": "TAX"}})
    assert chosen["DefaultTaxCodeRef"]["value"] == "TAX"


async def test_company_offset_is_configurable() -> None:
    # §13.18: MetaData and the envelope's time in the company's fixed offset, which a test can choose
    sandbox = make_sandbox(records=0, company_utc_offset_minutes=60)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        answer = await qbo_for(sandbox, http).post("customer", {"DisplayName": "Offset Co"})
    assert answer.json()["time"].endswith("+01:00")
    assert answer.json()["Customer"]["MetaData"]["CreateTime"] == "2026-03-02T18:00:00+01:00"


async def test_webhook_operations_name_what_happened(q: Qbo) -> None:
    # §8 webhooks: each entity's `operation` is one of Create, Update, Delete, Merge, Void ("Managing webhooks
    # notifications", developer.intuit.com/app/developer/qbo/docs/develop/webhooks/managing-webhooks-notifications)
    seen: list[tuple[str, str, str]] = []
    state = q.sandbox.qbo
    previous = state.on_change
    state.on_change = lambda entity, rid, operation, _when: seen.append((entity, rid, operation))
    try:
        customer = await q.create("Customer", {"DisplayName": "Hooked Co"})
        voided = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 4)]})
        deleted = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 6)]})
        await q.post("invoice", {"Id": voided["Id"], "SyncToken": "0"}, operation="void")
        await q.post("invoice", {"Id": deleted["Id"], "SyncToken": "0"}, operation="delete")
        await q.post("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "n"})
    finally:
        state.on_change = previous
    invoices = [(rid, op) for entity, rid, op in seen if entity == "Invoice"]
    assert (voided["Id"], "Void") in invoices and (deleted["Id"], "Delete") in invoices
    assert ("Customer", customer["Id"], "Create") in seen and ("Customer", customer["Id"], "Update") in seen


def test_webhook_bodies_in_both_formats() -> None:
    # §8 legacy body; the CloudEvents array (blogs.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure)
    import json

    from inolink_tui.sandbox.quickbooks.webhooks import WebhookNotifier

    change = {"name": "Invoice", "id": "95", "operation": "Create", "lastUpdated": "2026-03-02T10:00:00-07:00"}
    legacy = json.loads(WebhookNotifier("310687", "token").body([change]))
    assert legacy == {"eventNotifications": [{"realmId": "310687", "dataChangeEvent": {"entities": [change]}}]}
    cloud = json.loads(WebhookNotifier("310687", "token", payload_format="cloudevents").body([change]))
    assert isinstance(cloud, list) and len(cloud) == 1
    event = cloud[0]
    assert event["specversion"] == "1.0" and event["type"] == "qbo.invoice.created.v1"
    assert event["intuitentityid"] == "95" and event["intuitaccountid"] == "310687" and event["data"] == {}
    assert event["datacontenttype"] == "application/json" and event["time"] == "2026-03-02T17:00:00Z"
    assert event["id"] and event["source"].startswith("intuit.")


async def test_the_cloudevents_switch_through_the_control_api(q: Qbo) -> None:
    # the blog's "switch on the webhooks subscription page", as the sandbox's control API offers it
    switched = await q.http.post("/_sandbox/webhooks", json={"url": None, "format": "cloudevents"})
    assert switched.status_code == 200 and switched.json()["format"] == "cloudevents"
    assert q.sandbox.extra["webhooks"].payload_format == "cloudevents"
    refused = await q.http.post("/_sandbox/webhooks", json={"url": None, "format": "xml"})
    assert refused.status_code == 400
    back = await q.http.post("/_sandbox/webhooks", json={"url": None, "format": "legacy"})
    assert back.json()["format"] == "legacy"
