from rich.cells import cell_len

from inolink_tui.ui.columns import COLUMNS, SEPARATOR, clean, fit_cell, fit_columns


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


def test_fit_cell_pads_cuts_with_ellipsis_and_aligns() -> None:
    assert fit_cell("abc", 5) == "abc  "
    assert fit_cell("abc", 5, "right") == "  abc"
    assert fit_cell("abcdefgh", 5) == "abcd…"
    assert cell_len(fit_cell("日本語テキスト", 6)) == 6
    assert fit_cell("日本語テキスト", 6).endswith("…")


def test_clean_removes_control_and_bidi_characters() -> None:
    assert clean("a\tb\nc\x1b[31m\u202eevil") == "a b c [31m evil"
