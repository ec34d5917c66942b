"""`crm setup` as a pure function: what the org has (read from its metadata) + what the engine needs ->
the steps that close the gap, and the problems no step can fix.

Because the plan is made from what the org has *now*, running it again after an interruption (or a
second time) only does what is still missing: that is the whole of setup's resumability. Existing
columns of a usable type are adopted (an org that ran InoLink keeps its columns and data); a choice
whose options carry other values than [crm.schema] says is reported with the values to configure,
never re-created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from inolink_tui.domain.crm_requirements import ColumnSpec, KeySpec, Kind, Requirements, TableSpec


@dataclass(frozen=True)
class AttributeState:
    logical_name: str
    attribute_type: str
    options: Mapping[int, str] | None = None
    """A choice's options (value -> label), when read."""


@dataclass(frozen=True)
class TableState:
    logical_name: str
    entity_set: str
    change_tracking: bool
    attributes: Mapping[str, AttributeState] = field(default_factory=dict)
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Alternate key logical name -> its columns."""


@dataclass(frozen=True)
class SolutionState:
    """The solution new components go in, and the publisher whose customization prefix they carry.

    Dataverse refuses a schema name whose prefix belongs to no publisher (and, with
    MSCRM.SolutionUniqueName, to another publisher than the solution's), so setup creates them first
    (https://learn.microsoft.com/en-us/power-platform/alm/solution-concepts-alm#solution-publisher)."""

    solution: str
    publisher: str
    prefix: str
    publisher_exists: bool = True
    solution_exists: bool = True
    option_value_prefix: int = 10000


class StepKind(StrEnum):
    CREATE_PUBLISHER = "create publisher"
    CREATE_SOLUTION = "create solution"
    CREATE_TABLE = "create table"
    CREATE_COLUMN = "create column"
    CREATE_LOOKUP = "create lookup"
    ADD_OPTION = "add option"
    CREATE_KEY = "create key"
    ENABLE_CHANGE_TRACKING = "enable change tracking"
    PUBLISH = "publish customizations"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    table: str
    table_spec: TableSpec | None = None
    column: ColumnSpec | None = None
    key: KeySpec | None = None
    option: tuple[int, str] | None = None
    tables: tuple[str, ...] = ()
    """PUBLISH: the tables whose customizations are published."""
    solution: SolutionState | None = None

    def describe(self) -> str:
        """One line of the plan, naming everything the step creates."""
        if self.kind is StepKind.CREATE_PUBLISHER and self.solution is not None:
            p = self.solution
            return f"create publisher {p.publisher} (prefix {p.prefix}, option values from {p.option_value_prefix}0000)"
        if self.kind is StepKind.CREATE_SOLUTION and self.solution is not None:
            return f"create solution {self.solution.solution} (publisher {self.solution.publisher})"
        if self.kind is StepKind.CREATE_TABLE and self.table_spec is not None:
            t = self.table_spec
            return (
                f"create table {t.logical_name} ({t.display!r}, entity set {t.entity_set}, primary name "
                f"{t.primary_name.logical_name} text {t.primary_name.max_length})"
            )
        if self.column is not None and self.kind in (StepKind.CREATE_COLUMN, StepKind.CREATE_LOOKUP):
            c = self.column
            if c.kind is Kind.PICKLIST:
                values = ", ".join(f"{v} {label}" for v, label in c.options)
                what = f"choice {c.display!r}: {values}"
            elif c.kind is Kind.LOOKUP:
                what = f"lookup {c.display!r} to {', '.join(c.targets)}"
            elif c.kind is Kind.STRING:
                what = f"text {c.display!r}, max {c.max_length}"
            else:
                what = f"{c.kind.value.lower()} {c.display!r}"
            return f"{self.kind.value} {self.table}.{c.logical_name} ({what})"
        if self.kind is StepKind.ADD_OPTION and self.column is not None and self.option is not None:
            return f"add option {self.option[0]} {self.option[1]!r} to {self.table}.{self.column.logical_name}"
        if self.kind is StepKind.CREATE_KEY and self.key is not None:
            return f"create alternate key {self.table}.{self.key.logical_name} on {', '.join(self.key.columns)}"
        if self.kind is StepKind.ENABLE_CHANGE_TRACKING:
            return f"enable change tracking on {self.table}"
        return f"publish customizations of {', '.join(self.tables)}"


@dataclass(frozen=True)
class Finding:
    """Something setup cannot fix by creating: a column of the wrong type, choice values that differ."""

    table: str
    name: str
    problem: str
    fix: str

    def line(self) -> str:
        return f"{self.table}.{self.name}: {self.problem}; fix: {self.fix}"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    findings: tuple[Finding, ...]
    adopted: tuple[str, ...]
    """table.column of existing columns taken over as they are."""

    @property
    def nothing_to_do(self) -> bool:
        return not self.steps and not self.findings

    @property
    def changes(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind is not StepKind.PUBLISH)


def _picklist(column: ColumnSpec, found: AttributeState, steps: list[Step], findings: list[Finding]) -> None:
    """Adopt an existing choice: add the options it lacks, report the ones it holds under other values."""
    options = dict(found.options or {})
    by_label = {label.casefold(): value for value, label in options.items()}
    for value, label in column.options:
        if value in options:
            if options[value].casefold() != label.casefold():
                findings.append(
                    Finding(
                        column.table,
                        column.logical_name,
                        f"option {value} is {options[value]!r} in CRM, not {label!r}",
                        f"set the value of {label!r} under [crm.schema] to the one CRM uses",
                    )
                )
            continue
        if label.casefold() in by_label:
            findings.append(
                Finding(
                    column.table,
                    column.logical_name,
                    f"{label!r} is option {by_label[label.casefold()]} in CRM, the configuration says {value}",
                    f"set {label.lower().replace(' ', '_')} = {by_label[label.casefold()]} under "
                    "[crm.schema.link_status] (or the matching job option)",
                )
            )
            continue
        steps.append(Step(StepKind.ADD_OPTION, column.table, column=column, option=(value, label)))


def make_plan(req: Requirements, org: Mapping[str, TableState | None], solution: SolutionState | None = None) -> Plan:
    """The steps, in an order Dataverse accepts: publisher and solution, tables, then columns and lookups, keys,
    tracking, publish."""
    steps: list[Step] = []
    findings: list[Finding] = []
    adopted: list[str] = []
    creating = set()
    for table in req.tables:
        if org.get(table.logical_name) is None:
            steps.append(Step(StepKind.CREATE_TABLE, table.logical_name, table_spec=table))
            creating.add(table.logical_name)
    for column in req.columns:
        state = org.get(column.table)
        if state is None and column.table not in creating:
            findings.append(
                Finding(column.table, column.logical_name, "the table is missing", "check the org's Dynamics 365 apps")
            )
            continue
        if column.primary_name and column.table in creating:
            continue  # created with its table
        found = state.attributes.get(column.logical_name) if state is not None else None
        if found is None:
            kind = StepKind.CREATE_LOOKUP if column.kind is Kind.LOOKUP else StepKind.CREATE_COLUMN
            steps.append(Step(kind, column.table, column=column))
            continue
        if not column.kind.accepts(found.attribute_type):
            findings.append(
                Finding(
                    column.table,
                    column.logical_name,
                    f"exists as {found.attribute_type}, the engine needs {column.kind.value}",
                    "delete or rename that column in CRM, or choose another [crm.schema] prefix",
                )
            )
            continue
        adopted.append(f"{column.table}.{column.logical_name}")
        if column.kind is Kind.PICKLIST:
            _picklist(column, found, steps, findings)
    for key in req.keys:
        state = org.get(key.table)
        have = state.keys if state is not None else {}
        if key.logical_name in have or any(tuple(cols) == key.columns for cols in have.values()):
            continue
        steps.append(Step(StepKind.CREATE_KEY, key.table, key=key))
    for table_name in req.change_tracking:
        state = org.get(table_name)
        if state is not None and not state.change_tracking:
            steps.append(Step(StepKind.ENABLE_CHANGE_TRACKING, table_name))
    if steps:
        touched = tuple(dict.fromkeys(s.table for s in steps))
        steps.append(Step(StepKind.PUBLISH, "", tables=touched))
        creates = any(s.kind not in (StepKind.PUBLISH, StepKind.ENABLE_CHANGE_TRACKING) for s in steps)
        if solution is not None and creates:
            first: list[Step] = []
            if not solution.publisher_exists:
                first.append(Step(StepKind.CREATE_PUBLISHER, "", solution=solution))
            if not solution.solution_exists:
                first.append(Step(StepKind.CREATE_SOLUTION, "", solution=solution))
            steps[:0] = first
    return Plan(tuple(steps), tuple(findings), tuple(adopted))
