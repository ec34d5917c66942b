"""Terminal safety and layout of the job table, and the JSON/CSV writers."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.cli.job_render import (
    COLUMNS,
    CsvWriter,
    JsonArrayWriter,
    cell_width,
    clean,
    csv_value,
    fit,
    layout,
)
from inolink_tui.domain.jobs import EXPORT_COLUMNS


@given(st.text())
def test_clean_leaves_no_control_or_bidi_characters(text: str) -> None:
    out = clean(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in out)
    assert not any(ch in out for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_clean_shows_what_it_replaced() -> None:
    assert clean("\x1b[2J\x07") == "\\x1b[2J\\x07"
    assert clean("a\u202eb") == "a\\u202eb"
    assert clean("one\ntwo\tthree") == "one two three"
    assert clean("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert clean("emoji 👍 漢字") == "emoji 👍 漢字"


@given(st.text(), st.integers(min_value=2, max_value=80))
def test_fit_is_exactly_the_width_asked(text: str, width: int) -> None:
    cleaned = clean(text)
    out = fit(cleaned, width)
    assert cell_width(out) == width or (cell_width(out) == width - 1 and out.rstrip(" ").endswith("…"))
    assert cell_width(fit(cleaned, width, right=True)) in (width - 1, width)


def test_fit_truncates_wide_characters_without_splitting_them() -> None:
    assert fit("漢字テスト", 6) == "漢字… "
    assert fit("abc", 5, right=True) == "  abc"


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 150, 200, 300])
def test_layout_fits_and_keeps_the_essential_columns(width: int) -> None:
    columns = layout(width)
    used = sum(w for _, w in columns) + 2 * (len(columns) - 1)
    assert used == width
    keys = [c.key for c, _ in columns]
    assert {"id", "record_name", "link_status", "error"} <= set(keys)
    assert keys == [c.key for c in COLUMNS if c.key in keys], "column order is stable"


def test_layout_drops_processed_at_first_and_keeps_everything_when_wide() -> None:
    assert len(layout(250)) == len(COLUMNS)
    narrower = [c.key for c, _ in layout(160)]
    assert "processed_at" not in narrower and "submitted_at" in narrower


def test_json_writer_streams_a_valid_array() -> None:
    for rows in ([], [{"a": 1}], [{"a": "x\ny"}, {"b": None}]):
        out = io.StringIO()
        writer = JsonArrayWriter(out, ascii_only=True)
        for row in rows:
            writer.write(row)
        writer.close()
        assert json.loads(out.getvalue()) == rows
    empty = io.StringIO()
    JsonArrayWriter(empty, ascii_only=False).close()
    assert empty.getvalue() == "[]\n"


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))), max_size=5))
def test_csv_writer_round_trips_any_text(values: list[str]) -> None:
    out = io.StringIO(newline="")
    writer = CsvWriter(out)
    rows = [{"id": i, "record_name": v, "error_description": v, "inactive": bool(i % 2)} for i, v in enumerate(values)]
    for row in rows:
        writer.write(row)
    back = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [r["record_name"] for r in back] == values
    assert [r["inactive"] for r in back] == [csv_value(row["inactive"]) for row in rows]
    assert all(tuple(r) == EXPORT_COLUMNS for r in back)
