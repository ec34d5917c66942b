"""check_mappings: custom mapping rows against the org's columns and QuickBooks' custom field definitions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.check import CrmColumn, CrmTables, QboCustomField, check_mappings, tables_used
from inolink_tui.domain.mapping.custom import LocatedMapping, MappingOrigin
from inolink_tui.domain.mapping.tables import Direction, FieldMapping, Transform

CONFIG = Path("/etc/inolink/config.toml")
ACCOUNT_COLUMNS = {
    c.name: c
    for c in (
        CrmColumn("name", "String", 160),
        CrmColumn("accountnumber", "String", 20),
        CrmColumn("description", "Memo", 2000),
        CrmColumn("creditlimit", "Money"),
        CrmColumn("new_region", "String", 31),
        CrmColumn("new_notes", "String", 100),
        CrmColumn("new_customertier", "Picklist", options={100000000: "Gold", 100000001: "Silver"}),
        CrmColumn("parentaccountid", "Lookup"),
        CrmColumn("lastusedincampaign", "DateTime"),
    )
}
CRM: CrmTables = {"account": ACCOUNT_COLUMNS}
DEFINITIONS = [
    QboCustomField("1000000001", "Region", "STRING", ("Customer",)),
    QboCustomField("1000000002", "Tier", "STRING", ("Customer",)),
    QboCustomField("1000000003", "Old", "STRING", ("Customer",), active=False),
    QboCustomField("1", "Sales Rep", "STRING", ("Invoice", "Estimate")),
    QboCustomField("1000000004", "Score", "NUMBER", ("Customer",)),
]


def row(
    crm: str | None,
    qbo: str,
    direction: Direction = Direction.BOTH,
    transform: Transform = Transform.COPY,
    *,
    index: int = 0,
    entity: EntityType = EntityType.ACCOUNT,
    values: tuple[tuple[str, str], ...] = (),
    template: str | None = None,
) -> LocatedMapping:
    origin = MappingOrigin(
        CONFIG, entity.value.lower(), index, 10 + 5 * index, {"crm": 11 + 5 * index, "qbo": 12 + 5 * index}
    )
    mapping = FieldMapping(crm, qbo, direction, transform, values=values, template=template, custom=True)
    return LocatedMapping(entity, mapping, origin)


def lines(
    rows: list[LocatedMapping], crm: CrmTables | None = CRM, defs: Sequence[QboCustomField] | None = DEFINITIONS
) -> list[str]:
    return [str(p) for p in check_mappings(rows, crm, defs)]


def test_good_rows_have_no_problem() -> None:
    rows = [
        row("new_region", "CustomField:Region"),
        row(
            "new_customertier",
            "CustomField:Tier",
            transform=Transform.VALUE_MAP,
            values=(("Gold", "G"), ("100000001", "S")),
        ),
        row("creditlimit", "Balance", Direction.TO_CRM, Transform.MONEY),
        row("parentaccountid", "ParentRef.value", transform=Transform.LOOKUP),
        row("new_notes", "Notes", Direction.TO_QUICKBOOKS),
        row(None, "PrintOnCheckName", Direction.TO_QUICKBOOKS, Transform.TEMPLATE, template="{name} ({accountnumber})"),
        row("description", "Notes", Direction.TO_QUICKBOOKS, Transform.TRUNCATE),
    ]
    assert lines(rows) == []


def test_missing_column_names_file_line_and_key() -> None:
    problems = lines([row("new_regoin", "CustomField:Region", index=3)])
    assert problems == [f"{CONFIG}:26: mapping.account[3].crm: CRM table account has no column new_regoin"]


def test_case_slip_is_suggested_and_template_placeholders_checked() -> None:
    problems = lines(
        [row("New_Region", "Notes"), row(None, "Notes", Direction.TO_QUICKBOOKS, Transform.TEMPLATE, template="{nmae}")]
    )
    assert "did you mean new_region?" in problems[0]
    assert problems[1].endswith("mapping.account[0].template: CRM table account has no column nmae")


def test_type_must_fit_the_transform() -> None:
    problems = lines(
        [
            row("creditlimit", "Notes", transform=Transform.UPPER),
            row("name", "Notes", Direction.TO_CRM, Transform.DATE),
            row("new_customertier", "Notes"),
            row("parentaccountid", "Notes", Direction.TO_QUICKBOOKS),
        ]
    )
    assert len(problems) == 4
    assert 'transform "upper" does not fit creditlimit, a Money column' in problems[0]
    assert 'transform "date" does not fit name, a String column' in problems[1]
    assert 'use transform = "value_map"' in problems[2] and ".transform:" in problems[2]
    assert 'use transform = "lookup"' in problems[3]


def test_length_must_fit_unless_truncate() -> None:
    # CRM description (Memo 2000) -> the custom field (31): refused; the same with truncate: fine
    too_long = row("description", "CustomField:Region", Direction.TO_QUICKBOOKS)
    truncated = row("description", "CustomField:Region", Direction.TO_QUICKBOOKS, Transform.TRUNCATE)
    # QuickBooks Notes (2000) -> CRM new_notes (100) when pulled
    pulled = row("new_notes", "Notes", Direction.TO_CRM)
    # QuickBooks CompanyName truncates by itself (domain.limits), so pushing name (160) there is fine
    company = row("name", "CompanyName", Direction.TO_QUICKBOOKS)
    problems = lines([too_long, truncated, pulled, company])
    assert len(problems) == 2
    assert "description holds up to 2000 characters, QuickBooks CustomField:Region at most 31" in problems[0]
    assert "new_notes holds at most 100 characters, QuickBooks Notes up to 2000" in problems[1]


def test_value_map_values_must_be_choices() -> None:
    values = (("Gold", "G"), ("gold", "g"), ("100000001", "S"), ("Platinum", "P"), ("7", "x"))
    problems = lines([row("new_customertier", "CustomField:Tier", transform=Transform.VALUE_MAP, values=values)])
    assert [p.split(": ", 2)[1] for p in problems] == ["mapping.account[0].values"] * 2
    assert "'Platinum' is not a choice of new_customertier (choices: 100000000 Gold, 100000001 Silver)" in problems[0]
    assert "'7' is not a choice" in problems[1]


def test_quickbooks_field_must_exist_and_be_writable() -> None:
    problems = lines(
        [
            row("accountnumber", "AcctNum"),
            row("creditlimit", "Balance", Direction.BOTH, Transform.MONEY),
            row("name", "Id", Direction.TO_CRM),
        ]
    )
    assert len(problems) == 2
    assert "mapping.account[0].qbo: QuickBooks Customer has no field AcctNum" in problems[0]
    assert 'Customer.Balance is read-only: it can only be read into CRM (direction = "to_crm")' in problems[1]


def test_custom_field_names_checked_against_definitions() -> None:
    problems = lines(
        [
            row("new_region", "CustomField:Regoin"),
            row("new_region", "CustomField:Old"),
            row("new_region", "CustomField:region"),
            row("name", "CustomField:Sales Rep", Direction.TO_QUICKBOOKS, entity=EntityType.INVOICE),
            row("name", "CustomField:Region", Direction.TO_QUICKBOOKS, entity=EntityType.PRODUCT),
        ],
        crm={"account": ACCOUNT_COLUMNS, "invoice": {"name": CrmColumn("name", "String", 300)}},
    )
    assert len(problems) == 4
    assert "custom field 'Regoin' does not exist (active ones: Region, Score, Tier)" in problems[0]
    assert "custom field 'Old' is inactive" in problems[1]
    assert "name holds up to 300 characters, QuickBooks CustomField:Sales Rep at most 31" in problems[2]
    assert "QuickBooks Item records carry no custom fields" in problems[3]


def test_a_number_custom_field_needs_a_number_column() -> None:
    problems = lines(
        [
            row("new_region", "CustomField:Score"),
            row("creditlimit", "CustomField:Score", Direction.TO_QUICKBOOKS, Transform.MONEY),
        ]
    )
    assert problems == [
        f"{CONFIG}:11: mapping.account[0].crm: QuickBooks CustomField:Score holds numbers; "
        "new_region is a String column"
    ]


def test_offline_skips_what_needs_metadata() -> None:
    rows = [row("new_regoin", "CustomField:Nope"), row("x", "AcctNum")]
    problems = lines(rows, crm=None, defs=None)
    assert problems == [f"{CONFIG}:12: mapping.account[0].qbo: QuickBooks Customer has no field AcctNum"]


def test_missing_table_and_line_columns() -> None:
    invoice = row("line.new_color", "Line[].Description", Direction.TO_QUICKBOOKS, entity=EntityType.INVOICE)
    assert tables_used([invoice, row("name", "Notes")]) == ("invoicedetail", "account")
    problems = lines([invoice], crm={"invoicedetail": None})
    assert problems[0].endswith("the CRM table invoicedetail does not exist in this org")


def test_every_built_in_row_names_a_documented_quickbooks_field() -> None:
    """The field table agrees with the built-in mapping: `mapping show --format toml` output pasted as custom rows
    passes the offline check."""
    from inolink_tui.domain.mapping.tables import DEFAULT_MAPPINGS

    rows = [
        LocatedMapping(et, mapping, MappingOrigin(CONFIG, et.value.lower(), i))
        for et, mappings in DEFAULT_MAPPINGS.items()
        for i, mapping in enumerate(mappings)
    ]
    assert lines(rows, crm=None, defs=None) == []
