"""`doctor`: everything that must hold before the engine can do its work, each finding with its fix.

Dynamics 365: who the application user is (WhoAmI), the privileges it holds on the tables the engine
reads and writes (asked of Dataverse with RetrieveUserPrivileges, never guessed from a failed call),
every column, key and choice value of [crm.schema], change tracking. QuickBooks: the company, the
preferences that change the mapping, the write-in / discount / shipping items and the accounts new items
use, and how long the refresh token and the consent still live.

A finding is a problem (doctor exits 2) or a note (worth knowing, the engine works anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider
from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.crm_requirements import SYNCED_TABLES
from inolink_tui.domain.crm_setup_plan import StepKind
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.transaction_history import TransactionSync
from inolink_tui.engine.crm_setup import plan_setup
from inolink_tui.engine.mapping_metadata import product_units
from inolink_tui.engine.options import EngineOptions

log = logging.getLogger(__name__)

D365 = "Dynamics 365"
QBO = "QuickBooks"
SETUP_FIX = "run `inolink-tui crm setup`"
ROLE_FIX = "add it to the application user's security role (Power Platform admin center > Users > Application users)"
REFRESH_WARNING = timedelta(days=14)
CONSENT_WARNING = timedelta(days=60)


@dataclass(frozen=True)
class Finding:
    system: str
    ok: bool
    message: str
    fix: str = ""
    note: bool = False
    """True: worth knowing, not a problem (does not change the exit status)."""

    @property
    def problem(self) -> bool:
        return not self.ok and not self.note

    def line(self) -> str:
        mark = "ok  " if self.ok else "note" if self.note else "FAIL"
        return f"{mark} {self.system}: {self.message}" + (f" -- fix: {self.fix}" if self.fix else "")


def needed_privileges(options: EngineOptions) -> dict[str, tuple[str, ...]]:
    """Table -> the privileges the engine uses on it (Create where it creates rows)."""
    names = ("Read", "Write", "Append", "AppendTo")
    needed: dict[str, tuple[str, ...]] = {t: names for t in SYNCED_TABLES}
    for created in ("account", "contact", "product"):  # QuickBooks -> CRM creates these
        needed[created] = ("Create", *names)
    schema = options.schema
    needed[schema.link_job_table] = ("Create", "Read", "Write", "Append")
    needed["systemuser"] = ("Read", "AppendTo")
    # Money back to CRM (engine/money_back.py): a QuickBooks payment becomes a payment row (an upsert on its
    # Accounting ID, so Create and Write) with lookups to its account or contact (Append), and each invoice it
    # paid a Payment Application row looking up the payment and the invoice (Append on the application,
    # AppendTo on the payment and, through SYNCED_TABLES, on the invoice).
    needed[schema.payment_table] = ("Create", "Read", "Write", "Append", "AppendTo")
    needed[schema.application_table] = ("Create", "Read", "Write", "Append")
    # Transactions entered in QuickBooks (engine/qbo_transactions.py): a payment deleted in QuickBooks deletes its
    # rows (Delete), history rows are upserted and deleted with a lookup to their account or contact, and "record"
    # creates CRM invoices and quotes.
    needed[schema.payment_table] += ("Delete",)
    needed[schema.application_table] += ("Delete",)
    needed[schema.sales_transaction_table] = ("Create", "Read", "Write", "Append", "Delete")
    for entity, table in (("Invoice", "invoice"), ("Estimate", "quote")):
        if options.transactions.mode(entity) is TransactionSync.RECORD:
            needed[table] = ("Create", *needed[table])
    return needed


async def crm_findings(client: DataverseClient, options: EngineOptions) -> list[Finding]:
    try:
        me = await client.who_am_i()
    except ConnectorError as exc:
        return [Finding(D365, False, f"cannot connect to {client.settings.org_url}: {exc.hint}", "check [crm]")]
    user = str(me["UserId"])
    out = [Finding(D365, True, f"connected to {client.settings.org_url} as application user {user}")]
    md = DataverseMetadata(client)
    plan = await plan_setup(md, options.schema)
    absent = {s.table for s in plan.steps if s.kind is StepKind.CREATE_TABLE}  # reported as missing below
    out += await _privileges(md, user, options, absent)
    for finding in plan.findings:
        out.append(Finding(D365, False, f"{finding.table}.{finding.name}: {finding.problem}", finding.fix))
    for step in plan.steps:
        if step.kind in (StepKind.PUBLISH, StepKind.CREATE_PUBLISHER, StepKind.CREATE_SOLUTION):
            continue
        if step.kind is StepKind.ENABLE_CHANGE_TRACKING:
            out.append(Finding(D365, False, f"change tracking is off on {step.table}", SETUP_FIX))
        else:
            out.append(Finding(D365, False, step.describe().replace("create", "missing", 1), SETUP_FIX))
    if plan.nothing_to_do:
        out.append(
            Finding(
                D365,
                True,
                f"every column, key and choice value of [crm.schema] (prefix {options.schema.prefix!r}) is there, "
                "change tracking is on",
            )
        )
    out += await _product_units(client, options)
    return out


async def _product_units(client: DataverseClient, options: EngineOptions) -> list[Finding]:
    """The Unit Group and unit products created from QuickBooks get ([sync] unit_group / default_unit)."""
    group, unit = options.unit_group, options.default_unit
    try:
        found = await product_units(client, group, unit)
    except ConnectorError as exc:
        return [Finding(D365, False, f"cannot read the unit groups: {exc.hint}", ROLE_FIX)]
    if found is None:
        fix = "set [sync] unit_group and default_unit to a unit group of the org and one of its units"
        return [Finding(D365, False, f"no Unit Group {group!r} with a unit {unit!r} for new products", fix)]
    return [Finding(D365, True, f"new products from QuickBooks get Unit Group {group!r}, unit {unit!r}")]


async def _privileges(md: DataverseMetadata, user: str, options: EngineOptions, absent: set[str]) -> list[Finding]:
    try:
        held = await md.user_privileges(user)
    except ConnectorError as exc:
        fix = (
            "the role needs prvReadRole to let RetrieveUserPrivileges answer"
            if exc.status == 403
            else "see the message"
        )
        return [Finding(D365, False, f"cannot read the application user's privileges: {exc.hint}", fix)]
    missing = [
        (table, privilege)
        for table, privileges in needed_privileges(options).items()
        for privilege in privileges
        if table not in absent and f"prv{privilege}{table}".lower() not in held
    ]
    if not missing:
        where = " on the tables that exist" if absent else ""
        return [Finding(D365, True, f"the application user holds every privilege the engine uses{where}")]
    return [Finding(D365, False, f"the application user lacks prv{p}{t} ({p} on {t})", ROLE_FIX) for t, p in missing]


async def quickbooks_findings(client: QuickBooksClient, options: EngineOptions) -> list[Finding]:
    try:
        info = await client.company_info()
    except ConnectorError as exc:
        return [Finding(QBO, False, f"cannot read the company: {exc.hint}", "run `inolink-tui auth quickbooks`")]
    out = [Finding(QBO, True, f"company {info.get('CompanyName')!s} (realm {client.settings.realm_id})")]
    out += await _preferences(client)
    out += await _items(client, options)
    out += await _accounts(client)
    out += _tokens(client)
    return out


async def _preferences(client: QuickBooksClient) -> list[Finding]:
    try:
        body = await client._call("GET", "preferences")
    except ConnectorError as exc:
        return [
            Finding(
                QBO, False, f"preferences not readable (HTTP {exc.status}); the mapping assumes the defaults", note=True
            )
        ]
    prefs: dict[str, Any] = body.get("Preferences") or {}
    out: list[Finding] = []
    currency = (prefs.get("CurrencyPrefs") or {}).get("MultiCurrencyEnabled")
    if currency:
        home = ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value", "?")
        out.append(
            Finding(
                QBO,
                True,
                f"multi-currency is on (home currency {home}): amounts keep each customer's currency",
                note=True,
            )
        )
    tax = prefs.get("TaxPrefs") or {}
    if tax.get("UsingSalesTax") or tax.get("PartnerTaxEnabled"):
        out.append(Finding(QBO, True, "sales tax is on: QuickBooks computes the tax of pushed transactions", note=True))
    sales = prefs.get("SalesFormsPrefs") or {}
    if sales.get("CustomTxnNumbers") is False:
        out.append(
            Finding(
                QBO,
                False,
                "custom transaction numbers are off: QuickBooks numbers pushed documents itself, not with CRM numbers",
                "turn on Settings > Account and settings > Sales > Custom transaction numbers, if CRM's numbers matter",
                note=True,
            )
        )
    products = prefs.get("ProductAndServicesPrefs") or {}
    if products.get("QuantityOnHand"):
        out.append(
            Finding(QBO, True, "track quantity on hand is on: new items need an inventory asset account", note=True)
        )
    if not out:
        out.append(Finding(QBO, True, "preferences read: no multi-currency, no sales tax, custom numbers allowed"))
    return out


async def _items(client: QuickBooksClient, options: EngineOptions) -> list[Finding]:
    out: list[Finding] = []
    for key, name in (
        ("write_in_item", options.write_in_item),
        ("discount_item", options.discount_item),
        ("shipping_item", options.shipping_item),
    ):
        rows = await client.query_all(QboQuery("Item").where("Name", "=", name).include_inactive())
        active = [r for r in rows if r.get("Active", True)]
        if active:
            out.append(Finding(QBO, True, f"item {name!r} ([sync] {key}) exists and is active"))
        elif rows:
            out.append(Finding(QBO, False, f"item {name!r} ([sync] {key}) is inactive", "make it active in QuickBooks"))
        else:
            out.append(
                Finding(
                    QBO, False, f"no item named {name!r} ([sync] {key})", f"create it in QuickBooks or set [sync] {key}"
                )
            )
    return out


async def _accounts(client: QuickBooksClient) -> list[Finding]:
    """The accounts new items are given (the engine picks them by type, as lookups.Lookups.accounts does)."""
    chart = await client.query_all(QboQuery("Account"))
    out: list[Finding] = []
    for kind, subtype, what in (
        ("Income", "SalesOfProductIncome", "income"),
        ("Cost of Goods Sold", None, "expense (cost of goods sold)"),
        ("Other Current Asset", "Inventory", "inventory asset"),
    ):
        rows = [a for a in chart if a.get("AccountType") == kind and a.get("Active", True)]
        preferred = [a for a in rows if subtype and a.get("AccountSubType") == subtype] or rows
        if preferred:
            out.append(Finding(QBO, True, f"{what} account for new items: {preferred[0].get('Name')!s}"))
        else:
            out.append(
                Finding(
                    QBO, False, f"no active {kind} account for new items", f"add an active {kind} account in QuickBooks"
                )
            )
    return out


def _tokens(client: QuickBooksClient) -> list[Finding]:
    provider = client.token_provider
    if not isinstance(provider, QuickBooksTokenProvider):  # tokens handed in from elsewhere carry no expiry
        return []
    now = utcnow()
    out: list[Finding] = []
    refresh = provider.refresh_expires_at
    if refresh is not None:
        left = refresh - now
        ok = left > REFRESH_WARNING
        out.append(
            Finding(
                QBO,
                ok,
                f"refresh token valid for {max(left.days, 0)} more days (renewed on each use)",
                "" if ok else "run the engine or `inolink-tui auth check` to renew it, or `auth quickbooks`",
            )
        )
    tokens = provider.tokens
    hard = tokens.refresh_hard_expires_at if tokens is not None else None
    if hard is not None:
        left = hard - now
        ok = left > CONSENT_WARNING
        out.append(
            Finding(
                QBO,
                ok,
                f"the consent ends in {max(left.days, 0)} days (Intuit's hard limit)",
                "" if ok else "run `inolink-tui auth quickbooks` before then",
            )
        )
    return out
