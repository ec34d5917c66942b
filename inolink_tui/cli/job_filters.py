"""The job-selection options shared by `jobs list` and `jobs requeue --all-errors`.

Options and the `--filter` grammar narrow each other (AND): `--status error --filter status:error,queued`
means Error jobs. Repeating one option ORs its values, as repeating a key in the grammar does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import click

from inolink_tui.domain.enums import EntityType, JobView, LinkStatus, Source
from inolink_tui.domain.filters import (
    MAX_JOB_ID,
    SORTABLE_COLUMNS,
    FilterSyntaxError,
    JobFilter,
    JobSort,
    parse_filter,
)

E = TypeVar("E", bound=StrEnum)
F = TypeVar("F", bound=Callable[..., Any])

_SOURCE_ALIASES = {"qbo": Source.ACCOUNTING, "quickbooks": Source.ACCOUNTING}


class LabelChoice(click.Choice[str]):
    """A choice among a domain enum's labels, in any case ("error", "ERROR", "Error"), giving the enum member."""

    def __init__(self, enum_cls: type[StrEnum], aliases: dict[str, StrEnum] | None = None) -> None:
        self.enum_cls = enum_cls
        self.aliases = aliases or {}
        super().__init__([member.value for member in enum_cls], case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.enum_cls):
            return value
        text = str(value).strip()
        if text.casefold() in self.aliases:
            return self.aliases[text.casefold()]
        try:
            return self.enum_cls.parse(text)  # type: ignore[attr-defined]
        except ValueError:
            choices = ", ".join(m.value for m in self.enum_cls)
            self.fail(f"{value!r} is not one of: {choices} (any case)", param, ctx)


class SortColumn(click.ParamType[str]):
    """A sortable column, by snake_case name or by the seed's label ("Submitted At")."""

    name = "column"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        wanted = str(value).strip().casefold().replace(" ", "_").replace("-", "_")
        if wanted in SORTABLE_COLUMNS:
            return wanted
        self.fail(f"{value!r} is not a sortable column; choose from: {', '.join(SORTABLE_COLUMNS)}", param, ctx)


class JobIdType(click.ParamType[int]):
    """A job id: a whole number from 1 to MAX_JOB_ID (SQLite's largest INTEGER), refused in one line otherwise."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_JOB_ID:
            return value
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()):
            self.fail(f"{value!r} is not a job id (a whole number such as 42)", param, ctx)
        if len(text.lstrip("0")) > len(str(MAX_JOB_ID)) or not 0 < int(text) <= MAX_JOB_ID:
            self.fail(f"{text} is not a job id (ids go from 1 to {MAX_JOB_ID})", param, ctx)
        return int(text)


JOB_ID = JobIdType()


def filter_options(func: F) -> F:
    """Attach --status/--entity/--source/--search/--filter/--view to a command."""
    options = [
        click.option(
            "--status",
            "statuses",
            multiple=True,
            metavar="STATUS",
            type=LabelChoice(LinkStatus),
            help="Link Status (repeatable): Queued, Success, Error.",
        ),
        click.option(
            "--entity",
            "entities",
            multiple=True,
            metavar="ENTITY",
            type=LabelChoice(EntityType),
            help="Entity Type (repeatable): Account, Contact, Product, Quote, Order, Invoice.",
        ),
        click.option(
            "--source",
            "sources",
            multiple=True,
            metavar="SOURCE",
            type=LabelChoice(Source, dict(_SOURCE_ALIASES)),
            help="Source (repeatable): CRM (CRM -> QuickBooks) or Accounting (QuickBooks -> CRM; also qbo).",
        ),
        click.option(
            "--search",
            "search",
            default="",
            help="Text found (any case) in the record name, Error Description, Accounting ID or job id.",
        ),
        click.option(
            "--filter",
            "filter_text",
            default="",
            metavar="GRAMMAR",
            help="The console's filter line, e.g. 'status:error entity:invoice since:2h \"duplicate name\"'.",
        ),
        click.option(
            "--view",
            type=LabelChoice(JobView),
            metavar="VIEW",
            default=None,
            help="InoLink view: Active (Queued and Error), Failed, Inactive or All.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_filter(
    *,
    statuses: Sequence[LinkStatus] = (),
    entities: Sequence[EntityType] = (),
    sources: Sequence[Source] = (),
    search: str = "",
    filter_text: str = "",
    view: JobView | None = None,
    now: datetime,
) -> JobFilter | None:
    """Combine options and grammar into one JobFilter; None means the two contradict (nothing matches).

    Raises click.BadParameter for a grammar error or two different free texts.
    """
    try:
        base = parse_filter(filter_text, now) if filter_text.strip() else JobFilter()
    except FilterSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="'--filter'") from exc
    narrowed_statuses = _narrow(base.statuses, tuple(dict.fromkeys(statuses)))
    narrowed_entities = _narrow(base.entity_types, tuple(dict.fromkeys(entities)))
    narrowed_sources = _narrow(base.sources, tuple(dict.fromkeys(sources)))
    if narrowed_statuses is None or narrowed_entities is None or narrowed_sources is None:
        return None
    text = search.strip()
    if text and base.text and text.casefold() != base.text.casefold():
        raise click.BadParameter(
            f"both --search {text!r} and free text {base.text!r} in --filter; give the text once",
            param_hint="'--search'",
        )
    combined_view = _narrow_view(base.view, view)
    if combined_view is None:
        return None
    return replace(
        base,
        statuses=narrowed_statuses,
        entity_types=narrowed_entities,
        sources=narrowed_sources,
        text=text or base.text,
        view=combined_view,
    )


def _narrow(current: tuple[E, ...], wanted: tuple[E, ...]) -> tuple[E, ...] | None:
    """AND of two "any of" lists, where an empty list means any; None when nothing is left."""
    if not current:
        return wanted
    if not wanted:
        return current
    both = tuple(item for item in current if item in wanted)
    return both or None


def _narrow_view(current: JobView, wanted: JobView | None) -> JobView | None:
    if wanted is None or wanted is JobView.ALL or wanted is current:
        return current
    if current is JobView.ALL:
        return wanted
    if {current, wanted} == {JobView.ACTIVE, JobView.FAILED}:
        return JobView.FAILED
    return None


def sort_options(func: F) -> F:
    func = click.option("--asc", is_flag=True, help="Ascending order (default: descending).")(func)
    func = click.option(
        "--sort",
        "sort_column",
        type=SortColumn(),
        default="id",
        show_default=True,
        help=f"Sort column: {', '.join(SORTABLE_COLUMNS)}.",
    )(func)
    return func


def build_sort(column: str, ascending: bool) -> JobSort:
    return JobSort(column=column, descending=not ascending)
