"""`inolink-tui jobs list | show | requeue | mark-error` against a real job store in tmp_path."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inolink_tui.cli.job_render import csv_value
from inolink_tui.cli.main import cli
from inolink_tui.cli.store_session import cli_actor
from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import EXPORT_COLUMNS, JobFailure, JobSuccess, LinkJob, NewJob
from inolink_tui.present.text import cell_width
from inolink_tui.store import open_store

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

HOSTILE = [
    "Quote \"double\" and 'single', comma; semicolon",
    '=HYPERLINK("http://evil")|cmd /C calc\'!A0',
    "line one\nline two\r\nline three",
    "\x1b[31mred\x1b[0m \x07bell",
    "\u202eevil RTL override\u202c \u05e9\u05dc\u05d5\u05dd",
    "emoji 👨‍👩‍👧 ✅ wide 漢字テスト",
    "back\\slash 100% under_score",
    "x" * 4000,
]


@dataclass
class Seeded:
    path: Path
    ids: dict[str, int]


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


async def _seed(
    path: Path, plan: Sequence[tuple[str, EntityType, Source, str, LinkStatus, str | None]]
) -> dict[str, int]:
    """Create jobs and drive each to its planned status through the store's own lifecycle."""
    store = await open_store(path)
    try:
        new = [
            NewJob(
                entity_type=entity,
                source=source,
                crm_record_id=f"crm-{key}",
                record_name=name,
                company="9130350000000000",
                submitted_by="Alice Admin",
                submitted_at=T0 + timedelta(minutes=i),
            )
            for i, (key, entity, source, name, _status, _error) in enumerate(plan)
        ]
        created = (await store.enqueue(new, now=T0)).created
        ids = {key: job_id for (key, *_), job_id in zip(plan, created, strict=True)}
        now = T0 + timedelta(hours=1)
        claimed = await store.claim("seed", limit=len(plan), lease_seconds=600, now=now)
        by_id = {job.id: job for job in claimed}
        for key, _entity, _source, _name, status, error in plan:
            job_id = ids[key]
            if status is LinkStatus.SUCCESS:
                await store.complete(job_id, "seed", JobSuccess(accounting_id=f"QB-{job_id}"), now=now)
            elif status is LinkStatus.ERROR:
                failure = JobFailure(ErrorClass.DUPLICATE, error or "failed", error_code="6240", http_status=400)
                await store.fail(job_id, "seed", failure, max_attempts=1, duration_ms=42, now=now)
            elif job_id in by_id:
                await store.release(job_id, "seed", reason="left queued", now=now)
        return ids
    finally:
        await store.close()


async def _all_jobs(path: Path) -> list[LinkJob]:
    store = await open_store(path)
    try:
        return (await store.page(JobFilter(), JobSort("id", descending=True), limit=10_000)).jobs  # type: ignore[no-any-return]
    finally:
        await store.close()


async def _get(path: Path, job_id: int) -> LinkJob:
    store = await open_store(path)
    try:
        job: LinkJob = await store.get(job_id)
        return job
    finally:
        await store.close()


PLAN: list[tuple[str, EntityType, Source, str, LinkStatus, str | None]] = [
    ("acc-ok", EntityType.ACCOUNT, Source.CRM, "Contoso Ltd", LinkStatus.SUCCESS, None),
    ("inv-err", EntityType.INVOICE, Source.CRM, "INV-0042", LinkStatus.ERROR, "Duplicate Name Exists Error\nname: X"),
    ("con-q", EntityType.CONTACT, Source.ACCOUNTING, "Bob Buyer", LinkStatus.QUEUED, None),
    ("prod-err", EntityType.PRODUCT, Source.ACCOUNTING, "Widget", LinkStatus.ERROR, "Stale Object Error"),
    ("quote-q", EntityType.QUOTE, Source.CRM, "Q-7", LinkStatus.QUEUED, None),
] + [
    (f"h{i}", EntityType.ACCOUNT, Source.CRM, name, LinkStatus.ERROR, f"hostile {i}: {name}")
    for i, name in enumerate(HOSTILE)
]


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    path = tmp_path / "jobs.db"
    return Seeded(path, asyncio.run(_seed(path, PLAN)))


# --- list ------------------------------------------------------------------------------------------


