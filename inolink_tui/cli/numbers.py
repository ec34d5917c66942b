"""Bounded number types for command-line options: a value the code behind an option cannot use is refused by click
in one line (exit 2) instead of surfacing later as an OverflowError or a loop that never ends."""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteRange(click.FloatRange):
    """click.FloatRange that also refuses NaN (every comparison with NaN is false, so FloatRange lets it through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if isinstance(number, float) and math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number
