"""Tax codes, currency and payment terms on a transaction pushed to QuickBooks (issue 16 item 4), pure.

Intuit's two tax models (developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales
and .../manage-sales-tax-for-non-us-locales):
- a US company marks each sales line taxable or not: `SalesItemLineDetail.TaxCodeRef` "TAX" or "NON" (any other
  value is fault 6100), from the item's `Taxable` flag while the company collects sales tax
  (`Preferences.TaxPrefs.UsingSalesTax`); the rate is the transaction's `TxnTaxDetail.TxnTaxCodeRef`;
- every other region needs a `TaxCodeRef` naming one of its TaxCode objects on every sales line ("Make sure all
  your transactions have a GST/HST rate before you save" otherwise). InoLink takes UK/CA/AU codes from the items
  (reference §1.11); here the order is: the per-product mapping of `[sync] tax_codes`, the item's own
  `SalesTaxCodeRef`, `[sync] exempt_tax_code` for an item that is not taxable, then `[sync] default_tax_code`.
Currency (…/workflows/manage-multiple-currencies): with multicurrency on, a transaction is in its customer's
currency (`CurrencyRef`) with the `ExchangeRate` ("the number of home currency units it takes to equal one foreign
currency unit") the engine read from QuickBooks' own exchangerate endpoint for the day (engine/money.py; CRM's
transactioncurrency.exchangerate is the inverse, units per one CRM base unit, and CRM's base currency need not be
QuickBooks' home currency, so QuickBooks' rate is the one used); without a known rate it is left out and
QuickBooks applies its own.
Terms (InoLink matches picklists by label, reference §1.3): the CRM Payment Terms label, through
`[sync] payment_terms` when mapped, names a QuickBooks Term (`SalesTermRef`) case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from inolink_tui.domain.mapping.errors import MappingError

US_TAXABLE = "TAX"
US_NOT_TAXABLE = "NON"
PAYMENT_TERMS_COLUMN = "paymenttermscode"
PAYMENT_TERMS_LABELS: dict[int, str] = {1: "Net 30", 2: "2% 10, Net 30", 3: "Net 45", 4: "Net 60"}
"""Dataverse's stock Payment Terms options (account, quote, order, invoice: `paymenttermscode`)."""
FORMATTED = "@OData.Community.Display.V1.FormattedValue"


@dataclass(frozen=True, slots=True)
class TaxCode:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class CompanyMoney:
    """What the QuickBooks company says about tax, currency and terms (read once per cycle)."""

    region_us: bool = True
    using_sales_tax: bool = True
    tax_codes: tuple[TaxCode, ...] = ()
    home_currency: str = "USD"
    multicurrency: bool = False
    terms: Mapping[str, str] = field(default_factory=dict)
    """Term name (case-folded) -> Term Id."""
    term_names: Mapping[str, str] = field(default_factory=dict)
    """Term Id -> Term name (QuickBooks -> CRM, domain/mapping/terms.py)."""

    def tax_code(self, wanted: str) -> TaxCode:
        """A configured tax code by name or Id; a name QuickBooks does not know is a clear error."""
        folded = wanted.strip().casefold()
        for code in self.tax_codes:
            if code.id == wanted.strip() or code.name.casefold() == folded:
                return code
        known = ", ".join(sorted(c.name for c in self.tax_codes)) or "none"
        raise MappingError(f"QuickBooks has no tax code {wanted!r}; its tax codes are: {known}")


@dataclass(frozen=True, slots=True)
class MoneyPolicy:
    """[sync] tax and terms keys: the tax code of every pushed line and the Term of a Payment Terms option (customers
    and transactions). The customer keys that are not money are `customers.CustomerPolicy`."""

    default_tax_code: str | None = None
    exempt_tax_code: str | None = None
    tax_codes: Mapping[str, str] = field(default_factory=dict)
    """Product number or QuickBooks item name (case-folded) -> tax code name or Id."""
    payment_terms: Mapping[str, str] = field(default_factory=dict)
    """CRM Payment Terms label (case-folded) -> QuickBooks Term name."""


def company_money(
    preferences: Mapping[str, Any] | None,
    company_info: Mapping[str, Any] | None,
    tax_codes: Sequence[Mapping[str, Any]],
    terms: Sequence[Mapping[str, Any]],
) -> CompanyMoney:
    prefs = preferences or {}
    tax_prefs = prefs.get("TaxPrefs") or {}
    currency = prefs.get("CurrencyPrefs") or {}
    country = str((company_info or {}).get("Country") or "US").upper()
    home = currency.get("HomeCurrency")
    return CompanyMoney(
        region_us=country in ("US", "USA"),
        using_sales_tax=tax_prefs.get("UsingSalesTax") is not False,
        tax_codes=tuple(TaxCode(str(c["Id"]), str(c.get("Name") or c["Id"])) for c in tax_codes),
        home_currency=str(home.get("value")) if isinstance(home, Mapping) and home.get("value") else "USD",
        multicurrency=currency.get("MultiCurrencyEnabled") is True,
        terms={str(t.get("Name") or "").casefold(): str(t["Id"]) for t in terms if t.get("Name")},
        term_names={str(t["Id"]): str(t["Name"]) for t in terms if t.get("Name")},
    )


