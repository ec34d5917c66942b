"""Sales tax on sales forms: the US model (TAX / NON per line, one transaction tax code) and the non-US
model (a TaxCode on every line, tax computed from its rates).

Sources:
- https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales: a US
  line is taxable or not (`SalesItemLineDetail.TaxCodeRef` "TAX" or "NON"); the transaction names the
  rate with `TxnTaxDetail.TxnTaxCodeRef` (a tax code or tax group such as the seeded "California", 8%)
  and QuickBooks computes `TxnTaxDetail.TotalTax` and its `TaxLine` from the taxable lines. Without a
  TxnTaxCodeRef the sandbox keeps the TotalTax the client sends (0 by default), as before.
- https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales:
  "For each sales item line subject to sales tax, set its SalesItemLineDetail.TaxCodeRef attribute to
  reference the applicable TaxCode object. When creating or updating sales transactions, QuickBooks
  Online automatically calculates tax and returns the amount in the TxnTaxDetail.TotalTax attribute"; the
  company "must be enabled to use sales tax" (Preferences.TaxPrefs.UsingSalesTax true).
- A US line TaxCodeRef other than TAX/NON: fault 6100 "Invalid Line TaxCode in the request", detail
  "Valid line TaxCodes for US should be TAX or NON. Supplied value: 8", element
  "Line.SalesItemLineDetail.TaxCodeRef" (a captured answer: https://stackoverflow.com/questions/30780062).
- A non-US line without a TaxCodeRef: Intuit's reference documents no fault. Integrators report
  "Business Validation Error: Make sure all your transactions have a GST/HST rate before you save."
  (Canada; https://ww3.autotask.net/help/Content/KB_Autotask/QuickBooks%20Online%20QBO/KB360030193511.html);
  the sandbox answers 6000 with that detail, naming VAT (UK) or GST (AU) for the other regions (the UK
  and AU wordings are assumed by analogy).

Rounding: tax per rate on the sum of the lines' amounts, half up to the cent (the guides do not say
whether QuickBooks rounds per line or per rate).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import money, number, zero
from inolink_tui.sandbox.quickbooks.rules.common import ref_id

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

US_LINE_CODES = ("TAX", "NON")
TAX_NAME = {"CA": "GST/HST", "UK": "VAT", "GB": "VAT", "AU": "GST"}


def region(state: QboState) -> str:
    company = state.raw("CompanyInfo", "1") or {}
    return str(company.get("Country") or "US").upper()


def line_tax_code(state: QboState, item: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    """The TaxCodeRef a sales line ends with, or the fault its tax code gets."""
    given = detail.get("TaxCodeRef")
    if region(state) == "US":
        code = ref_id(given, "TaxCodeRef") if given else ("TAX" if item.get("Taxable") else "NON")
        if code not in US_LINE_CODES:
            raise QboFault(
                "6100",
                "Invalid Line TaxCode in the request",
                f"Valid line TaxCodes for US should be TAX or NON. Supplied value: {code}",
                element="Line.SalesItemLineDetail.TaxCodeRef",
            )
        return {"value": code}
    if not given:
        name = TAX_NAME.get(region(state), "tax")
        raise errors.business(f"Make sure all your transactions have a {name} rate before you save.")
    code = ref_id(given, "TaxCodeRef")
    record = state.lookup("TaxCode", code, element="TaxCodeRef")
    return {"value": code, "name": record.get("Name")} if record.get("Name") else {"value": code}


def _rates(state: QboState, code_id: str) -> list[tuple[str, str, Decimal]]:
    code = state.raw("TaxCode", code_id) or {}
    details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    out: list[tuple[str, str, Decimal]] = []
    for detail in details:
        rate_id = str((detail.get("TaxRateRef") or {}).get("value", ""))
        rate = state.raw("TaxRate", rate_id)
        if rate is not None:
            out.append((rate_id, str(rate.get("Name", "")), number(rate.get("RateValue", 0), "RateValue")))
    return out


def _tax_lines(state: QboState, taxable: dict[str, Decimal]) -> tuple[list[dict[str, Any]], Decimal]:
    """TaxLine entries and their total, from net amounts per tax code id."""
    per_rate: dict[tuple[str, str, Decimal], Decimal] = {}
    for code_id, net in taxable.items():
        for rate in _rates(state, code_id):
            per_rate[rate] = per_rate.get(rate, zero()) + net
    lines: list[dict[str, Any]] = []
    total = zero()
    for (rate_id, _name, percent), net in sorted(per_rate.items()):
        amount = money(net * percent / Decimal(100), "TaxLine.Amount")
        total += amount
        lines.append(
            {
                "Amount": amount,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate_id},
                    "PercentBased": True,
                    "TaxPercent": percent,
                    "NetAmountTaxable": net,
                },
            }
        )
    return lines, total


def txn_tax(state: QboState, out: dict[str, Any], lines: list[dict[str, Any]]) -> Decimal:
    """Fill TxnTaxDetail and return the transaction's total tax."""
    detail = out.get("TxnTaxDetail") if isinstance(out.get("TxnTaxDetail"), dict) else {}
    assert isinstance(detail, dict)
    sales = [ln for ln in lines if isinstance(ln.get("SalesItemLineDetail"), dict)]
    if region(state) == "US":
        code_ref = detail.get("TxnTaxCodeRef")
        if not code_ref:
            total_tax = money(detail.get("TotalTax", 0), "TotalTax")
            out["TxnTaxDetail"] = {**detail, "TotalTax": total_tax}
            return total_tax
        code = ref_id(code_ref, "TxnTaxCodeRef")
        if code in US_LINE_CODES:
            raise errors.invalid_reference("TaxCode", "TxnTaxCodeRef", code)
        state.lookup("TaxCode", code, element="TxnTaxCodeRef")
        net = sum(
            (
                money(ln["Amount"], "Amount")
                for ln in sales
                if ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"
            ),
            zero(),
        )
        tax_lines, total_tax = _tax_lines(state, {code: net})
        out["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": code}, "TotalTax": total_tax, "TaxLine": tax_lines}
        return total_tax
    taxable: dict[str, Decimal] = {}
    for ln in sales:
        code = ln["SalesItemLineDetail"]["TaxCodeRef"]["value"]
        taxable[code] = taxable.get(code, zero()) + money(ln["Amount"], "Amount")
    tax_lines, total_tax = _tax_lines(state, taxable)
    out["TxnTaxDetail"] = {"TotalTax": total_tax, "TaxLine": tax_lines}
    return total_tax
