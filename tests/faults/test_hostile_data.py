"""Hostile data through both APIs and the job store: it comes back exactly, or fails with a clear,
classified validation error. It is never silently altered or half-written.

The engine moves names between the systems with these same calls (create, read, query by name), so
exact round trips here mean exact round trips in both directions.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from inolink_tui.connectors import odata
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.domain.enums import EntityType, ErrorClass, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import open_store
from tests.connectors.sandbox_support import needs_dataverse, sandbox
from tests.faults.support import dv_client, qbo_client

pytestmark = [needs_dataverse, pytest.mark.timeout(90)]

HOSTILE: dict[str, str] = {
    "quotes": "O'Brien \"The Quote\" ''",
    "backslashes": "back\\slash\\\\ end\\",
    "wildcards": "50%_off [a-z]^ %%__",
    "unicode": "Émile Zoë 東京 Москва",
    "emoji": "🧾 Invoices 😀👍🏽",
    "right-to-left": "שלום עולם \u202eevil\u202c مرحبا",
    "control": "tab\there\nnewline\r\nbell\x07 esc\x1b",
    "nul": "nul\x00inside",
    "long": "L" * 4000,
    "empty": "",
    "spaces": "   ",
    "injection": "x' or 1 eq 1 or name eq 'y",
}


def outcome(value: str, result: Any) -> str:
    if isinstance(result, ConnectorError):
        assert result.error_class is ErrorClass.VALIDATION, (value[:40], result)
        assert result.hint and "\n" not in result.hint
        return "refused"
    return "kept"


async def test_hostile_values_round_trip_through_quickbooks_or_are_refused() -> None:
    async with sandbox(records=2) as handle, qbo_client(handle) as qbo:
        kept = [label for label, value in HOSTILE.items() if await qbo_round_trip(qbo, value) == "kept"]
    assert {"quotes", "backslashes", "wildcards", "unicode", "emoji", "right-to-left", "injection"} <= set(kept)


async def qbo_round_trip(qbo: Any, value: str) -> str:
    name = f"H {uuid.uuid4().hex[:8]}"
    try:
        created: Any = await qbo.create("Customer", {"DisplayName": name, "Notes": value}, request_id=str(uuid.uuid4()))
    except ConnectorError as exc:
        created = exc
    if outcome(value, created) == "refused":
        assert not await qbo.query_all(QboQuery("Customer").where("DisplayName", "=", name)), "half-written"
        return "refused"
    read = await qbo.read("Customer", created["Id"])
    assert read.get("Notes", "") == value, "QuickBooks altered the value"
    if value.strip() and "\x00" not in value:
        found = await qbo.query_all(QboQuery("Customer").where("Notes", "=", value))
        assert [r["Id"] for r in found] == [created["Id"]]
    return "kept"


async def test_hostile_values_round_trip_through_dataverse_or_are_refused() -> None:
    async with sandbox(records=2) as handle, dv_client(handle) as dv:
        kept = [label for label, value in HOSTILE.items() if await dv_round_trip(dv, value) == "kept"]
    assert {"quotes", "backslashes", "wildcards", "unicode", "emoji", "right-to-left", "injection"} <= set(kept)
    assert "long" not in kept, "4,000 characters exceed the column (2,000): a validation error is expected"


async def dv_round_trip(dv: Any, value: str) -> str:
    row_id = str(uuid.uuid4())
    try:
        result: Any = await dv.upsert("accounts", row_id, {"name": f"H {row_id[:8]}", "description": value})
    except ConnectorError as exc:
        result = exc
    if outcome(value, result) == "refused":
        assert not await dv.list_rows("accounts", filter=odata.eq("accountid", uuid.UUID(row_id)))
        return "refused"
    row = await dv.get("accounts", row_id, select=["description"])
    assert (row.get("description") or "") == value, "Dataverse altered the value"
    if value.strip() and "\x00" not in value:
        rows = await dv.list_rows("accounts", filter=odata.eq("description", value), select=["accountid"])
        assert [r["accountid"] for r in rows] == [row_id]
    return "kept"


async def test_hostile_names_round_trip_through_the_job_store(tmp_path: Any) -> None:
    store = await open_store(tmp_path / "jobs.db")
    try:
        jobs = [
            NewJob(
                EntityType.ACCOUNT, Source.CRM, f"crm-{label}", value, "co", submitted_by=value, payload={"v": value}
            )
            for label, value in HOSTILE.items()
        ]
        await store.enqueue(jobs)
        for label, value in HOSTILE.items():
            page = await store.page(JobFilter(), None, limit=100)
            job = next(j for j in page.jobs if j.crm_record_id == f"crm-{label}")
            assert (job.record_name, job.submitted_by) == (value, value), label
            if value.strip():
                hits = await store.page(JobFilter(text=value), None, limit=100)
                assert f"crm-{label}" in {j.crm_record_id for j in hits.jobs}, f"search cannot find {label}"
    finally:
        await store.close()
