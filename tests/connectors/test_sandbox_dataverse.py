"""The Dataverse connector against the sandbox over real HTTP: msal, paging, escaping, throttling, writes, deltas."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import Any

import httpx
import pytest

from inolink_tui.connectors import odata
from inolink_tui.connectors.dataverse import DataverseClient, is_delta_expired, part_error
from inolink_tui.connectors.dataverse_batch import BatchOperation
from inolink_tui.connectors.errors import AuthError, DataverseError
from inolink_tui.connectors.events import AuthProblem, Throttled
from inolink_tui.domain.enums import ErrorClass
from tests.connectors.sandbox_support import control, dv_settings, needs_dataverse, rng, sandbox
from tests.connectors.test_odata import HOSTILE

pytestmark = [needs_dataverse, pytest.mark.timeout(60)]


def client_for(handle: Any, events: list[object] | None = None, **kw: Any) -> DataverseClient:
    return DataverseClient(dv_settings(handle, **kw), events=events.append if events is not None else None, rng=rng())


CLOCK_SLACK = 0.05
"""The event is stamped a moment after the gate closes (longer on a loaded machine); a request released
when the gate reopens may therefore look up to this much early against the stamp."""


class GateWatch(list[object]):
    """Collects events, noting when each Throttled arrives: it is emitted the moment the gate closes."""

    def __init__(self, closed_at: list[float]) -> None:
        super().__init__()
        self.closed_at = closed_at

    def append(self, event: object) -> None:
        if isinstance(event, Throttled):
            self.closed_at.append(time.monotonic())
        super().append(event)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


async def test_who_am_i_and_token_expiry() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        who = await client.who_am_i()
        assert uuid.UUID(who["UserId"])
        status = client.token_provider.status()  # type: ignore[attr-defined]
        assert status.access_expires_at is not None and status.problem is None


async def test_paging_returns_every_row_once() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        marker = unique("Pager")
        for i in range(12):
            await client.create("accounts", {"name": f"{marker} {i:02}"})
        rows = await client.list_rows(
            "accounts", filter=odata.startswith("name", marker), select=["name"], orderby=["name asc"], page_size=5
        )
        assert [r["name"] for r in rows] == [f"{marker} {i:02}" for i in range(12)]
        everything = await client.list_rows("accounts", select=["accountid"], page_size=7)
        assert len({r["accountid"] for r in everything}) == len(everything) >= 12


async def test_hostile_strings_round_trip_through_filters() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        for hostile in HOSTILE:
            created = await client.create("ino_linkjobs", {"ino_name": unique("job"), "ino_errordescription": hostile})
            decoy = hostile + "x" if len(hostile) < 4000 else hostile[:-1] + "y"
            await client.create("ino_linkjobs", {"ino_name": unique("decoy"), "ino_errordescription": decoy})
            rows = await client.list_rows(
                "ino_linkjobs", filter=odata.eq("ino_errordescription", hostile), select=["ino_errordescription"]
            )
            assert [r["ino_linkjobid"] for r in rows] == [created.id], hostile[:40]
            assert rows[0]["ino_errordescription"] == hostile


async def test_wildcards_in_contains_are_literal() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        marker = uuid.uuid4().hex[:8]
        literal = await client.create("accounts", {"name": f"{marker} 50%_[off]"})
        await client.create("accounts", {"name": f"{marker} 50 and more off"})
        rows = await client.list_rows("accounts", filter=odata.contains("name", f"{marker} 50%_[off]"))
        assert [r["accountid"] for r in rows] == [literal.id]


async def test_429_storm_sends_nothing_inside_the_retry_after_window() -> None:
    async with sandbox() as handle:
        sent: list[float] = []
        throttled_at: list[float] = []
        events = GateWatch(throttled_at)

        async def on_request(request: httpx.Request) -> None:
            sent.append(time.monotonic())

        async with client_for(handle, events) as client:
            await client.who_am_i()
            client.http.event_hooks["request"].append(on_request)
            await control(
                handle,
                "/_sandbox/faults",
                {"rules": [{"kind": "throttle", "api": "dataverse", "retry_after": 1, "remaining": 3}]},
            )
            results = await asyncio.gather(*(client.who_am_i() for _ in range(8)))
            await client.who_am_i()
        assert len(results) == 8
        assert len(throttled_at) == 3
        # Requests already past the gate when a 429 arrives cannot be recalled; from the moment the
        # client knows (the gate closes), nothing may leave until Retry-After has passed.
        for received in throttled_at:
            assert not [t for t in sent if received < t < received + 1.0 - CLOCK_SLACK]
        assert any(isinstance(e, Throttled) for e in events)


async def test_expired_access_token_mid_run_gets_a_new_one() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        await client.who_am_i()
        first = client.token_provider.status().access_expires_at  # type: ignore[attr-defined]
        await control(handle, "/_sandbox/clock/advance", {"seconds": 7200})  # the server now sees it expired
        since = (await control(handle, "/_sandbox/stats"))["last_seq"]
        assert await client.who_am_i()
        log = (await control(handle, f"/_sandbox/stats?since={since}"))["log"]
        assert [e["status"] for e in log if e["api"] == "dataverse"] == [401, 200]
        assert [e for e in log if e["api"] == "entra" and e["method"] == "POST"]
        assert client.token_provider.status().access_expires_at != first  # type: ignore[attr-defined]


async def test_writes_update_only_upsert_and_concurrency() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        missing = str(uuid.uuid4())
        with pytest.raises(DataverseError) as gone:
            await client.update("accounts", missing, {"name": "x"})
        assert gone.value.status == 404 and gone.value.error_class is ErrorClass.REFERENCE
        assert await client.list_rows("accounts", filter=odata.eq("accountid", uuid.UUID(missing))) == []
        upserted = await client.upsert("accounts", missing, {"name": "made by upsert"})
        assert upserted.created is True
        again = await client.upsert("accounts", missing, {"name": "updated by upsert"})
        assert again.created is False
        with pytest.raises(DataverseError) as duplicate:
            await client.upsert("accounts", missing, {"name": "must not replace"}, create_only=True)
        assert duplicate.value.status == 412 and duplicate.value.error_class is ErrorClass.DUPLICATE
        assert (await client.get("accounts", missing, select=["name"]))["name"] == "updated by upsert"
        created = await client.create("accounts", {"name": unique("Conc"), "creditlimit": 10})
        assert created.id
        stale = await client.get("accounts", created.id)
        await client.update("accounts", created.id, {"creditlimit": 20})
        with pytest.raises(DataverseError) as conflict:
            await client.update("accounts", created.id, {"creditlimit": 30}, etag=stale["@odata.etag"])
        assert conflict.value.code == "0x80060882" and conflict.value.error_class is ErrorClass.CONFLICT
        calls = 0

        def bump(row: dict[str, Any]) -> dict[str, Any]:
            nonlocal calls
            calls += 1
            return {"creditlimit": float(row["creditlimit"]) + 1}

        await client.update_checked("accounts", created.id, bump, select=["creditlimit"])
        assert float((await client.get("accounts", created.id))["creditlimit"]) == 21


async def test_change_tracking_keeps_the_delta_link() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        first = await client.track_changes("accounts", select=["name"])
        assert first.upserted and first.delta_link
        created = await client.create("accounts", {"name": unique("Delta")})
        doomed = first.upserted[0]["accountid"]
        await client.delete("accounts", doomed)
        second = await client.track_changes("accounts", delta_link=first.delta_link)
        assert created.id in {r["accountid"] for r in second.upserted}
        assert doomed in second.deleted
        third = await client.track_changes("accounts", delta_link=second.delta_link)
        assert third.upserted == [] and third.deleted == [] and not third.full


async def test_an_expired_delta_link_falls_back_to_a_full_resync() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        first = await client.track_changes("accounts", select=["name"])
        await control(handle, "/_sandbox/clock/advance", {"seconds": 31 * 86400})
        with pytest.raises(DataverseError) as expired:
            await client.track_changes("accounts", delta_link=first.delta_link)
        assert is_delta_expired(expired.value)
        resync = await client.track_changes("accounts", delta_link=first.delta_link, resync_on_expiry=True)
        assert resync.full and len(resync.upserted) == len(first.upserted)
        assert set(resync.upserted[0]) <= {"@odata.etag", "name", "accountid"}  # the link's $select is kept


async def test_batch_changeset_is_atomic() -> None:
    async with sandbox() as handle, client_for(handle) as client:
        marker = unique("Batch")
        parts = await client.batch([BatchOperation("POST", "accounts", {"name": f"{marker} {i}"}) for i in range(3)])
        assert [p.status for p in parts] == [204, 204, 204] and all(p.entity_id for p in parts)
        failing = unique("Rollback")
        parts = await client.batch(
            [
                BatchOperation("POST", "accounts", {"name": failing}),
                BatchOperation("POST", "accounts", {"name": "x" * 5000}),
            ]
        )
        errors = [part_error(p) for p in parts if not p.ok]
        assert errors and errors[0] is not None and errors[0].error_class is ErrorClass.VALIDATION
        assert await client.list_rows("accounts", filter=odata.eq("name", failing)) == []


async def test_error_classes_from_the_sandbox() -> None:
    async with sandbox() as handle:
        async with client_for(handle) as client:
            with pytest.raises(DataverseError) as too_long:
                await client.create("accounts", {"name": "x" * 5000})
            assert too_long.value.error_class is ErrorClass.VALIDATION
            await control(
                handle, "/_sandbox/faults", {"rules": [{"kind": "status", "api": "dataverse", "status": 503}]}
            )
            with pytest.raises(DataverseError) as transient:
                await client.who_am_i()
            assert transient.value.error_class is ErrorClass.TRANSIENT
        events: list[object] = []
        bad = DataverseClient(replace(dv_settings(handle), client_secret="wrong"), events=events.append)
        async with bad:
            with pytest.raises(AuthError) as auth:
                await bad.who_am_i()
        assert auth.value.error_class is ErrorClass.AUTH and "secret" in auth.value.hint
        assert [type(e) for e in events] == [AuthProblem]
