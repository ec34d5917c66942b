"""The SQL built from filters: literal LIKE patterns, FTS phrases, whitelisted ORDER BY."""

from __future__ import annotations

import pytest

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.store.sqlfilter import fts_phrase, like_pattern, order_by, where_for


def test_like_pattern_escapes_wildcards_and_the_escape() -> None:
    assert like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


def test_fts_phrase_quotes_everything() -> None:
    assert fts_phrase('say "hi" OR NOT x*') == '"say ""hi"" OR NOT x*"'


def test_user_values_only_travel_as_parameters() -> None:
    hostile = "'; DROP TABLE jobs; --"
    where = where_for(JobFilter(text=hostile, submitted_by=(hostile,), companies=(hostile,)), 0)
    assert "DROP" not in where.sql and hostile in where.params


@pytest.mark.parametrize("descending", [True, False])
def test_order_by_always_breaks_ties_on_id(descending: bool) -> None:
    direction = "DESC" if descending else "ASC"
    assert order_by(JobSort("record_name", descending)) == f"record_name {direction}, id {direction}"
    assert order_by(JobSort("id", descending)) == f"id {direction}"


def test_short_text_skips_the_trigram_index() -> None:
    assert "job_text" not in where_for(JobFilter(text="ab"), 0).sql
    assert "job_text" in where_for(JobFilter(text="abc"), 0).sql
    digits = where_for(JobFilter(text="42"), 0)
    assert digits.sql.count("id = ?") == 1 and digits.params[0] == 42
