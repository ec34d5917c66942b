"""Money and dates as QuickBooks computes them: Decimal amounts to the cent, dates in the company offset."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from inolink_tui.sandbox.quickbooks.errors import QboFault

CENT = Decimal("0.01")


def money(value: Any, element: str) -> Decimal:
    """Parse an amount from JSON (number or numeric string) and round it to cents."""
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise QboFault(
            "2090", "Invalid Number", f"Invalid Number : {value} is not a valid number", element=element
        ) from None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any, element: str) -> Decimal:
    """A quantity or rate: kept at the precision the client sent."""
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        parsed = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not parsed.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise QboFault(
            "2090", "Invalid Number", f"Invalid Number : {value} is not a valid number", element=element
        ) from None
    return parsed


def zero() -> Decimal:
    return Decimal("0.00")
