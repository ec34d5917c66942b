"""`crm setup` and the schema check at start: read the org's metadata, plan (domain/crm_setup_plan.py),
apply the plan a step at a time.

Each run re-reads the org first, so an interrupted setup resumes by running it again: the steps done
before the interruption are simply no longer in the plan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.domain.crm_requirements import Kind, Requirements, requirements
from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.crm_setup_plan import Finding, Plan, SolutionState, Step, StepKind, TableState, make_plan
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.engine.concurrent import together
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.schema_errors import SchemaMismatch

log = logging.getLogger(__name__)
T = TypeVar("T")


NOT_FOR_THE_ENGINE = frozenset(
    {StepKind.PUBLISH, StepKind.ENABLE_CHANGE_TRACKING, StepKind.CREATE_PUBLISHER, StepKind.CREATE_SOLUTION}
)
"""Steps whose absence does not stop the engine from starting (doctor still reports tracking)."""


async def read_org(md: DataverseMetadata, req: Requirements) -> dict[str, TableState | None]:
    """Every table the engine uses, with the options of the choice columns it needs: the tables in one wave of
    requests, then the choice columns' options in another (each table's metadata says which are choices)."""
    tables = list(req.all_tables())
    org: dict[str, TableState | None] = dict(zip(tables, await together([md.table(t) for t in tables]), strict=True))
    choices = []
    for column in req.columns:
        state = org.get(column.table)
        if column.kind is not Kind.PICKLIST or state is None:
            continue
        found = state.attributes.get(column.logical_name)
        if found is not None and found.attribute_type.lower() == "picklist":
            choices.append(column)
    read = await together([md.options(column.table, column.logical_name) for column in choices])
    for column, options in zip(choices, read, strict=True):
        state = org[column.table]
        if state is None:  # never: only the columns of tables that exist were read
            continue
        attributes = dict(state.attributes)
        attributes[column.logical_name] = replace(state.attributes[column.logical_name], options=options)
        org[column.table] = replace(state, attributes=attributes)
    return org


DEFAULT_SOLUTION = "InoLink"


async def solution_state(md: DataverseMetadata, schema: CrmSchema, solution: str) -> tuple[SolutionState, str | None]:
    """Where new components go; and a problem when the named solution belongs to another publisher."""
    first = schema.option(RecordLinkStatus.TO_BE_LINKED) // 10000
    option_prefix = first if 10000 <= first <= 99999 else 10000
    found = await md.publisher(schema.prefix)
    if found is None:
        unique = "inolink" if schema.prefix == "ino" else f"inolink{schema.prefix}"
        state = SolutionState(
            solution, unique, schema.prefix, publisher_exists=False, option_value_prefix=option_prefix
        )
    else:
        state = SolutionState(solution, found[1], schema.prefix, option_value_prefix=found[2] or option_prefix)
    owner = await md.solution_owner(solution)
    if owner is None:
        return replace(state, solution_exists=False), None
    if found is None or owner.lower() != found[0].lower():
        return state, (
            f"the solution {solution} belongs to another publisher than the one of prefix {schema.prefix!r}: "
            "name another solution with --solution"
        )
    return state, None


async def plan_setup(md: DataverseMetadata, schema: CrmSchema, solution: str = DEFAULT_SOLUTION) -> Plan:
    req = requirements(schema)
    (state, problem), org = await asyncio.gather(solution_state(md, schema, solution), read_org(md, req))
    plan = make_plan(req, org, state)
    if problem is not None:
        finding = Finding(solution, "solution", problem, "run `crm setup --solution NAME` with a solution of yours")
        plan = replace(plan, findings=(*plan.findings, finding))
    return plan


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
    elif step.kind is StepKind.CREATE_PUBLISHER and step.solution is not None:
        p = step.solution
        await md.create_publisher(p.publisher, p.prefix, p.option_value_prefix)
    elif step.kind is StepKind.CREATE_SOLUTION and step.solution is not None:
        await md.create_solution(step.solution.solution, step.solution.publisher)
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

    Change tracking off and options the engine does not read are left to `doctor` and `crm setup`.
    The sync-lease guard's table and claim columns are checked too: without them every cycle would be
    skipped, so an org that lacks them stops the engine at start with the same one line.
    """
    lines = [f.line() for f in plan.findings]
    for step in plan.steps:
        if step.kind in NOT_FOR_THE_ENGINE:
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


async def check_crm_schema(client: DataverseClient, options: EngineOptions) -> None:
    """At engine start: [crm.schema] against the org (SchemaMismatch, one line, when they differ).

    A transient failure to read the metadata (network, 5xx, throttling) skips the check with a warning, so a
    service restarting during a blip still starts; every other failure stops the start like a mismatch."""
    try:
        await verify_schema(DataverseMetadata(client), options.schema)
    except ConnectorError as exc:
        if not exc.retryable:
            raise
        log.warning("the CRM schema could not be checked at start (%s); the engine starts unchecked", exc)
