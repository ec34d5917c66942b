"""The database schema as an ordered list of migration steps, keyed by `PRAGMA user_version`.

Step N brings a database from version N-1 to N. A fresh file runs every step; an older file runs the
steps it lacks, each in its own `BEGIN IMMEDIATE` transaction so a crash mid-upgrade leaves a
consistent older version rather than half a schema. Steps are append-only: never edit a shipped one.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logging import Logger


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    statements = [s.strip() for s in sql.split(";") if s.strip()]

    def run(conn: sqlite3.Connection) -> None:
        # executescript() would COMMIT our BEGIN IMMEDIATE; run statement by statement instead.
        for statement in statements:
            conn.execute(statement)

    return run


_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type TEXT NOT NULL,
    link_status TEXT NOT NULL CHECK (link_status IN ('Queued', 'Success', 'Error')),
    source TEXT NOT NULL CHECK (source IN ('CRM', 'Accounting')),
    submitted_by TEXT NOT NULL DEFAULT '',
    submitted_by_fold TEXT NOT NULL DEFAULT '',
    submitted_at INTEGER NOT NULL,
    processed_at INTEGER,
    accounting_id TEXT,
    processed_count INTEGER NOT NULL DEFAULT 0,
    error_description TEXT,
    error_fold TEXT NOT NULL DEFAULT '',
    error_code TEXT,
    error_class TEXT,
    company TEXT NOT NULL,
    crm_record_id TEXT NOT NULL,
    record_name TEXT NOT NULL,
    name_fold TEXT NOT NULL DEFAULT '',
    qbo_entity TEXT,
    operation TEXT NOT NULL,
    request_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    next_attempt_at INTEGER,
    lease_worker TEXT,
    lease_until INTEGER,
    inactive INTEGER NOT NULL DEFAULT 0,
    payload TEXT,
    depends_on INTEGER REFERENCES jobs(id),
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_one_open_per_record ON jobs(record_key, source) WHERE link_status = 'Queued';
CREATE INDEX jobs_due ON jobs(next_attempt_at, id) WHERE link_status = 'Queued';
CREATE INDEX jobs_leased ON jobs(lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX jobs_record ON jobs(record_key, id);
CREATE INDEX jobs_status ON jobs(link_status, id);
CREATE INDEX jobs_submitted ON jobs(submitted_at, id);
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    error_code TEXT,
    message TEXT,
    worker TEXT
);
CREATE INDEX attempts_job ON attempts(job_id, number);
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    job_count INTEGER NOT NULL
);
CREATE TABLE record_links (
    entity_type TEXT NOT NULL,
    crm_key TEXT NOT NULL,
    crm_id TEXT NOT NULL,
    company TEXT NOT NULL,
    link_status TEXT NOT NULL,
    qbo_entity TEXT,
    qbo_id TEXT,
    crm_version TEXT,
    crm_modified_on INTEGER,
    qbo_sync_token TEXT,
    qbo_last_updated INTEGER,
    record_name TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (entity_type, crm_key)
);
CREATE INDEX record_links_qbo ON record_links(qbo_entity, qbo_id, company);
CREATE TABLE cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE scheduler_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    pid INTEGER NOT NULL,
    until INTEGER NOT NULL
);
CREATE TABLE control_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    taken_by TEXT,
    taken_at INTEGER
);
CREATE INDEX control_requests_open ON control_requests(id) WHERE taken_by IS NULL
"""


def _v1(conn: sqlite3.Connection) -> None:
    _script(_V1)(conn)
    # A per-database prefix keeps QuickBooks request ids unique even if the file is deleted and
    # job ids start again from 1 (QuickBooks would otherwise replay a cached response).
    conn.execute("INSERT INTO meta(key, value) VALUES ('request_id_prefix', ?)", (uuid.uuid4().hex[:12],))


