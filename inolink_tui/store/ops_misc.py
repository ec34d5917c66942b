"""Record links, cursors, the scheduler lease and control requests."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.domain.links import RecordLink
from inolink_tui.store.base import ControlRequest, SchedulerLease
from inolink_tui.store.codec import from_us, from_us_opt, loads, to_us_opt
from inolink_tui.store.ops_admin import record_audit

_LINK_COLUMNS = (
    "entity_type, crm_id, company, link_status, qbo_entity, qbo_id, crm_version, crm_modified_on,"
    " qbo_sync_token, qbo_last_updated, record_name, updated_at"
)


def _link(row: tuple[Any, ...]) -> RecordLink:
    (entity, crm_id, company, status, qbo_entity, qbo_id, version, modified, token, qbo_updated, name, updated) = row
    return RecordLink(
        entity_type=EntityType(entity),
        crm_id=crm_id,
        company=company,
        link_status=RecordLinkStatus(status),
        qbo_entity=qbo_entity,
        qbo_id=qbo_id,
        crm_version=version,
        crm_modified_on=from_us_opt(modified),
        qbo_sync_token=token,
        qbo_last_updated=from_us_opt(qbo_updated),
        record_name=name,
        updated_at=from_us_opt(updated),
    )


def crm_key(crm_id: str) -> str:
    """Dataverse GUIDs compare case-insensitively; so do our record links."""
    return crm_id.lower()


def get_link(conn: sqlite3.Connection, entity_type: EntityType, crm_id: str) -> RecordLink | None:
    row = conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM record_links WHERE entity_type = ? AND crm_key = ?",
        (entity_type.value, crm_key(crm_id)),
    ).fetchone()
    return None if row is None else _link(row)


def links(conn: sqlite3.Connection, entity_type: EntityType, company: str) -> list[RecordLink]:
    rows = conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM record_links WHERE entity_type = ? AND company = ? ORDER BY crm_key",
        (entity_type.value, company),
    ).fetchall()
    return [_link(row) for row in rows]


def find_link_by_qbo(conn: sqlite3.Connection, qbo_entity: str, qbo_id: str, company: str) -> RecordLink | None:
    row = conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM record_links WHERE qbo_entity = ? AND qbo_id = ? AND company = ?"
        " ORDER BY updated_at DESC LIMIT 1",
        (qbo_entity, qbo_id, company),
    ).fetchone()
    return None if row is None else _link(row)


def upsert_link(conn: sqlite3.Connection, link: RecordLink, now_us: int) -> None:
    conn.execute(
        "INSERT INTO record_links(entity_type, crm_key, crm_id, company, link_status, qbo_entity, qbo_id,"
        " crm_version, crm_modified_on, qbo_sync_token, qbo_last_updated, record_name, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(entity_type, crm_key) DO UPDATE SET crm_id = excluded.crm_id, company = excluded.company,"
        " link_status = excluded.link_status, qbo_entity = excluded.qbo_entity, qbo_id = excluded.qbo_id,"
        " crm_version = excluded.crm_version, crm_modified_on = excluded.crm_modified_on,"
        " qbo_sync_token = excluded.qbo_sync_token, qbo_last_updated = excluded.qbo_last_updated,"
        " record_name = excluded.record_name, updated_at = excluded.updated_at",
        (
            link.entity_type.value,
            crm_key(link.crm_id),
            link.crm_id,
            link.company,
            link.link_status.value,
            link.qbo_entity,
            link.qbo_id,
            link.crm_version,
            to_us_opt(link.crm_modified_on),
            link.qbo_sync_token,
            to_us_opt(link.qbo_last_updated),
            link.record_name,
            to_us_opt(link.updated_at) or now_us,
        ),
    )


def get_cursor(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def set_cursor(conn: sqlite3.Connection, name: str, value: str, now_us: int) -> None:
    conn.execute(
        "INSERT INTO cursors(name, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (name, value, now_us),
    )


def _lease(row: tuple[Any, ...] | None) -> SchedulerLease | None:
    return None if row is None else SchedulerLease(holder=row[0], pid=row[1], until=from_us(row[2]))


def scheduler_lease(conn: sqlite3.Connection, now_us: int) -> SchedulerLease | None:
    """The live scheduler lease, or None when nobody holds one (an expired lease counts as none)."""
    row = conn.execute("SELECT holder, pid, until FROM scheduler_lease WHERE id = 1 AND until > ?", (now_us,))
    return _lease(row.fetchone())


def acquire_scheduler_lease(
    conn: sqlite3.Connection, holder: str, pid: int, ttl_us: int, now_us: int
) -> SchedulerLease | None:
    current = conn.execute("SELECT holder, pid, until FROM scheduler_lease WHERE id = 1").fetchone()
    if current is not None and current[0] != holder and current[2] > now_us:
        return _lease(current)
    conn.execute(
        "INSERT INTO scheduler_lease(id, holder, pid, until) VALUES (1, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, until = excluded.until",
        (holder, pid, now_us + ttl_us),
    )
    return SchedulerLease(holder=holder, pid=pid, until=from_us(now_us + ttl_us))


def release_scheduler_lease(conn: sqlite3.Connection, holder: str) -> None:
    conn.execute("DELETE FROM scheduler_lease WHERE id = 1 AND holder = ?", (holder,))


def post_request(conn: sqlite3.Connection, actor: str, kind: str, args: dict[str, Any], now_us: int) -> int:
    args_json = json.dumps(args, ensure_ascii=False, sort_keys=True)
    cursor = conn.execute(
        "INSERT INTO control_requests(at, actor, kind, args) VALUES (?, ?, ?, ?)", (now_us, actor, kind, args_json)
    )
    request_id = int(cursor.lastrowid or 0)
    record_audit(conn, actor, f"request-{kind}", f"request {request_id}: {kind} {args_json}", 0, now_us)
    return request_id


def take_requests(conn: sqlite3.Connection, taker: str, now_us: int) -> list[ControlRequest]:
    rows = conn.execute(
        "UPDATE control_requests SET taken_by = ?, taken_at = ? WHERE taken_by IS NULL"
        " RETURNING id, at, actor, kind, args, taken_by",
        (taker, now_us),
    ).fetchall()
    return sorted(
        (
            ControlRequest(id=i, at=from_us(a), actor=ac, kind=k, args=loads(ar) or {}, taken_by=t)
            for i, a, ac, k, ar, t in rows
        ),
        key=lambda r: r.id,
    )
