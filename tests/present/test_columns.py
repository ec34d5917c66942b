"""The one column catalogue and its fitting, as the console (separator 1) and the CLI (separator 2) use it."""

from __future__ import annotations

import pytest

from inolink_tui.present.columns import COLUMNS, MARKER, SEPARATOR, fit_columns


def _keys(width: int) -> list[str]:
    return [c.spec.key for c in fit_columns(width)]


def test_80_columns_keep_the_columns_an_operator_needs_and_fill_the_width() -> None:
    fitted = fit_columns(79)
    keys = [c.spec.key for c in fitted]
    for key in ("id", "link_status", "entity_type", "record_name", "error_description", "source"):
        assert key in keys
    assert "processed_count" not in keys and "submitted_by" not in keys
    used = sum(c.width for c in fitted) + SEPARATOR * (len(fitted) - 1)
    assert used == 79


def test_wide_terminal_shows_every_column_in_display_order() -> None:
    keys = _keys(200)
    assert keys == [c.key for c in COLUMNS]


def test_columns_drop_by_priority_as_width_shrinks() -> None:
    previous = len(_keys(200))
    for width in range(200, 30, -10):
        count = len(_keys(width))
        assert count <= previous
        previous = count
    assert "id" in _keys(30)


@pytest.mark.parametrize("width", [61, 80, 100, 120, 150, 200, 300])
def test_cli_spacing_fits_and_keeps_the_essential_columns(width: int) -> None:
    columns = [c for c in COLUMNS if c is not MARKER]
    fitted = fit_columns(width, columns, separator=2)
    assert sum(c.width for c in fitted) + 2 * (len(fitted) - 1) == width
    keys = [c.spec.key for c in fitted]
    assert {"id", "record_name", "link_status", "error_description"} <= set(keys)
    assert keys == [c.key for c in columns if c.key in keys], "column order is stable"


def test_narrow_terminals_keep_the_most_important_columns_first() -> None:
    columns = [c for c in COLUMNS if c is not MARKER]
    assert [c.spec.key for c in fit_columns(40, columns, separator=2)] == ["id", "entity_type", "link_status"]
    assert "processed_count" not in [c.spec.key for c in fit_columns(120, columns, separator=2)]
