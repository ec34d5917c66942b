"""Deterministic seed data for both sides, built through the same methods the APIs use.

The data is shaped so the engine meets real situations without scripting them: CRM accounts already
linked to QuickBooks customers, accounts promoted ("To be Linked") whose names already exist in
QuickBooks (Name Matching links them), whose names differ only in case, or clash with a vendor (6240),
a link pointing at a QuickBooks Id that does not exist, an inactive customer that freed its name,
products whose items exist, and transactions whose products or customers are not linked yet.
Everything comes from `random.Random(seed)`, so the same seed always builds the same company.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.sandbox.identity import derived_uuid
from inolink_tui.sandbox.seed_linked import crm_product_type, linked_account_columns, linked_product_columns
from inolink_tui.sandbox.seed_region import REGIONS, enable_multicurrency, foreign_customer, line_tax_ref
from inolink_tui.sandbox.seed_settings import seed_qbo_settings

if TYPE_CHECKING:
    from inolink_tui.sandbox.app import Sandbox
    from inolink_tui.sandbox.quickbooks.state import QboState

log = logging.getLogger(__name__)

TO_BE_LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.TO_BE_LINKED]
LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.LINKED]

_PREFIXES = (
    "Amy's",
    "Bayside",
    "Blue Ridge",
    "Cedar",
    "Coastal",
    "Diego's",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Northwind",
    "Oakridge",
    "Pioneer",
    "Quarry",
    "Redwood",
    "Summit",
    "Tidewater",
    "Union",
    "Valley",
    "Willow",
    "Yellowstone",
    "Zenith",
    "Robertson &",
    "Copper",
    "Silver",
)
_NOUNS = (
    "Bird Sanctuary",
    "Landscaping",
    "Builders",
    "Pool Supplies",
    "Bakery",
    "Dental",
    "Logistics",
    "Outfitters",
    "Cleaners",
    "Hardware",
    "Media",
    "Motors",
    "Florists",
    "Consulting",
    "Roofing",
    "Associates",
    "Brewing",
    "Electric",
    "Plumbing",
    "Catering",
)
_FIRST = ("Alex", "Priya", "Sam", "Maria", "John", "Mei", "Omar", "Grace", "Luis", "Hana", "Noah", "Emily", "Ravi")
_LAST = ("Morgan", "Shah", "Lee", "Garcia", "Smith", "Chen", "Haddad", "Kim", "Lopez", "Sato", "Brown", "Platt")
_PRODUCTS = (
    "Rock Fountain",
    "Garden Hose",
    "Sprinkler Head",
    "Pump",
    "Concrete Pavers",
    "Design Consultation",
    "Installation Hours",
    "Lighting Kit",
    "Pond Liner",
    "Fertilizer",
    "Trimming",
    "Gutter Guard",
    "Soil Test",
    "Drip Line",
    "Planter Box",
    "Mulch Bag",
    "Stone Edging",
    "Irrigation Timer",
    "Weed Barrier",
    "Bird Bath",
)
_CITIES = (("Bayshore", "CA", "94326"), ("Middlefield", "CA", "94303"), ("Half Moon Bay", "CA", "94213"))
SYSTEM_USERS = (("Alex", "Morgan"), ("Priya", "Shah"), ("Sam", "Lee"))


@dataclass
class SeedReport:
    """What the seed built, for the demo banner and tests."""

    qbo: dict[str, int] = field(default_factory=dict)
    crm: dict[str, int] = field(default_factory=dict)
    user_ids: list[str] = field(default_factory=list)


def company_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(names) < count and attempts < count * 50:
        attempts += 1
        name = f"{rng.choice(_PREFIXES)} {rng.choice(_NOUNS)}"
        if len(names) >= len(_PREFIXES) * len(_NOUNS) // 2:
            name = f"{name} {len(names)}"
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _address(rng: random.Random) -> dict[str, str]:
    city, state, postal = rng.choice(_CITIES)
    return {
        "Line1": f"{rng.randint(10, 9999)} {rng.choice(_LAST)} St.",
        "City": city,
        "CountrySubDivisionCode": state,
        "PostalCode": postal,
    }


# -- QuickBooks company ------------------------------------------------------------------------------------
@dataclass
class QboCatalog:
    accounts: dict[str, str] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)


def seed_qbo_company(qbo: QboState, rng: random.Random, region: str = "US") -> QboCatalog:
    """The company every engine needs: accounts, tax codes, terms and the service items InoLink uses."""
    catalog = QboCatalog()
    country = REGIONS[region].country
    qbo.create(
        "CompanyInfo",
        {
            "CompanyName": "Sandbox Company_US_1",
            "LegalName": "Sandbox Company_US_1",
            "CompanyAddr": {
                "Line1": "123 Sierra Way",
                "City": "San Pablo",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "87999",
                "Country": country,
            },
            "Country": country,
            "Email": {"Address": "noreply@quickbooks.example"},
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "CompanyStartDate": "2024-01-01",
        },
        record_id="1",
    )
    if region == "US":  # the US line codes (reference §12); other regions name their own codes on every line
        qbo.create("TaxCode", {"Name": "TAX", "Description": "TAX", "Taxable": True}, record_id="TAX")
        qbo.create("TaxCode", {"Name": "NON", "Description": "NON", "Taxable": False}, record_id="NON")
    seed_qbo_settings(qbo, REGIONS[region])
    for name, account_type, sub_type in (
        ("Sales of Product Income", "Income", "SalesOfProductIncome"),
        ("Services", "Income", "ServiceFeeIncome"),
        ("Discounts given", "Income", "DiscountsRefundsGiven"),
        ("Shipping Income", "Income", "OtherPrimaryIncome"),
        ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
        ("Inventory Asset", "Other Current Asset", "Inventory"),
        ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
        ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
        ("Checking", "Bank", "Checking"),
    ):
        record = qbo.create("Account", {"Name": name, "AccountType": account_type, "AccountSubType": sub_type})
        catalog.accounts[name] = record["Id"]
    for name, days in (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)):
        catalog.terms[name] = qbo.create("Term", {"Name": name, "DueDays": days})["Id"]
    for name, description in (
        ("Write-In", "Write-in product lines from CRM"),
        ("Discount", "Discounts from CRM documents"),
        ("Shipping", "Freight charged on CRM documents"),
        ("Services", "Default service item"),
    ):
        account = catalog.accounts["Shipping Income" if name == "Shipping" else "Services"]
        record = qbo.create(
            "Item",
            {"Name": name, "Type": "Service", "Description": description, "IncomeAccountRef": {"value": account}},
        )
        catalog.items[name] = record["Id"]
    qbo.create("Vendor", {"DisplayName": "Norton Lumber and Building Materials", "CompanyName": "Norton Lumber"})
    qbo.create("Employee", {"GivenName": "Emily", "FamilyName": "Platt"})
    return catalog


def _qbo_customer(qbo: QboState, rng: random.Random, name: str, catalog: QboCatalog, **extra: Any) -> str:
    given, family = rng.choice(_FIRST), rng.choice(_LAST)
    body = {
        "DisplayName": name,
        "CompanyName": name,
        "GivenName": given,
        "FamilyName": family,
        "PrimaryEmailAddr": {"Address": f"{given.lower()}@{name.split()[0].lower().strip(chr(39) + '&')}.example"},
        "PrimaryPhone": {"FreeFormNumber": f"(650) 555-{rng.randint(1000, 9999)}"},
        "BillAddr": _address(rng),
        "SalesTermRef": {"value": catalog.terms[rng.choice(("Net 15", "Net 30", "Net 30"))]},
        **extra,
    }
    record = qbo.create("Customer", body)
    catalog.customers[name] = record["Id"]
    return str(record["Id"])


def _qbo_item(qbo: QboState, rng: random.Random, name: str, price: Decimal, catalog: QboCatalog) -> str:
    record = qbo.create(
        "Item",
        {
            "Name": name,
            "Type": rng.choice(("Service", "NonInventory")),
            "UnitPrice": price,
            "Description": f"{name} ({rng.choice(('standard', 'premium', 'basic'))})",
            "IncomeAccountRef": {"value": catalog.accounts["Sales of Product Income"]},
            "Taxable": rng.random() < 0.5,
        },
    )
    catalog.items[name] = record["Id"]
    return str(record["Id"])


def _qbo_invoices(qbo: QboState, rng: random.Random, catalog: QboCatalog, count: int) -> None:
    customers = [c for c in catalog.customers.values() if (qbo.raw("Customer", c) or {}).get("Active")]
    items = [v for k, v in catalog.items.items() if k not in ("Write-In", "Discount", "Shipping", "Services")]
    if not customers or not items:
        return
    for index in range(count):
        lines = []
        for _line in range(rng.randint(1, 3)):
            item = qbo.raw("Item", rng.choice(items))
            assert item is not None
            qty = rng.randint(1, 5)
            price = Decimal(str(item.get("UnitPrice", "10.00")))
            detail: dict[str, Any] = {"ItemRef": {"value": item["Id"]}, "Qty": qty, "UnitPrice": price}
            if (tax := line_tax_ref(qbo, item)) is not None:
                detail["TaxCodeRef"] = tax
            lines.append({"Amount": price * qty, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
        invoice = qbo.create("Invoice", {"CustomerRef": {"value": rng.choice(customers)}, "Line": lines})
        if index == 0 or rng.random() < 0.4:
            total = Decimal(str(invoice["TotalAmt"]))
            amount = total if rng.random() < 0.5 else (total / 2).quantize(Decimal("0.01"))
            qbo.create(
                "Payment",
                {
                    "CustomerRef": invoice["CustomerRef"],
                    "TotalAmt": amount,
                    "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
                },
            )


# -- both sides -------------------------------------------------------------------------------------------
def seed_sandbox(sandbox: Sandbox) -> SeedReport:
    rng = random.Random(sandbox.options.seed)
    qbo = sandbox.qbo
    catalog = seed_qbo_company(qbo, rng, sandbox.options.qbo_region)
    if sandbox.options.qbo_multicurrency:
        enable_multicurrency(qbo)
    records = sandbox.options.records
    names = company_names(rng, records + records // 4 + 4)
    products = [f"{p} {rng.choice(('S', 'M', 'L', 'XL'))}" for p in _PRODUCTS]
    products += [f"{rng.choice(_PRODUCTS)} Model {i}" for i in range(max(0, records // 2 - len(products)))]
    products = list(dict.fromkeys(products))[: max(4, records // 2)]
    prices = {name: Decimal(rng.randint(5, 400)) + Decimal("0.00") for name in products}

    # QuickBooks customers that exist before any sync: linked partners, name collisions, an inactive one.
    account_plans: list[tuple[str, str]] = []  # (name, plan)
    for index, name in enumerate(names[:records]):
        roll = rng.random()
        if index == 0:
            plan = "vendor_clash"
        elif index == 1:
            plan = "dangling_link"
        elif index == 2:
            plan = "inactive_freed"
        elif roll < 0.35:
            plan = "linked"
        elif roll < 0.5:
            plan = "promoted_existing"
        elif roll < 0.55:
            plan = "promoted_case"
        elif roll < 0.75:
            plan = "promoted_new"
        else:
            plan = "not_linked"
        account_plans.append((name, plan))
    qbo_ids: dict[str, str] = {}
    for name, plan in account_plans:
        if plan in ("linked", "promoted_existing"):
            qbo_ids[name] = _qbo_customer(qbo, rng, name, catalog)
        elif plan == "promoted_case":
            qbo_ids[name] = _qbo_customer(qbo, rng, name.upper(), catalog)
        elif plan == "vendor_clash":
            qbo.create("Vendor", {"DisplayName": name, "CompanyName": name})
        elif plan == "inactive_freed":
            old = _qbo_customer(qbo, rng, name, catalog)
            qbo.update("Customer", {"Id": old, "Active": False})
    for index, name in enumerate(names[records:]):  # QuickBooks-only customers
        _qbo_customer(qbo, rng, name, catalog, **foreign_customer(qbo, index))
    item_ids: dict[str, str] = {}
    product_plans: list[tuple[str, str]] = []
    for index, name in enumerate(products):
        roll = rng.random()
        plan = (
            "linked"
            if roll < 0.4
            else "promoted_existing"
            if roll < 0.55
            else "promoted_new"
            if roll < 0.8
            else "not_linked"
        )
        if index == 0:
            plan = "promoted_existing"
        product_plans.append((name, plan))
        if plan in ("linked", "promoted_existing"):
            item_ids[name] = _qbo_item(qbo, rng, name, prices[name], catalog)
    _qbo_invoices(qbo, rng, catalog, max(3, records // 3))
    inactive_item = _qbo_item(qbo, rng, "Discontinued Planter", Decimal("12.00"), catalog)
    qbo.update("Item", {"Id": inactive_item, "Active": False})
    report = SeedReport(qbo={e: len(qbo.records[e]) for e in qbo.records})
    if sandbox.dataverse is not None:
        _seed_crm(sandbox, rng, account_plans, qbo_ids, product_plans, item_ids, prices, report)
    log.info("sandbox seeded: qbo=%s crm=%s", report.qbo, report.crm)
    sandbox.extra["seed_report"] = report
    return report


def _seed_crm(
    sandbox: Sandbox,
    rng: random.Random,
    account_plans: list[tuple[str, str]],
    qbo_ids: dict[str, str],
    product_plans: list[tuple[str, str]],
    item_ids: dict[str, str],
    prices: dict[str, Decimal],
    report: SeedReport,
) -> None:
    dv = sandbox.dataverse
    seed = sandbox.options.seed
    now = sandbox.clock.now()

    def stamp(days_ago: float) -> str:
        return (now - timedelta(days=days_ago)).isoformat(timespec="seconds").replace("+00:00", "Z")

    for first, last in SYSTEM_USERS:
        user_id = derived_uuid(seed, f"user:{first}")
        dv.create_row(
            "systemusers",
            {
                "systemuserid": user_id,
                "firstname": first,
                "lastname": last,
                "fullname": f"{first} {last}",
                "domainname": f"{first.lower()}@contoso.example",
                "internalemailaddress": f"{first.lower()}@contoso.example",
            },
        )
        report.user_ids.append(user_id)

    linkable = "ino_linkstatus" in dv.table("accounts").columns  # a bare (stock) org has no InoLink columns

    def link_columns(plan: str, qbo_id: str | None, reference: str | None = None) -> dict[str, Any]:
        if not linkable:
            return {}
        if plan in ("linked", "dangling_link"):
            columns: dict[str, Any] = {"ino_linkstatus": LINKED, "ino_accountingid": qbo_id}
            if reference:
                columns["ino_accountingref"] = reference
            return columns
        if plan.startswith("promoted") or plan in ("vendor_clash", "inactive_freed"):
            return {
                "ino_linkstatus": TO_BE_LINKED,
                "_ino_promotedby_value": rng.choice(report.user_ids),
                "ino_promotedon": stamp(rng.uniform(0.01, 2)),
            }
        return {}

    account_ids: list[str] = []
    for index, (name, plan) in enumerate(account_plans):
        qbo_id = qbo_ids.get(name) if plan == "linked" else "999999" if plan == "dangling_link" else None
        city, state, postal = rng.choice(_CITIES)
        row = {
            "name": name,
            "accountnumber": f"ACC-{index + 1:04d}",
            "telephone1": f"(650) 555-{rng.randint(1000, 9999)}",
            "emailaddress1": f"info@{name.split()[0].lower().strip(chr(39) + '&')}.example",
            "address1_line1": f"{rng.randint(10, 9999)} {rng.choice(_LAST)} Ave.",
            "address1_city": city,
            "address1_stateorprovince": state,
            "address1_postalcode": postal,
            "address1_country": "US",
            **link_columns(plan, qbo_id),
        }
        if plan == "linked" and qbo_id is not None:
            row.update(linked_account_columns(sandbox.qbo.raw("Customer", qbo_id) or {}))
        account_ids.append(dv.create_row("accounts", row)["accountid"])
    contact_count = max(2, len(account_plans) // 2) if account_ids else 0
    for index in range(contact_count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        plan = rng.choice(("not_linked", "not_linked", "promoted_new"))
        row = {
            "firstname": first,
            "lastname": f"{last}{'' if index < len(_LAST) else f' {index}'}",
            "emailaddress1": f"{first.lower()}.{last.lower()}{index}@mail.example",
            "telephone1": f"(415) 555-{rng.randint(1000, 9999)}",
            **({"parentcustomerid_account@odata.bind": f"/accounts({rng.choice(account_ids)})"} if account_ids else {}),
            **link_columns(plan, None),
        }
        dv.create_row("contacts", row)
    product_ids: dict[str, str] = {}
    for index, (name, plan) in enumerate(product_plans):
        row = {
            "name": name,
            "productnumber": f"PRD-{index + 1:04d}",
            "description": f"{name} for landscaping jobs",
            "price": float(prices[name]),
            "standardcost": float((prices[name] * Decimal("0.6")).quantize(Decimal("0.01"))),
            "producttypecode": rng.choice((1, 2, 3)),
            **link_columns(plan, item_ids.get(name)),
        }
        if plan == "linked" and name in item_ids:
            row.update(linked_product_columns(sandbox.qbo.raw("Item", item_ids[name]) or {}))
        elif plan == "promoted_existing" and name in item_ids:  # the same product: Name Matching links it
            row["producttypecode"] = crm_product_type(sandbox.qbo.raw("Item", item_ids[name]) or {})
        product_ids[name] = dv.create_row("products", row)["productid"]
    counts = {"quotes": 0, "salesorders": 0, "invoices": 0}
    transactions = max(3, len(account_plans) // 4) if account_ids and product_ids else 0
    for entity_set, detail_set, number_col, parent_key in (
        ("quotes", "quotedetails", "quotenumber", "_quoteid_value"),
        ("salesorders", "salesorderdetails", "ordernumber", "_salesorderid_value"),
        ("invoices", "invoicedetails", "invoicenumber", "_invoiceid_value"),
    ):
        for index in range(transactions if account_ids and product_ids else 0):
            plan = rng.choice(("not_linked", "promoted_new", "promoted_new"))
            lines = [(rng.choice(list(product_ids)), rng.randint(1, 4)) for _ in range(rng.randint(1, 4))]
            total = sum((prices[p] * q for p, q in lines), Decimal("0.00"))
            header = {
                "name": f"{entity_set[:-1].title()} {index + 1}",
                number_col: f"{entity_set[:3].upper()}-{index + 1:05d}",
                "customerid_account@odata.bind": f"/accounts({rng.choice(account_ids)})",
                "totallineitemamount": float(total),
                "totalamount": float(total),
                "discountamount": 0.0,
                "freightamount": 0.0,
                **link_columns(plan, None),
            }
            parent_id = dv.create_row(entity_set, header)[
                f"{entity_set[:-1] if entity_set != 'salesorders' else 'salesorder'}id"
            ]
            for number, (product, qty) in enumerate(lines, start=1):
                dv.create_row(
                    detail_set,
                    {
                        parent_key: parent_id,
                        "_productid_value": product_ids[product],
                        "quantity": qty,
                        "priceperunit": float(prices[product]),
                        "baseamount": float(prices[product] * qty),
                        "extendedamount": float(prices[product] * qty),
                        "lineitemnumber": number,
                    },
                )
            counts[entity_set] += 1
    report.crm = {"accounts": len(account_plans), "contacts": contact_count, "products": len(product_plans), **counts}
