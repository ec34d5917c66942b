"""Currencies: the home currency, multicurrency, customers' currencies and transactions in them.

Sources:
- https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies: multicurrency
  is off by default, "cannot be disabled once it's been enabled", and "is enabled from the QuickBooks
  Online UI, only. It cannot be enabled via the API" (the sandbox's control API plays the UI); "Once set,
  the company's home currency cannot be changed"; ExchangeRate is "the number of home currency units it
  takes to equal one foreign currency unit"; HomeTotalAmt is the total in the home currency, "calculated
  by QuickBooks business logic"; a customer's currency: "Once configured, it cannot be changed".
- most-commonly-used/customer, CurrencyRef: "Once set, it cannot be changed. If specified currency is not
  currently in the company's currency list, it is added. If not specified, currency for this customer is
  the home currency of the company, as defined by Preferences.CurrencyPrefs.HomeCurrency."
- all-entities/payment (and the sales forms), CurrencyRef: "This must be defined if multicurrency is
  enabled for the company" - the sandbox takes the customer's currency when it is omitted, as the
  QuickBooks UI does; the reference calls it required but documents no fault for its absence.
- all-entities/companycurrency: the currencies a company uses besides its home currency (Code, Name,
  Active); all-entities/exchangerate: one rate per currency and date (defaults to 1 when none is known).

Refusals (none of their codes is documented; each is the business-validation fault 6000, reference §11; the
currency mismatch's detail is QuickBooks' own wording as integrators capture it, see `txn_currency`):
a foreign CurrencyRef with multicurrency off; a customer's currency changed; a transaction whose
CurrencyRef differs from its customer's; a currency code the sandbox does not know (2500, as any
unknown reference).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.money import boolean, money, number

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "GBP": "British Pound Sterling",
    "AUD": "Australian Dollar",
    "EUR": "Euro",
    "INR": "Indian Rupee",
    "MXN": "Mexican Peso",
    "JPY": "Japanese Yen",
}
CENT_RATE = Decimal("0.000001")


def _prefs(state: QboState) -> dict[str, Any]:
    record = state.raw("Preferences", "1") or {}
    prefs = record.get("CurrencyPrefs")
    return prefs if isinstance(prefs, dict) else {}


def home_currency(state: QboState) -> str:
    home = _prefs(state).get("HomeCurrency")
    return str(home.get("value", "USD")) if isinstance(home, dict) else "USD"


def multicurrency(state: QboState) -> bool:
    return _prefs(state).get("MultiCurrencyEnabled") is True


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def _code(value: Any) -> str:
    raw = value.get("value") if isinstance(value, dict) else value
    if not isinstance(raw, str) or not raw.strip():
        raise errors.required("CurrencyRef.value")
    code = raw.strip().upper()
    if code not in CURRENCY_NAMES:
        raise errors.invalid_reference("Currency", "CurrencyRef", code)
    return code


def _foreign_allowed(state: QboState, code: str) -> None:
    if code != home_currency(state) and not multicurrency(state):
        raise errors.business(
            f"Multicurrency is not enabled for this company: {code} is not its home currency ({home_currency(state)}).",
            element="CurrencyRef",
        )


def ensure_company_currency(state: QboState, code: str) -> None:
    """A currency used for the first time joins the company's currency list (customer reference)."""
    if code == home_currency(state):
        return
    if any(r.get("Code") == code for r in state.records["CompanyCurrency"].values()):
        return
    state.create("CompanyCurrency", {"Code": code, "Name": CURRENCY_NAMES.get(code, code)})


