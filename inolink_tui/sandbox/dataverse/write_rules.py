"""Dataverse column rules on writes (lengths, ranges, choices, required columns); the table with sources is RULES.md.

All rules read the same `Column` objects `EntityDefinitions(..)/Attributes` describes (MaxLength, MinValue /
MaxValue, RequiredLevel, the choice's OptionSet), so what a client reads in the metadata is what a write is
checked against: `values.coerce` checks every written value, `check_required` checks creates.

SystemRequired: Learn "AttributeRequiredLevel EnumType" says the platform requires a value; the error code and
wording are not documented, so the sandbox answers 400 `0x80040203` (InvalidArgument) in the validation shape.
ApplicationRequired ("Business Required") is not checked: model-driven forms enforce it, the Web API does not.
"""

from __future__ import annotations

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.schema import Table

REQUIRED_CODE = errors.INVALID_ARGUMENT
AUTONUMBERED = {
    "quote": ("quotenumber", "QUO"),
    "salesorder": ("ordernumber", "ORD"),
    "invoice": ("invoicenumber", "INV"),
}
"""System-numbered columns: SystemRequired, yet filled by the platform when a create leaves them out (table
reference: quotenumber / ordernumber / invoicenumber "cannot be modified"; numbers look like QUO-01000-F1Q2B8)."""


def fill_autonumber(table: Table, values: dict[str, object], sequence: int, suffix: str) -> None:
    """Give a new quote, order or invoice its number when the client sent none."""
    numbered = AUTONUMBERED.get(table.logical_name)
    if numbered is not None and values.get(numbered[0]) is None:
        values[numbered[0]] = f"{numbered[1]}-{sequence:05d}-{suffix}"


def check_required(table: Table, values: dict[str, object]) -> None:
    """A create must carry a value for every client-writable SystemRequired column."""
    for column in table.columns.values():
        if column.required != "SystemRequired" or column.read_only or column.name == table.primary_key:
            continue
        if values.get(column.key) is None:
            raise errors.DataverseError(
                400,
                REQUIRED_CODE,
                f"A validation error occurred.  The attribute '{column.name}' of the '{table.logical_name}' entity "
                "is required (RequiredLevel SystemRequired) and has no value.",
            )
