"""In-memory Dynamics 365 and QuickBooks Online behind the engine's ports.

They model what the engine depends on: row versions that change on every write, change tracking
by version, ino_linkjobs keyed by job number, QuickBooks Ids/SyncTokens, requestid replay, unique
display names across customers and vendors (6240), CDC by LastUpdatedTime, and injectable faults.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_JOB_STATUS_OPTIONS as CRM_JOB_STATUS_OPTION
from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import CRM_ENTITY_SET_FOR, EntityType, ErrorClass, LinkStatus, RecordLinkStatus
from inolink_tui.domain.mapping.records import NAME_COLUMN, PRIMARY_KEY, record_name
from inolink_tui.engine.ports import CdcResult, CrmChanges, PortError, Written

TO_BE_LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.TO_BE_LINKED]
LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]

Fault = Callable[[str], BaseException | None]


class FakeClock:
    """Real time plus a skew tests can advance; strictly increasing so versions order like real ones."""

    def __init__(self) -> None:
        self.skew = timedelta()
        self._last = datetime(2000, 1, 1, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.skew += timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        now = datetime.now(UTC) + self.skew
        if now <= self._last:
            now = self._last + timedelta(microseconds=1)
        self._last = now
        return now


class FakeCrm:
    """Dataverse tables in memory; `edit` plays a CRM user, port methods play the engine's connector."""

    ENGINE_USER = "00000000-0000-0000-0000-00000000e61e"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.tables: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in CRM_ENTITY_SET_FOR.values()}
        self.tables.update({"quotedetails": {}, "salesorderdetails": {}, "invoicedetails": {}, "ino_linkjobs": {}})
        self.users = {"u-admin": "Avery Admin", "u-sales": "Sam Sales", self.ENGINE_USER: "InoLink Service"}
        self._version = itertools.count(1000)
        self.calls: dict[str, int] = {}
        self.fault: Fault | None = None

    # --- test helpers -----------------------------------------------------------------------
    def _touch(self, row: dict[str, Any], user: str) -> None:
        row["versionnumber"] = next(self._version)
        row["modifiedon"] = self.clock().isoformat()
        row["_modifiedby_value"] = user

    def add(self, et: EntityType, user: str = "u-admin", **columns: Any) -> str:
        rid = str(columns.pop(PRIMARY_KEY[et], None) or uuid.uuid4())
        row = {PRIMARY_KEY[et]: rid, **columns}
        if et is EntityType.CONTACT and "fullname" not in row:
            row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p)
        self._touch(row, user)
        self.tables[CRM_ENTITY_SET_FOR[et]][rid] = row
        return rid

    def add_line(self, et: EntityType, parent: str, **columns: Any) -> None:
        table = {EntityType.QUOTE: "quotedetails", EntityType.ORDER: "salesorderdetails"}.get(et, "invoicedetails")
        key = PRIMARY_KEY[et]
        lid = str(uuid.uuid4())
        self.tables[table][lid] = {f"_{key}_value": parent, **columns}

    def promote(self, et: EntityType, rid: str, user: str = "u-admin") -> None:
        self.edit(
            et,
            rid,
            user=user,
            ino_linkstatus=TO_BE_LINKED,
            _ino_promotedby_value=user,
            ino_promotedon=self.clock().isoformat(),
        )

    def edit(self, et: EntityType, rid: str, *, user: str = "u-sales", **columns: Any) -> None:
        row = self.tables[CRM_ENTITY_SET_FOR[et]][rid]
        row.update(columns)
        if et is EntityType.CONTACT:
            row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p)
        self._touch(row, user)

    def row(self, et: EntityType, rid: str) -> dict[str, Any]:
        return self.tables[CRM_ENTITY_SET_FOR[et]][rid]

    async def _count(self, name: str) -> None:
        """Count the call, yield to the loop like real I/O would (so cancellation can land), maybe fail."""
        self.calls[name] = self.calls.get(name, 0) + 1
        await asyncio.sleep(0)
        if self.fault is not None and (exc := self.fault(name)) is not None:
            raise exc

    # --- CrmPort -----------------------------------------------------------------------------
    async def promoted(self, entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        await self._count("promoted")
        rows = self.tables[CRM_ENTITY_SET_FOR[entity_type]].values()
        return [dict(r) for r in rows if r.get("ino_linkstatus") == TO_BE_LINKED][:limit]

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        await self._count("get")
        row = self.tables[CRM_ENTITY_SET_FOR[entity_type]].get(record_id)
        return dict(row) if row else None

    async def get_many(self, entity_type: EntityType, ids: Sequence[str]) -> list[dict[str, Any]]:
        await self._count("get_many")
        table = self.tables[CRM_ENTITY_SET_FOR[entity_type]]
        wanted = {i.lower() for i in ids}
        return [dict(r) for k, r in table.items() if k.lower() in wanted]

    async def lines(self, entity_type: EntityType, record_id: str) -> list[dict[str, Any]]:
        await self._count("lines")
        table = {EntityType.QUOTE: "quotedetails", EntityType.ORDER: "salesorderdetails"}.get(
            entity_type, "invoicedetails"
        )
        key = f"_{PRIMARY_KEY[entity_type]}_value"
        return [dict(r) for r in self.tables[table].values() if r.get(key) == record_id]

    async def find_by_name(self, entity_type: EntityType, name: str) -> list[dict[str, Any]]:
        await self._count("find_by_name")
        rows = self.tables[CRM_ENTITY_SET_FOR[entity_type]].values()
        return [dict(r) for r in rows if record_name(entity_type, r).casefold() == name.casefold()]

    def _apply(self, entity_type: EntityType, row: dict[str, Any], columns: Mapping[str, Any]) -> None:
        for key, value in columns.items():
            if key.endswith("@odata.bind"):
                row[f"_{key.removesuffix('@odata.bind')}_value"] = str(value).split("(")[1].rstrip(")")
            else:
                row[key] = value
        if entity_type is EntityType.CONTACT:
            row["fullname"] = " ".join(str(p) for p in (row.get("firstname"), row.get("lastname")) if p)
        self._touch(row, self.ENGINE_USER)

    async def update(self, entity_type: EntityType, record_id: str, columns: Mapping[str, Any]) -> Written:
        await self._count("update")
        row = self.tables[CRM_ENTITY_SET_FOR[entity_type]].get(record_id)
        if row is None:
            raise PortError(ErrorClass.REFERENCE, f"{entity_type.value} {record_id} does not exist", status=404)
        self._apply(entity_type, row, columns)
        return Written(record_id, str(row["versionnumber"]))

    async def update_many(
        self, entity_type: EntityType, changes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[Written]:
        await self._count("update_many")
        out = []
        for rid, cols in changes:
            row = self.tables[CRM_ENTITY_SET_FOR[entity_type]][rid]
            self._apply(entity_type, row, cols)
            out.append(Written(rid, str(row["versionnumber"])))
        return out

    async def create(self, entity_type: EntityType, columns: Mapping[str, Any]) -> Written:
        await self._count("create")
        rid = str(uuid.uuid4())
        row: dict[str, Any] = {PRIMARY_KEY[entity_type]: rid}
        self._apply(entity_type, row, columns)
        self.tables[CRM_ENTITY_SET_FOR[entity_type]][rid] = row
        return Written(rid, str(row["versionnumber"]))

    async def changes(self, entity_type: EntityType, cursor: str | None) -> CrmChanges:
        await self._count("changes")
        rows = self.tables[CRM_ENTITY_SET_FOR[entity_type]].values()
        top = max((int(r["versionnumber"]) for r in rows), default=0)
        if cursor is None:
            return CrmChanges([], str(max(top, 0)))
        since = int(cursor)
        changed = [dict(r) for r in rows if int(r["versionnumber"]) > since]
        return CrmChanges(changed, str(max(top, since)))

    async def linked(self, entity_type: EntityType) -> list[dict[str, Any]]:
        await self._count("linked")
        rows = self.tables[CRM_ENTITY_SET_FOR[entity_type]].values()
        return [dict(r) for r in rows if r.get("ino_linkstatus") == LINKED]

    async def user_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        await self._count("user_names")
        return {u: self.users[u] for u in user_ids if u in self.users}

    async def upsert_link_jobs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._count("upsert_link_jobs")
        for cols in rows:
            number = str(cols["ino_jobnumber"])
            row = self.tables["ino_linkjobs"].setdefault(number, {"ino_linkjobid": str(uuid.uuid4())})
            self._apply(EntityType.ACCOUNT, row, cols)

    async def requeued_link_jobs(self) -> list[tuple[int, str]]:
        await self._count("requeued_link_jobs")
        queued = CRM_JOB_STATUS_OPTION[LinkStatus.QUEUED]
        return [
            (int(number), self.users.get(str(r.get("_modifiedby_value")), "CRM user"))
            for number, r in self.tables["ino_linkjobs"].items()
            if r.get("ino_linkstatus") == queued and r.get("_modifiedby_value") != self.ENGINE_USER
        ]

    def name_of(self, et: EntityType, rid: str) -> str:
        return str(self.row(et, rid).get(NAME_COLUMN[et]))


class FakeQbo:
    """QuickBooks Online in memory for one realm."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.data: dict[str, dict[str, dict[str, Any]]] = {
            "Customer": {},
            "Item": {},
            "Invoice": {},
            "Estimate": {},
            "Vendor": {},
            "Account": {},
            "Preferences": {},
            "CompanyInfo": {},
            "TaxCode": {},
            "Term": {},
        }
        self._ids = itertools.count(1)
        self._doc = itertools.count(1001)
        self.replies: dict[str, dict[str, Any]] = {}
        self.refusals: dict[str, PortError] = {}
        self.cdc_cap: int | None = None
        self.calls: dict[str, int] = {}
        self.fault: Fault | None = None
        self.add("Account", {"Name": "Services", "AccountType": "Income"})
        self.add(
            "Account", {"Name": "Inventory Asset", "AccountType": "Other Current Asset", "AccountSubType": "Inventory"}
        )
        for name in ("Write-In", "Discount", "Shipping"):
            self.add("Item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": "1"}})

    async def _count(self, name: str) -> None:
        """Count the call, yield to the loop like real I/O would (so cancellation can land), maybe fail."""
        self.calls[name] = self.calls.get(name, 0) + 1
        await asyncio.sleep(0)
        if self.fault is not None and (exc := self.fault(name)) is not None:
            raise exc

    @staticmethod
    def name(entity: str, body: Mapping[str, Any]) -> str:
        return str(body.get("DisplayName") or body.get("Name") or "")

    def add(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create as a QuickBooks user would (no requestid, no engine)."""
        now = self.clock()
        obj = {**body, "Id": str(next(self._ids)), "SyncToken": "0", "Active": body.get("Active", True)}
        obj["MetaData"] = {"CreateTime": now.isoformat(), "LastUpdatedTime": now.isoformat()}
        if entity in ("Invoice", "Estimate"):
            obj.setdefault("DocNumber", str(next(self._doc)))
            total = sum(float(line["Amount"]) for line in obj.get("Line", []))
            obj["TotalAmt"] = total
            obj.setdefault("Balance", total)
        self.data[entity][obj["Id"]] = obj
        return dict(obj)

    def edit(self, entity: str, entity_id: str, **changes: Any) -> dict[str, Any]:
        obj = self.data[entity][entity_id]
        obj.update(changes)
        obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
        obj["MetaData"]["LastUpdatedTime"] = self.clock().isoformat()
        return dict(obj)

    def active(self, entity: str) -> list[dict[str, Any]]:
        return [o for o in self.data[entity].values() if o.get("Active", True)]

    # --- AccountingPort ----------------------------------------------------------------------
    async def find_by_names(self, entity: str, names: Sequence[str]) -> list[dict[str, Any]]:
        await self._count("find_by_names")
        wanted = {n.casefold() for n in names}
        return [dict(o) for o in self.active(entity) if self.name(entity, o).casefold() in wanted]

    async def all_names(self, entity: str) -> list[tuple[str, str]]:
        await self._count("all_names")
        return [(o["Id"], self.name(entity, o)) for o in self.active(entity)]

    async def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        await self._count("read")
        obj = self.data[entity].get(entity_id)
        return dict(obj) if obj else None

    async def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        """Like QuickBooks, a repeated requestid gets the first answer again, even when that was an error."""
        await self._count("create")
        if request_id in self.replies:
            return dict(self.replies[request_id])
        if request_id in self.refusals:
            raise self.refusals[request_id]
        if entity == "Customer":
            taken = {self.name(e, o).casefold() for e in ("Customer", "Vendor") for o in self.active(e)}
            if self.name(entity, body).casefold() in taken:
                self.refusals[request_id] = PortError(
                    ErrorClass.DUPLICATE,
                    f"QuickBooks already has a customer, vendor or employee named {self.name(entity, body)!r} "
                    "(6240 Duplicate Name Exists); rename one of them, then requeue",
                    status=400,
                    code="6240",
                )
                raise self.refusals[request_id]
        obj = self.add(entity, body)
        self.replies[request_id] = obj
        return dict(obj)

    async def update(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        await self._count("update")
        if request_id in self.replies:
            return dict(self.replies[request_id])
        obj = self.data[entity][str(body["Id"])]
        if str(body["SyncToken"]) != obj["SyncToken"]:
            raise PortError(ErrorClass.CONFLICT, "Stale Object Error (5010)", status=400, code="5010")
        changes = {k: v for k, v in body.items() if k not in ("Id", "SyncToken", "sparse")}
        result = self.edit(entity, obj["Id"], **changes)
        self.replies[request_id] = result
        return result

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]:
        await self._count("query")
        ops = {"=": lambda a, b: a == b, ">": lambda a, b: float(a or 0) > float(b)}
        return [dict(r) for r in self.active(entity) if all(ops[op](r.get(f), v) for f, op, v in where)]

    async def cdc(self, entities: Sequence[str], changed_since: datetime) -> CdcResult:
        await self._count("cdc")
        changed = sorted(
            (
                (datetime.fromisoformat(o["MetaData"]["LastUpdatedTime"]), entity, dict(o))
                for entity in entities
                for o in self.data[entity].values()
                if datetime.fromisoformat(o["MetaData"]["LastUpdatedTime"]) > changed_since
            ),
            key=lambda t: t[0],
        )
        if self.cdc_cap is not None:
            changed = changed[: self.cdc_cap]  # like QuickBooks' 1,000-object cap, without paging
        out: dict[str, list[dict[str, Any]]] = {entity: [] for entity in entities}
        for _, entity, obj in changed:
            out[entity].append(obj)
        return CdcResult(out, self.clock())
