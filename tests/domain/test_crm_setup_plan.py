"""The setup plan: a stock org gets everything, a complete org nothing, an InoLink org is adopted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inolink_tui.domain.crm_requirements import SYNCED_TABLES, Kind, Requirements, requirements
from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA, CrmSchema
from inolink_tui.domain.crm_setup_plan import AttributeState, StepKind, TableState, make_plan
from inolink_tui.domain.enums import RecordLinkStatus

_TYPES = {
    Kind.STRING: "String",
    Kind.MEMO: "Memo",
    Kind.MONEY: "Money",
    Kind.DATETIME: "DateTime",
    Kind.INTEGER: "Integer",
    Kind.PICKLIST: "Picklist",
    Kind.LOOKUP: "Lookup",
}


def stock_org() -> dict[str, TableState | None]:
    """The six standard tables with a few of their own columns, change tracking off, nothing of InoLink's."""
    org: dict[str, TableState | None] = {}
    for table in SYNCED_TABLES:
        attrs = {
            "name": AttributeState("name", "String"),
            f"{table}id": AttributeState(f"{table}id", "Uniqueidentifier"),
        }
        org[table] = TableState(table, f"{table}s", False, attrs, {})
    return org


def complete_org(req: Requirements) -> dict[str, TableState | None]:
    """An org that has everything `req` lists (what the prepared sandbox serves)."""
    tables: dict[str, dict[str, AttributeState]] = {t: {} for t in req.all_tables()}
    for column in req.columns:
        options = dict(column.options) if column.kind is Kind.PICKLIST else None
        tables[column.table][column.logical_name] = AttributeState(column.logical_name, _TYPES[column.kind], options)
    keys: dict[str, dict[str, tuple[str, ...]]] = {t: {} for t in tables}
    for key in req.keys:
        keys[key.table][key.logical_name] = key.columns
    return {t: TableState(t, f"{t}s", True, attrs, keys[t]) for t, attrs in tables.items()}


def test_a_stock_org_gets_every_table_column_key_option_and_tracking() -> None:
    req = requirements(DEFAULT_SCHEMA)
    plan = make_plan(req, stock_org())
    kinds = [s.kind for s in plan.steps]
    # Link Job, Sync Lease, Payment, Payment Application, Sales Transaction
    assert kinds.count(StepKind.CREATE_TABLE) == 5
    assert kinds.count(StepKind.ENABLE_CHANGE_TRACKING) == 6
    assert kinds.count(StepKind.CREATE_KEY) == 5
    assert kinds[-1] is StepKind.PUBLISH and kinds.count(StepKind.PUBLISH) == 1
    lines = [s.describe() for s in plan.steps]
    assert (
        "create column account.ino_linkstatus (choice 'Link Status': 100000000 To be Linked, 100000001 Linked, "
        "100000002 Error, 100000003 Unlinked)" in lines
    )
    assert "create lookup invoice.ino_promotedby (lookup 'Promoted By' to systemuser)" in lines
    assert "create column salesorder.ino_syncclaim (text 'Sync Claim', max 100)" in lines
    assert "create column account.ino_overdueover90 (money 'Overdue Over 90 Days')" in lines
    assert any(
        line.startswith(
            "create table ino_synclease ('Sync Lease', entity set ino_syncleases, primary name ino_name text 100)"
        )
        for line in lines
    )
    assert "create alternate key ino_synclease.ino_name_key on ino_name" in lines
    assert "create alternate key ino_payment.ino_paymentaccountingidkey on ino_accountingid" in lines
    assert "create lookup ino_paymentapplication.ino_paymentid (lookup 'Payment' to ino_payment)" in lines
    assert "create column contact.ino_overdueover90 (money 'Overdue Over 90 Days')" in lines
    assert "create alternate key ino_linkjob.ino_jobnumberkey on ino_jobnumber" in lines
    assert "create alternate key ino_salestransaction.ino_transactionkey_key on ino_transactionkey" in lines
    assert "create lookup ino_salestransaction.ino_contactid (lookup 'Contact' to contact)" in lines
    assert "create column ino_payment.ino_voidedon (datetime 'Voided On')" in lines
    assert (
        "create lookup ino_linkjob.ino_regardingobjectid (lookup 'Regarding' to account, contact, product, quote, "
        "salesorder, invoice)" in lines
    )
    # Tables come before their columns, keys after the columns they use, publishing last.
    assert kinds.index(StepKind.CREATE_TABLE) < kinds.index(StepKind.CREATE_COLUMN) < kinds.index(StepKind.CREATE_KEY)
    # The primary name column is created with its table, not again.
    assert "ino_linkjob.ino_name " not in " ".join(lines)
    assert not plan.findings


