"""A console with no daemon does not start an engine silently on a new database (issue 12).

A mistyped `--db` or a console opened as another user used to create an empty store and start a second engine
on the same Dynamics org and QuickBooks company. Now it refuses in one line (exit 2) and creates nothing, unless
`--new-db` asks for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from inolink_tui.cli import run_cmd
from inolink_tui.cli.main import cli


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    doc = {
        "crm": {
            "url": "https://org.crm.dynamics.com",
            "tenant": "contoso.onmicrosoft.com",
            "client_id": "11111111-1111-1111-1111-111111111111",
            "client_secret": "s3cret-crm",
        },
        "quickbooks": {
            "client_id": "qbo-client",
            "client_secret": "s3cret-qbo",
            "realm_id": "9130",
            "token_file": str(tmp_path / "tokens.json"),
        },
    }
    path.write_text(tomli_w.dumps(doc))
    return path


def test_the_console_refuses_to_start_an_engine_on_a_database_that_does_not_exist(tmp_path: Path) -> None:
    db = tmp_path / "typo" / "jobs.db"
    result = CliRunner().invoke(cli, ["--config", str(_config(tmp_path)), "--db", str(db)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(db) in lines[0] and "--new-db" in lines[0], result.output
    assert not db.exists() and not db.parent.exists()


def test_new_db_lets_the_console_create_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []

    def fake_start(ctx: object, *, engine: bool, pulse_seconds: float | None = None, new_db: bool = True) -> int:
        started.append(new_db)
        return 0

    monkeypatch.setattr(run_cmd, "_start_console", fake_start)
    db = tmp_path / "jobs.db"
    result = CliRunner().invoke(cli, ["--config", str(_config(tmp_path)), "--db", str(db), "--new-db"])
    assert result.exit_code == 0, result.output
    assert started == [True]
