"""First import (InoLink's "Last Modified From"): existing QuickBooks customers and items into CRM.

The High Priority service starts its change feed at "now", so a company's existing customers never reach
CRM through it. The import reads them (modified since a date, oldest first, a page at a time) and, per
page:

1. pairs each not-yet-linked QuickBooks record with an unlinked CRM record of the same kind by the
   configured Name Matching (domain/matching.py) and links the pairs found, so nothing is created twice;
2. queues an ordinary Source = Accounting Link Job per record: an update for the ones now linked (the
   QuickBooks values flow to CRM), a create for the others; records linked already and unchanged since
   (same SyncToken) are skipped, which is why a second import creates nothing;
3. sets aside, unqueued, the ones whose name matches several CRM records equally well (a person decides
   with `link`), and saves the page's last LastUpdatedTime as the import's cursor in the store.

After a crash the import resumes from the cursor; the pages before it need nothing more (their jobs are in
the store, and queueing a record whose job is still open only returns that job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.domain.enums import EntityType, Operation, RecordLinkStatus, Source
from inolink_tui.domain.jobs import NewJob, utcnow
from inolink_tui.domain.mapping import customer_entity_type
from inolink_tui.domain.mapping.records import PRIMARY_KEY, record_name
from inolink_tui.domain.matching import Candidate, pair_records
from inolink_tui.engine.adapters import QuickBooksAccounting
from inolink_tui.engine.record_actions import ActionRefused, RecordActions
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)

PAGE = 100
IMPORTABLE: dict[str, str] = {"customer": "Customer", "item": "Item"}
"""What `import quickbooks` takes, as the user types it -> the QuickBooks entity."""
DONE = "complete"


def import_cursor(entity: str, since: datetime) -> str:
    return f"first_import:{entity}:{since.isoformat()}"


@dataclass
class ImportTally:
    read: int = 0
    matched: int = 0
    queued: int = 0
    unchanged: int = 0
    ambiguous: list[str] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)
    resumed_from: str | None = None


def _name(entity: str, obj: dict[str, Any]) -> str:
    return str(obj.get("DisplayName") if entity == "Customer" else obj.get("Name") or "")


def _crm_type(entity: str, obj: dict[str, Any]) -> EntityType:
    return customer_entity_type(obj) if entity == "Customer" else EntityType.PRODUCT


class FirstImport:
    def __init__(
        self,
        store: JobStore,
        actions: RecordActions,
        qbo: QuickBooksAccounting,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.actions = actions
        self.qbo = qbo
        self.options = actions.options
        self.clock = clock

    async def run(
        self, entity: str, since: datetime, progress: Callable[[str, ImportTally], None] | None = None
    ) -> ImportTally:
        """Queue the jobs of one QuickBooks entity ("Customer" or "Item"); see the module docstring."""
        tally = ImportTally()
        cursor_name = import_cursor(entity, since)
        saved = await self.store.get_cursor(cursor_name)
        start = since
        if saved and saved != DONE:
            start = max(since, datetime.fromisoformat(saved))
            tally.resumed_from = saved
        query = QboQuery(entity).where("MetaData.LastUpdatedTime", ">=", start).order_by("MetaData.LastUpdatedTime")
        page: list[dict[str, Any]] = []
        async for obj in self.qbo.client.iter_query(query):
            page.append(obj)
            if len(page) >= PAGE:
                await self._page(entity, page, tally, cursor_name)
                if progress:
                    progress(entity, tally)
                page = []
        if page:
            await self._page(entity, page, tally, cursor_name)
        await self.store.set_cursor(cursor_name, DONE)
        if progress:
            progress(entity, tally)
        return tally

    async def _page(self, entity: str, objs: Sequence[dict[str, Any]], tally: ImportTally, cursor: str) -> None:
        tally.read += len(objs)
        company = self.options.company
        fresh: dict[EntityType, list[dict[str, Any]]] = {}
        jobs: list[NewJob] = []
        for obj in objs:
            link = await self.store.find_link_by_qbo(entity, str(obj["Id"]), company)
            if link is not None and link.link_status is RecordLinkStatus.UNLINKED:
                tally.unchanged += 1  # a person unlinked it: leave it alone
            elif link is not None and link.crm_id:
                if link.is_echo_from_qbo(str(obj.get("SyncToken"))):
                    tally.unchanged += 1
                else:
                    jobs.append(self._job(entity, obj, link.entity_type, link.crm_id, Operation.UPDATE))
            else:
                fresh.setdefault(_crm_type(entity, obj), []).append(obj)
        for et, group in fresh.items():
            jobs += await self._match(entity, et, group, tally)
        if jobs:
            result = await self.store.enqueue(jobs, now=self.clock())
            tally.queued += len(result.created)
            tally.job_ids += [*result.created, *result.existing]
        last = (objs[-1].get("MetaData") or {}).get("LastUpdatedTime")
        if last:
            await self.store.set_cursor(cursor, datetime.fromisoformat(str(last).replace("Z", "+00:00")).isoformat())

    async def _match(self, entity: str, et: EntityType, objs: list[dict[str, Any]], tally: ImportTally) -> list[NewJob]:
        """Link the records whose name matches one unlinked CRM record; queue creates for the rest."""
        by_id = {str(o["Id"]): o for o in objs}
        rows = await self.actions.rows(et, self.actions.not_linked(), self.actions.crm_select(et))
        crm = [Candidate(str(r[PRIMARY_KEY[et]]), record_name(et, r)) for r in rows]
        # Matching is run from the QuickBooks side here: each QuickBooks record looks for its CRM record.
        result = pair_records(
            (Candidate(k, _name(entity, o)) for k, o in by_id.items()),
            (c for c in crm if c.name),
            self.options.name_matching,
        )
        jobs: list[NewJob] = []
        for pair in result.pairs:
            qbo_id, crm_id = pair.crm.id, pair.quickbooks.id  # (sides swapped, see above)
            try:
                await self.actions.link(et, crm_id, qbo_id)
            except ActionRefused as exc:
                tally.ambiguous.append(f"{pair.crm.name!r}: {exc}")
                continue
            tally.matched += 1
            jobs.append(self._job(entity, by_id[qbo_id], et, crm_id, Operation.UPDATE))
        for amb in result.ambiguous:
            qbo_side = ", ".join(f"{c.name!r} (Id {c.id})" for c in amb.crm)
            crm_side = ", ".join(f"{c.name!r} ({c.id})" for c in amb.quickbooks)
            tally.ambiguous.append(
                f"QuickBooks {qbo_side} <-> CRM {crm_side}: ambiguous, not imported; decide with `link`"
            )
        for cand in result.unmatched_crm:
            jobs.append(self._job(entity, by_id[cand.id], et, "", Operation.CREATE))
        return jobs

    def _job(self, entity: str, obj: dict[str, Any], et: EntityType, crm_id: str, operation: Operation) -> NewJob:
        submitted = (obj.get("MetaData") or {}).get("LastUpdatedTime")
        when = datetime.fromisoformat(str(submitted).replace("Z", "+00:00")) if submitted else self.clock()
        return NewJob(
            entity_type=et,
            source=Source.ACCOUNTING,
            crm_record_id=crm_id,
            record_name=_name(entity, obj),
            company=self.options.company,
            operation=operation,
            submitted_by="QuickBooks (first import)",
            submitted_at=when,
            qbo_entity=entity,
            qbo_id=str(obj["Id"]),
        )
