"""Broken ground: a config that is not TOML, a missing secret, a corrupt or locked database, a torn token
file. Every interface (jobs CLI, headless --once, config check) answers with one clear line and exit
status 2 -- no traceback -- and leaves every job and token exactly as it was.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner, Result

from inolink_tui.cli.main import cli
from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import open_store

pytestmark = pytest.mark.timeout(60)

CRM_SECRET = "crm-Secret-9f1b7c2e4a"
QBO_SECRET = "qbo-Secret-5d3e8a1c6b"
REFRESH = "RT1-refresh-7c4b2a9e0f1d"


@dataclass
class World:
    config: Path
    db: Path
    tokens: Path

    def snapshot(self) -> tuple[object, ...]:
        """What must survive any failure: every job row and the token file, byte for byte."""
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            jobs = conn.execute("SELECT * FROM jobs ORDER BY id").fetchall()
        finally:
            conn.close()
        return (jobs, self.tokens.read_bytes())


def config_doc(world_dir: Path, **drop: str) -> dict[str, object]:
    doc: dict[str, dict[str, object]] = {
        "crm": {
            "url": "http://127.0.0.1:9",
            "tenant": "00000000-0000-0000-0000-000000000001",
            "client_id": "00000000-0000-0000-0000-000000000002",
            "client_secret": CRM_SECRET,
            "authority": "http://127.0.0.1:9/tenant",
        },
        "quickbooks": {
            "environment": "sandbox",
            "client_id": "qbo-client",
            "client_secret": QBO_SECRET,
            "realm_id": "123456",
            "token_file": str(world_dir / "tokens.json"),
        },
        "store": {"path": str(world_dir / "jobs.db")},
    }
    for section, key in drop.items():
        doc[section].pop(key)
    return dict(doc)


async def seed(db: Path) -> None:
    store = await open_store(db)
    try:
        await store.enqueue(
            [NewJob(EntityType.ACCOUNT, Source.CRM, f"crm-{i}", f"Account {i}", "123456") for i in range(3)]
        )
    finally:
        await store.close()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    for var in ("INOLINK_CRM_CLIENT_SECRET", "INOLINK_QBO_CLIENT_SECRET", "INOLINK_SMTP_PASSWORD", "INOLINK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    config = tmp_path / "config.toml"
    config.write_text(tomli_w.dumps(config_doc(tmp_path)))
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"quickbooks:123456": {"refresh_token": REFRESH, "realm_id": "123456"}}))
    tokens.chmod(0o600)
    db = tmp_path / "jobs.db"
    asyncio.run(seed(db))
    return World(config, db, tokens)


def run(world: World, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(world.config), *args], prog_name="inolink-tui")


def one_clear_line(result: Result, *fragments: str) -> str:
    """Exit 2, no traceback, and exactly one line of complaint (stderr, or one JSON error event headless)."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    text = result.stderr.strip() or result.stdout.strip()
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if '"level":"error"' in line] if lines[0].startswith("{") else lines
    assert len(errors) == 1, lines
    message = errors[0] if not errors[0].startswith("{") else json.loads(errors[0])["message"]
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    for secret in (CRM_SECRET, QBO_SECRET, REFRESH):
        assert secret not in result.output and secret not in result.stderr
    return message


COMMANDS = {
    "jobs list": ("jobs", "list"),
    "jobs requeue": ("jobs", "requeue", "1"),
    "jobs mark-error": ("jobs", "mark-error", "1"),
    "headless once": ("--once",),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "content", [b"[crm\nurl = ", b"\xff\xfe\x00garbage", b"crm = 3\n[crm]\n"], ids=["syntax", "binary", "dupe"]
)
def test_a_config_that_is_not_toml(world: World, command: str, content: bytes) -> None:
    before = world.snapshot()
    world.config.write_bytes(content)
    one_clear_line(run(world, *COMMANDS[command]), str(world.config))
    assert world.snapshot() == before


@pytest.mark.parametrize("section", ["crm", "quickbooks"])
def test_a_missing_secret_stops_the_engine_with_one_line(world: World, tmp_path: Path, section: str) -> None:
    world.config.write_text(tomli_w.dumps(config_doc(tmp_path, **{section: "client_secret"})))
    before = world.snapshot()
    one_clear_line(run(world, "--once"), "client_secret")
    assert world.snapshot() == before
    # The job commands do not need the secret and keep working.
    assert run(world, "jobs", "list", "--format", "json").exit_code == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_a_corrupt_database(world: World, command: str) -> None:
    world.db.write_bytes(b"SQLite format 2\x00" + b"\x13" * 8000)
    for suffix in ("-wal", "-shm"):
        Path(f"{world.db}{suffix}").unlink(missing_ok=True)
    garbage = world.db.read_bytes()
    tokens = world.tokens.read_bytes()
    one_clear_line(run(world, *COMMANDS[command]), str(world.db))
    assert world.db.read_bytes() == garbage, "a corrupt database is never overwritten"
    assert world.tokens.read_bytes() == tokens


@pytest.mark.parametrize("command", ["jobs requeue"])
def test_a_locked_database(world: World, command: str) -> None:
    before = world.snapshot()
    blocker = sqlite3.connect(world.db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        one_clear_line(run(world, *COMMANDS[command]), "locked")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert world.snapshot() == before


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"\x00\x01"], ids=["torn", "wrong-shape", "binary"])
def test_a_torn_token_file_is_reported_and_left_alone(world: World, content: bytes) -> None:
    world.tokens.write_bytes(content)
    before = world.snapshot()
    once = run(world, "--once")
    # Nothing listens at the configured URLs here, so the engine stops at the network first (one
    # classified line, exit 1); what it must never do is crash, leak, or rewrite the token file.
    assert once.exit_code in (1, 2) and "Traceback" not in once.output + once.stderr, once.output
    check = run(world, "auth", "check")  # reports each service on its own line
    assert check.exit_code == 2 and "Traceback" not in check.output + check.stderr
    assert str(world.tokens) in check.output + check.stderr
    for result in (once, check):
        assert REFRESH not in result.output + result.stderr
    assert world.snapshot() == before


def test_unreachable_services_end_the_run_with_one_line_not_a_crash(world: World) -> None:
    """Nothing listens at the configured URLs: `--once` says so in one classified line and exits 1."""
    before = world.snapshot()
    result = run(world, "--once")
    assert result.exit_code == 1, result.output
    events = [json.loads(x) for x in result.output.splitlines() if x.startswith("{")]
    errors = [e for e in events if e["level"] == "error"]
    assert [e["event"] for e in errors] == ["connection_error"], errors
    assert "Traceback" not in result.output and "unreachable" in errors[0]["message"]
    assert world.snapshot() == before


def test_an_unreadable_store_directory(world: World, tmp_path: Path) -> None:
    """--db pointing into a path that cannot be a directory: one line, nothing created elsewhere."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    for args in (("jobs", "list"), ("--once",)):
        one_clear_line(run(world, "--db", str(blocker / "jobs.db"), *args), str(blocker))
    assert blocker.read_text() == "x"


@pytest.fixture(autouse=True)
def _no_stray_event_loop() -> Iterator[None]:
    yield
    asyncio.set_event_loop(None)
