"""`reconcile` checks the Sales Transaction history rows against QuickBooks (issue 16 items 1 and 6), over the
in-process sandbox: a row whose amount differs, a missing row and a row of a transaction deleted in QuickBooks
are drift rows, and `--fix` (queue_repairs) queues the Sales Transaction Link Jobs that repair them.

One seeded sandbox for the module; expected values come from the sandbox's QuickBooks state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS
from inolink_tui.domain.enums import EntityType, RecordLinkStatus, Source
from inolink_tui.domain.reconcile import DriftKind
from inolink_tui.engine.reconcile import queue_repairs, reconcile
from tests.engine.sandbox_stack import Stack, stack

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio(loop_scope="module")]
LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.LINKED]
SWITCHES = 'quickbooks_credit_memos = "history"\nquickbooks_sales_receipts = "history"\n'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with stack(tmp_path_factory.mktemp("reconcile-history"), records=16, sync=SWITCHES) as s:
        await s.run_once()
        yield s


def sale(customer: str, item: dict[str, Any], price: str) -> dict[str, Any]:
    detail = {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": price}
    line = {"Amount": price, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    return {"CustomerRef": {"value": customer}, "Line": [line]}


def history_row(s: Stack, key: str) -> dict[str, Any] | None:
    return next((r for r in s.dv.rows("ino_salestransactions") if r.get("ino_transactionkey") == key), None)


async def test_history_rows_that_differ_are_missing_or_outlive_their_transaction_are_drift(world: Stack) -> None:
    s = world
    linked = {r["ino_accountingid"] for r in s.dv.rows("accounts") if r.get("ino_linkstatus") == LINKED}
    customer = next(c["Id"] for c in s.qbo.all("Customer") if c["Id"] in linked and c.get("Active") is not False)
    item = next(i for i in s.qbo.all("Item") if i.get("Type") == "Service" and i.get("Active", True))
    edited = s.qbo.create("CreditMemo", sale(customer, item, "20.00"))
    deleted = s.qbo.create("CreditMemo", sale(customer, item, "7.00"))
    missing = s.qbo.create("SalesReceipt", sale(customer, item, "15.00"))
    mine = {edited["Id"], deleted["Id"], missing["Id"]}
    engine = await s.engine()
    try:
        await engine.cycles.high_priority()  # CDC: one Sales Transaction Link Job per transaction writes its row

        async def drifts() -> list[Any]:
            found = await reconcile(s.store, engine.crm, engine.qbo, engine.options, [EntityType.INVOICE])
            return [d for d in found if d.kind is DriftKind.HISTORY and d.qbo_id in mine]

        assert await drifts() == [], "rows written with QuickBooks' figures"
        row = history_row(s, f"CreditMemo|{edited['Id']}")
        assert row is not None
        s.dv.update_row("ino_salestransactions", row["ino_salestransactionid"], {"ino_amount": 1.0})
        gone = history_row(s, f"SalesReceipt|{missing['Id']}")
        assert gone is not None
        s.dv.delete_row("ino_salestransactions", gone["ino_salestransactionid"])
        s.qbo.delete(
            "CreditMemo", {"Id": deleted["Id"], "SyncToken": s.qbo.get("CreditMemo", deleted["Id"])["SyncToken"]}
        )

        found = await drifts()
        summary = {(d.qbo_id, d.field, d.crm_value, d.qbo_value, d.side) for d in found}
        assert summary == {
            (edited["Id"], "ino_amount", "1.00", "20.00", ""),
            (missing["Id"], "", None, "15.00", "CRM"),
            (deleted["Id"], "", None, None, "QuickBooks"),
        }, summary
        assert all(d.fixable and d.entity_type is EntityType.SALES_TRANSACTION for d in found)
        queued = await queue_repairs(s.store, found, engine.options.company, "tester")
        assert len(queued.created) == 3
        jobs = [j for j in await s.jobs() if j.id in set(queued.created)]
        assert {(j.qbo_entity, j.accounting_id) for j in jobs} == {
            ("CreditMemo", edited["Id"]),
            ("CreditMemo", deleted["Id"]),
            ("SalesReceipt", missing["Id"]),
        }
        assert all(j.entity_type is EntityType.SALES_TRANSACTION and j.source is Source.ACCOUNTING for j in jobs)
        await engine.run_once()
        assert await drifts() == [], "the repair jobs rewrote the rows from QuickBooks"
        assert history_row(s, f"CreditMemo|{deleted['Id']}") is None
        assert history_row(s, f"SalesReceipt|{missing['Id']}") is not None
    finally:
        await engine.stop()
