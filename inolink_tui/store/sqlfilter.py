"""JobFilter and JobSort as SQL: a WHERE clause with `?` parameters, and a whitelisted ORDER BY.

User values only ever travel as parameters; the only text spliced into SQL is our own column names
(from `SORT_KEYS`) and runs of `?` whose count comes from the filter's tuple lengths.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inolink_tui.domain.enums import ErrorClass, JobView
from inolink_tui.domain.filters import MAX_JOB_ID, JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store.codec import fold, to_us


@dataclass(frozen=True, slots=True)
class Where:
    sql: str
    params: tuple[Any, ...]

    def and_(self, sql: str, *params: Any) -> Where:
        return Where(f"({self.sql}) AND ({sql})", (*self.params, *params))


def _in(column: str, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    return f"{column} IN ({', '.join('?' * len(values))})", tuple(values)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally as a substring (`%`, `_`, `\\` escaped with `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(text: str) -> str:
    """`text` as one FTS5 phrase: quoted, inner quotes doubled, so no character is an operator."""
    return '"' + text.replace('"', '""') + '"'


def conflict_sql(p: str = "") -> str:
    """Jobs where Deadlock Win discarded a change (the job's payload holds `conflict`). Written exactly as the
    partial index `jobs_conflict` (schema v7) is, so SQLite answers it from that index, not a scan."""
    return f"json_extract({p}payload, '$.conflict') IS NOT NULL"


def every_status(p: str = "") -> str:
    """True of every job (the table's CHECK allows these three), yet it lets SQLite read `jobs_by` (schema v8), whose
    next column is link_status, as three id-ordered ranges: a page stops after its rows and a count stays inside the
    index. Without it SQLite would sort every job of the submitter to find the newest."""
    return f"{p}link_status IN ('Queued', 'Success', 'Error')"


def every_source(p: str = "") -> str:
    """The same for `jobs_entity`'s source column when only the entity type is asked for: the entity's jobs of both
    sources as two id-ordered ranges."""
    return f"{p}source IN ('CRM', 'Accounting')"


def where_for(
    filter: JobFilter | None, now_us: int, *, alias: str = "", text_index: bool = True, submitted_index: bool = True
) -> Where:
    """The WHERE clause selecting the jobs `filter` describes (`now_us` decides what "processing" is).

    `text_index=False` leaves the trigram index out of free text (LIKE alone decides, as it does anyway): for a
    query bounded to a few thousand ids, where asking the index for every match costs more than it saves.
    `submitted_index=False` keeps SQLite off jobs_submitted for since: and until: (`+`), for a page that walks a
    range of ids instead (`store/submitted.py`)."""
    p = f"{alias}." if alias else ""
    clauses: list[str] = []
    params: list[Any] = []
    if filter is None:
        return Where("1", ())

    def add(sql: str, values: Sequence[Any] = ()) -> None:
        clauses.append(sql)
        params.extend(values)

    if filter.view is JobView.ACTIVE:
        add(f"{p}inactive = 0 AND {p}link_status IN ('Queued', 'Error')")
    elif filter.view is JobView.FAILED:
        add(f"{p}inactive = 0 AND {p}link_status = 'Error'")
    elif filter.view is JobView.INACTIVE:
        # The few Inactive jobs, from the partial index jobs_inactive (schema v8): written as `inactive = 1` SQLite
        # would rather walk an index that holds the column (jobs_entity, every job) than the partial one.
        add(f"{p}id IN (SELECT id FROM jobs INDEXED BY jobs_inactive WHERE inactive = 1)")
    elif filter.view is JobView.CONFLICTS:
        add(conflict_sql(p))
    if filter.statuses:
        add(*_in(f"{p}link_status", [s.value for s in filter.statuses]))
    status_bound = bool(filter.statuses) or filter.view in (JobView.ACTIVE, JobView.FAILED) or filter.processing is True
    if not status_bound and filter.submitted_by:
        add(every_status(p))
    # With a status, the status's range of jobs_status (in id order) is the way in, not jobs_entity, which holds no
    # status (so a completion never writes it); with a submitter, jobs_by, which holds entity and source after id.
    # `+` keeps SQLite off jobs_entity then. Counts of entity, source and status alone come from the tally.
    plus = "+" if status_bound or filter.submitted_by else ""
    if filter.entity_types:
        add(*_in(f"{plus}{p}entity_type", [e.value for e in filter.entity_types]))
        if not filter.sources and not plus:
            add(every_source(p))
    if filter.sources:
        add(*_in(f"{plus}{p}source", [s.value for s in filter.sources]))
    if filter.error_classes:
        sql, classes = _in("error_class", [c.value for c in filter.error_classes])
        if ErrorClass.CONFLICT in filter.error_classes:
            # class:conflict: jobs that failed on a conflict and jobs where Deadlock Win settled one. A UNION of
            # two index searches (jobs_error_class, jobs_conflict): SQLite plans `a OR b` here as a full scan.
            add(
                f"{p}id IN (SELECT id FROM jobs WHERE {sql} UNION ALL SELECT id FROM jobs WHERE {conflict_sql()})",
                classes,
            )
        else:
            add(*_in(f"{p}error_class", [c.value for c in filter.error_classes]))
    if filter.submitted_by:
        add(*_in(f"{p}submitted_by_fold", [fold(b) for b in filter.submitted_by]))
    if filter.companies:
        add(*_in(f"{p}company", list(filter.companies)))
    if filter.ids:
        # json_each keeps a 100k-id selection to one parameter (SQLite caps parameters per statement).
        add(f"{p}id IN (SELECT value FROM json_each(?))", [json.dumps(list(filter.ids))])
    at = f"{p}submitted_at" if submitted_index else f"+{p}submitted_at"
    if filter.submitted_since is not None:
        add(f"{at} >= ?", [to_us(filter.submitted_since)])
    if filter.submitted_until is not None:
        add(f"{at} <= ?", [to_us(filter.submitted_until)])
    if filter.processing is True:
        # The few leased jobs, from jobs_leased: written plainly SQLite reads jobs_status's Queued range (nearly every
        # job, at a million jobs 0.2-0.7 s) or walks the whole table by id; `+` keeps it off jobs_status.
        add(
            f"{p}id IN (SELECT id FROM jobs INDEXED BY jobs_leased WHERE lease_until > ?)"
            f" AND +{p}link_status = 'Queued'",
            [now_us],
        )
    elif filter.processing is False:
        add(f"NOT coalesce({p}lease_until > ? AND {p}link_status = 'Queued', 0)", [now_us])
    text = filter.text.strip()
    if text:
        folded = fold(text)
        pattern = like_pattern(folded)
        match = (
            f"{p}name_fold LIKE ? ESCAPE '\\' OR {p}error_fold LIKE ? ESCAPE '\\'"
            f" OR {p}accounting_id LIKE ? ESCAPE '\\'"
        )
        values: list[Any] = [pattern, pattern, pattern]
        if text_index and len(folded) >= 3 and "\x00" not in folded:
            # The trigram index narrows the candidates; LIKE then decides exactly, so both paths
            # give the same answer (the index only makes it fast). Shorter text has no trigram;
            # FTS5 cannot parse a phrase holding NUL ("unterminated string"), so that text uses LIKE alone.
            match = (
                f"{p}id IN (SELECT job_id FROM job_text WHERE job_text MATCH ?"
                f" UNION ALL SELECT job_id FROM job_text_dirty) AND ({match})"
            )
            values.insert(0, fts_phrase(folded))
        if text.isdigit() and text.isascii() and len(text) <= 19 and int(text) <= MAX_JOB_ID:
            # A longer number cannot be a job id (SQLite would refuse it as a parameter); it is still text.
            match = f"{p}id = ? OR ({match})"
            values.insert(0, int(text))
        add(match, values)
    if not clauses:
        return Where("1", ())
    return Where(" AND ".join(f"({c})" for c in clauses), tuple(params))


# Sort column -> (SQL expression, Python key of a LinkJob giving the same value).
# NULLs are mapped to a sentinel so that the keyset comparison `(key, id) < (?, ?)` is total.
SORT_KEYS: dict[str, str] = {
    "id": "id",
    "entity_type": "entity_type",
    "record_name": "record_name",
    "link_status": "link_status",
    "source": "source",
    "submitted_by": "submitted_by",
    "submitted_at": "submitted_at",
    "processed_at": "coalesce(processed_at, -1)",
    "accounting_id": "coalesce(accounting_id, '')",
    "processed_count": "processed_count",
    "error_description": "coalesce(error_description, '')",
}


def sort_value(job: LinkJob, column: str) -> Any:
    """The value `SORT_KEYS[column]` yields for `job`, for keyset paging."""
    if column == "id":
        return job.id
    if column in ("entity_type", "link_status", "source"):
        return getattr(job, column).value
    if column in ("submitted_at",):
        return to_us(job.submitted_at)
    if column == "processed_at":
        return to_us(job.processed_at) if job.processed_at else -1
    if column in ("accounting_id", "error_description"):
        return getattr(job, column) or ""
    return getattr(job, column)


def order_by(sort: JobSort | None) -> str:
    sort = sort or JobSort()
    direction = "DESC" if sort.descending else "ASC"
    key = SORT_KEYS[sort.column]
    if sort.column == "id":
        return f"id {direction}"
    return f"{key} {direction}, id {direction}"


def after_clause(sort: JobSort | None, after: LinkJob) -> Where:
    """Rows strictly after `after` in `sort` order (row-value comparison; SQLite uses the index)."""
    sort = sort or JobSort()
    op = "<" if sort.descending else ">"
    if sort.column == "id":
        return Where(f"id {op} ?", (after.id,))
    key = SORT_KEYS[sort.column]
    return Where(f"({key}, id) {op} (?, ?)", (sort_value(after, sort.column), after.id))