def test_an_org_that_has_everything_needs_nothing() -> None:
    req = requirements(DEFAULT_SCHEMA)
    plan = make_plan(req, complete_org(req))
    assert plan.nothing_to_do and plan.steps == ()
    assert "account.ino_linkstatus" in plan.adopted


def test_a_half_done_setup_plans_only_the_rest() -> None:
    req = requirements(DEFAULT_SCHEMA)
    org = complete_org(req)
    account = org["account"]
    assert account is not None
    attrs = dict(account.attributes)
    del attrs["ino_promotedon"]
    org["account"] = replace(account, attributes=attrs, change_tracking=False)
    plan = make_plan(req, org)
    assert [s.describe() for s in plan.steps] == [
        "create column account.ino_promotedon (datetime 'Promoted On')",
        "enable change tracking on account",
        "publish customizations of account",
    ]


def test_inolink_choice_values_are_adopted_and_reported_not_recreated() -> None:
    req = requirements(DEFAULT_SCHEMA)
    org = complete_org(req)
    contact = org["contact"]
    assert contact is not None
    attrs = dict(contact.attributes)
    attrs["ino_linkstatus"] = AttributeState(
        "ino_linkstatus", "Picklist", {1: "To be Linked", 2: "Linked", 3: "Error", 4: "Unlinked"}
    )
    org["contact"] = replace(contact, attributes=attrs)
    plan = make_plan(req, org)
    assert not [s for s in plan.steps if s.kind is StepKind.ADD_OPTION]
    lines = [f.line() for f in plan.findings]
    assert (
        "contact.ino_linkstatus: 'Linked' is option 2 in CRM, the configuration says 100000001; fix: set "
        "linked = 2 under [crm.schema.link_status] (or the matching job option)" in lines
    )
    # Configured with those values, the same org fits.
    values = {
        RecordLinkStatus.TO_BE_LINKED: 1,
        RecordLinkStatus.LINKED: 2,
        RecordLinkStatus.ERROR: 3,
        RecordLinkStatus.UNLINKED: 4,
    }
    configured = requirements(CrmSchema(link_status_options=values))
    org_all = complete_org(configured)
    assert make_plan(configured, org_all).nothing_to_do


def test_a_missing_option_is_added_and_a_wrong_type_is_a_finding() -> None:
    req = requirements(DEFAULT_SCHEMA)
    org = complete_org(req)
    quote = org["quote"]
    assert quote is not None
    attrs = dict(quote.attributes)
    attrs["ino_linkstatus"] = AttributeState(
        "ino_linkstatus", "Picklist", {100000000: "To be Linked", 100000001: "Linked", 100000002: "Error"}
    )
    attrs["ino_accountingid"] = AttributeState("ino_accountingid", "Integer")
    org["quote"] = replace(quote, attributes=attrs)
    plan = make_plan(req, org)
    assert "add option 100000003 'Unlinked' to quote.ino_linkstatus" in [s.describe() for s in plan.steps]
    assert [f.line() for f in plan.findings] == [
        "quote.ino_accountingid: exists as Integer, the engine needs String; fix: delete or rename that column in "
        "CRM, or choose another [crm.schema] prefix"
    ]


def test_the_prefix_names_everything() -> None:
    req = requirements(CrmSchema(prefix="Acme"))
    names = {c.logical_name for c in req.columns} | {t.logical_name for t in req.tables}
    assert all(n.startswith("acme_") for n in names), names
    assert {t.entity_set for t in req.tables} == {
        "acme_linkjobs",
        "acme_syncleases",
        "acme_payments",
        "acme_paymentapplications",
        "acme_salestransactions",
    }
    assert req.columns[0].schema_name == "acme_Linkstatus"


@pytest.mark.parametrize("bad", ["i", "toolongprefix", "9abc", "mscrmx", "ab-c"])
def test_a_bad_prefix_is_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ValueError, match="2 to 8 letters or digits"):
        CrmSchema(prefix=bad)


def test_an_org_set_up_before_gets_the_canceled_invoice_status() -> None:
    """A voided invoice shows Canceled (domain/invoice_status.py): an org whose Invoice Status has the four options
    of before gets the fifth from `crm setup`, the others left as they are."""
    req = requirements(DEFAULT_SCHEMA)
    org = complete_org(req)
    invoice = org["invoice"]
    assert invoice is not None
    before = {100000000: "Open", 100000001: "Partially Paid", 100000002: "Paid", 100000003: "Overdue"}
    attrs = {**invoice.attributes, "ino_invoicestatus": AttributeState("ino_invoicestatus", "Picklist", before)}
    plan = make_plan(req, {**org, "invoice": replace(invoice, attributes=attrs)})
    options = [s.describe() for s in plan.steps if s.kind is StepKind.ADD_OPTION]
    assert options == ["add option 100000004 'Canceled' to invoice.ino_invoicestatus"]
    assert not plan.findings
