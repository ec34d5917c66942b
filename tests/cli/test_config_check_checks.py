"""Issue 12 item 7: `config check` checks. It used to say "config OK" with a missing secret, a non-numeric realm id
or a store path that is a folder; a blank environment secret counted as set; `store.path = 5` got pydantic's
wording. Every problem is now `file:line: dotted.key: problem` in the project's words, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inolink_tui.cli.main import cli
from inolink_tui.config.load import ConfigError, load_config

FULL = """[crm]
url = "https://contoso.crm.dynamics.com"
tenant = "contoso.onmicrosoft.com"
client_id = "11111111-2222-3333-4444-555555555555"
client_secret = "crm-secret"

[quickbooks]
client_id = "ABcd"
client_secret = "qbo-secret"
realm_id = "9130350000000000"
"""


def check(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Result:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(cli, ["--config", str(path), "config", "check"], env=env, catch_exceptions=False)


def test_a_complete_config_is_ok(tmp_path: Path) -> None:
    result = check(tmp_path, FULL)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("config OK") or "config OK (" in result.stdout


@pytest.mark.parametrize(
    ("text", "env", "line", "key"),
    [
        (FULL.replace('client_secret = "crm-secret"\n', ""), {}, 1, "crm.client_secret"),
        (FULL.replace('"crm-secret"', '""'), {}, 5, "crm.client_secret"),
        (FULL.replace('"crm-secret"', '"   "'), {}, 5, "crm.client_secret"),
        (FULL.replace('client_secret = "qbo-secret"\n', ""), {"INOLINK_QBO_CLIENT_SECRET": "  \t"}, 7,
         "quickbooks.client_secret"),
        (FULL.replace('realm_id = "9130350000000000"\n', ""), {}, 7, "quickbooks.realm_id"),
    ],
    ids=["crm secret absent", "crm secret empty", "crm secret blanks", "blank env secret", "no realm id"],
)  # fmt: skip
def test_a_missing_or_blank_secret_is_a_problem(
    tmp_path: Path, text: str, env: dict[str, str], line: int, key: str
) -> None:
    result = check(tmp_path, text, env)
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'c.toml'}:{line}: {key}: missing (" in result.stderr
    assert "config OK" not in result.output


def test_a_blank_environment_secret_neither_counts_nor_hides_the_files(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(FULL, encoding="utf-8")
    loaded = load_config(path, environ={"INOLINK_CRM_CLIENT_SECRET": "   "})
    assert loaded.secret_sources["crm.client_secret"] == "file"
    secret = loaded.settings.crm.client_secret
    assert secret is not None and secret.get_secret_value() == "crm-secret"


@pytest.mark.parametrize(
    ("replace", "by", "line", "says"),
    [
        ('realm_id = "9130350000000000"', 'realm_id = "my company"', 10,
         "quickbooks.realm_id: 'my company' is not a QuickBooks company id (digits only"),
        ('realm_id = "9130350000000000"', 'realm_id = "https://app.qbo.intuit.com/app/homepage"', 10,
         "quickbooks.realm_id: 'https://app.qbo.intuit.com/app/homepage' is not a QuickBooks company id"),
        ("[quickbooks]", '[store]\npath = "{tmp}"\n\n[quickbooks]', 8, "store.path: '{tmp}' is a folder"),
        ("[quickbooks]", '[store]\npath = "{tmp}/data/"\n\n[quickbooks]', 8, "store.path: '{tmp}/data/' is a folder"),
        ("[quickbooks]", "[store]\npath = 5\n\n[quickbooks]", 8,
         "store.path: expected a path (text in quotes), got 5 (an integer)"),
    ],
    ids=["realm words", "realm url", "store is a folder", "store ends with a slash", "store path a number"],
)  # fmt: skip
def test_bad_values_are_said_in_the_projects_words(tmp_path: Path, replace: str, by: str, line: int, says: str) -> None:
    result = check(tmp_path, FULL.replace(replace, by.replace("{tmp}", str(tmp_path))))
    assert result.exit_code == 2, result.output
    expected = f"inolink-tui: config error: {tmp_path / 'c.toml'}:{line}: {says.replace('{tmp}', str(tmp_path))}"
    assert result.stderr.startswith(expected), result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "text",
    [
        "[store]\npath = 5\n",
        "[sync]\nmax_attempts = 'x'\n",
        "[sync]\nmax_attempts = 0\n",
        "[ui]\nrefresh_ms = true\n",
        "[quickbooks]\nrealm_id = true\n",
        "[services.low_priority]\ninterval_hours = 8\n",
        "[crm]\ntimeout_seconds = 'fast'\n",
        "[alerts]\nemail_to = 'ops@example.com'\n",
    ],
)
def test_no_pydantic_wording_ever(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ")
    for pydantic_words in ("Input should", "input should", "instance of", "Value error", "valid integer"):
        assert pydantic_words not in message, message