def _ref_value(ref: Any) -> str | None:
    if isinstance(ref, Mapping) and ref.get("value") is not None:
        return str(ref["value"])
    return None


def line_tax_code(
    company: CompanyMoney, policy: MoneyPolicy, item: Mapping[str, Any], product_key: str | None = None
) -> dict[str, str]:
    """The TaxCodeRef for one sales line whose item is `item` (a QuickBooks Item)."""
    taxable = item.get("Taxable") is not False
    if company.region_us:
        return {"value": US_TAXABLE if company.using_sales_tax and item.get("Taxable") is True else US_NOT_TAXABLE}
    keys = [k.casefold() for k in (product_key, str(item.get("Name") or "")) if k]
    for key in keys:
        if key in policy.tax_codes:
            code = company.tax_code(policy.tax_codes[key])
            return {"value": code.id, "name": code.name}
    if (own := _ref_value(item.get("SalesTaxCodeRef"))) is not None:
        return {"value": own}
    wanted = policy.exempt_tax_code if not taxable and policy.exempt_tax_code else policy.default_tax_code
    if not wanted:
        names = ", ".join(c.name for c in company.tax_codes) or "none"
        raise MappingError(
            f"QuickBooks needs a tax code on every line in this company and item {item.get('Name')!r} has none; "
            f"set [sync] default_tax_code (or a per-product entry in [sync] tax_codes) to one of: {names}"
        )
    code = company.tax_code(wanted)
    return {"value": code.id, "name": code.name}


def terms_label(row: Mapping[str, Any]) -> str | None:
    """The CRM Payment Terms label: the formatted value Dataverse sends, else the stock option's label."""
    formatted = row.get(PAYMENT_TERMS_COLUMN + FORMATTED)
    if formatted:
        return str(formatted)
    value = row.get(PAYMENT_TERMS_COLUMN)
    if value is None or value == "":
        return None
    try:
        return PAYMENT_TERMS_LABELS.get(int(value))
    except (TypeError, ValueError):
        return None


_NOISE = re.compile(r"[^0-9a-z%]+")


def same_term(a: str, b: str) -> bool:
    """Two term names are the same term: case, spaces and punctuation (but '%') ignored."""
    return _NOISE.sub("", a.casefold()) == _NOISE.sub("", b.casefold())


def sales_term_ref(company: CompanyMoney, policy: MoneyPolicy, row: Mapping[str, Any]) -> dict[str, str] | None:
    """The SalesTermRef for a CRM row's Payment Terms, or None when it has none or QuickBooks has no such term."""
    label = terms_label(row)
    if not label:
        return None
    name = policy.payment_terms.get(label.casefold(), label)
    term_id = company.terms.get(name.casefold())
    if term_id is None:  # the default table: "2% 10, Net 30" is the Term "2% 10 Net 30"
        term_id = next((i for n, i in company.terms.items() if same_term(n, name)), None)
    return {"value": term_id, "name": company.term_names.get(term_id, name)} if term_id else None


def dress_transaction(
    body: Mapping[str, Any],
    company: CompanyMoney,
    policy: MoneyPolicy,
    *,
    items: Mapping[str, Mapping[str, Any]],
    product_keys: Mapping[str, str] | None = None,
    customer: Mapping[str, Any] | None = None,
    header: Mapping[str, Any] | None = None,
    exchange_rate: Decimal | None = None,
) -> dict[str, Any]:
    """`body` with a tax code on every sales line, the customer's currency and the payment terms.

    `items` maps QuickBooks Item Id -> Item; `product_keys` maps Item Id -> the CRM product number.
    """
    keys = product_keys or {}
    lines: list[dict[str, Any]] = []
    for line in body.get("Line") or []:
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, Mapping):
            item_id = _ref_value(detail.get("ItemRef")) or ""
            item = items.get(item_id) or {"Id": item_id}
            line = {
                **line,
                "SalesItemLineDetail": {
                    **detail,
                    "TaxCodeRef": line_tax_code(company, policy, item, keys.get(item_id)),
                },
            }
        lines.append(dict(line))
    out = {**body, "Line": lines}
    if (
        company.region_us
        and policy.default_tax_code
        and any(
            ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] == US_TAXABLE
            for ln in lines
            if "SalesItemLineDetail" in ln
        )
    ):
        code = company.tax_code(policy.default_tax_code)
        out["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": code.id}}
    if company.multicurrency:
        currency = _ref_value((customer or {}).get("CurrencyRef")) or company.home_currency
        out["CurrencyRef"] = {"value": currency}
        if currency != company.home_currency and exchange_rate is not None:
            # home-currency units per one foreign unit, as QuickBooks records it (manage-multiple-currencies)
            out["ExchangeRate"] = float(exchange_rate)
    if header is not None and (term := sales_term_ref(company, policy, header)) is not None:
        out["SalesTermRef"] = term
    return out
