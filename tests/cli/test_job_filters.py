"""How options and the --filter grammar combine into one JobFilter."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import click
import pytest

from inolink_tui.cli.job_filters import LabelChoice, SortColumn, build_filter
from inolink_tui.domain.enums import EntityType, JobView, LinkStatus, Source

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_no_options_is_every_job() -> None:
    assert build_filter(now=NOW) is not None
    assert build_filter(now=NOW).is_empty  # type: ignore[union-attr]


def test_options_and_grammar_intersect() -> None:
    f = build_filter(
        statuses=[LinkStatus.ERROR],
        filter_text="status:error status:queued entity:invoice since:2h",
        sources=[Source.CRM],
        now=NOW,
    )
    assert f is not None
    assert f.statuses == (LinkStatus.ERROR,)
    assert f.entity_types == (EntityType.INVOICE,)
    assert f.sources == (Source.CRM,)
    assert f.submitted_since == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_contradictions_match_nothing() -> None:
    assert build_filter(statuses=[LinkStatus.SUCCESS], filter_text="status:error", now=NOW) is None
    assert build_filter(view=JobView.INACTIVE, filter_text="view:active", now=NOW) is None


def test_views_narrow() -> None:
    f = build_filter(view=JobView.ACTIVE, filter_text="view:failed", now=NOW)
    assert f is not None and f.view is JobView.FAILED
    f = build_filter(view=JobView.ALL, filter_text="view:inactive", now=NOW)
    assert f is not None and f.view is JobView.INACTIVE


def test_search_and_free_text() -> None:
    f = build_filter(search="duplicate", filter_text="status:error", now=NOW)
    assert f is not None and f.text == "duplicate"
    f = build_filter(search="Duplicate", filter_text="duplicate", now=NOW)
    assert f is not None and f.text.casefold() == "duplicate", "the same text twice is not a conflict"
    with pytest.raises(click.BadParameter, match="give the text once"):
        build_filter(search="one", filter_text="two", now=NOW)


def test_grammar_errors_become_bad_parameter() -> None:
    with pytest.raises(click.BadParameter, match="status:nope"):
        build_filter(filter_text="status:nope", now=NOW)


def test_repeated_option_values_collapse() -> None:
    f = build_filter(statuses=[LinkStatus.ERROR, LinkStatus.ERROR], now=NOW)
    assert f is not None and f.statuses == (LinkStatus.ERROR,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("error", LinkStatus.ERROR), ("QUEUED", LinkStatus.QUEUED), (" Success ", LinkStatus.SUCCESS)],
)
def test_label_choice_any_case(text: str, expected: LinkStatus) -> None:
    assert LabelChoice(LinkStatus).convert(text, None, None) is expected


def test_label_choice_aliases_and_errors() -> None:
    choice = LabelChoice(Source, {"qbo": Source.ACCOUNTING})
    assert choice.convert("QBO", None, None) is Source.ACCOUNTING
    with pytest.raises(click.BadParameter, match="CRM, Accounting"):
        choice.convert("mars", None, None)


def test_sort_column_accepts_labels() -> None:
    assert SortColumn().convert("Submitted At", None, None) == "submitted_at"
    assert SortColumn().convert("processed-count", None, None) == "processed_count"
    with pytest.raises(click.BadParameter, match="sortable"):
        SortColumn().convert("colour", None, None)


def test_cli_commands_never_import_textual() -> None:
    code = (
        "import sys\n"
        "import inolink_tui.cli.jobs, inolink_tui.cli.config_cmd, inolink_tui.config.load\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
