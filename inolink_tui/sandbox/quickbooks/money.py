"""Money and numbers as QuickBooks takes them: Decimal amounts to the cent, anything unparseable a fault.

Amounts are bounded (QuickBooks stores at most 15 significant digits) so arithmetic on them never leaves
Decimal's precision and a huge number is a clear 2090 fault instead of a crash.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from inolink_tui.sandbox.quickbooks.errors import QboFault

CENT = Decimal("0.01")
LIMIT = Decimal("1e13")


def _invalid(value: Any, element: str) -> QboFault:
    return QboFault("2090", "Invalid Number", f"Invalid Number : {value} is not a valid number", element=element)


def number(value: Any, element: str) -> Decimal:
    """A quantity or rate: kept at the precision the client sent, within QuickBooks' range."""
    try:
        if isinstance(value, bool) or value is None:
            raise InvalidOperation
        parsed = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not parsed.is_finite() or abs(parsed) >= LIMIT:
            raise InvalidOperation
    except (ArithmeticError, ValueError):
        raise _invalid(value, element) from None
    return parsed


def money(value: Any, element: str) -> Decimal:
    """Parse an amount from JSON (number or numeric string) and round it to cents."""
    parsed = number(value, element)
    try:
        return parsed.quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        raise _invalid(value, element) from None


def zero() -> Decimal:
    return Decimal("0.00")


def unit_price(amount: Decimal, qty: Decimal) -> Decimal:
    """The UnitPrice QuickBooks derives from Amount / Qty, to seven places."""
    try:
        return number((amount / qty).quantize(Decimal("0.0000001")).normalize(), "UnitPrice")
    except ArithmeticError:
        raise _invalid(amount / qty if qty else amount, "UnitPrice") from None


def integer(value: Any, element: str) -> int:
    parsed = number(value, element)
    if parsed != parsed.to_integral_value():
        raise _invalid(value, element)
    return int(parsed)


def boolean(value: Any, element: str, default: bool) -> bool:
    """JSON booleans (and the strings "true"/"false", which Jackson also accepts); anything else is a fault."""
    if value is None or value == "":
        # an empty string reads as absent: python-quickbooks sends CreditMemo.ApplyTaxAfterDiscount as ""
        # and the real (Jackson-based) service accepts it, coercing "" to null for a Boolean
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise QboFault("2100", "Invalid Boolean", f"Invalid Boolean : {value} is not a valid boolean", element=element)
