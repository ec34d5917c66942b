"""Issue 12 item 3: every value the filter grammar takes is bounded, so a typo is a FilterSyntaxError, never a crash.

The property runs each parsed filter through the store's SQL too: a filter the grammar accepts must be one the
store can run (SQLite binds only 64-bit integers; Python's dates end at years 1 and 9999).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inolink_tui.domain.filters import MAX_DURATION, FilterSyntaxError, parse_duration, parse_filter
from inolink_tui.store.schema import migrate
from inolink_tui.store.sqlfilter import where_for

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["since:99999999d", "until:99999999w", "since:9999999999999999999999999999s", "id:99999999999999999999",
     "since:0001-01-01", "until:9999-12-31T23:59:59-14:00", "since:0001-01-01T00:00+14:00"],
)  # fmt: skip
def test_out_of_range_values_are_a_syntax_error_naming_the_token(text: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text, NOW)
    assert "\n" not in str(caught.value)
    assert text.split(":", 1)[1] in str(caught.value)


def test_the_longest_duration_is_accepted_and_one_more_is_not() -> None:
    assert parse_duration("36500d") == MAX_DURATION
    assert parse_duration("5214w") <= MAX_DURATION
    with pytest.raises(FilterSyntaxError, match="at most 36500d"):
        parse_duration("36501d")


_NUMBER = st.one_of(
    st.integers(min_value=0, max_value=10**40).map(str),
    st.text(alphabet="0123456789", min_size=1, max_size=60),
)
_VALUE = st.one_of(
    st.tuples(_NUMBER, st.sampled_from("smhdwSMHDWx")).map("".join),
    _NUMBER,
    st.dates().map(str),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.text(max_size=12),
)
_TOKEN = st.one_of(
    st.tuples(st.sampled_from(["since", "until", "id", "status", "class", "by", "processing", "view"]), _VALUE).map(
        lambda kv: f"{kv[0]}:{kv[1]}"
    ),
    _NUMBER,
    st.text(max_size=20),
)


@pytest.fixture(scope="module")
def conn() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrate(db)
    return db


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(_TOKEN, min_size=1, max_size=4))
def test_any_filter_is_parsed_or_refused_and_the_store_can_run_it(conn: sqlite3.Connection, tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        job_filter = parse_filter(text, NOW)
    except FilterSyntaxError as exc:
        assert str(exc)
        return
    where = where_for(job_filter, 0)
    conn.execute("SELECT count(*) FROM jobs WHERE " + where.sql, where.params).fetchone()
    for bound in (job_filter.submitted_since, job_filter.submitted_until):
        assert bound is None or datetime(1900, 1, 1, tzinfo=UTC) <= bound <= datetime(9999, 12, 31, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(number=st.integers(min_value=0, max_value=10**30), unit=st.sampled_from("smhdw"))
def test_a_duration_is_at_most_a_century(number: int, unit: str) -> None:
    try:
        age = parse_duration(f"{number}{unit}")
    except FilterSyntaxError:
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
        assert number * seconds > MAX_DURATION.total_seconds()
        return
    assert age <= MAX_DURATION
    assert NOW - age < NOW + timedelta(seconds=1)
