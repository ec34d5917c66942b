"""The QuickBooks connector against the sandbox over real HTTP: auth, paging, escaping, throttling, idempotency."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from inolink_tui.connectors import requestid
from inolink_tui.connectors.errors import AuthError, QuickBooksError, ReauthorizationRequired, TransportError
from inolink_tui.connectors.events import AuthProblem, Throttled
from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider
from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.enums import ErrorClass
from tests.connectors.conftest import MemoryTokenStore
from tests.connectors.sandbox_support import control, needs_sandbox, qbo_settings, rng, sandbox
from tests.connectors.test_odata import HOSTILE

pytestmark = [needs_sandbox, pytest.mark.timeout(60)]


def seeded_store(handle: Any) -> MemoryTokenStore:
    info = handle.info()
    return MemoryTokenStore({f"quickbooks:{info['realm_id']}": {"refresh_token": info["qbo_refresh_token"]}})


def client_for(handle: Any, store: MemoryTokenStore, events: list[object] | None = None, **kw: Any) -> QuickBooksClient:
    settings = qbo_settings(handle, **kw)
    sink = events.append if events is not None else None
    return QuickBooksClient(settings, store=store, events=sink, rng=rng())


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


async def test_connects_saves_rotated_tokens_and_reads_company_info() -> None:
    async with sandbox() as handle:
        store = seeded_store(handle)
        first_refresh = handle.info()["qbo_refresh_token"]
        async with client_for(handle, store) as client:
            info = await client.company_info()
            assert info.get("CompanyName")
            provider = client.token_provider
            assert isinstance(provider, QuickBooksTokenProvider)
            status = provider.status()
            assert status.access_expires_at and status.refresh_expires_at
            assert status.refresh_expires_at > status.access_expires_at
        saved = store.data[f"quickbooks:{handle.realm_id}"]
        assert saved["refresh_token"] and saved["access_token"]
        assert len(store.saves) == 1
        assert saved["refresh_token"] != first_refresh or handle.info()["qbo_refresh_token"] == saved["refresh_token"]


async def test_query_paging_returns_every_row_once() -> None:
    async with sandbox(records=30) as handle, client_for(handle, seeded_store(handle)) as client:
        for i in range(12):
            await client.create("Customer", {"DisplayName": unique(f"Pager {i}")}, request_id=str(uuid.uuid4()))
        query = QboQuery("Customer").order_by("Id")
        total = await client.count(QboQuery("Customer"))
        rows = await client.query_all(query, page_size=5)
        assert total >= 12
        assert len(rows) == total
        assert len({r["Id"] for r in rows}) == total


async def test_hostile_strings_round_trip_through_query() -> None:
    """Quotes, backslashes, newlines, unicode, emoji, long text: exact round trip, matching only themselves.

    Customer Notes hold at most 2,000 characters (Intuit's Customer reference), so the long sample is cut
    to 1,999 (the decoy adds one).
    """
    async with sandbox() as handle, client_for(handle, seeded_store(handle)) as client:
        for hostile in [h[:1999] for h in HOSTILE if h.strip()]:
            created = await client.create(
                "Customer", {"DisplayName": unique("Hostile"), "Notes": hostile}, request_id=str(uuid.uuid4())
            )
            await client.create(
                "Customer", {"DisplayName": unique("Decoy"), "Notes": hostile + "x"}, request_id=str(uuid.uuid4())
            )
            rows = await client.query_all(QboQuery("Customer").where("Notes", "=", hostile))
            assert [r["Id"] for r in rows] == [created["Id"]], hostile[:40]
            assert rows[0]["Notes"] == hostile


async def test_hostile_display_names_round_trip_through_in_lookups() -> None:
    names = ["O'Brien & Sons", "back\\slash\\", "Émile 🧾 東京 Ltd", "'quoted'", "50% off_[x]"]
    async with sandbox() as handle, client_for(handle, seeded_store(handle)) as client:
        for name in names:
            await client.create("Customer", {"DisplayName": name}, request_id=str(uuid.uuid4()))
        found = await client.find_by_values("Customer", "DisplayName", [*names, "nobody"])
        assert all(len(found[n]) == 1 and found[n][0]["DisplayName"] == n for n in names)
        assert found["nobody"] == []


async def test_429_storm_sends_nothing_inside_the_retry_after_window() -> None:
    async with sandbox() as handle:
        await control(handle, "/_sandbox/qbo/limits", {"retry_after": True})
        sent: list[float] = []
        throttled_at: list[float] = []
        events = GateWatch(throttled_at)

        async def on_request(request: httpx.Request) -> None:
            sent.append(time.monotonic())

        async with client_for(handle, seeded_store(handle), events) as client:
            await client.company_info()  # tokens first
            client.http.event_hooks["request"].append(on_request)
            await control(
                handle,
                "/_sandbox/faults",
                {"rules": [{"kind": "throttle", "api": "qbo", "retry_after": 1, "remaining": 3}]},
            )
            results = await asyncio.gather(*(client.query(QboQuery("Customer").text()) for _ in range(8)))
            later = await client.query(QboQuery("Customer").text())  # sequential, after the storm
        assert len(results) == 8 and later is not None
        assert len(throttled_at) == 3, "the fault rule should have throttled three requests"
        # Requests already past the gate when a 429 arrives cannot be recalled; from the moment the
        # client knows (the gate closes), nothing may leave until Retry-After has passed.
        for received in throttled_at:
            inside = [t for t in sent if received < t < received + 1.0 - CLOCK_SLACK]
            assert not inside, f"{len(inside)} requests sent inside a Retry-After window"
        assert len(sent) == 8 + 3 + 1
        assert any(isinstance(e, Throttled) and e.seconds == 1 for e in events)
        stats = await control(handle, "/_sandbox/stats")
        assert stats["throttled"]["qbo"] == 3


async def test_xml_429_without_retry_after_backs_off_and_recovers() -> None:
    async with sandbox() as handle:
        await control(handle, "/_sandbox/faults", {"rules": [{"kind": "throttle", "api": "qbo", "remaining": 2}]})
        async with client_for(handle, seeded_store(handle)) as client:
            assert await client.company_info()
        stats = await control(handle, "/_sandbox/stats")
        assert stats["throttled"].get("qbo", 0) == 2


async def test_expired_access_token_mid_run_refreshes_once_and_rotates() -> None:
    async with sandbox() as handle:
        store = seeded_store(handle)
        async with client_for(handle, store) as client:
            await client.company_info()
            old_refresh = store.data[f"quickbooks:{handle.realm_id}"]["refresh_token"]
            await control(handle, "/_sandbox/intuit/expire-access", {})
            await client.company_info()
        new_refresh = store.data[f"quickbooks:{handle.realm_id}"]["refresh_token"]
        assert new_refresh != old_refresh
        assert len(store.saves) == 2
        # the rotated-out token is dead at once (the sandbox's default)
        stale = MemoryTokenStore({f"quickbooks:{handle.realm_id}": {"refresh_token": old_refresh}})
        async with client_for(handle, stale) as other:
            with pytest.raises(ReauthorizationRequired):
                await other.company_info()


async def test_crash_between_refresh_and_save_keeps_a_working_saved_token() -> None:
    from inolink_tui.sandbox.options import IntuitPolicy

    async with sandbox(intuit=IntuitPolicy(old_refresh_grace_seconds=3600)) as handle:
        store = seeded_store(handle)
        store.fail_saves = True  # the process "dies" after Intuit rotated the token, before it was saved
        async with client_for(handle, store) as client:
            with pytest.raises(AuthError, match="could not save"):
                await client.company_info()
        assert store.saves == []
        store.fail_saves = False
        async with client_for(handle, store) as restarted:  # a new process with what was saved
            assert await restarted.company_info()


async def test_crash_after_save_before_use_keeps_the_new_token() -> None:
    async with sandbox() as handle:
        store = seeded_store(handle)
        provider = QuickBooksTokenProvider(qbo_settings(handle), store)
        await provider.refresh()  # refreshed and saved; the "crash" is that nothing used it
        provider.close()
        async with client_for(handle, store) as restarted:
            assert await restarted.company_info()


async def test_invalid_grant_pauses_quickbooks_with_one_event() -> None:
    async with sandbox() as handle:
        events: list[object] = []
        store = seeded_store(handle)
        await control(handle, "/_sandbox/intuit/revoke", {})
        async with client_for(handle, store, events) as client:
            since = (await control(handle, "/_sandbox/stats"))["last_seq"]
            for _ in range(5):
                with pytest.raises(ReauthorizationRequired) as info:
                    await client.company_info()
                assert info.value.error_class is ErrorClass.AUTH
        after = await control(handle, f"/_sandbox/stats?since={since}")
        assert [e["api"] for e in after["log"]].count("intuit") <= 2  # discovery + one refused refresh
        assert not [e for e in after["log"] if e["api"] == "qbo"]
        assert [type(e) for e in events] == [AuthProblem]


async def test_requestid_replay_creates_nothing_new() -> None:
    async with sandbox() as handle, client_for(handle, seeded_store(handle)) as client:
        rid = requestid.request_id(4242, "create-customer", scope=str(uuid.uuid4()))
        name = unique("Replay")
        first = await client.create("Customer", {"DisplayName": name}, request_id=rid)
        before = await client.count(QboQuery("Customer"))
        again = await client.create("Customer", {"DisplayName": name}, request_id=rid)
        assert again["Id"] == first["Id"]
        assert await client.count(QboQuery("Customer")) == before


async def test_stale_object_is_recovered_by_rereading() -> None:
    async with sandbox() as handle, client_for(handle, seeded_store(handle)) as client:
        created = await client.create("Customer", {"DisplayName": unique("Stale")}, request_id=str(uuid.uuid4()))
        await control(
            handle,
            "/_sandbox/qbo/edit",
            {
                "entity": "Customer",
                "body": {"Id": created["Id"], "SyncToken": created["SyncToken"], "Notes": "by someone else"},
            },
        )
        with pytest.raises(QuickBooksError) as info:
            await client.sparse_update(
                "Customer",
                created["Id"],
                created["SyncToken"],
                {"CompanyName": "X"},
                request_id=str(uuid.uuid4()),
                retry_stale=False,
            )
        assert info.value.code == "5010" and info.value.error_class is ErrorClass.CONFLICT
        updated = await client.sparse_update(
            "Customer", created["Id"], created["SyncToken"], {"CompanyName": "Y"}, request_id=str(uuid.uuid4())
        )
        assert updated["CompanyName"] == "Y" and updated["Notes"] == "by someone else"
        assert int(updated["SyncToken"]) == int(created["SyncToken"]) + 2


async def test_every_error_class_from_the_sandbox() -> None:
    async with sandbox() as handle, client_for(handle, seeded_store(handle)) as client:
        name = unique("Dup")
        await client.create("Customer", {"DisplayName": name}, request_id=str(uuid.uuid4()))
        with pytest.raises(QuickBooksError) as dup:
            await client.create("Customer", {"DisplayName": name}, request_id=str(uuid.uuid4()))
        assert dup.value.code == "6240" and dup.value.error_class is ErrorClass.DUPLICATE
        assert name in dup.value.with_subject(name).hint
        with pytest.raises(QuickBooksError) as missing:
            await client.read("Customer", "999999")
        assert missing.value.error_class is ErrorClass.REFERENCE
        with pytest.raises(QuickBooksError) as invalid:
            await client.create("Invoice", {"CustomerRef": {"value": "1"}}, request_id=str(uuid.uuid4()))
        assert invalid.value.error_class in (ErrorClass.VALIDATION, ErrorClass.REFERENCE)
        with pytest.raises(QuickBooksError) as bad_query:
            await client.query("SELECT * FROM Nowhere")
        assert bad_query.value.error_class is ErrorClass.VALIDATION
        await control(handle, "/_sandbox/faults", {"rules": [{"kind": "status", "api": "qbo", "status": 503}]})
        with pytest.raises(QuickBooksError) as transient:
            await client.company_info()
        assert transient.value.error_class is ErrorClass.TRANSIENT and transient.value.retryable
        await control(handle, "/_sandbox/faults", {"clear": True, "rules": [{"kind": "reset", "api": "qbo"}]})
        with pytest.raises((TransportError, QuickBooksError)) as reset:
            await client.company_info()
        assert reset.value.error_class is ErrorClass.TRANSIENT


async def test_batch_and_cdc() -> None:
    async with sandbox() as handle, client_for(handle, seeded_store(handle)) as client:
        await client.company_info()
        since = datetime.now(UTC) - timedelta(minutes=5)
        dup = unique("BatchDup")
        await client.create("Customer", {"DisplayName": dup}, request_id=str(uuid.uuid4()))
        results = await client.batch(
            [
                {"bId": "b1", "operation": "create", "Customer": {"DisplayName": unique("Batch")}},
                {"bId": "b2", "operation": "create", "Customer": {"DisplayName": dup}},
                {"bId": "b3", "Query": "select * from Customer maxresults 2"},
            ]
        )
        assert [r.bid for r in results] == ["b1", "b2", "b3"]
        assert results[0].entity == "Customer" and results[0].error is None
        assert results[1].error is not None and results[1].error.error_class is ErrorClass.DUPLICATE
        assert results[2].entity == "QueryResponse"
        changes = await client.cdc(["Customer"], since)
        names = {c.get("DisplayName") for c in changes.changed.get("Customer", [])}
        assert dup in names and results[0].body["DisplayName"] in names
        assert changes.time
