"""Layout of the `jobs list` table, and the JSON/CSV writers (cleaning and fitting: tests/present)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.cli.job_render import CsvWriter, JsonArrayWriter, csv_value, layout, table_header
from inolink_tui.domain.jobs import EXPORT_COLUMNS
from inolink_tui.present.columns import COLUMNS
from inolink_tui.present.text import cell_width


@pytest.mark.parametrize("width", [61, 80, 120, 200, 300])
def test_layout_fills_the_terminal_with_the_essential_columns(width: int) -> None:
    columns = layout(width)
    assert sum(c.width for c in columns) + 2 * (len(columns) - 1) == width
    assert {"id", "record_name", "link_status", "error_description"} <= {c.spec.key for c in columns}
    assert "marker" not in {c.spec.key for c in columns}
    assert cell_width(table_header(columns)) <= width


def test_layout_drops_the_least_important_columns_first_and_keeps_everything_when_wide() -> None:
    assert len(layout(250)) == len(COLUMNS) - 1  # every column but the console's marker
    narrower = [c.spec.key for c in layout(120)]
    assert "processed_count" not in narrower and "submitted_at" in narrower


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
