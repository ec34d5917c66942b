"""What the engine needs in a Dynamics 365 org, as data: the tables, columns, keys and options `crm setup`
creates and `doctor` checks. The names come from a CrmSchema (the publisher prefix), so the same list
serves an org set up with "ino" or with any other prefix.

Kinds follow the Web API's attribute metadata types (https://learn.microsoft.com/en-us/power-apps/developer/
data-platform/webapi/create-update-column-definitions-using-web-api): String, Money, DateTime, Integer,
Memo, Picklist (a local choice), Lookup (a one-to-many relationship), and a multi-table lookup
(https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/multitable-lookup).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inolink_tui.domain.crm_schema import LINK_STATUS_CHOICES, CrmSchema
from inolink_tui.domain.enums import CRM_LOGICAL_NAME_FOR, SYNCED_ENTITY_TYPES

SYNCED_TABLES: tuple[str, ...] = tuple(CRM_LOGICAL_NAME_FOR[e] for e in SYNCED_ENTITY_TYPES)
"""account, contact, product, quote, salesorder, invoice."""


class Kind(StrEnum):
    STRING = "String"
    MEMO = "Memo"
    MONEY = "Money"
    DATETIME = "DateTime"
    INTEGER = "Integer"
    PICKLIST = "Picklist"
    LOOKUP = "Lookup"

    def accepts(self, attribute_type: str) -> bool:
        """Whether an existing column of Dataverse's AttributeType can serve (adopting it)."""
        found = attribute_type.strip().lower()
        if self is Kind.LOOKUP:
            return found in ("lookup", "customer", "owner")
        if self is Kind.PICKLIST:
            return found in ("picklist", "state", "status")
        if self is Kind.STRING:
            return found in ("string", "memo")
        return found == self.value.lower()


@dataclass(frozen=True)
class ColumnSpec:
    table: str
    logical_name: str
    display: str
    kind: Kind
    max_length: int = 100
    options: tuple[tuple[int, str], ...] = ()
    """Picklist (value, label) pairs."""
    targets: tuple[str, ...] = ()
    """Lookup: the referenced tables (several make a multi-table lookup)."""
    primary_name: bool = False

    @property
    def schema_name(self) -> str:
        return schema_name(self.logical_name)


@dataclass(frozen=True)
class KeySpec:
    table: str
    logical_name: str
    display: str
    columns: tuple[str, ...]

    @property
    def schema_name(self) -> str:
        return schema_name(self.logical_name)


@dataclass(frozen=True)
class TableSpec:
    logical_name: str
    entity_set: str
    display: str
    display_plural: str
    primary_name: ColumnSpec
    """Created with the table (every custom table has a primary name column)."""

    @property
    def schema_name(self) -> str:
        return schema_name(self.logical_name)


@dataclass(frozen=True)
class Requirements:
    tables: tuple[TableSpec, ...]
    """Custom tables to create when missing."""
    columns: tuple[ColumnSpec, ...]
    keys: tuple[KeySpec, ...]
    change_tracking: tuple[str, ...]
    """Tables whose change tracking must be on."""

    def all_tables(self) -> tuple[str, ...]:
        """Every table the engine touches, in the order a person reads the plan."""
        seen = dict.fromkeys([*SYNCED_TABLES, *(t.logical_name for t in self.tables)])
        return tuple(seen)


def schema_name(logical: str) -> str:
    """The SchemaName of a new component: the prefix as is, the rest capitalised (ino_LinkStatus style)."""
    prefix, _, rest = logical.partition("_")
    return f"{prefix}_{rest[:1].upper()}{rest[1:]}" if rest else logical


def requirements(schema: CrmSchema) -> Requirements:
    """Everything InoLink's engine reads or writes in CRM, named with `schema`'s prefix."""
    s = schema
    link_labels = tuple((s.option(status), status.value) for status in LINK_STATUS_CHOICES)
    columns: list[ColumnSpec] = []
    for table in SYNCED_TABLES:
        columns += [
            ColumnSpec(table, s.link_status, "Link Status", Kind.PICKLIST, options=link_labels),
            ColumnSpec(table, s.accounting_id, "Accounting ID", Kind.STRING, max_length=50),
            ColumnSpec(table, s.accounting_ref, "Accounting Reference", Kind.STRING, max_length=100),
            ColumnSpec(table, s.promoted_by, "Promoted By", Kind.LOOKUP, targets=("systemuser",)),
            ColumnSpec(table, s.promoted_on, "Promoted On", Kind.DATETIME),
            ColumnSpec(table, s.sync_claim, "Sync Claim", Kind.STRING, max_length=100),
        ]
    from inolink_tui.domain.crm_requirements_money import money_requirements  # it builds on the specs above

    money_tables, money_columns, money_keys = money_requirements(s)
    columns += money_columns
    job, jt = s.job, s.link_job_table
    job_name = ColumnSpec(jt, job("name"), "Name", Kind.STRING, max_length=200, primary_name=True)
    columns += [
        ColumnSpec(jt, job("jobnumber"), "Job Number", Kind.STRING, max_length=50),
        ColumnSpec(
            jt,
            job("entitytype"),
            "Entity Type",
            Kind.PICKLIST,
            options=tuple((v, k.value) for k, v in s.entity_type_options.items()),
        ),
        ColumnSpec(
            jt,
            job("linkstatus"),
            "Link Status",
            Kind.PICKLIST,
            options=tuple((v, k.value) for k, v in s.job_status_options.items()),
        ),
        ColumnSpec(
            jt,
            job("source"),
            "Source",
            Kind.PICKLIST,
            options=tuple((v, k.value) for k, v in s.job_source_options.items()),
        ),
        ColumnSpec(jt, job("submittedby"), "Submitted By", Kind.STRING, max_length=200),
        ColumnSpec(jt, job("submittedon"), "Submitted On", Kind.DATETIME),
        ColumnSpec(jt, job("processedon"), "Processed On", Kind.DATETIME),
        ColumnSpec(jt, job("accountingid"), "Accounting ID", Kind.STRING, max_length=50),
        ColumnSpec(jt, job("processedcount"), "Processed Count", Kind.INTEGER),
        ColumnSpec(jt, job("errordescription"), "Error Description", Kind.STRING, max_length=4000),
        ColumnSpec(jt, s.regarding, "Regarding", Kind.LOOKUP, targets=SYNCED_TABLES),
    ]
    lease = s.sync_lease_table
    lease_name = ColumnSpec(lease, s.job("name"), "Name", Kind.STRING, max_length=100, primary_name=True)
    columns += [
        ColumnSpec(lease, s.job("holder"), "Holder", Kind.STRING, max_length=200),
        ColumnSpec(lease, s.job("expireson"), "Expires On", Kind.DATETIME),
    ]
    tables = (
        TableSpec(jt, s.link_jobs, "Link Job", "Link Jobs", job_name),
        TableSpec(lease, s.sync_leases, "Sync Lease", "Sync Leases", lease_name),
        *money_tables,
    )
    keys = (
        KeySpec(jt, s.job_number_key, "Job Number", (job("jobnumber"),)),
        KeySpec(lease, s.job("name_key"), "Name", (s.job("name"),)),
        *money_keys,
    )
    return Requirements(tables, tuple(columns), keys, SYNCED_TABLES)