def customer_currency(state: QboState, out: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Set on create (home currency by default); the same currency on every later write."""
    current = (existing or {}).get("CurrencyRef")
    wanted = _code(out["CurrencyRef"]) if out.get("CurrencyRef") else None
    if isinstance(current, dict) and current.get("value"):
        if wanted is not None and wanted != current["value"]:
            raise errors.business(
                f"The currency of a customer cannot be changed once it is set (it is {current['value']}).",
                element="CurrencyRef",
            )
        out["CurrencyRef"] = dict(current)
        return
    code = wanted or home_currency(state)
    _foreign_allowed(state, code)
    out["CurrencyRef"] = currency_ref(code)


def rate_for(state: QboState, code: str, on: str) -> Decimal:
    """The latest known rate on or before `on` (an ISO date), 1 when none is known."""
    if code == home_currency(state):
        return Decimal(1)
    best: tuple[str, Decimal] | None = None
    for record in state.records["ExchangeRate"].values():
        if record.get("SourceCurrencyCode") != code:
            continue
        as_of = str(record.get("AsOfDate", ""))
        if as_of <= on and (best is None or as_of > best[0]):
            best = (as_of, number(record.get("Rate", 1), "Rate"))
    return best[1] if best else Decimal(1)


def txn_currency(state: QboState, out: dict[str, Any], customer: dict[str, Any] | None) -> None:
    """A transaction is in its customer's currency, with the exchange rate and the home-currency total."""
    customer_code = ((customer or {}).get("CurrencyRef") or {}).get("value") or home_currency(state)
    code = _code(out["CurrencyRef"]) if out.get("CurrencyRef") else str(customer_code)
    _foreign_allowed(state, code)
    if code != customer_code:
        # QuickBooks keeps one A/R account per currency, the customer's; its refusal as integrators capture it:
        # "The transaction needs to be in the same currency as the A/R and A/P accounts you use."
        # (help.connexecommerce.com, "QuickBooks Online Error Messages"); the code (6000) is not documented.
        raise errors.business(
            "The transaction needs to be in the same currency as the A/R and A/P accounts you use.",
            element="CurrencyRef",
        )
    out["CurrencyRef"] = currency_ref(code)
    if code == home_currency(state):
        out.pop("ExchangeRate", None)
        out.pop("HomeTotalAmt", None)
        if multicurrency(state):
            out["ExchangeRate"] = Decimal(1)
        return
    if out.get("ExchangeRate") is not None:
        rate = number(out["ExchangeRate"], "ExchangeRate")
        if rate <= 0:
            raise errors.business("ExchangeRate must be greater than zero.", element="ExchangeRate")
    else:
        rate = rate_for(state, code, str(out.get("TxnDate") or state.today()))
    out["ExchangeRate"] = rate
    if out.get("TotalAmt") is not None:
        out["HomeTotalAmt"] = money(Decimal(str(out["TotalAmt"])) * rate, "HomeTotalAmt")


def company_currency(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    """all-entities/companycurrency: Code required (ISO 4217), one record per code, never the home currency."""
    out = dict(body)
    code = _code({"value": out.get("Code")})
    if existing is not None and existing.get("Code") != code:
        raise errors.business("The code of a currency cannot be changed.", element="Code")
    if code == home_currency(state):
        raise errors.business(f"{code} is the home currency.", element="Code")
    if any(r.get("Code") == code for i, r in state.records["CompanyCurrency"].items() if i != rid):
        raise errors.duplicate_name(documented=False)
    out["Code"] = code
    out["Name"] = CURRENCY_NAMES[code]
    out["Active"] = boolean(out.get("Active"), "Active", True)
    return out


def exchange_rate(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    """Seeded only: SourceCurrencyCode, Rate and AsOfDate (all-entities/exchangerate)."""
    out = dict(body)
    out["SourceCurrencyCode"] = _code({"value": out.get("SourceCurrencyCode")})
    out["TargetCurrencyCode"] = home_currency(state)
    out["Rate"] = number(out.get("Rate", 1), "Rate")
    out["AsOfDate"] = str(out.get("AsOfDate") or state.today())
    return out


def exchange_rate_for(state: QboState, source: str | None, as_of: str | None) -> dict[str, Any]:
    """all-entities/exchangerate "Read": `GET /exchangerate?sourcecurrencycode=<code>[&asofdate=<date>]`, the
    rate in force on that date (today by default): the latest one recorded on or before it."""
    if not source:
        raise errors.required("sourcecurrencycode")
    code = _code(source)
    wanted = as_of or state.today()
    best: dict[str, Any] | None = None
    for record in state.records["ExchangeRate"].values():
        if record.get("SourceCurrencyCode") != code or str(record.get("AsOfDate", "")) > wanted:
            continue
        if best is None or str(record["AsOfDate"]) > str(best["AsOfDate"]):
            best = record
    if best is None:
        raise errors.object_not_found()
    return dict(best)
