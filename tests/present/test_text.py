"""The one cleaning rule, cell width and fitting shared by the CLI and the console."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.present.text import BIDI_CONTROLS, cell_width, clean, fit, is_unsafe


@given(st.text())
def test_clean_leaves_no_control_bidi_or_line_separator(text: str) -> None:
    out = clean(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in out)
    assert not any(ch in out for ch in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not any(is_unsafe(ch) for ch in out)


def test_clean_shows_what_it_replaced() -> None:
    assert clean("\x1b[2J\x07") == "\\x1b[2J\\x07"
    assert clean("a\u202eb") == "a\\u202eb"
    assert clean("a\u061cb") == "a\\u061cb"  # the Arabic letter mark the console's old rule let through
    assert clean("\x9b31m\x7f") == "\\x9b31m\\x7f"  # C1 CSI and DEL
    assert clean("a\u2028b") == "a\\u2028b"
    assert clean("one\ntwo\tthree\rfour") == "one two three four"
    assert clean("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert clean("emoji 👍 漢字 👨\u200d👩\u200d👧") == "emoji 👍 漢字 👨\u200d👩\u200d👧"


def test_every_unicode_bidi_control_is_unsafe() -> None:
    """The full Bidi_Control list of Unicode's PropList.txt, written out here rather than imported."""
    bidi_control = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    assert {chr(cp) for cp in bidi_control} == BIDI_CONTROLS
    assert all(is_unsafe(chr(cp)) for cp in bidi_control)


def test_cell_width_counts_wide_zero_width_and_joined_glyphs() -> None:
    assert cell_width("abc") == 3
    assert cell_width("漢字") == 4
    assert cell_width("e\u0301") == 1  # combining accent
    assert cell_width("a\u200bb") == 2  # zero-width space
    assert cell_width("👨\u200d👩\u200d👧") == 2  # one family glyph


@given(st.text(), st.integers(min_value=1, max_value=80))
def test_fit_is_exactly_the_width_asked(text: str, width: int) -> None:
    cleaned = clean(text)
    assert cell_width(fit(cleaned, width)) == width
    assert cell_width(fit(cleaned, width, "right")) == width


def test_fit_pads_cuts_with_ellipsis_and_aligns() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abc", 5, "right") == "  abc"
    assert fit("abcdefgh", 5) == "abcd…"
    assert fit("anything", 0) == ""
    assert fit("漢字テスト", 6) == "漢字 …"  # the third wide character would straddle the edge: dropped whole


def test_a_zero_width_joiner_stays_only_inside_an_emoji_sequence() -> None:
    family = "👨\u200d👩\u200d👧"
    assert clean(family) == family
    assert clean("👍🏽\u200d👍 \u2764\ufe0f\u200d🔥") == "👍🏽\u200d👍 \u2764\ufe0f\u200d🔥"
    assert clean("a\u200db \u200d👨 family\u200d") == "ab 👨 family"


_TRICKY = st.sampled_from(
    [
        "a",
        " ",
        "\u200d",
        "\u200c",
        "\u200b",
        "\u0301",
        "👍",
        "🏽",
        "\ufe0f",
        "漢",
        "\u2764",
        "🇫",
        "🇷",
        "\u0915",
        "\u094d",
    ]
)


@given(st.lists(_TRICKY, max_size=10).map("".join), st.integers(min_value=1, max_value=12))
def test_a_fitted_cell_keeps_its_width_next_to_its_neighbours(text: str, width: int) -> None:
    """A row is cells joined by spaces: no cell may eat (or be eaten by) the cells beside it."""
    for align in ("left", "right"):
        cell = fit(clean(text), width, align)
        assert cell_width(cell) == width
        assert cell_width(f"  {cell}  ") == width + 4
        assert cell_width(f"{cell}{cell}") == 2 * width
