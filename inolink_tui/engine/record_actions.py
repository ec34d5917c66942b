"""InoLink's buttons on a record: Promote, UnLink, link two existing records, and pair them by name.

- Promote sets Link Status To be Linked with Promoted By (the application user) and Promoted On; the
  CRM to QuickBooks service turns that into a Link Job, exactly as a CRM user's click would.
- UnLink ends the link in our bookkeeping on both sides (CRM's Link Status, Accounting ID and Ref; the
  store's record link, which keeps the QuickBooks id so that QuickBooks edits are ignored rather than
  creating a new CRM record). Nothing is deleted anywhere.
- Link writes the link both ways after checking that neither record is linked to something else.
- Fixing a job's dependencies queues Link Jobs for the customer and products a transaction needs and
  requeues the transaction, which then waits (Queued, deferred) until they are linked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inolink_tui.connectors.odata import Filter, eq
from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    QBO_ENTITY_FOR,
    EntityType,
    LinkStatus,
    Operation,
    RecordLinkStatus,
    Source,
)
from inolink_tui.domain.jobs import NewJob, utcnow
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping.records import NAME_COLUMN, PRIMARY_KEY, customer_of, record_name
from inolink_tui.domain.mapping.transactions import accounting_ref, line_products
from inolink_tui.domain.matching import Candidate, MatchResult, Pair, pair_records
from inolink_tui.engine.adapters import DataverseCrm
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.ports import AccountingPort
from inolink_tui.engine.pulled_link import linked_record
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)

WRITE_CHUNK = 100


class ActionRefused(Exception):
    """The action cannot be done as asked (unknown record, already linked elsewhere); one line says why."""


@dataclass
class ActionReport:
    done: list[str] = field(default_factory=list)
    """Record ids (or names) the action changed."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Record id -> why it was left alone."""
    notes: list[str] = field(default_factory=list)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class RecordActions:
    def __init__(
        self,
        store: JobStore,
        crm: DataverseCrm,
        qbo: AccountingPort,
        options: EngineOptions,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.crm = crm
        self.qbo = qbo
        self.options = options
        self.schema = options.schema
        self.clock = clock

    # --- reading ---------------------------------------------------------------------------
    def not_linked(self) -> Filter:
        """Rows neither Linked nor waiting to be: Link Status empty (never promoted), Unlinked or Error."""
        s = self.schema
        return (
            eq(s.link_status, None)
            | eq(s.link_status, s.option(RecordLinkStatus.UNLINKED))
            | eq(s.link_status, s.option(RecordLinkStatus.ERROR))
        )

    async def rows(self, et: EntityType, where: Filter | None, select: list[str] | None = None) -> list[dict[str, Any]]:
        return await self.crm.client.list_rows(CRM_ENTITY_SET_FOR[et], filter=where, select=select)

    def crm_select(self, et: EntityType) -> list[str]:
        s = self.schema
        columns = [PRIMARY_KEY[et], NAME_COLUMN[et], s.link_status, s.accounting_id, "versionnumber"]
        if et is EntityType.CONTACT:
            columns += ["firstname", "lastname"]
        return columns

    # --- Promote ---------------------------------------------------------------------------
    async def promote(
        self,
        et: EntityType,
        *,
        ids: Sequence[str] = (),
        odata_filter: str | None = None,
        with_dependencies: bool = False,
    ) -> ActionReport:
        """By ids, by an OData filter, or (neither given) every record not linked."""
        report = ActionReport()
        if ids:
            rows = await self.crm.get_many(et, list(ids))
            found = {str(r[PRIMARY_KEY[et]]).lower() for r in rows}
            for rid in ids:
                if rid.lower() not in found:
                    report.skipped[rid] = f"no {et.value} with this id in CRM"
        else:
            rows = await self.rows(et, Filter(odata_filter) if odata_filter else self.not_linked())
        await self._promote_rows(et, rows, report)
        if with_dependencies and et.is_transaction:
            for row in rows:
                for dep_et, dep_ids in (await self._dependencies(et, row)).items():
                    dep_rows = await self.crm.get_many(dep_et, dep_ids)
                    before = len(report.done)
                    await self._promote_rows(dep_et, dep_rows, report)
                    if len(report.done) > before:
                        report.notes.append(
                            f"promoted {len(report.done) - before} {dep_et.value}(s) {record_name(et, row)!r} needs"
                        )
        return report

    async def _promote_rows(self, et: EntityType, rows: Sequence[dict[str, Any]], report: ActionReport) -> None:
        s = self.schema
        me = await self.crm.engine_user()
        wanted: list[tuple[str, dict[str, Any]]] = []
        for row in rows:
            rid = str(row[PRIMARY_KEY[et]])
            status = s.status_of(row.get(s.link_status))
            if status is RecordLinkStatus.TO_BE_LINKED:
                report.skipped[rid] = "already To be Linked"
                continue
            wanted.append(
                (
                    rid,
                    {
                        s.link_status: s.option(RecordLinkStatus.TO_BE_LINKED),
                        s.promoted_by_bind: f"/systemusers({me})",
                        s.promoted_on: _iso(self.clock()),
                    },
                )
            )
        written = await self.crm.update_many(et, wanted) if wanted else []
        done = {w.id.lower() for w in written}
        for rid, _ in wanted:
            if rid.lower() in done:
                report.done.append(rid)
            else:
                report.skipped[rid] = "CRM refused the update (see the log)"

    async def _dependencies(self, et: EntityType, row: dict[str, Any]) -> dict[EntityType, list[str]]:
        """The customer and products of a transaction that are not Linked yet (by the store's links)."""
        out: dict[EntityType, list[str]] = {}
        customer = customer_of(row)
        if customer is not None and not await self._is_linked(*customer):
            out.setdefault(customer[0], []).append(customer[1])
        rid = str(row[PRIMARY_KEY[et]])
        for pid in line_products(await self.crm.lines(et, rid)):
            if not await self._is_linked(EntityType.PRODUCT, pid):
                out.setdefault(EntityType.PRODUCT, []).append(pid)
        return out

    async def _is_linked(self, et: EntityType, crm_id: str) -> bool:
        link = await self.store.get_link(et, crm_id)
        return link is not None and bool(link.qbo_id) and link.link_status is RecordLinkStatus.LINKED

    # --- UnLink ----------------------------------------------------------------------------
    async def unlink(self, et: EntityType, ids: Sequence[str]) -> ActionReport:
        s = self.schema
        report = ActionReport()
        rows = {str(r[PRIMARY_KEY[et]]).lower(): r for r in await self.crm.get_many(et, list(ids))}
        changes: list[tuple[str, dict[str, Any]]] = []
        for rid in ids:
            row = rows.get(rid.lower())
            if row is None:
                report.skipped[rid] = f"no {et.value} with this id in CRM"
                continue
            link = await self.store.get_link(et, rid)
            linked_in_crm = s.status_of(row.get(s.link_status)) is RecordLinkStatus.LINKED or row.get(s.accounting_id)
            if not linked_in_crm and (link is None or link.link_status is not RecordLinkStatus.LINKED):
                report.skipped[rid] = "not linked"
                continue
            changes.append(
                (
                    rid,
                    {s.link_status: s.option(RecordLinkStatus.UNLINKED), s.accounting_id: None, s.accounting_ref: None},
                )
            )
        written = {w.id.lower(): w for w in await self.crm.update_many(et, changes)} if changes else {}
        for rid, _ in changes:
            w = written.get(rid.lower())
            if w is None:
                report.skipped[rid] = "CRM refused the update (see the log)"
                continue
            row = rows[rid.lower()]
            link = await self.store.get_link(et, rid) or RecordLink(
                entity_type=et, crm_id=rid, company=self.options.company, record_name=record_name(et, row)
            )
            await self.store.upsert_link(
                RecordLink(
                    entity_type=et,
                    crm_id=link.crm_id,
                    company=link.company or self.options.company,
                    link_status=RecordLinkStatus.UNLINKED,
                    qbo_entity=link.qbo_entity or (QBO_ENTITY_FOR[et] if row.get(s.accounting_id) else None),
                    qbo_id=link.qbo_id or (str(row[s.accounting_id]) if row.get(s.accounting_id) else None),
                    crm_version=w.version,
                    qbo_sync_token=link.qbo_sync_token,
                    record_name=link.record_name or record_name(et, row),
                    updated_at=self.clock(),
                )
            )
            report.done.append(rid)
        return report

    # --- Link existing ---------------------------------------------------------------------
    async def link(self, et: EntityType, crm_id: str, qbo_id: str) -> str:
        """Link one CRM record to one QuickBooks record; ActionRefused says why not."""
        s = self.schema
        entity = QBO_ENTITY_FOR[et]
        row = await self.crm.get(et, crm_id)
        if row is None:
            raise ActionRefused(f"no {et.value} {crm_id} in CRM")
        current = await self.qbo.read(entity, qbo_id)
        if current is None:
            raise ActionRefused(f"no QuickBooks {entity} {qbo_id}")
        crm_id = str(row[PRIMARY_KEY[et]])
        other = await self.store.find_link_by_qbo(entity, qbo_id, self.options.company)
        if (
            other is not None
            and other.crm_id.lower() != crm_id.lower()
            and other.link_status is RecordLinkStatus.LINKED
        ):
            raise ActionRefused(
                f"QuickBooks {entity} {qbo_id} is already linked to {other.entity_type.value} {other.record_name!r} "
                f"({other.crm_id}); unlink that one first"
            )
        mine = await self.store.get_link(et, crm_id)
        if mine is not None and mine.link_status is RecordLinkStatus.LINKED and mine.qbo_id and mine.qbo_id != qbo_id:
            raise ActionRefused(
                f"{et.value} {record_name(et, row)!r} is already linked to QuickBooks {entity} {mine.qbo_id}; "
                "unlink it first"
            )
        name = str(current.get("DisplayName") if entity == "Customer" else current.get("Name") or "")
        ref = accounting_ref(et, current) if et.is_transaction else name
        written = await self.crm.update(
            et,
            crm_id,
            {
                s.link_status: s.option(RecordLinkStatus.LINKED),
                s.accounting_id: str(current["Id"]),
                s.accounting_ref: ref,
            },
        )
        await self.store.upsert_link(
            linked_record(
                et,
                crm_id,
                self.options.company,
                entity,
                current,
                crm_version=written.version,
                name=record_name(et, row),
                now=self.clock(),
            )
        )
        return f"{et.value} {record_name(et, row)!r} linked to QuickBooks {entity} {name!r} (Id {current['Id']})"

    # --- Match -----------------------------------------------------------------------------
    async def match(self, et: EntityType) -> MatchResult:
        """Unlinked CRM records paired with unlinked QuickBooks records by the configured Name Matching."""
        if et.is_transaction:
            raise ActionRefused("match pairs names (account, contact, product); transactions are pushed by promote")
        entity = QBO_ENTITY_FOR[et]
        rows = await self.rows(et, self.not_linked(), self.crm_select(et))
        crm = [Candidate(str(r[PRIMARY_KEY[et]]), record_name(et, r)) for r in rows]
        quickbooks: list[Candidate] = []
        for qbo_id, name in await self.qbo.all_names(entity):
            link = await self.store.find_link_by_qbo(entity, qbo_id, self.options.company)
            if link is None or link.link_status is not RecordLinkStatus.LINKED:
                quickbooks.append(Candidate(qbo_id, name))
        return pair_records((c for c in crm if c.name), quickbooks, self.options.name_matching)

    async def accept(self, et: EntityType, pairs: Sequence[Pair]) -> ActionReport:
        report = ActionReport()
        for pair in pairs:
            try:
                report.notes.append(await self.link(et, pair.crm.id, pair.quickbooks.id))
                report.done.append(pair.crm.id)
            except ActionRefused as exc:
                report.skipped[pair.crm.id] = str(exc)
        return report

    # --- an Error job's missing dependencies ------------------------------------------------
    async def fix_dependencies(self, job_id: int, actor: str) -> ActionReport:
        """Queue jobs for what a transaction job needs, then requeue it (it waits for them, Queued)."""
        job = await self.store.get(job_id)
        if job.link_status is not LinkStatus.ERROR:
            raise ActionRefused(f"job {job_id} is {job.link_status.value}; only an Error job is fixed this way")
        if not job.entity_type.is_transaction or job.source is not Source.CRM or not job.crm_record_id:
            raise ActionRefused(f"job {job_id} is not a CRM transaction job; it has no dependencies to promote")
        row = await self.crm.get(job.entity_type, job.crm_record_id)
        if row is None:
            raise ActionRefused(f"the {job.entity_type.value} of job {job_id} no longer exists in CRM")
        report = ActionReport()
        news: list[NewJob] = []
        for dep_et, dep_ids in (await self._dependencies(job.entity_type, row)).items():
            for dep in await self.crm.get_many(dep_et, dep_ids):
                name = record_name(dep_et, dep)
                news.append(
                    NewJob(
                        entity_type=dep_et,
                        source=Source.CRM,
                        crm_record_id=str(dep[PRIMARY_KEY[dep_et]]),
                        record_name=name,
                        company=self.options.company,
                        operation=Operation.CREATE,
                        submitted_by=actor,
                        submitted_at=self.clock(),
                        qbo_entity=QBO_ENTITY_FOR[dep_et],
                    )
                )
                report.notes.append(f"{dep_et.value} {name!r}")
        if news:
            result = await self.store.enqueue(news, now=self.clock())
            report.done += [str(i) for i in (*result.created, *result.existing)]
        requeued = await self.store.requeue(actor, ids=[job_id], now=self.clock())
        report.skipped.update({str(k): v for k, v in requeued.skipped.items()})
        return report
