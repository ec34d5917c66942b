from datetime import UTC, datetime, timedelta

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, JobView, LinkStatus, Source
from inolink_tui.domain.filters import FilterSyntaxError, JobFilter, JobSort, parse_filter

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_full_grammar() -> None:
    f = parse_filter('status:error entity:invoice source:crm by:admin since:2h "Acme Corp"', NOW)
    assert f.statuses == (LinkStatus.ERROR,)
    assert f.entity_types == (EntityType.INVOICE,)
    assert f.sources == (Source.CRM,)
    assert f.submitted_by == ("admin",)
    assert f.submitted_since == NOW - timedelta(hours=2)
    assert f.text == "Acme Corp"


def test_repeated_keys_or_together_and_aliases() -> None:
    f = parse_filter("status:error status:queued source:qbo class:duplicate view:failed", NOW)
    assert f.statuses == (LinkStatus.ERROR, LinkStatus.QUEUED)
    assert f.sources == (Source.ACCOUNTING,)
    assert f.error_classes == (ErrorClass.DUPLICATE,)
    assert f.view is JobView.FAILED


def test_unknown_key_is_free_text_and_colons_survive() -> None:
    f = parse_filter("Parent:Child", NOW)
    assert f.text == "Parent:Child"
    assert f.statuses == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("status:nope", "status:nope"),
        ("since:yesterday", "since:yesterday"),
        ('"open', "quotes"),
        ("id:x1", "whole number"),
        ("status:", "needs a value"),
    ],
)
def test_bad_tokens_are_named(text: str, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text, NOW)
    assert fragment in str(info.value)


def test_describe_round_trips() -> None:
    f = parse_filter('status:error entity:quote by:"Jane Doe" needle', NOW)
    assert parse_filter(f.describe(), NOW) == f
    assert JobFilter().describe() == "all jobs"


def test_sort_rejects_unknown_column() -> None:
    with pytest.raises(ValueError, match="cannot sort"):
        JobSort("password")
