"""Small request builders shared by the money conformance tests (payments, tax, currency, reports)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import BASE, Qbo, QboLimits, make_sandbox, qbo_for

UNTHROTTLED = QboLimits(requests_per_minute=0, requests_per_second=0)
"""These tests make many requests at one frozen instant; throttling has its own tests."""


@pytest.fixture
async def books() -> AsyncIterator[Qbo]:
    """A company with only its basics (accounts, tax codes, terms, service items): every figure is the test's."""
    sandbox = make_sandbox(records=0, qbo_limits=UNTHROTTLED)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        yield qbo_for(sandbox, http)


async def company(**options: Any) -> tuple[Sandbox, httpx.AsyncClient]:
    sandbox = make_sandbox(records=0, qbo_limits=UNTHROTTLED, **options)
    return sandbox, httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE)


async def item_id(qbo: Qbo, name: str = "Services") -> str:
    response = await qbo.query(f"select * from Item where Name = '{name}'")
    return str(response.json()["QueryResponse"]["Item"][0]["Id"])


async def customer(qbo: Qbo, name: str, **extra: Any) -> dict[str, Any]:
    return await qbo.create("Customer", {"DisplayName": name, **extra})


def sales_line(item: str, amount: str, **detail: Any) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item}, **detail},
    }


async def invoice(qbo: Qbo, customer_id: str, amount: str, **extra: Any) -> dict[str, Any]:
    item = await item_id(qbo)
    return await qbo.create(
        "Invoice", {"CustomerRef": {"value": customer_id}, "Line": [sales_line(item, amount)], **extra}
    )


async def credit_memo(qbo: Qbo, customer_id: str, amount: str) -> dict[str, Any]:
    item = await item_id(qbo)
    return await qbo.create("CreditMemo", {"CustomerRef": {"value": customer_id}, "Line": [sales_line(item, amount)]})


def pay_line(amount: str, txn_id: str, txn_type: str = "Invoice") -> dict[str, Any]:
    return {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}


async def read(qbo: Qbo, entity: str, record_id: str) -> dict[str, Any]:
    response = await qbo.get(f"{entity.lower()}/{record_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()[entity]
    return record


def fault(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["Fault"]["Error"][0]
    return error
