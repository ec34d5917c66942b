"""Issue 16 items 3 and 4 over the in-memory systems: each [sync] policy, and what a pushed transaction carries.

The sandbox end-to-end tests (test_lifecycle_sandbox.py, test_money_sandbox.py) cover the defaults against
QuickBooks' and Dataverse's rules; these cover the other settings and the exact request bodies.
"""

from __future__ import annotations

from typing import Any

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.engine.lifecycle import CrmDeactivated, LifecyclePolicy, QuickBooksInactive
from tests.engine.conftest import World


async def linked(world: World, et: EntityType, name: str, **cols: Any) -> tuple[str, str]:
    rid = world.crm.add(et, name=name, **cols)
    world.crm.promote(et, rid)
    assert await world.engine.run_once() is False
    return rid, str(world.crm.row(et, rid)["ino_accountingid"])


async def test_flag_policy_sets_and_clears_the_configured_column(world: World) -> None:
    world.rebuild(lifecycle=LifecyclePolicy(quickbooks_inactive=QuickBooksInactive.FLAG, inactive_flag_column="x_gone"))
    rid, qid = await linked(world, EntityType.ACCOUNT, "Flagged Co", statecode=0)
    world.qbo.edit("Customer", qid, Active=False)
    assert await world.engine.run_once() is False
    row = world.crm.row(EntityType.ACCOUNT, rid)
    assert row["x_gone"] is True and row["statecode"] == 0
    world.qbo.edit("Customer", qid, Active=True)
    assert await world.engine.run_once() is False
    assert world.crm.row(EntityType.ACCOUNT, rid)["x_gone"] is False


async def test_ignore_policy_leaves_the_crm_record_alone(world: World) -> None:
    world.rebuild(lifecycle=LifecyclePolicy(quickbooks_inactive=QuickBooksInactive.IGNORE))
    rid, qid = await linked(world, EntityType.ACCOUNT, "Ignored Co", statecode=0)
    world.qbo.edit("Customer", qid, Active=False)
    assert await world.engine.run_once() is False
    row = world.crm.row(EntityType.ACCOUNT, rid)
    assert row["statecode"] == 0 and "ino_accountinginactive" not in row


async def test_item_made_inactive_retires_the_product_and_active_again_restores_it(world: World) -> None:
    rid, qid = await linked(world, EntityType.PRODUCT, "Gadget", price=5, producttypecode=3, statecode=0)
    world.qbo.edit("Item", qid, Active=False)
    assert await world.engine.run_once() is False
    row = world.crm.row(EntityType.PRODUCT, rid)
    assert (row["statecode"], row["statuscode"]) == (1, 2)
    world.qbo.edit("Item", qid, Active=True)
    assert await world.engine.run_once() is False
    row = world.crm.row(EntityType.PRODUCT, rid)
    assert (row["statecode"], row["statuscode"]) == (0, 1)


async def test_crm_deactivation_ignored_by_policy_keeps_quickbooks_active(world: World) -> None:
    world.rebuild(lifecycle=LifecyclePolicy(crm_deactivated=CrmDeactivated.IGNORE))
    rid, qid = await linked(world, EntityType.ACCOUNT, "Kept Co", statecode=0)
    world.crm.edit(EntityType.ACCOUNT, rid, statecode=1, statuscode=2)
    assert await world.engine.run_once() is False
    assert world.qbo.data["Customer"][qid]["Active"] is True


async def test_crm_deactivation_makes_the_quickbooks_item_inactive(world: World) -> None:
    rid, qid = await linked(world, EntityType.PRODUCT, "Old Gadget", price=5, producttypecode=3, statecode=0)
    world.crm.edit(EntityType.PRODUCT, rid, statecode=1, statuscode=2)
    assert await world.engine.run_once() is False
    assert world.qbo.data["Item"][qid]["Active"] is False
    pushes = await world.jobs(source=Source.CRM, crm_record_id=rid)
    assert pushes[-1].link_status is LinkStatus.SUCCESS
    assert not await world.jobs(source=Source.ACCOUNTING), "our own inactivation is an echo, not a QuickBooks edit"


def money_company(world: World, *, country: str = "US", multicurrency: bool = False, taxing: bool = True) -> None:
    world.qbo.add("CompanyInfo", {"Country": country})
    world.qbo.add(
        "Preferences",
        {
            "TaxPrefs": {"UsingSalesTax": taxing},
            "CurrencyPrefs": {"HomeCurrency": {"value": "USD"}, "MultiCurrencyEnabled": multicurrency},
        },
    )
    world.qbo.add("Term", {"Name": "Net 30", "DueDays": 30})


async def push_invoice(world: World, *, customer_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    crm = world.crm
    acct, qid = await linked(world, EntityType.ACCOUNT, "Buyer Co")
    if customer_extra:
        world.qbo.data["Customer"][qid].update(customer_extra)
    taxed = crm.add(EntityType.PRODUCT, name="Taxed", price=2, producttypecode=3, productnumber="T-1")
    free = crm.add(EntityType.PRODUCT, name="Free", price=2, producttypecode=3, productnumber="F-1")
    for pid in (taxed, free):
        crm.promote(EntityType.PRODUCT, pid)
    assert await world.engine.run_once() is False
    world.qbo.data["Item"][crm.row(EntityType.PRODUCT, taxed)["ino_accountingid"]]["Taxable"] = True
    inv = crm.add(EntityType.INVOICE, name="Order", invoicenumber="INV-9", _customerid_value=acct, paymenttermscode=1)
    crm.add_line(EntityType.INVOICE, inv, _productid_value=taxed, quantity=1, priceperunit=10)
    crm.add_line(EntityType.INVOICE, inv, _productid_value=free, quantity=1, priceperunit=5)
    crm.promote(EntityType.INVOICE, inv)
    assert await world.engine.run_once() is False
    job = (await world.jobs(entity_type=EntityType.INVOICE))[0]
    assert job.link_status is LinkStatus.SUCCESS, job.error_description
    return dict(world.qbo.data["Invoice"][str(job.accounting_id)])


def line_codes(invoice: dict[str, Any]) -> list[str]:
    return [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in invoice["Line"]]


async def test_us_invoice_lines_are_tax_or_non_with_terms_and_no_currency(world: World) -> None:
    money_company(world)
    invoice = await push_invoice(world)
    assert line_codes(invoice) == ["TAX", "NON"]
    assert invoice["SalesTermRef"]["name"] == "Net 30"
    assert "CurrencyRef" not in invoice


async def test_us_company_not_collecting_sales_tax_marks_lines_non(world: World) -> None:
    money_company(world, taxing=False)
    assert line_codes(await push_invoice(world)) == ["NON", "NON"]


async def test_multicurrency_invoice_is_sent_in_the_customer_currency(world: World) -> None:
    money_company(world, multicurrency=True)
    invoice = await push_invoice(world, customer_extra={"CurrencyRef": {"value": "EUR"}})
    assert invoice["CurrencyRef"] == {"value": "EUR"}


async def test_non_us_invoice_takes_the_per_product_code_then_the_default(world: World) -> None:
    money_company(world, country="CA")
    gst = world.qbo.add("TaxCode", {"Name": "GST"})["Id"]
    zero = world.qbo.add("TaxCode", {"Name": "Zero-rated"})["Id"]
    world.rebuild(money=MoneyPolicy(default_tax_code="GST", tax_codes={"f-1": "Zero-rated"}))
    assert line_codes(await push_invoice(world)) == [gst, zero]
