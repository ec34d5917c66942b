"""Security: secrets never leave their place, token files are private, --read-only refuses every
mutation through every interface, and SQL is built with parameters only (traced, not assumed).
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort, parse_filter
from inolink_tui.domain.jobs import JobFailure, NewJob, utcnow
from inolink_tui.store import open_store
from inolink_tui.store.base import StoreError
from tests.faults.test_broken_ground import CRM_SECRET, QBO_SECRET, REFRESH, World, run, world

__all__ = ["world"]

pytestmark = pytest.mark.timeout(60)

SECRETS = (CRM_SECRET, QBO_SECRET, REFRESH)


def no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked: ...{text[max(0, text.find(secret) - 80) :][:160]}..."


# --- secrets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("config", "show"),
        ("config", "show", "--format", "json"),
        ("config", "check"),
        ("jobs", "list"),
        ("jobs", "list", "--format", "json"),
        ("jobs", "list", "--format", "csv"),
        ("jobs", "show", "1", "--format", "json"),
        ("--once",),
        ("auth", "check"),
    ],
    ids=lambda a: " ".join(a),
)
def test_no_configured_secret_in_any_output(world: World, args: tuple[str, ...]) -> None:
    result = run(world, *args)
    assert "Traceback" not in result.output + result.stderr
    no_secret_in(result.output, result.stderr)


def test_secrets_from_the_environment_are_not_echoed_either(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INOLINK_CRM_CLIENT_SECRET", "env-" + CRM_SECRET)
    for args in (("config", "show"), ("config", "check"), ("--once",)):
        result = run(world, *args)
        assert "env-" + CRM_SECRET not in result.output + result.stderr


# --- token files ----------------------------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_token_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    from inolink_tui.sandbox.config_writer import write_config
    from inolink_tui.store.tokens import TokenStore

    store_path = tmp_path / "a" / "b" / "tokens.json"
    TokenStore(store_path).save("quickbooks:1", {"refresh_token": REFRESH})
    assert mode(store_path) == 0o600 and mode(store_path.parent) == 0o700

    engine_path = tmp_path / "engine" / "tokens.json"
    TokenStore(engine_path).save("quickbooks:1", {"refresh_token": REFRESH})
    TokenStore(engine_path).save("quickbooks:1", {"refresh_token": REFRESH + "2"})
    assert mode(engine_path) == 0o600

    info = {
        "crm_url": "http://127.0.0.1:1",
        "crm_tenant": "t",
        "crm_client_id": "c",
        "crm_client_secret": CRM_SECRET,
        "aad_authority": "http://127.0.0.1:1/t",
        "intuit_discovery_url": "http://127.0.0.1:1/.well-known/openid_configuration",
        "qbo_client_id": "q",
        "qbo_client_secret": QBO_SECRET,
        "realm_id": "1",
        "qbo_base_url": "http://127.0.0.1:1",
        "qbo_refresh_token": REFRESH,
    }
    config = tmp_path / "sandbox" / "config.toml"
    write_config(config, info)
    assert mode(config) == 0o600, "the config holds client secrets"
    assert mode(config.parent / "tokens.json") == 0o600
    assert REFRESH not in config.read_text(), "the refresh token belongs in the token file only"
    assert not [p for p in tmp_path.rglob("*.tmp")], "no temporary token copies left behind"


def test_a_token_file_readable_by_others_is_restricted_on_first_read(tmp_path: Path) -> None:
    from inolink_tui.store.tokens import TokenStore

    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"quickbooks:1": {"refresh_token": REFRESH}}))
    path.chmod(0o644)
    assert TokenStore(path).load("quickbooks:1") == {"refresh_token": REFRESH}
    assert mode(path) == 0o600


# --- read-only ------------------------------------------------------------------------------------

MUTATIONS = [
    ("jobs", "requeue", "1"),
    ("jobs", "requeue", "--all-errors", "--yes"),
    ("jobs", "mark-error", "1"),
    ("jobs", "purge", "--older-than", "1d", "--yes"),
    ("--no-ui",),
    ("--once",),
]


@pytest.mark.parametrize("args", MUTATIONS, ids=lambda a: " ".join(a))
def test_read_only_refuses_every_mutation_of_the_cli(world: World, args: tuple[str, ...]) -> None:
    before = world.snapshot()
    audit = sqlite3.connect(world.db).execute("SELECT count(*) FROM audit").fetchone()[0]
    result = run(world, "--read-only", *args)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "read-only" in (result.output + result.stderr).lower()
    assert world.snapshot() == before
    assert sqlite3.connect(world.db).execute("SELECT count(*) FROM audit").fetchone()[0] == audit


def test_read_only_still_reads(world: World) -> None:
    before = world.snapshot()
    assert run(world, "--read-only", "jobs", "list", "--format", "json").exit_code == 0
    assert run(world, "--read-only", "jobs", "show", "1").exit_code == 0
    assert world.snapshot() == before


async def test_read_only_store_refuses_every_mutating_method(world: World) -> None:
    store = await open_store(world.db, read_only=True)
    now = utcnow()
    failure = JobFailure(ErrorClass.VALIDATION, "x", "code", None)
    attempts = {
        "enqueue": lambda: store.enqueue([NewJob(EntityType.ACCOUNT, Source.CRM, "new", "New", "1")]),
        "claim": lambda: store.claim("w", limit=1, lease_seconds=5),
        "requeue": lambda: store.requeue("t", ids=[1]),
        "mark_error": lambda: store.mark_error("t", [1], reason="r"),
        "fail": lambda: store.fail(1, "w", failure, max_attempts=1, duration_ms=1, now=now),
        "set_cursor": lambda: store.set_cursor("c", "v"),
        "post_request": lambda: store.post_request("t", "sync-now", {}),
        "lease": lambda: store.acquire_scheduler_lease("h", 1, ttl_seconds=5),
    }
    refused = []
    try:
        for name, attempt in attempts.items():
            try:
                await attempt()
            except (StoreError, TypeError) as exc:
                refused.append(name if isinstance(exc, StoreError) else f"{name}: {exc}")
    finally:
        await store.close()
    assert refused == list(attempts), refused


# --- SQL only with parameters ---------------------------------------------------------------------

HOSTILE = ["x'); DROP TABLE jobs; --", "50%_off", 'O\'Brien \\ "q"', "🧾 עברית\u202e", "a\x00b"]


async def test_user_text_only_ever_reaches_sqlite_as_a_parameter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every statement SQLite runs is traced; no user-supplied text may appear in any of them."""
    statements: list[str] = []
    real_connect = sqlite3.connect

    class TracedCursor(sqlite3.Cursor):
        """Records the SQL text exactly as the store hands it over, before SQLite binds anything."""

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            statements.append(sql)
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:
            statements.append(sql)
            return super().executemany(sql, seq)

        def executescript(self, script: str, /) -> sqlite3.Cursor:
            statements.append(script)
            return super().executescript(script)

    class TracedConnection(sqlite3.Connection):
        def cursor(self, factory: Any = TracedCursor) -> Any:
            return super().cursor(factory)

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            return self.cursor().execute(sql, parameters)

        def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:
            return self.cursor().executemany(sql, seq)

        def executescript(self, script: str, /) -> sqlite3.Cursor:
            return self.cursor().executescript(script)

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", TracedConnection)
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", traced)
    store = await open_store(tmp_path / "jobs.db")
    try:
        markers = [f"{h} m{i}" for i, h in enumerate(HOSTILE)]
        await store.enqueue(
            [
                NewJob(EntityType.ACCOUNT, Source.CRM, f"crm-{m}", m, f"co-{m}", submitted_by=m, payload={"n": m})
                for m in markers
            ]
        )
        for job in await store.claim("w", limit=len(markers), lease_seconds=30):
            await store.fail(
                job.id,
                "w",
                JobFailure(ErrorClass.VALIDATION, job.record_name, "c", None),
                max_attempts=1,
                duration_ms=1,
            )
        for m in markers:
            for flt in (
                JobFilter(text=m),
                JobFilter(submitted_by=(m,)),
                JobFilter(companies=(f"co-{m}",)),
                parse_filter("status:error " + shlex.quote(m.replace("\x00", "")), utcnow()),
            ):
                await store.count(flt)
                await store.page(flt, JobSort("record_name"), limit=5)
            await store.requeue(m, ids=[1])
            await store.set_cursor(m, m)
            await store.get_cursor(m)
            await store.post_request(m, "sync-now", {"by": m})
        assert await store.count(JobFilter(statuses=(LinkStatus.QUEUED,))) >= 1
    finally:
        await store.close()
    assert len(statements) > 50, "the trace saw (almost) nothing: the check would pass vacuously"
    assert any("MATCH ?" in s for s in statements), "the full-text path was not exercised"
    for marker in ["DROP TABLE jobs", "50%_off", "O'Brien", "🧾", "עברית"]:
        leaked = [s for s in statements if marker in s]
        assert not leaked, f"user text inlined into SQL: {leaked[0][:200]}"
