"""`inolink-tui config check | show`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner

from inolink_tui.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.toml"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_example_summarises_and_exits_0() -> None:
    both = {"INOLINK_CRM_CLIENT_SECRET": "s3cr3t-value", "INOLINK_QBO_CLIENT_SECRET": "qb-s3cr3t"}
    code, out, _ = run("--config", str(EXAMPLE), "config", "check", env=both)
    assert code == 0, out
    assert out.rstrip().endswith("config OK")
    # With the QuickBooks secret missing the summary is the same, but the check fails and says which key.
    code, out, err = run("--config", str(EXAMPLE), "config", "check", env={"INOLINK_CRM_CLIENT_SECRET": "s3cr3t-value"})
    assert code == 2, out
    assert "quickbooks.client_secret: missing (set INOLINK_QBO_CLIENT_SECRET" in err
    assert f"config file: {EXAMPLE} (found)" in out
    assert "high_priority       on   Mon-Sun 00:00-23:59 every 30 min" in out
    assert "low_priority        on   Mon-Sat 00:00-23:59 every 24 h" in out
    assert "crm_to_quickbooks   on   Mon-Sun 00:00-23:59 every 60 min" in out
    assert "crm.client_secret         set (env INOLINK_CRM_CLIENT_SECRET)" in out
    assert "quickbooks.client_secret  not set (set INOLINK_QBO_CLIENT_SECRET" in out
    assert "INOLINK_SMTP_PASSWORD" in out
    assert "s3cr3t-value" not in out
    assert "config OK" not in out


def test_check_names_the_mode_live_in_the_example_scheduled_without_the_key(isolated_env: Path) -> None:
    _, out, _ = run("--config", str(EXAMPLE), "config", "check")
    assert "services:    live (CRM changes every 2-10 s, QuickBooks CDC every 5-30 s" in out
    code, out, _ = run("config", "check")
    assert code == 0 and "services:    scheduled (InoLink's intervals below)" in out
    assert "quickbooks.webhook_verifier_token not set (set INOLINK_QBO_WEBHOOK_VERIFIER_TOKEN" in out


def test_check_without_a_file_uses_defaults(isolated_env: Path) -> None:
    code, out, _ = run("config", "check")
    assert code == 0
    assert "(not found: using defaults)" in out
    assert f"store:       {isolated_env / 'xdg-data' / 'inolink-tui' / 'jobs.db'} (will be created)" in out


def test_check_reports_file_secret_source_and_db_override(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[alerts]\nsmtp_password = "hunter2"\n', encoding="utf-8")
    code, out, _ = run("--config", str(path), "--db", str(tmp_path / "x.db"), "config", "check")
    assert code == 0
    assert "alerts.smtp_password      set (file)" in out
    assert f"store:       {tmp_path / 'x.db'} (--db) (will be created)" in out
    assert "hunter2" not in out


def test_check_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[services.high_priority]\ninterval_minutes = 'often'\n", encoding="utf-8")
    code, out, err = run("--config", str(path), "config", "check")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"inolink-tui: config error: {path}:2: services.high_priority.interval_minutes: "
        "expected an integer (a whole number), got 'often' (a string)"
    ]


def test_check_missing_explicit_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("--config", str(tmp_path / "missing.toml"), "config", "check")
    assert code == 2 and "config file not found" in err


def test_show_json_masks_secrets_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[crm]\nclient_secret = "file-secret"\n', encoding="utf-8")
    code, out, _ = run(
        "--config", str(path), "config", "show", "--format", "json", env={"INOLINK_QBO_CLIENT_SECRET": "q"}
    )
    assert code == 0
    data = json.loads(out)
    assert data["crm"]["client_secret"] == "********"
    assert data["quickbooks"]["client_secret"] == "********"
    assert data["alerts"]["smtp_password"] is None
    assert data["services"]["high_priority"]["start"] == "08:00"
    assert "file-secret" not in out


def test_show_toml_is_valid_toml_that_loads_back(tmp_path: Path) -> None:
    code, out, _ = run("--config", str(EXAMPLE), "config", "show")
    assert code == 0
    data = tomllib.loads(out)
    assert data["sync"]["name_matching"] == "Exact"
    assert "client_secret" not in data["crm"]
    again = tmp_path / "again.toml"
    again.write_text(out, encoding="utf-8")
    code2, out2, _ = run("--config", str(again), "config", "show")
    assert code2 == 0 and out2 == out


def test_webhook_url_is_treated_as_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    hook = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    path.write_text(f'[alerts]\nwebhook_url = "{hook}"\nwebhook_format = "slack"\n', encoding="utf-8")
    for args in (("config", "check"), ("config", "show"), ("config", "show", "--format", "json")):
        code, out, _ = run("--config", str(path), *args)
        assert code == 0
        assert "XXXXSECRET" not in out and "https://hooks.slack.com/********" in out
