"""`inolink-tui jobs purge --older-than AGE`: only old Success jobs go, and only when asked."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from datetime import timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from inolink_tui.cli.purge_cmd import purge
from inolink_tui.domain.enums import EntityType, ErrorClass, Source
from inolink_tui.domain.jobs import JobFailure, JobSuccess, NewJob, utcnow
from inolink_tui.store.maintenance import purge_success

pytestmark = pytest.mark.timeout(60)

needs_store = pytest.mark.skipif(
    not hasattr(importlib.import_module("inolink_tui.store"), "open_store"),
    reason="the SQLite store (inolink_tui.store.open_store) is not merged yet",
)


@click.group()
def jobs() -> None:
    """Stands in for the CLI helper's `jobs` group, to which the lead attaches `purge`."""


jobs.add_command(purge)


async def _populate(path: Path) -> dict[str, list[int]]:
    """Old and new Success jobs, an old Error job, a Queued job depending on an old Success job."""
    from inolink_tui.store import open_store

    store = await open_store(path)
    long_ago = utcnow() - timedelta(days=200)
    recent = utcnow() - timedelta(days=10)
    ids: dict[str, list[int]] = {"old_success": [], "new_success": [], "old_error": [], "queued": []}
    try:
        for i in range(30):
            kind = "old_success" if i < 20 else "new_success" if i < 25 else "old_error"
            when = recent if kind == "new_success" else long_ago
            new = NewJob(EntityType.ACCOUNT, Source.CRM, f"crm-{i}", f"Customer {i}", "123", submitted_at=when)
            (job_id,) = (await store.enqueue([new], now=when)).created
            (claimed,) = await store.claim("w", now=when, lease_seconds=60)
            assert claimed.id == job_id
            if kind == "old_error":
                failure = JobFailure(ErrorClass.VALIDATION, "bad", error_code="6000")
                await store.fail(job_id, "w", failure, max_attempts=1, now=when)
            else:
                await store.complete(job_id, "w", JobSuccess(accounting_id=str(i)), now=when)
            ids[kind].append(job_id)
        dependent = NewJob(EntityType.INVOICE, Source.CRM, "inv-1", "INV-1", "123", depends_on=ids["old_success"][0])
        ids["queued"] = list((await store.enqueue([dependent])).created)
    finally:
        await store.close()
    return ids


def _remaining(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {int(r[0]) for r in conn.execute("SELECT id FROM jobs")}
    finally:
        conn.close()


@needs_store
async def test_purge_removes_only_old_success_jobs_and_audits_it(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    ids = await _populate(db)
    result = purge_success(db, timedelta(days=90), actor="cli:test")
    assert result.deleted == result.matched == 20
    assert _remaining(db) == set(ids["new_success"] + ids["old_error"] + ids["queued"])
    from inolink_tui.store import open_store

    store = await open_store(db)
    try:
        (entry,) = [a for a in await store.audit_log() if a.action == "purge"]
        assert entry.actor == "cli:test" and entry.job_count == 20
        queued = await store.get(ids["queued"][0])
        assert queued.depends_on is None
        assert await store.attempts(ids["old_success"][0]) == []
        counts = await store.counts()
        assert counts.total == 11
    finally:
        await store.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    purged = ",".join(map(str, ids["old_success"]))
    feed = conn.execute(f"SELECT kind, count(*) FROM changes WHERE job_id IN ({purged}) GROUP BY kind").fetchall()
    assert feed == [("purged", 1)]  # their history left the feed; one row tells consoles to re-read
    kept = ",".join(map(str, ids["new_success"]))
    assert conn.execute(f"SELECT count(*) FROM changes WHERE job_id IN ({kept})").fetchone()[0] >= 5
    conn.close()


@needs_store
async def test_dry_run_and_cli_confirmation(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    ids = await _populate(db)
    before = _remaining(db)
    runner = CliRunner()
    result = runner.invoke(jobs, ["purge", "--older-than", "90d", "--dry-run"], obj=_ctx(db))
    assert result.exit_code == 0, result.output
    assert "would purge 20 Success job(s)" in result.output
    result = runner.invoke(jobs, ["purge", "--older-than", "90d"], obj=_ctx(db), input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert _remaining(db) == before
    result = runner.invoke(jobs, ["purge", "--older-than", "90d"], obj=_ctx(db), input="y\n")
    assert result.exit_code == 0, result.output
    assert "purged 20 Success job(s)" in result.output
    assert _remaining(db) == set(ids["new_success"] + ids["old_error"] + ids["queued"])
    result = runner.invoke(jobs, ["purge", "--older-than", "90d", "--yes"], obj=_ctx(db))
    assert "nothing to purge" in result.output


def _ctx(db: Path):  # type: ignore[no-untyped-def]
    from inolink_tui.cli.context import CliContext

    return CliContext(db_override=db)


def test_the_age_is_required_and_validated(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(jobs, ["purge"], obj=_ctx(tmp_path / "x.db"))
    assert result.exit_code == 2 and "--older-than" in result.output
    result = runner.invoke(jobs, ["purge", "--older-than", "soon"], obj=_ctx(tmp_path / "x.db"))
    assert result.exit_code == 2 and "duration like" in result.output
    result = runner.invoke(jobs, ["purge", "--older-than", "0d"], obj=_ctx(tmp_path / "x.db"))
    assert result.exit_code == 2 and "more than zero" in result.output


def test_read_only_refuses_before_touching_the_file(tmp_path: Path) -> None:
    from inolink_tui.cli.context import CliContext

    result = CliRunner().invoke(
        jobs, ["purge", "--older-than", "90d", "--yes"], obj=CliContext(db_override=tmp_path / "x.db", read_only=True)
    )
    assert result.exit_code == 2 and "read-only" in result.output
    assert not (tmp_path / "x.db").exists()


def test_missing_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(jobs, ["purge", "--older-than", "90d", "--yes"], obj=_ctx(tmp_path / "none.db"))
    assert result.exit_code == 2 and "no such database file" in result.output


def test_purge_is_listed_under_the_real_jobs_group(tmp_path: Path) -> None:
    from inolink_tui.cli.main import cli

    db = str(tmp_path / "j.db")
    missing = CliRunner().invoke(cli, ["--db", db, "jobs", "purge", "--older-than", "90d", "--dry-run"])
    assert missing.exit_code == 2 and "no such database file" in missing.output
    listed = CliRunner().invoke(cli, ["--db", db, "jobs", "list", "--format", "json"])
    assert listed.exit_code == 2 and "no job store there" in listed.output  # a read command creates nothing
    asyncio.run(_create(Path(db)))
    result = CliRunner().invoke(cli, ["--db", db, "jobs", "purge", "--older-than", "90d", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "0" in result.output


async def _create(path: Path) -> None:
    from inolink_tui.store import open_store

    store = await open_store(path)
    await store.close()
