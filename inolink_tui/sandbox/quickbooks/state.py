"""One QuickBooks Online company (realm) in memory: records, Ids, SyncTokens, tombstones, change times.

Every write goes through one pipeline: reject unknown properties (2010), build the candidate (create,
full update clearing omitted fields, or sparse merge), let `rules.normalize` validate and compute it,
then treat an unchanged result as a no-op (same SyncToken, as captured) or store it with SyncToken + 1.
Seed data and simulated users use the same methods as the HTTP API, so they obey the same rules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import SPECS, EntitySpec, spec_for

_SERVER_KEYS = ("Id", "SyncToken", "MetaData", "domain", "sparse")


def strip_nulls(value: Any) -> Any:
    """QBO returns only attributes that have values."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def render(record: dict[str, Any]) -> dict[str, Any]:
    """A detached copy of a stored record as the wire shows it."""
    out: dict[str, Any] = strip_nulls(record)
    return out


class QboState:
    def __init__(
        self,
        clock: SandboxClock,
        *,
        realm_id: str,
        company_utc_offset_minutes: int = -420,
        duplicate_docnumber_check: bool = False,
    ) -> None:
        self.clock = clock
        self.realm_id = realm_id
        self.company_tz = timezone(timedelta(minutes=company_utc_offset_minutes))
        self.duplicate_docnumber_check = duplicate_docnumber_check
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SPECS}
        self.updated_at: dict[tuple[str, str], datetime] = {}
        self.tombstones: dict[str, dict[str, datetime]] = {name: {} for name in SPECS}
        self.next_id: dict[str, int] = {name: 1 for name in SPECS}
        self.next_doc_number: dict[str, int] = {name: 1001 for name in SPECS}
        self.line_seq: dict[tuple[str, str], int] = {}
        self.voided: set[tuple[str, str]] = set()
        self.custom_field_definitions: list[dict[str, Any]] = []
        """Custom Fields API definitions (custom_fields.py; the sales-form ones live in Preferences)."""
        self.on_change: Callable[[str, str, str, str], None] | None = None
        """(entity, Id, operation, LastUpdatedTime) of each change: the webhook notifier (quickbooks/webhooks.py)."""
        self.unseen: set[tuple[str, str]] = set()
        """Records created earlier in the running batch: batch items are independent, so others cannot see them."""

    # -- helpers ----------------------------------------------------------------------------------
    def spec(self, entity: str) -> EntitySpec:
        spec = spec_for(entity)
        if spec is None:
            raise errors.unsupported(f"Operation for entity {entity} is not supported.")
        return spec

    def metadata_time(self, moment: datetime) -> str:
        return moment.astimezone(self.company_tz).isoformat(timespec="seconds")

    def response_time(self) -> str:
        """The envelope's `time`: milliseconds and the company offset."""
        return self.clock.now().astimezone(self.company_tz).isoformat(timespec="milliseconds")

    def today(self) -> str:
        return self.clock.now().astimezone(self.company_tz).date().isoformat()

    def raw(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """The stored record itself (no copy): for rules and side effects inside this package."""
        return self.records[self.spec(entity).name].get(str(record_id))

    def lookup(self, entity: str, record_id: str, *, element: str, must_be_active: bool = True) -> dict[str, Any]:
        """A referenced record: missing is 2500, deleted or inactive is 610 (reference §11)."""
        spec = self.spec(entity)
        record = self.records[spec.name].get(str(record_id))
        if (spec.name, str(record_id)) in self.unseen:
            record = None
        if record is None:
            if str(record_id) in self.tombstones[spec.name]:
                raise errors.object_not_found(deleted=True)
            raise errors.invalid_reference(spec.name, element, str(record_id))
        if must_be_active and record.get("Active") is False:
            raise errors.object_not_found()
        return record

    # -- the public API (HTTP routes, seed and activity all use it) --------------------------------
    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        record = self.records[self.spec(entity).name].get(str(record_id))
        return None if record is None else render(record)

    def all(self, entity: str) -> list[dict[str, Any]]:
        """Every record of a type, inactive ones included, in Id order."""
        table = self.records[self.spec(entity).name]
        return [render(table[k]) for k in sorted(table, key=_id_key)]

    def read(self, entity: str, record_id: str) -> dict[str, Any]:
        spec = self.spec(entity)
        if spec.kind != "readonly" and not str(record_id).isdigit():
            raise errors.invalid_id(record_id)
        record = self.get(spec.name, record_id)
        if record is None:
            raise errors.object_not_found(deleted=str(record_id) in self.tombstones[spec.name])
        return record

    def create(self, entity: str, body: dict[str, Any], *, record_id: str | None = None) -> dict[str, Any]:
        """Create a record; `record_id` lets the seed give TaxCodes their US Ids ("TAX", "NON")."""
        from inolink_tui.sandbox.quickbooks import rules

        spec = self.spec(entity)
        if not isinstance(body, dict):
            raise errors.malformed_body(spec.name, "expected a JSON object")
        self._check_properties(spec, body)
        candidate = self._writable(spec, body)
        new_id = record_id or str(self.next_id[spec.name])
        normalized = rules.normalize(self, spec, candidate, None, new_id)
        now = self.clock.now()
        if record_id is None:
            self.next_id[spec.name] += 1
        stored = {
            "Id": new_id,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": self.metadata_time(now), "LastUpdatedTime": self.metadata_time(now)},
            **normalized,
        }
        self.records[spec.name][new_id] = stored
        self.updated_at[(spec.name, new_id)] = now
        rules.after_write(self, spec, None, stored)
        self._notify(spec.name, new_id, "Create", now)
        return render(stored)

    def update(self, entity: str, body: dict[str, Any], *, sparse: bool = True) -> dict[str, Any]:
        """Sparse (merge) or full (omitted writable fields cleared) update; a missing SyncToken means "current"."""
        from inolink_tui.sandbox.quickbooks import rules

        spec = self.spec(entity)
        if not isinstance(body, dict):
            raise errors.malformed_body(spec.name, "expected a JSON object")
        existing = self._existing_for_write(spec, body)
        self._check_properties(spec, body)
        if sparse:
            candidate = self._writable(spec, existing) | self._writable(spec, body)
        else:
            candidate = self._writable(spec, body)
        normalized = rules.normalize(self, spec, candidate, existing, existing["Id"])
        if rules.same_content(normalized, existing):
            return render(existing)
        return self._replace(spec, existing, normalized)

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        from inolink_tui.sandbox.quickbooks import rules

        spec = self.spec(entity)
        if spec.kind != "transaction":
            raise errors.unsupported(f"Operation Delete is not supported for {spec.name}.")
        existing = self._existing_for_write(spec, body)
        rules.before_remove(self, spec, existing)
        record_id = existing["Id"]
        del self.records[spec.name][record_id]
        self.updated_at.pop((spec.name, record_id), None)
        self.tombstones[spec.name][record_id] = self.clock.now()
        self._notify(spec.name, record_id, "Delete", self.tombstones[spec.name][record_id])
        self.voided.discard((spec.name, record_id))
        rules.after_write(self, spec, existing, None)
        return {"domain": "QBO", "status": "Deleted", "Id": record_id}

    def void(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        from inolink_tui.sandbox.quickbooks import rules

        spec = self.spec(entity)
        if spec.name not in ("Invoice", "Payment", "SalesReceipt"):
            raise errors.unsupported(f"Operation Void is not supported for {spec.name}.")
        existing = self._existing_for_write(spec, body)
        rules.before_remove(self, spec, existing)
        voided = rules.voided_copy(self, spec, existing)
        self.voided.add((spec.name, existing["Id"]))
        return self._replace(spec, existing, voided, operation="Void")

    # -- internals ----------------------------------------------------------------------------------
    def _replace(
        self, spec: EntitySpec, existing: dict[str, Any], normalized: dict[str, Any], *, operation: str = "Update"
    ) -> dict[str, Any]:
        """Store a changed record (SyncToken + 1); `operation` is what the webhook says (Update, or Void)."""
        from inolink_tui.sandbox.quickbooks import rules

        now = self.clock.now()
        record_id = existing["Id"]
        stored = {
            "Id": record_id,
            "SyncToken": str(int(existing["SyncToken"]) + 1),
            "domain": "QBO",
            "sparse": False,
            "MetaData": {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": self.metadata_time(now)},
            **normalized,
        }
        before = copy.deepcopy(existing)
        self.records[spec.name][record_id] = stored
        self.updated_at[(spec.name, record_id)] = now
        rules.after_write(self, spec, before, stored)
        self._notify(spec.name, record_id, operation, now)
        return render(stored)

    def touch(self, spec_name: str, record_id: str, changes: dict[str, Any]) -> None:
        """A side effect on another record (a payment lowering an invoice balance): a real change, SyncToken + 1."""
        record = self.records[spec_name][record_id]
        record.update(changes)
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        now = self.clock.now()
        record["MetaData"] = {
            "CreateTime": record["MetaData"]["CreateTime"],
            "LastUpdatedTime": self.metadata_time(now),
        }
        self.updated_at[(spec_name, record_id)] = now
        self._notify(spec_name, record_id, "Update", now)

    def _notify(self, spec_name: str, record_id: str, operation: str, now: datetime) -> None:
        if self.on_change is not None and spec_for(spec_name) is not None and self.spec(spec_name).cdc:
            self.on_change(spec_name, record_id, operation, self.metadata_time(now))

    def _existing_for_write(self, spec: EntitySpec, body: dict[str, Any]) -> dict[str, Any]:
        if spec.kind == "readonly":
            raise errors.unsupported(f"Operation Update is not supported for {spec.name}.")
        if "Id" not in body or body["Id"] in (None, ""):
            raise errors.required("Id")
        record_id = str(body["Id"])
        if spec.kind != "company" and not record_id.isdigit():
            raise errors.invalid_id(record_id)
        existing = self.records[spec.name].get(record_id)
        if existing is None:
            raise errors.object_not_found(deleted=record_id in self.tombstones[spec.name])
        token = body.get("SyncToken")
        if token is not None and str(token) != existing["SyncToken"]:
            raise errors.stale_object(spec.name)
        return existing

    def _check_properties(self, spec: EntitySpec, body: dict[str, Any]) -> None:
        allowed = spec.all_fields
        for key in body:
            if key not in allowed:
                raise errors.unknown_property(spec.name, key)

    def _writable(self, spec: EntitySpec, body: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in body.items() if k in spec.fields and v is not None}

    # -- persistence ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "realm_id": self.realm_id,
            "records": self.records,
            "updated_at": [[e, i, t.isoformat()] for (e, i), t in self.updated_at.items()],
            "tombstones": {e: {i: t.isoformat() for i, t in ids.items()} for e, ids in self.tombstones.items()},
            "next_id": self.next_id,
            "next_doc_number": self.next_doc_number,
            "line_seq": [[e, i, n] for (e, i), n in self.line_seq.items()],
            "voided": sorted([e, i] for e, i in self.voided),
            "custom_field_definitions": self.custom_field_definitions,
        }

    @classmethod
    def from_json(
        cls,
        data: dict[str, Any],
        clock: SandboxClock,
        *,
        company_utc_offset_minutes: int = -420,
        duplicate_docnumber_check: bool = False,
    ) -> QboState:
        state = cls(
            clock,
            realm_id=str(data["realm_id"]),
            company_utc_offset_minutes=company_utc_offset_minutes,
            duplicate_docnumber_check=duplicate_docnumber_check,
        )
        for name in SPECS:
            state.records[name] = dict(data.get("records", {}).get(name, {}))
            state.tombstones[name] = {
                i: datetime.fromisoformat(t).astimezone(UTC)
                for i, t in data.get("tombstones", {}).get(name, {}).items()
            }
            state.next_id[name] = int(data.get("next_id", {}).get(name, 1))
            state.next_doc_number[name] = int(data.get("next_doc_number", {}).get(name, 1001))
        state.updated_at = {(e, i): datetime.fromisoformat(t).astimezone(UTC) for e, i, t in data.get("updated_at", [])}
        state.line_seq = {(e, i): int(n) for e, i, n in data.get("line_seq", [])}
        state.voided = {(e, i) for e, i in data.get("voided", [])}
        state.custom_field_definitions = [dict(d) for d in data.get("custom_field_definitions", [])]
        return state


def _id_key(record_id: str) -> tuple[int, str]:
    return (int(record_id), "") if record_id.isdigit() else (1 << 62, record_id)
