"""Record links, cursors, the scheduler lease, control requests and the change feed."""

from __future__ import annotations

from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.domain.links import RecordLink
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job


async def test_record_links_upsert_and_lookup_both_ways(store: SqliteJobStore) -> None:
    link = RecordLink(
        EntityType.ACCOUNT,
        "6F9619FF-8B86-D011-B42D-00C04FC964FF",
        "9130",
        RecordLinkStatus.TO_BE_LINKED,
        record_name="Acme",
        crm_modified_on=at(1),
    )
    await store.upsert_link(link)
    got = await store.get_link(EntityType.ACCOUNT, "6f9619ff-8b86-d011-b42d-00c04fc964ff")
    assert got is not None and got.crm_id == link.crm_id and got.crm_modified_on == at(1)
    assert got.updated_at is not None, "the store stamps when a link was written"
    linked = RecordLink(
        EntityType.ACCOUNT,
        link.crm_id,
        "9130",
        RecordLinkStatus.LINKED,
        qbo_entity="Customer",
        qbo_id="58",
        crm_version="v2",
        qbo_sync_token="3",
        qbo_last_updated=at(5),
        record_name="Acme",
        updated_at=at(6),
    )
    await store.upsert_link(linked)
    assert await store.get_link(EntityType.ACCOUNT, link.crm_id) == linked
    assert await store.find_link_by_qbo("Customer", "58", "9130") == linked
    assert await store.find_link_by_qbo("Customer", "58", "4620") is None
    assert await store.get_link(EntityType.CONTACT, link.crm_id) is None


async def test_cursors(store: SqliteJobStore) -> None:
    assert await store.get_cursor("crm:account") is None
    await store.set_cursor("crm:account", 'W/"123"')
    await store.set_cursor("crm:account", 'W/"456"')
    assert await store.get_cursor("crm:account") == 'W/"456"'


async def test_scheduler_lease_take_renew_refuse_expire_release(store: SqliteJobStore) -> None:
    assert await store.scheduler_lease(now=at(0)) is None
    mine = await store.acquire_scheduler_lease("host:1", 1, ttl_seconds=30, now=at(0))
    assert mine is not None and mine.holder == "host:1" and mine.until == at(30)
    theirs = await store.acquire_scheduler_lease("host:2", 2, ttl_seconds=30, now=at(10))
    assert theirs == mine, "another holder gets the current holder's lease back"
    renewed = await store.acquire_scheduler_lease("host:1", 1, ttl_seconds=30, now=at(20))
    assert renewed is not None and renewed.until == at(50)
    assert await store.scheduler_lease(now=at(49)) == renewed
    assert await store.scheduler_lease(now=at(50)) is None, "an expired lease is nobody's"
    taken = await store.acquire_scheduler_lease("host:2", 2, ttl_seconds=30, now=at(51))
    assert taken is not None and taken.holder == "host:2"
    await store.release_scheduler_lease("host:1")
    assert (await store.scheduler_lease(now=at(52))) == taken, "only the holder releases"
    await store.release_scheduler_lease("host:2")
    assert await store.scheduler_lease(now=at(52)) is None


async def test_control_requests_are_taken_once_and_audited(store: SqliteJobStore) -> None:
    first = await store.post_request("console@ops", "sync-now", {"services": ["accounts"]}, now=at(1))
    second = await store.post_request("console@ops", "pause", {}, now=at(2))
    taken = await store.take_requests("daemon:7", now=at(3))
    assert [(r.id, r.kind, r.args, r.taken_by) for r in taken] == [
        (first, "sync-now", {"services": ["accounts"]}, "daemon:7"),
        (second, "pause", {}, "daemon:7"),
    ]
    assert await store.take_requests("daemon:8", now=at(4)) == []
    actions = [e.action for e in await store.audit_log()]
    assert actions == ["request-pause", "request-sync-now"]


async def test_change_feed_is_monotonic_and_pages(store: SqliteJobStore) -> None:
    assert await store.latest_seq() == 0
    ids = (await store.enqueue([new_job(f"r{i}") for i in range(5)], now=at(0))).created
    assert await store.latest_seq() == 5
    await store.claim("w", limit=1, now=at(1))
    await store.complete(ids[0], "w", JobSuccess(), now=at(2))
    feed = await store.changes_since(0, limit=3)
    assert [c.seq for c in feed] == [1, 2, 3] and all(c.kind == "created" for c in feed)
    rest = await store.changes_since(feed[-1].seq)
    assert [(c.job_id, c.kind) for c in rest] == [
        (ids[3], "created"),
        (ids[4], "created"),
        (ids[0], "claimed"),
        (ids[0], "completed"),
    ]
    assert rest[-1].at == at(2) and await store.latest_seq() == rest[-1].seq


async def test_record_audit_directly(store: SqliteJobStore) -> None:
    audit_id = await store.record_audit("cli@host", "export", "jobs.csv", 10, now=at(3))
    (entry,) = await store.audit_log()
    assert (entry.id, entry.actor, entry.action, entry.detail, entry.job_count, entry.at) == (
        audit_id,
        "cli@host",
        "export",
        "jobs.csv",
        10,
        at(3),
    )