_V2: tuple[str, ...] = (
    """CREATE TABLE job_tally (
        link_status TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        source TEXT NOT NULL,
        inactive INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (link_status, entity_type, source, inactive)
    ) WITHOUT ROWID""",
    """INSERT INTO job_tally(link_status, entity_type, source, inactive, n)
        SELECT link_status, entity_type, source, inactive, count(*) FROM jobs GROUP BY 1, 2, 3, 4""",
    """CREATE TRIGGER jobs_tally_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO job_tally(link_status, entity_type, source, inactive, n)
            VALUES (new.link_status, new.entity_type, new.source, new.inactive, 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_tally SET n = n - 1
            WHERE link_status = old.link_status AND entity_type = old.entity_type
              AND source = old.source AND inactive = old.inactive;
    END""",
    """CREATE TRIGGER jobs_tally_update AFTER UPDATE OF link_status, entity_type, source, inactive ON jobs
    WHEN old.link_status IS NOT new.link_status OR old.entity_type IS NOT new.entity_type
      OR old.source IS NOT new.source OR old.inactive IS NOT new.inactive
    BEGIN
        UPDATE job_tally SET n = n - 1
            WHERE link_status = old.link_status AND entity_type = old.entity_type
              AND source = old.source AND inactive = old.inactive;
        INSERT INTO job_tally(link_status, entity_type, source, inactive, n)
            VALUES (new.link_status, new.entity_type, new.source, new.inactive, 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
)


def _v2(conn: sqlite3.Connection) -> None:
    """Counts per (status, entity, source, inactive) kept by triggers: the console's status tiles
    ask for counts every refresh, and counting a million rows each time would take ~100 ms."""
    for statement in _V2:
        conn.execute(statement)


_V3: tuple[str, ...] = (
    "DROP TRIGGER jobs_tally_insert",
    "CREATE INDEX jobs_ids ON jobs(id)",
)


def _v3(conn: sqlite3.Connection) -> None:
    """Enqueue maintains the tally with one grouped upsert per batch instead of a trigger per row
    (the trigger halved batched enqueue throughput); and a slim index of ids alone, which deep
    `OFFSET` pages walk instead of the whole table (20x fewer pages at a million jobs)."""
    for statement in _V3:
        conn.execute(statement)


_V4: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE job_text USING fts5(text, job_id UNINDEXED, tokenize='trigram')",
    """INSERT INTO job_text(text, job_id)
        SELECT name_fold || char(10) || coalesce(accounting_id, '') || char(10) || error_fold, id FROM jobs""",
    "CREATE TABLE job_text_dirty (job_id INTEGER PRIMARY KEY)",
    """CREATE TRIGGER job_text_changed AFTER UPDATE OF name_fold, error_fold, accounting_id ON jobs
    WHEN new.name_fold IS NOT old.name_fold OR new.error_fold IS NOT old.error_fold
      OR new.accounting_id IS NOT old.accounting_id
    BEGIN
        INSERT OR IGNORE INTO job_text_dirty(job_id) VALUES (new.id);
    END""",
)


def _v4(conn: sqlite3.Connection) -> None:
    """A trigram full-text index of the searched text: free text over a million jobs took
    ~0.5-2 s as a LIKE scan and takes milliseconds through the index.

    The index only proposes candidates (the LIKE filter still decides), so it is insert-only and
    may lag: an edited job is marked in job_text_dirty (a cheap b-tree insert) and counts as a
    candidate until a writer indexes the marked jobs in bulk (`index_dirty_text`, run by enqueue
    and claim). Indexing each edit from a trigger instead cost ~0.7 ms per completed job, one FTS5
    statement per row; in bulk it is a few microseconds. A stale document merely proposes a job
    that LIKE then rejects. A purge deletes their job_text rows (maintenance.purge_success).
    """
    if sqlite3.sqlite_version_info < (3, 34, 0):
        from inolink_tui.store.errors import StoreSchemaError

        raise StoreSchemaError(
            f"the job store needs SQLite 3.34 or newer (trigram full-text search); this Python has"
            f" {sqlite3.sqlite_version}"
        )
    for statement in _V4:
        conn.execute(statement)


_V5: tuple[str, ...] = (
    """CREATE TABLE job_tally_delta (
        link_status TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        source TEXT NOT NULL,
        inactive INTEGER NOT NULL,
        n INTEGER NOT NULL
    )""",
    "DROP TRIGGER jobs_tally_update",
    "DROP TRIGGER jobs_tally_delete",
    """CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs BEGIN
        INSERT INTO job_tally_delta(link_status, entity_type, source, inactive, n)
            VALUES (old.link_status, old.entity_type, old.source, old.inactive, -1);
    END""",
    """CREATE TRIGGER jobs_tally_update AFTER UPDATE OF link_status, entity_type, source, inactive ON jobs
    WHEN old.link_status IS NOT new.link_status OR old.entity_type IS NOT new.entity_type
      OR old.source IS NOT new.source OR old.inactive IS NOT new.inactive
    BEGIN
        INSERT INTO job_tally_delta(link_status, entity_type, source, inactive, n)
            VALUES (old.link_status, old.entity_type, old.source, old.inactive, -1),
                   (new.link_status, new.entity_type, new.source, new.inactive, 1);
    END""",
)


def _v5(conn: sqlite3.Connection) -> None:
    """A status change appends two rows to job_tally_delta instead of updating job_tally in place
    (and a deleted job one row: its status may so far be counted only by a delta, which the old
    delete trigger's in-place UPDATE of job_tally would have missed).

    Every completed or failed job changes status; the old trigger ran an UPDATE and an upsert on
    job_tally per job, about a third of a completion's cost. An append to a plain rowid table is
    one statement at the end of a b-tree. Counts read job_tally plus the deltas
    (`tally.count`), so they are exact at any moment; writers fold the deltas into
    job_tally in one grouped statement now and then (`tally.fold_tally`) to keep the table short.
    """
    for statement in _V5:
        conn.execute(statement)


_V6: tuple[str, ...] = (
    """CREATE TABLE feed_readers (
        name TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        seen_at INTEGER NOT NULL
    )""",
)


def _v6(conn: sqlite3.Connection) -> None:
    """Where each process reading the change feed has got to (store/feed.py), so the feed can be pruned once
    every live reader has passed a row instead of growing by about four rows per job forever."""
    for statement in _V6:
        conn.execute(statement)


_V7: tuple[str, ...] = (
    "CREATE INDEX jobs_conflict ON jobs(id) WHERE json_extract(payload, '$.conflict') IS NOT NULL",
    "CREATE INDEX jobs_error_class ON jobs(error_class, id) WHERE error_class IS NOT NULL",
)


def _v7(conn: sqlite3.Connection) -> None:
    """The Conflicts view and `class:...` without a scan of every job: a partial index of the jobs whose payload
    holds a Deadlock Win conflict (a few among many), and one of the jobs with an error class (failed jobs only).
    Both are partial, so the common case (a successful job with no conflict) costs no index write."""
    for statement in _V7:
        conn.execute(statement)


_V8: tuple[str, ...] = (
    "CREATE INDEX jobs_by ON jobs(submitted_by_fold, link_status, id, inactive, entity_type, source)",
    "CREATE INDEX jobs_entity ON jobs(entity_type, source, id, inactive)",
    "CREATE INDEX jobs_inactive ON jobs(id) WHERE inactive = 1",
)


def _v8(conn: sqlite3.Connection) -> None:
    """`by:NAME` and entity + source without a scan of every job (262 ms and 64 ms at a million jobs before).

    jobs_by continues with (link_status, id): a status or view narrows it to one range, and within a range the jobs
    stand in id order, so the newest page is read straight off it. Without a status the query names all three
    (`sqlfilter.every_status`), so SQLite reads the three ranges in id order and stops at the page's end. The columns
    after id are there for counts: the views' `inactive = 0` and the submitter's entity and source are checked in the
    index entry, so a count never reads a table row (about 40 ns an entry: 200,000 in 8 ms). A completion moves its
    job's entry (the status changed): that is this migration's write cost, measured by bench/store.py.

    jobs_entity holds no status, so no completion writes it: entity + source pages read it in id order; with a status
    the status's range of jobs_status is read instead (`sqlfilter.where_for`), and counts come from the tally. An
    earlier draft with the status in jobs_entity too cost claim + complete about twice as much.

    `jobs_inactive` is partial: the Inactive view's few jobs, and no write for the many that never are."""
    for statement in _V8:
        conn.execute(statement)


_V9: tuple[str, ...] = (
    "DROP TRIGGER jobs_tally_delete",
    "DROP TRIGGER jobs_tally_update",
    "DROP TABLE job_tally_delta",
    "DROP TABLE job_tally",
    """CREATE TABLE job_tally (
        link_status TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        source TEXT NOT NULL,
        inactive INTEGER NOT NULL,
        submitted_by_fold TEXT NOT NULL,
        company TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (link_status, entity_type, source, inactive, submitted_by_fold, company)
    ) WITHOUT ROWID""",
    """INSERT INTO job_tally(link_status, entity_type, source, inactive, submitted_by_fold, company, n)
        SELECT link_status, entity_type, source, inactive, submitted_by_fold, company, count(*) FROM jobs
        GROUP BY 1, 2, 3, 4, 5, 6""",
    """CREATE TABLE job_tally_delta (
        link_status TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        source TEXT NOT NULL,
        inactive INTEGER NOT NULL,
        submitted_by_fold TEXT NOT NULL,
        company TEXT NOT NULL,
        n INTEGER NOT NULL
    )""",
    """CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs BEGIN
        INSERT INTO job_tally_delta(link_status, entity_type, source, inactive, submitted_by_fold, company, n)
            VALUES (old.link_status, old.entity_type, old.source, old.inactive, old.submitted_by_fold, old.company, -1);
        UPDATE job_blocks SET n = n - 1 WHERE block = old.id >> 10;
    END""",
    """CREATE TRIGGER jobs_tally_update
    AFTER UPDATE OF link_status, entity_type, source, inactive, submitted_by_fold, company ON jobs
    WHEN old.link_status IS NOT new.link_status OR old.entity_type IS NOT new.entity_type
      OR old.source IS NOT new.source OR old.inactive IS NOT new.inactive
      OR old.submitted_by_fold IS NOT new.submitted_by_fold OR old.company IS NOT new.company
    BEGIN
        INSERT INTO job_tally_delta(link_status, entity_type, source, inactive, submitted_by_fold, company, n)
            VALUES (old.link_status, old.entity_type, old.source, old.inactive, old.submitted_by_fold, old.company, -1),
                   (new.link_status, new.entity_type, new.source, new.inactive, new.submitted_by_fold, new.company, 1);
    END""",
    """CREATE TABLE job_blocks (
        block INTEGER PRIMARY KEY,
        min_submitted INTEGER NOT NULL,
        max_submitted INTEGER NOT NULL,
        n INTEGER NOT NULL
    )""",
    """INSERT INTO job_blocks(block, min_submitted, max_submitted, n)
        SELECT id >> 10, min(submitted_at), max(submitted_at), count(*) FROM jobs GROUP BY 1""",
)


def _v9(conn: sqlite3.Connection) -> None:
    """The tally counts per submitter and company too, and Submitted At is summarised per block of 1,024 job ids.

    job_tally gains submitted_by_fold and company (rebuilt from the jobs: the old table and its deltas are dropped),
    so `by:` and `company:` counts, alone or with a view, status, entity or source, are a sum over the tally
    (`store/tally.py`) instead of 200,000 index entries or every job. The deltas carry the same columns; a completion
    still appends two rows, a little wider.

    job_blocks holds the earliest and latest Submitted At of each block of ids (`id >> 10`) and how many jobs it has,
    kept by enqueue (the only writer of new jobs; Submitted At never changes) and, for the count, the delete trigger.
    `until:` pages newest first: the last block whose earliest job is old enough bounds the newest matching id, so the
    page walks ids down from there instead of sorting every older job; and a since:/until: count adds up the blocks
    wholly inside the range and counts the jobs of the few straddling it (`store/submitted.py`). A purge leaves a
    block's times wider than its jobs: still bounds, only looser."""
    for statement in _V9:
        conn.execute(statement)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "jobs, attempts, change feed, audit, record links, cursors, scheduler lease, requests", _v1),
    Migration(2, "job_tally: per status/entity/source counts maintained by triggers", _v2),
    Migration(3, "tally enqueued jobs per batch; slim id index for deep pages", _v3),
    Migration(4, "trigram full-text index for the free-text filter", _v4),
    Migration(5, "status changes append tally deltas instead of updating job_tally per job", _v5),
    Migration(6, "feed_readers: change-feed positions, so the feed can be pruned", _v6),
    Migration(7, "partial indexes for the Conflicts view and the error-class filter", _v7),
    Migration(8, "indexes for the submitter, entity + source and Inactive filters", _v8),
    Migration(9, "tally per submitter and company; Submitted At per block of job ids", _v9),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _begin(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")


def migrate(
    conn: sqlite3.Connection,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    *,
    begin: Callable[[sqlite3.Connection], None] = _begin,
) -> int:
    """Apply the steps newer than the file's user_version; return the resulting version.

    `conn` must be in autocommit mode (isolation_level=None) so each step owns its transaction;
    `begin` starts it (the store passes its patient BEGIN IMMEDIATE).
    """
    from inolink_tui.store.errors import StoreSchemaError

    latest = migrations[-1].version
    if user_version(conn) == latest:
        # The usual open: nothing to do, so no write lock (one BEGIN IMMEDIATE per step, each waiting its turn
        # behind a busy engine, cost every start and every CLI command). The version only ever rises.
        return latest
    for migration in migrations:
        begin(conn)
        try:
            current = user_version(conn)
            if current > latest:
                raise StoreSchemaError(
                    f"database schema version {current} is newer than this inolink-tui understands ({latest});"
                    " upgrade inolink-tui"
                )
            if migration.version <= current:
                conn.execute("ROLLBACK")
                continue
            if migration.version != current + 1:
                raise StoreSchemaError(f"missing migration step from version {current} to {migration.version}")
            _log().info("migrating store schema to version %d: %s", migration.version, migration.description)
            migration.apply(conn)
            # PRAGMA takes no parameters; the value is an int from our own table, never user input.
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return user_version(conn)


def _log() -> Logger:
    """This module's logger, imported when first used: reading a store (`jobs list`) never needs logging."""
    import logging

    return logging.getLogger(__name__)
