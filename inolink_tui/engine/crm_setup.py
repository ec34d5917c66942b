"""`crm setup` and the schema check at start: read the org's metadata, plan (domain/crm_setup_plan.py),
apply the plan a step at a time.

Each run re-reads the org first, so an interrupted setup resumes by running it again: the steps done
before the interruption are simply no longer in the plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
from inolink_tui.domain.crm_requirements import Kind, Requirements, requirements
from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.crm_setup_plan import Plan, Step, StepKind, TableState, make_plan

log = logging.getLogger(__name__)


class SchemaMismatch(ValueError):
    """The org lacks what [crm.schema] names, or holds other choice values: the engine must not start."""


async def read_org(md: DataverseMetadata, req: Requirements) -> dict[str, TableState | None]:
    """Every table the engine uses, with the options of the choice columns it needs."""
    org: dict[str, TableState | None] = {}
    for table in req.all_tables():
        org[table] = await md.table(table)
    for column in req.columns:
        state = org.get(column.table)
        if column.kind is not Kind.PICKLIST or state is None:
            continue
        found = state.attributes.get(column.logical_name)
        if found is not None and found.attribute_type.lower() == "picklist":
            options = await md.options(column.table, column.logical_name)
            attributes = dict(state.attributes)
            attributes[column.logical_name] = replace(found, options=options)
            state = replace(state, attributes=attributes)
            org[column.table] = state
    return org


async def plan_setup(md: DataverseMetadata, schema: CrmSchema) -> Plan:
    req = requirements(schema)
    return make_plan(req, await read_org(md, req))


async def apply_step(md: DataverseMetadata, step: Step) -> None:
    if step.kind is StepKind.CREATE_TABLE and step.table_spec is not None:
        await md.create_table(step.table_spec)
    elif step.kind is StepKind.CREATE_COLUMN and step.column is not None:
        await md.create_column(step.column)
    elif step.kind is StepKind.CREATE_LOOKUP and step.column is not None:
        await md.create_lookup(step.column)
    elif step.kind is StepKind.ADD_OPTION and step.column is not None and step.option is not None:
        await md.insert_option(step.column, *step.option)
    elif step.kind is StepKind.CREATE_KEY and step.key is not None:
        await md.create_key(step.key)
    elif step.kind is StepKind.ENABLE_CHANGE_TRACKING:
        await md.enable_change_tracking(step.table)
    elif step.kind is StepKind.PUBLISH:
        await md.publish(step.tables)
    else:  # a Step built without what its kind needs
        raise ValueError(f"incomplete setup step: {step}")


async def apply_plan(
    md: DataverseMetadata, plan: Plan, progress: Callable[[int, int, Step], None] | None = None
) -> int:
    """Apply every step in order; returns how many were applied. A failure stops at that step (rerun resumes)."""
    total = len(plan.steps)
    for number, step in enumerate(plan.steps, start=1):
        if progress is not None:
            progress(number, total, step)
        await apply_step(md, step)
    return total


def engine_findings(plan: Plan, schema: CrmSchema) -> list[str]:
    """What stops the engine: missing columns, tables or keys it uses, choice values that differ.

    Change tracking off and options the engine does not read are left to `doctor` and `crm setup`."""
    lines = [f.line() for f in plan.findings]
    for step in plan.steps:
        if step.kind in (StepKind.PUBLISH, StepKind.ENABLE_CHANGE_TRACKING):
            continue
        if (
            step.kind is StepKind.ADD_OPTION
            and step.column is not None
            and step.column.logical_name != schema.link_status
        ):
            continue
        lines.append(f"{step.describe().replace('create', 'missing', 1)}: run `inolink-tui crm setup`")
    return lines


async def verify_schema(md: DataverseMetadata, schema: CrmSchema) -> None:
    """Raise SchemaMismatch (one line, the first problem and how many more) when the org does not fit."""
    lines = engine_findings(await plan_setup(md, schema), schema)
    if lines:
        more = f" (and {len(lines) - 1} more: run `inolink-tui doctor`)" if len(lines) > 1 else ""
        raise SchemaMismatch(f"CRM does not match [crm.schema]: {lines[0]}{more}")
