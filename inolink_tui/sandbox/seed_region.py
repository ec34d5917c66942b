"""The company's region and currencies: what a non-US or a multicurrency QuickBooks company is seeded with.

A US company (the default) has the TAX / NON line codes and the California rate (seed_settings.py).
A Canadian, British or Australian company has no TAX / NON: its TaxCodes are the region's rates
(the non-US tax guide, developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales,
whose examples name "GST", "Exempt From VAT" and similar codes), every sales line must name one, and
its home currency is the region's. The rates are the public standard rates (CA: GST 5 %, HST Ontario
13 %; UK: VAT 20 % / 5 % / 0 %; AU: GST 10 %). With multicurrency on (a switch the QuickBooks UI alone
can turn on: the manage-multiple-currencies guide), a few customers are in foreign currencies and the
company has exchange rates for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


@dataclass(frozen=True)
class Region:
    country: str
    currency: str
    tax_codes: tuple[tuple[str, Decimal], ...]
    """(name, rate %) in Id order; the first is the standard (taxable) code, the last the exempt one."""
    foreign: tuple[tuple[str, Decimal], ...]
    """Currencies foreign customers use under multicurrency, with their rate to the home currency."""


REGIONS: dict[str, Region] = {
    "US": Region("US", "USD", (), (("CAD", Decimal("0.73")), ("EUR", Decimal("1.08")))),
    "CA": Region(
        "CA",
        "CAD",
        (("GST", Decimal(5)), ("HST ON", Decimal(13)), ("Zero-rated", Decimal(0)), ("Exempt", Decimal(0))),
        (("USD", Decimal("1.36")), ("EUR", Decimal("1.47"))),
    ),
    "UK": Region(
        "GB",
        "GBP",
        (("20.0% S", Decimal(20)), ("5.0% R", Decimal(5)), ("0.0% Z", Decimal(0)), ("Exempt", Decimal(0))),
        (("EUR", Decimal("0.85")), ("USD", Decimal("0.79"))),
    ),
    "AU": Region(
        "AU",
        "AUD",
        (("GST", Decimal(10)), ("GST free", Decimal(0))),
        (("USD", Decimal("1.52")), ("EUR", Decimal("1.64"))),
    ),
}
REGION_NAMES = tuple(REGIONS)


def region_of(qbo: QboState) -> Region:
    company = qbo.raw("CompanyInfo", "1") or {}
    country = str(company.get("Country") or "US")
    for region in REGIONS.values():
        if region.country == country:
            return region
    return REGIONS["US"]


def seed_region_taxes(qbo: QboState, region: Region) -> None:
    """The region's tax rates and codes (Ids from 3, after the US-style reserved ones)."""
    for index, (name, percent) in enumerate(region.tax_codes):
        rid = str(index + 3)
        rate = qbo.create(
            "TaxRate",
            {"Name": f"{name} (sales)", "Description": name, "RateValue": percent, "AgencyRef": {"value": "1"}},
            record_id=rid,
        )
        qbo.create(
            "TaxCode",
            {
                "Name": name,
                "Description": name,
                "Taxable": percent > 0,
                "TaxGroup": False,
                "SalesTaxRateList": {
                    "TaxRateDetail": [
                        {"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]}, "TaxTypeApplicable": "TaxOnAmount"}
                    ]
                },
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            },
            record_id=rid,
        )


def line_tax_ref(qbo: QboState, item: dict[str, Any]) -> dict[str, str] | None:
    """The TaxCodeRef a person would pick for a line in a non-US company (None in the US: TAX/NON default)."""
    region = region_of(qbo)
    if not region.tax_codes:
        return None
    taxable = item.get("Taxable", True) is not False
    return {"value": "3" if taxable else str(len(region.tax_codes) + 2)}


def enable_multicurrency(qbo: QboState) -> None:
    """What the UI switch does: MultiCurrencyEnabled on (for good), the region's foreign currencies and rates."""
    prefs = qbo.raw("Preferences", "1")
    if prefs is None:
        raise ValueError("the company has no Preferences")
    if (prefs.get("CurrencyPrefs") or {}).get("MultiCurrencyEnabled") is True:
        return
    # not through qbo.update: the API refuses this change (rules/lists.py), only the UI makes it
    qbo.touch("Preferences", "1", {"CurrencyPrefs": {**prefs["CurrencyPrefs"], "MultiCurrencyEnabled": True}})
    region = region_of(qbo)
    today = qbo.today()
    for code, rate in region.foreign:
        qbo.create("CompanyCurrency", {"Code": code})
        qbo.create(
            "ExchangeRate",
            {"SourceCurrencyCode": code, "Rate": rate, "AsOfDate": "2024-01-01"},
            record_id=f"{code}-2024-01-01",
        )
        qbo.create(
            "ExchangeRate", {"SourceCurrencyCode": code, "Rate": rate, "AsOfDate": today}, record_id=f"{code}-{today}"
        )


def foreign_customer(qbo: QboState, index: int) -> dict[str, Any]:
    """Every third QuickBooks-only customer pays in a foreign currency when multicurrency is on."""
    prefs = (qbo.raw("Preferences", "1") or {}).get("CurrencyPrefs") or {}
    foreign = region_of(qbo).foreign
    if prefs.get("MultiCurrencyEnabled") is not True or index % 3 != 1 or not foreign:
        return {}
    return {"CurrencyRef": {"value": foreign[(index // 3) % len(foreign)][0]}}