def test_list_json_on_a_new_db_is_an_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    asyncio.run(_all_jobs(path))  # the engine's first run creates the store; `jobs list` never does
    result = invoke("--db", str(path), "jobs", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "[]\n"
    assert json.loads(result.stdout) == []


def test_list_json_round_trips_every_field(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = [job.as_export() for job in asyncio.run(_all_jobs(seeded.path))]
    assert rows == expected
    assert len(rows) == len(PLAN)
    assert set(rows[0]) == set(EXPORT_COLUMNS)
    names = {row["record_name"] for row in rows}
    assert set(HOSTILE) <= names


def test_list_csv_round_trips_hostile_strings(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "list", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    # Result.stdout folds "\r\n" into "\n"; the bytes are what a pipe would carry.
    reader = csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    rows = list(reader)
    expected = [{k: csv_value(v) for k, v in job.as_export().items()} for job in asyncio.run(_all_jobs(seeded.path))]
    assert rows == expected
    assert {row["error_description"] for row in rows} >= {f"hostile {i}: {name}" for i, name in enumerate(HOSTILE)}


def test_list_table_fits_the_terminal_and_neutralises_control_characters(seeded: Seeded) -> None:
    for width in (200, 100, 61):
        result = invoke("--db", str(seeded.path), "jobs", "list", env={"COLUMNS": str(width)})
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith("    Job  ") and "Record" in lines[0] and "Error" in lines[0]
        assert ("Submitted By" in lines[0]) is (width >= 200), "optional columns go first"
        assert len(lines) == 1 + len(PLAN), "one line per job, even for multi-line names"
        assert all(cell_width(line) <= width for line in lines), width
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
        assert f"showing {len(PLAN)} of {len(PLAN)} jobs (all jobs)" in result.stderr
    wide = invoke("--db", str(seeded.path), "jobs", "list", env={"COLUMNS": "200"}).stdout
    assert "Error Description" in wide and "Duplicate Name Exists Error" in wide and "name: X" not in wide
    assert "\\x1b[31mred" in wide, "an escape sequence is shown, not executed"


def test_list_filters_accept_repeated_values_in_any_case(seeded: Seeded) -> None:
    result = invoke(
        "--db", str(seeded.path), "jobs", "list", "--status", "error", "--status", "Queued", "--format", "json"
    )
    statuses = {row["link_status"] for row in json.loads(result.stdout)}
    assert statuses == {"Error", "Queued"}
    rows = json.loads(
        invoke("--db", str(seeded.path), "jobs", "list", "--entity", "INVOICE", "--format", "json").stdout
    )
    assert [row["id"] for row in rows] == [seeded.ids["inv-err"]]
    rows = json.loads(invoke("--db", str(seeded.path), "jobs", "list", "--source", "qbo", "--format", "json").stdout)
    assert {row["id"] for row in rows} == {seeded.ids["con-q"], seeded.ids["prod-err"]}
    rows = json.loads(invoke("--db", str(seeded.path), "jobs", "list", "--search", "stale", "--format", "json").stdout)
    assert [row["id"] for row in rows] == [seeded.ids["prod-err"]]


def test_list_filter_grammar_and_options_narrow_each_other(seeded: Seeded) -> None:
    args = ("--db", str(seeded.path), "jobs", "list", "--format", "json")
    rows = json.loads(invoke(*args, "--filter", "status:error source:accounting").stdout)
    assert [row["id"] for row in rows] == [seeded.ids["prod-err"]]
    rows = json.loads(invoke(*args, "--filter", "status:error status:queued", "--status", "queued").stdout)
    assert {row["link_status"] for row in rows} == {"Queued"}
    contradiction = invoke(*args, "--filter", "status:success", "--status", "error")
    assert contradiction.exit_code == 0 and contradiction.stdout == "[]\n"
    rows = json.loads(invoke(*args, "--view", "failed").stdout)
    assert {row["link_status"] for row in rows} == {"Error"}


def test_list_sort_and_limit(seeded: Seeded) -> None:
    args = ("--db", str(seeded.path), "jobs", "list", "--format", "json")
    ids = [row["id"] for row in json.loads(invoke(*args, "--sort", "id", "--asc").stdout)]
    assert ids == sorted(ids) and len(ids) == len(PLAN)
    newest_first = [row["id"] for row in json.loads(invoke(*args, "--sort", "Submitted At").stdout)]
    assert newest_first == sorted(ids, reverse=True)
    assert len(json.loads(invoke(*args, "--limit", "3").stdout)) == 3
    table = invoke("--db", str(seeded.path), "jobs", "list", "--limit", "2")
    assert len(table.stdout.splitlines()) == 3
    assert f"showing 2 of {len(PLAN)} jobs" in table.stderr and "--limit 0 for all" in table.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--status", "done"), "Queued, Success, Error"),
        (("--entity", "lead"), "Account, Contact, Product, Quote, Order, Invoice"),
        (("--source", "mars"), "CRM, Accounting"),
        (("--sort", "colour"), "sortable column"),
        (("--filter", "status:nope"), "--filter"),
        (("--filter", 'unbalanced "quote'), "unbalanced"),
        (("--format", "xml"), "table"),
        (("--limit", "-1"), "--limit"),
    ],
)
def test_list_bad_values_exit_2_naming_the_choices(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    path = tmp_path / "never.db"
    result = invoke("--db", str(path), "jobs", "list", *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert not path.exists(), "bad input is refused before the store is opened"


# --- show ------------------------------------------------------------------------------------------


def test_show_text_has_every_field_and_the_full_error(seeded: Seeded) -> None:
    job_id = seeded.ids["inv-err"]
    result = invoke("--db", str(seeded.path), "jobs", "show", str(job_id))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"Link Job {job_id}\n")
    for label in (
        "Entity Type",
        "Link Status",
        "Source",
        "Submitted By",
        "Submitted At",
        "Processed At",
        "Accounting ID",
        "Processed Count",
        "Error Description",
    ):
        assert label in out
    assert "  Duplicate Name Exists Error\n  name: X\n" in out
    assert "CRM (CRM -> QuickBooks)" in out
    assert "Attempts (1)" in out and "HTTP 400" in out


def test_show_json_includes_attempts(seeded: Seeded) -> None:
    job_id = seeded.ids["h3"]
    result = invoke("--db", str(seeded.path), "jobs", "show", str(job_id), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == job_id and data["record_name"] == HOSTILE[3]
    assert data["error_class"] == "duplicate" and data["error_code"] == "6240"
    assert len(data["attempts"]) == 1 and data["attempts"][0]["http_status"] == 400
    assert {"request_id", "payload", "lease", "depends_on"} <= set(data)


def test_show_text_escapes_hostile_error_text(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "show", str(seeded.ids["h3"]))
    assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout


def test_show_unknown_job_exits_1(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "show", "99999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "inolink-tui: no job 99999"


# --- requeue ---------------------------------------------------------------------------------------


def test_requeue_by_id_requeues_errors_and_explains_skips(seeded: Seeded) -> None:
    err, ok = seeded.ids["inv-err"], seeded.ids["acc-ok"]
    result = invoke("--db", str(seeded.path), "jobs", "requeue", str(err), str(ok), "424242")
    assert result.exit_code == 1, "some jobs were skipped"
    assert "requeued 1 job\n" in result.stdout
    assert "skipped 2 jobs:" in result.stdout
    assert any(f"job {ok}" in line and "only Error jobs" in line for line in result.stdout.splitlines())
    assert "no job 424242" in result.stdout
    assert asyncio.run(_get(seeded.path, err)).link_status is LinkStatus.QUEUED
    assert asyncio.run(_get(seeded.path, ok)).link_status is LinkStatus.SUCCESS


def test_requeue_by_id_all_done_exits_0_and_audits_the_os_user(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "requeue", str(seeded.ids["prod-err"]))
    assert result.exit_code == 0 and result.stdout == "requeued 1 job\n"

    async def audit() -> list[str]:
        store = await open_store(seeded.path)
        try:
            return [entry.actor for entry in await store.audit_log(limit=10)]
        finally:
            await store.close()

    assert cli_actor() in asyncio.run(audit())
    assert cli_actor().startswith("cli:")


def test_requeue_all_errors_asks_with_the_count_and_honours_no(seeded: Seeded) -> None:
    errors = sum(1 for *_, status, _e in PLAN if status is LinkStatus.ERROR)
    result = invoke("--db", str(seeded.path), "jobs", "requeue", "--all-errors", input="n\n")
    assert result.exit_code == 1
    assert f"Requeue {errors} Error jobs matching status:error?" in result.stderr
    statuses = [job.link_status for job in asyncio.run(_all_jobs(seeded.path))]
    assert statuses.count(LinkStatus.ERROR) == errors


def test_requeue_all_errors_with_filters_after_yes(seeded: Seeded) -> None:
    result = invoke(
        "--db",
        str(seeded.path),
        "jobs",
        "requeue",
        "--all-errors",
        "--source",
        "crm",
        "--entity",
        "account",
        input="y\n",
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"Requeue {len(HOSTILE)} Error jobs matching status:error entity:account source:crm?" in result.stderr
    assert f"requeued {len(HOSTILE)} jobs" in result.stdout
    jobs = {job.id: job for job in asyncio.run(_all_jobs(seeded.path))}
    assert jobs[seeded.ids["inv-err"]].link_status is LinkStatus.ERROR, "outside the filter: untouched"
    assert all(jobs[seeded.ids[f"h{i}"]].link_status is LinkStatus.QUEUED for i in range(len(HOSTILE)))


def test_requeue_all_errors_yes_skips_the_prompt(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "requeue", "--all-errors", "--search", "stale", "--yes")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == "requeued 1 job\n"


def test_requeue_all_errors_with_nothing_to_do(seeded: Seeded) -> None:
    result = invoke("--db", str(seeded.path), "jobs", "requeue", "--all-errors", "--entity", "order")
    assert result.exit_code == 0 and "no Error jobs match" in result.stdout
    result = invoke("--db", str(seeded.path), "jobs", "requeue", "--all-errors", "--status", "queued")
    assert result.exit_code == 0 and "no Error jobs match" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((), "--all-errors"),
        (("1", "--all-errors"), "not both"),
        (("1", "--status", "error"), "only with --all-errors"),
        (("abc",), "not a job id"),
    ],
)
def test_requeue_usage_errors(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    result = invoke("--db", str(tmp_path / "x.db"), "jobs", "requeue", *args)
    assert result.exit_code == 2 and fragment in result.stderr


# --- mark-error ------------------------------------------------------------------------------------


def test_mark_error_sets_queued_jobs_to_error_with_the_reason(seeded: Seeded) -> None:
    queued, done = seeded.ids["con-q"], seeded.ids["acc-ok"]
    result = invoke(
        "--db", str(seeded.path), "jobs", "mark-error", str(queued), str(done), "--reason", "stuck since Monday"
    )
    assert result.exit_code == 1
    assert "marked as Error 1 job" in result.stdout
    assert f"job {done} is Success; only Queued jobs can be marked as Error" in result.stdout
    job = asyncio.run(_get(seeded.path, queued))
    assert job.link_status is LinkStatus.ERROR and job.error_description == "stuck since Monday"


def test_mark_error_needs_ids(tmp_path: Path) -> None:
    result = invoke("--db", str(tmp_path / "x.db"), "jobs", "mark-error")
    assert result.exit_code == 2


# --- read-only, store and config errors -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "action"),
    [
        (("jobs", "requeue", "1"), "requeue"),
        (("jobs", "requeue", "--all-errors", "--yes"), "requeue"),
        (("jobs", "mark-error", "1"), "mark-error"),
    ],
)
def test_read_only_refuses_mutations_before_touching_the_db(tmp_path: Path, args: tuple[str, ...], action: str) -> None:
    path = tmp_path / "untouched.db"
    result = invoke("--read-only", "--db", str(path), *args)
    assert result.exit_code == 2
    assert result.stderr == f"inolink-tui: read-only: {action} refused (started with --read-only)\n"
    assert not path.exists()


def test_read_only_still_lists_and_shows(seeded: Seeded) -> None:
    before = seeded.path.stat().st_mtime_ns
    listed = invoke("--read-only", "--db", str(seeded.path), "jobs", "list", "--format", "json")
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == len(PLAN)
    shown = invoke("--read-only", "--db", str(seeded.path), "jobs", "show", str(seeded.ids["con-q"]))
    assert shown.exit_code == 0 and "Link Status       Queued" in shown.stdout
    assert seeded.path.stat().st_mtime_ns == before


def test_corrupt_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not an sqlite database at all" * 200)
    for args in (("jobs", "list"), ("jobs", "show", "1"), ("jobs", "requeue", "1")):
        result = invoke("--db", str(path), *args)
        assert result.exit_code == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0], result.stderr
        assert "Traceback" not in result.stderr


def test_bad_config_stops_jobs_commands_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[store]\npath = 12\n", encoding="utf-8")
    result = invoke("--config", str(config), "jobs", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"inolink-tui: config error: {config}:2: store.path: ")


def test_store_path_comes_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[store]\npath = "sub/jobs.db"\n', encoding="utf-8")
    result = invoke("--config", str(config), "jobs", "list", "--format", "json")
    assert result.exit_code == 2 and str(tmp_path / "sub" / "jobs.db") in result.stderr
    assert not (tmp_path / "sub").exists()  # a read command creates no store (issue 12 item 5)
    asyncio.run(_all_jobs(tmp_path / "sub" / "jobs.db"))
    result = invoke("--config", str(config), "jobs", "list", "--format", "json")
    assert result.exit_code == 0 and result.stdout == "[]\n"


@pytest.mark.timeout(90)
def test_locked_store_is_one_line_and_exit_2(seeded: Seeded) -> None:
    """Another process holding the write lock past the busy timeout: a clear line, not a traceback."""
    import sqlite3

    holder = sqlite3.connect(seeded.path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = invoke("--db", str(seeded.path), "jobs", "requeue", str(seeded.ids["inv-err"]))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "locked" in lines[0] and str(seeded.path) in lines[0]
    assert asyncio.run(_get(seeded.path, seeded.ids["inv-err"])).link_status is LinkStatus.ERROR


def test_bad_explicit_config_is_reported_even_with_db(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[sync]\nworkerz = 2\n", encoding="utf-8")
    result = invoke("--config", str(config), "--db", str(tmp_path / "x.db"), "jobs", "list")
    assert result.exit_code == 2 and "did you mean 'workers'?" in result.stderr
    assert not (tmp_path / "x.db").exists()
