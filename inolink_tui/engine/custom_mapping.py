"""The config's custom mapping rows in the engine: what they need from the systems, then applied to each record.

The rows themselves are applied by domain/mapping/apply.py; this resolves, per record, what they cannot know: the
DefinitionId of a QuickBooks custom field named in the config, the QuickBooks id of the record a CRM lookup points
at (and back, the CRM record a QuickBooks reference is linked to), the choice value of a label. Definitions and
options are read once per cycle through the `MappingMetadata` port (none when no custom row needs them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.enums import CRM_ENTITY_SET_FOR, CRM_LOGICAL_NAME_FOR, EntityType, ErrorClass
from inolink_tui.domain.mapping.applied import TO_CRM, TO_QUICKBOOKS, AppliedField, applied_fields_of
from inolink_tui.domain.mapping.apply import (
    MappingContext,
    apply_to_crm,
    apply_to_qbo,
    custom_field_names,
    custom_rows,
    effective_rows,
    label_columns,
    lookup_columns,
    qbo_value,
)
from inolink_tui.engine.ports import PortError
from inolink_tui.engine.sync_context import SyncContext, UsesContext

_LINKABLE = (EntityType.ACCOUNT, EntityType.CONTACT, EntityType.PRODUCT)
_ENTITY_OF_REF = {"CustomerRef": "Customer", "ItemRef": "Item"}
_BY_LOGICAL_NAME = {name: et for et, name in CRM_LOGICAL_NAME_FOR.items()}


class CustomMapping(UsesContext[SyncContext]):
    """Custom rows applied to pushes and pulls, with the cycle's custom field definitions and choice options."""

    def __init__(self, ctx: SyncContext) -> None:
        super().__init__(ctx)
        self._fields: dict[str, dict[str, str]] = {}
        self._options: dict[tuple[EntityType, str], dict[str, int]] = {}
        self._lock = asyncio.Lock()
        self._units: tuple[str, str] | None = None

    def new_cycle(self) -> None:
        """Forget the definitions and options read last cycle (a field created in QuickBooks since is seen)."""
        self._fields = {}
        self._options = {}
        self._units = None

    async def product_unit_columns(self) -> dict[str, str]:
        """The Unit Group and Default Unit binds of a product created from QuickBooks ([sync] unit_group and
        default_unit, looked up by name once per cycle); none without the systems' metadata (engine tests)."""
        metadata = self.ctx.metadata
        if metadata is None:
            return {}
        async with self._lock:
            if self._units is None:
                o = self.options
                found = await metadata.product_units(o.unit_group, o.default_unit)
                if found is None:
                    raise PortError(
                        ErrorClass.VALIDATION,
                        f"CRM has no Unit Group {o.unit_group!r} with a unit {o.default_unit!r}, which a new product "
                        "needs; set [sync] unit_group and default_unit to ones the org has, then requeue this job",
                    )
                self._units = found
            group, unit = self._units
        return {
            "defaultuomscheduleid@odata.bind": f"/uomschedules({group})",
            "defaultuomid@odata.bind": f"/uoms({unit})",
        }

    def active(self, et: EntityType) -> bool:
        return bool(custom_rows(et, self.options.mappings))

    async def _custom_fields(self, et: EntityType, entity: str) -> dict[str, str]:
        if not custom_field_names(et, self.options.mappings):
            return {}
        async with self._lock:
            if entity not in self._fields:
                metadata = self.ctx.metadata
                if metadata is None:
                    raise PortError(
                        ErrorClass.VALIDATION, "a custom mapping names QuickBooks custom fields, which cannot be read"
                    )
                found = await metadata.custom_fields(entity)
                self._fields[entity] = {name.casefold(): def_id for name, def_id in found.items()}
            return self._fields[entity]

    async def _choices(self, et: EntityType) -> dict[str, dict[str, int]]:
        """Choice column -> label -> value, for the value maps of `et` written with labels."""
        out: dict[str, dict[str, int]] = {}
        for column in label_columns(et, self.options.mappings):
            async with self._lock:
                if (et, column) not in self._options:
                    metadata = self.ctx.metadata
                    if metadata is None:
                        raise PortError(ErrorClass.VALIDATION, f"the options of CRM {column} cannot be read")
                    options = await metadata.choice_options(et, column)
                    self._options[(et, column)] = {label: value for value, label in options.items()}
                out[column] = self._options[(et, column)]
        return out

    async def _linked_qbo_id(self, row: Mapping[str, Any], column: str) -> str | None:
        crm_id = row.get(f"_{column}_value")
        if crm_id is None:
            return None
        logical = str(row.get(f"_{column}_value@Microsoft.Dynamics.CRM.lookuplogicalname") or "")
        kinds = (_BY_LOGICAL_NAME[logical],) if logical in _BY_LOGICAL_NAME else _LINKABLE
        for kind in kinds:
            link = await self.store.get_link(kind, str(crm_id))
            if link is not None and link.qbo_id:
                return link.qbo_id
        return None

    async def to_qbo(
        self, et: EntityType, entity: str, row: Mapping[str, Any], body: Mapping[str, Any], *, create: bool
    ) -> dict[str, Any]:
        """`body` (the built-in mapping's) with the custom rows of `et` applied, for a CRM row."""
        if not self.active(et):
            return dict(body)
        ctx = MappingContext(
            custom_fields=await self._custom_fields(et, entity),
            choice_labels=await self._choices(et),
            linked_qbo_ids={
                r.crm: await self._linked_qbo_id(row, r.crm) for r in lookup_columns(et, self._maps) if r.crm
            },
        )
        return apply_to_qbo(et, entity, self._maps, row, body, ctx, create=create)

    async def to_crm(
        self,
        et: EntityType,
        entity: str,
        record: Mapping[str, Any],
        columns: Mapping[str, Any],
        row: Mapping[str, Any] | None,
        *,
        create: bool = False,
    ) -> dict[str, Any]:
        """`columns` (the built-in mapping's) with the custom rows of `et` applied, for a QuickBooks record; `row` is
        the CRM row being updated (None for a create), so a lookup already pointing at the linked record is left."""
        if not self.active(et):
            return dict(columns)
        fields = await self._custom_fields(et, entity)
        binds: dict[str, str | None] = {}
        for lookup in lookup_columns(et, self._maps):
            if lookup.crm is None:
                continue
            qbo_id = qbo_value(record, lookup, MappingContext(custom_fields=fields))
            ref = lookup.qbo.split(".")[0]
            link = (
                await self.store.find_link_by_qbo(_ENTITY_OF_REF.get(ref, entity), str(qbo_id), self.options.company)
                if qbo_id
                else None
            )
            current = str((row or {}).get(f"_{lookup.crm}_value") or "").lower()
            if link is not None and link.crm_id.lower() != current:
                binds[lookup.crm] = f"/{CRM_ENTITY_SET_FOR[link.entity_type]}({link.crm_id})"
        labels = await self._choices(et)
        folded = {column: {label.casefold(): v for label, v in options.items()} for column, options in labels.items()}
        ctx = MappingContext(custom_fields=fields, crm_binds=binds, choice_values=folded)
        return apply_to_crm(et, self._maps, record, columns, ctx, create=create)

    def applied(
        self, et: EntityType, crm_row: Mapping[str, Any], qbo_body: Mapping[str, Any], *, to_quickbooks: bool
    ) -> list[AppliedField]:
        """What each mapped field of the job carried, both sides as they stand after the write (for the inspector)."""
        direction = TO_QUICKBOOKS if to_quickbooks else TO_CRM
        return applied_fields_of(effective_rows(et, self._maps), crm_row, qbo_body, direction)

    @property
    def _maps(self) -> Any:
        return self.options.mappings
