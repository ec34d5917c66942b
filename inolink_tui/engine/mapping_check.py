"""Custom mappings checked against both systems: read what the rows need, then `check_mappings` (pure).

`config check --online` and `doctor` call this. Only the CRM tables the rows name are read (four metadata
requests each, connectors/mapping_metadata.py), and QuickBooks' custom field definitions only when a row names a
`CustomField:`. A system that is not connected (None) is not checked: its checks are skipped, as offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
from inolink_tui.connectors.mapping_metadata import crm_columns, quickbooks_custom_fields
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.mapping.check import (
    CrmTables,
    QboCustomField,
    check_mappings,
    tables_used,
    uses_custom_fields,
)
from inolink_tui.domain.mapping.custom import LocatedMapping, MappingProblem
from inolink_tui.engine.doctor import Finding

MAPPING = "Mapping"
FIX = "correct the [[mapping]] entry, or create the column / custom field it names"


@dataclass(frozen=True)
class MappingCheck:
    problems: list[MappingProblem]
    notes: list[str] = field(default_factory=list)
    """What could not be checked and why (e.g. the Custom Fields API was not readable)."""


async def check_against_systems(
    rows: Sequence[LocatedMapping], crm: DataverseClient | None, qbo: QuickBooksClient | None
) -> MappingCheck:
    """Problems of `rows` against the org (when `crm` is given) and QuickBooks (when `qbo` is given)."""
    notes: list[str] = []
    tables: CrmTables | None = None
    if crm is not None and rows:
        tables = await crm_columns(DataverseMetadata(crm), tables_used(rows))
    definitions: list[QboCustomField] | None = None
    if qbo is not None and uses_custom_fields(rows):
        definitions, unreadable = await quickbooks_custom_fields(qbo)
        if unreadable is not None:
            notes.append(
                "QuickBooks' Custom Fields API definitions (customer custom fields) could not be read "
                f"({unreadable}); only the sales-form custom fields were checked"
            )
            if any(
                r.mapping.qbo.startswith("CustomField:") and r.entity_type.value in ("Account", "Contact") for r in rows
            ):
                definitions = None  # customer custom fields cannot be judged: skip rather than refuse
    return MappingCheck(check_mappings(rows, tables, definitions), notes)


async def mapping_findings(
    rows: Sequence[LocatedMapping], crm: DataverseClient | None, qbo: QuickBooksClient | None
) -> list[Finding]:
    """`doctor`'s lines for the custom mappings: each one whose target is missing or does not fit is a problem."""
    if not rows:
        return []
    result = await check_against_systems(rows, crm, qbo)
    out = [Finding(MAPPING, False, str(problem), FIX) for problem in result.problems]
    out += [Finding(MAPPING, False, note, note=True) for note in result.notes]
    if not result.problems:
        checked = " and ".join(n for n, c in (("the org", crm), ("QuickBooks", qbo)) if c is not None) or "nothing"
        out.append(Finding(MAPPING, True, f"{len(rows)} custom mapping row(s) fit {checked}"))
    return out
