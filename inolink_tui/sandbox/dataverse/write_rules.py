"""Dataverse column rules on writes (lengths, ranges, choices, required columns); the table with sources is RULES.md.

All rules read the same `Column` objects `EntityDefinitions(..)/Attributes` describes (MaxLength, MinValue /
MaxValue, RequiredLevel, the choice's OptionSet), so what a client reads in the metadata is what a write is
checked against: `values.coerce` checks every written value, `check_required` checks creates.

SystemRequired: Learn "AttributeRequiredLevel EnumType" says the platform requires a value; the error is
RequiredFieldMissing `0x80040200` ("Required field missing.", Learn "Web service error codes"); the rest of the
message is the sandbox's, the service's full text is not documented.
ApplicationRequired ("Business Required") is not checked: model-driven forms enforce it, the Web API does not.
"""

from __future__ import annotations

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.schema import Table

REQUIRED_CODE = "0x80040200"
"""RequiredFieldMissing, "Required field missing." (Learn, "Web service error codes")."""
PRODUCT_NUMBER_EXISTS = "0x80043B06"
"""ProductProductNumberExists (Learn, "Web service error codes")."""
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


def check_required(table: Table, values: dict[str, object], *, update: bool = False) -> None:
    """A create must carry a value for every client-writable SystemRequired column; an update (`update=True`) may
    not set one to null (Learn "Update and delete table rows using the Web API", Basic update: "When this is set to
    SystemRequired, you cannot set these attributes to a null value")."""
    for column in table.columns.values():
        if column.required != "SystemRequired" or column.read_only or column.name == table.primary_key:
            continue
        if update and column.key not in values:
            continue
        if values.get(column.key) is None:
            raise errors.DataverseError(
                400,
                REQUIRED_CODE,
                f"Required field missing. The attribute '{column.name}' of the '{table.logical_name}' entity is "
                "SystemRequired and has no value.",
            )


def check_product_number(table: Table, values: dict[str, object], rows: dict[str, dict[str, object]]) -> None:
    """Product IDs are unique across products (the platform's ProductProductNumberExists rule), with or without
    an alternate key; compared case-insensitively as SQL Server compares them."""
    number = values.get("productnumber")
    if table.logical_name != "product" or not isinstance(number, str):
        return
    own = values.get(table.primary_key)
    for row_id, row in rows.items():
        other = row.get("productnumber")
        if row_id != own and isinstance(other, str) and other.casefold() == number.casefold():
            raise errors.DataverseError(
                400,
                PRODUCT_NUMBER_EXISTS,
                "The specified product ID conflicts with the product ID of an existing record. Specify a different "
                "product ID and try again.",
            )
