"""Loading config files: defaults, the example file, env secrets, and one-line errors for every bad input."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from inolink_tui.config.load import ConfigError, find_key_line, load_config, load_settings_or_exit
from inolink_tui.config.model import Settings, Weekday
from inolink_tui.domain.enums import DeadlockWin, JobView, NameMatching

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.toml"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert "\n" not in message, "a config error must be one line"
    return message


# --- defaults ---------------------------------------------------------------------------------


def test_missing_default_file_means_defaults(isolated_env: Path) -> None:
    loaded = load_config(None, environ={})
    assert not loaded.found
    assert loaded.path == isolated_env / "xdg-config" / "inolink-tui" / "config.toml"
    s = loaded.settings
    assert s.services.high_priority.interval_minutes == 30
    assert (s.services.high_priority.start, s.services.high_priority.end) == (time(8), time(17))
    assert s.services.high_priority.days == tuple(Weekday)
    assert s.services.low_priority.interval_hours == 24
    assert s.services.low_priority.days[-1] is Weekday.SAT
    assert s.services.crm_to_quickbooks.interval_minutes == 60
    assert (s.services.crm_to_quickbooks.start, s.services.crm_to_quickbooks.end) == (time(0), time(23, 59))
    assert s.crm.api_version == "9.2"
    assert (s.crm.requests_per_5min, s.crm.max_concurrency) == (6000, 52)
    assert (s.quickbooks.minor_version, s.quickbooks.requests_per_minute, s.quickbooks.max_concurrency) == (75, 500, 10)
    assert s.quickbooks.api_base_url == "https://sandbox-quickbooks.api.intuit.com"
    assert s.sync.max_attempts == 5 and s.sync.create_from_quickbooks is True
    assert (s.ui.theme, s.ui.refresh_ms, s.ui.confirm_bulk) == ("ansi-dark", 250, True)
    assert s.alerts.min_interval_minutes == 60


def test_xdg_data_home_is_honoured(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(isolated_env / "elsewhere"))
    s = Settings()
    assert s.store.path == isolated_env / "elsewhere" / "inolink-tui" / "jobs.db"
    assert s.quickbooks.token_file == isolated_env / "elsewhere" / "inolink-tui" / "tokens.json"


def test_empty_file_is_all_defaults(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, ""), environ={})
    assert loaded.found
    assert loaded.settings.model_dump() == Settings().model_dump()


def test_example_file_loads_cleanly() -> None:
    loaded = load_config(EXAMPLE, environ={})
    s = loaded.settings
    assert s.crm.url == "https://contoso.crm.dynamics.com"
    assert s.crm.authority == "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    assert s.crm.web_api_url == "https://contoso.crm.dynamics.com/api/data/v9.2/"
    assert s.quickbooks.realm_id == "9130350000000000"
    # The example documents the defaults, so apart from connection details it must equal them: those of a live
    # config (a new config runs in live mode, while one without `mode`, written before it, stays scheduled).
    assert s.services.mode == "live" and Settings().services.mode == "scheduled"
    defaults = Settings.model_validate({"services": {"mode": "live"}}).model_dump()
    for section in ("services", "sync", "ui", "alerts"):
        assert s.model_dump()[section] == defaults[section], section


def test_example_file_documents_every_key() -> None:
    """Each key of every section appears in the example (set or commented out) with a comment nearby."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for section_name, section in Settings.model_fields.items():
        if section_name == "mapping":  # an array of tables, read by config/mapping.py
            assert "\n# [[mapping.account]]\n" in text
            continue
        model = section.annotation
        assert model is not None
        for field_name, field in model.model_fields.items():  # type: ignore[union-attr]
            key = field.alias or field_name
            if section_name == "services" and key not in ("timezone", "mode"):
                assert f"[services.{key}]" in text
                continue
            if f"\n[{section_name}.{key}]\n" in text:  # a sub-table, such as [crm.schema]
                continue
            assert f"\n{key} = " in text or f"\n# {key} = " in text, f"{section_name}.{key} missing from example"
    for var in (
        "INOLINK_CRM_CLIENT_SECRET",
        "INOLINK_QBO_CLIENT_SECRET",
        "INOLINK_SMTP_PASSWORD",
        "INOLINK_QBO_WEBHOOK_VERIFIER_TOKEN",
    ):
        assert var in text


def test_relative_paths_resolve_next_to_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\npath = "data/jobs.db"\n[quickbooks]\ntoken_file = "tokens.json"\n')
    s = load_config(path, environ={}).settings
    assert s.store.path == tmp_path / "data" / "jobs.db"
    assert s.quickbooks.token_file == tmp_path / "tokens.json"


def test_labels_parse_in_any_case(tmp_path: Path) -> None:
    text = (
        '[sync]\nname_matching = "pattern"\ndeadlock_win = "quickbooks"\n'
        '[ui]\ndefault_view = "FAILED"\n'
        '[services.high_priority]\ndays = ["monday", "TUE", "Wed-Fri"]\nstart = 07:30:00\nend = "18:00"\n'
    )
    s = load_config(write(tmp_path, text), environ={}).settings
    assert s.sync.name_matching is NameMatching.PATTERN
    assert s.sync.deadlock_win is DeadlockWin.QUICKBOOKS
    assert s.ui.default_view is JobView.FAILED
    assert [d.value for d in s.services.high_priority.days] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert s.services.high_priority.start == time(7, 30)


def test_realm_id_written_as_integer_is_accepted(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, "[quickbooks]\nrealm_id = 9130350000000000\n"), environ={}).settings
    assert s.quickbooks.realm_id == "9130350000000000"


def test_discovery_url_environment_needs_api_base_url(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/.well-known/openid_configuration"
    message = error_of(write(tmp_path, f'[quickbooks]\nenvironment = "{url}"\n'))
    assert "quickbooks.api_base_url" in message and "required" in message
    ok = write(tmp_path, f'[quickbooks]\nenvironment = "{url}"\napi_base_url = "http://127.0.0.1:9/"\n', "ok.toml")
    qb = load_config(ok, environ={}).settings.quickbooks
    assert (qb.discovery_url, qb.api_base_url) == (url, "http://127.0.0.1:9")


def test_production_environment_picks_production_host(tmp_path: Path) -> None:
    qb = load_config(write(tmp_path, '[quickbooks]\nenvironment = "Production"\n'), environ={}).settings.quickbooks
    assert qb.api_base_url == "https://quickbooks.api.intuit.com"
    assert qb.discovery_url.endswith("/openid_configuration/")


# --- secrets ------------------------------------------------------------------------------------


def test_env_secrets_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[crm]\nclient_secret = "from-file"\n[quickbooks]\nclient_secret = "qbo-file"\n')
    env = {"INOLINK_CRM_CLIENT_SECRET": "from-env", "INOLINK_SMTP_PASSWORD": "smtp-env"}
    loaded = load_config(path, environ=env)
    s = loaded.settings
    assert s.crm.client_secret is not None and s.crm.client_secret.get_secret_value() == "from-env"
    assert s.quickbooks.client_secret is not None and s.quickbooks.client_secret.get_secret_value() == "qbo-file"
    assert s.alerts.smtp_password is not None and s.alerts.smtp_password.get_secret_value() == "smtp-env"
    assert loaded.secret_sources == {
        "crm.client_secret": "env INOLINK_CRM_CLIENT_SECRET",
        "quickbooks.client_secret": "file",
        "alerts.smtp_password": "env INOLINK_SMTP_PASSWORD",
        "quickbooks.webhook_verifier_token": "not set",
    }
    assert "from-env" not in repr(s) and "qbo-file" not in str(s.model_dump())
    assert sorted(s.secret_values()) == ["from-env", "qbo-file", "smtp-env"]


def test_empty_env_secret_does_not_override(tmp_path: Path) -> None:
    path = write(tmp_path, '[crm]\nclient_secret = "from-file"\n')
    loaded = load_config(path, environ={"INOLINK_CRM_CLIENT_SECRET": ""})
    assert loaded.secret_sources["crm.client_secret"] == "file"


def test_secret_of_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[crm]\nclient_secret = 987654321\n"))
    assert "crm.client_secret" in message and "987654321" not in message


# --- errors: one line naming file, key and line ---------------------------------------------------


def test_wrong_type_names_the_key_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[crm]\nurl = "https://x.crm.dynamics.com"\n\n[services.high_priority]\ninterval_minutes = "30"\n'
    )
    message = error_of(path)
    assert message.startswith(f"{path}:5: services.high_priority.interval_minutes: ")
    assert "integer" in message and "'30'" in message


def test_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[crm\nurl = \n")
    message = error_of(path)
    assert message.startswith(f"{path}: not TOML: ") and "line 1" in message


def test_binary_file_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "not TOML" in error_of(path)


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, '[sync]\nmax_attempts = 3\nname_matchin = "Exact"\n')
    message = error_of(path)
    assert message == f"{path}:3: sync.name_matchin: unknown key 'name_matchin' (did you mean 'name_matching'?)"


def test_unknown_section_suggests_the_close_one(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[servces.high_priority]\nenabled = false\n"))
    assert "servces" in message and "did you mean 'services'?" in message


def test_unknown_key_without_a_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[store]\nzzz = 1\n"))
    assert "unknown key 'zzz'" in message and "known: path" in message


def test_bad_weekday(tmp_path: Path) -> None:
    path = write(tmp_path, '[services.low_priority]\nenabled = true\ndays = ["Mon", "Thursdy"]\n')
    message = error_of(path)
    assert message.startswith(f"{path}:3: services.low_priority.days: ")
    assert "'Thursdy' is not a weekday" in message and "Thursday" in message


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ('[services.crm_to_quickbooks]\nstart = "17:00"\nend = "08:00"\n', "services.crm_to_quickbooks.end", "after"),
        ('[services.crm_to_quickbooks]\nstart = "23:59"\n', "services.crm_to_quickbooks.end", "after"),
        ("[services.high_priority]\ninterval_minutes = 0\n", "services.high_priority.interval_minutes", "0"),
        ("[services.low_priority]\ninterval_hours = 8\n", "services.low_priority.interval_hours", "8"),
        ('[services.high_priority]\nstart = "25:00"\n', "services.high_priority.start", "25:00"),
        ('[services.high_priority]\nstart = "8am"\n', "services.high_priority.start", "HH:MM"),
        ('[sync]\nname_matching = "Fuzzy"\n', "sync.name_matching", "Exact, Pattern"),
        ('[sync]\ndeadlock_win = "Both"\n', "sync.deadlock_win", "CRM, QuickBooks"),
        ('[quickbooks]\nenvironment = "staging"\n', "quickbooks.environment", "sandbox"),
        ('[crm]\nurl = "contoso"\n', "crm.url", "http"),
        ('[alerts]\nwebhook_format = "discord"\n', "alerts.webhook_format", "slack"),
        ('[alerts]\nemail_to = ["ops@example.com"]\n', "alerts.email_to", "smtp_host"),
        ("[ui]\nrefresh_ms = true\n", "ui.refresh_ms", "integer"),
        ('crm = "x"\n', "crm", "table"),
        ("[sync]\nmax_attempts = 5.5\n", "sync.max_attempts", "integer"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, body: str, key: str, fragment: str) -> None:
    message = error_of(write(tmp_path, body))
    assert f": {key}: " in message, message
    assert fragment in message, message


def test_missing_explicit_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert error_of(path) == f"{path}: config file not found"


def test_or_exit_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        load_settings_or_exit(write(tmp_path, "[sync]\nworkers = -1\n"))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sync.workers" in err


def test_no_traceback_from_the_real_command(tmp_path: Path) -> None:
    path = write(tmp_path, "[ui]\nthem = 1\n")
    out = subprocess.run(
        [sys.executable, "-m", "inolink_tui", "--config", str(path), "config", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"inolink-tui: config error: {path}:2: ui.them: unknown key 'them' (did you mean 'theme'?)"
    ]


# --- warnings and the line finder ---------------------------------------------------------------


def test_below_recommended_minimums_warns_but_loads(tmp_path: Path) -> None:
    text = "[services.high_priority]\ninterval_minutes = 5\n[services.crm_to_quickbooks]\ninterval_minutes = 10\n"
    notes = load_config(write(tmp_path, text), environ={}).settings.warnings()
    assert any("high_priority.interval_minutes = 5" in n and "15" in n for n in notes)
    assert any("crm_to_quickbooks.interval_minutes = 10" in n and "30" in n for n in notes)


def test_defaults_warn_only_about_missing_connections() -> None:
    notes = Settings().warnings()
    assert len(notes) == 2 and all("not fully configured" in n for n in notes)


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("crm", "url"), 2),
        (("services", "high_priority", "days", 1), 6),
        (("services", "high_priority", "bogus"), 4),
        (("sync", "workers"), 8),
        (("nothing",), None),
    ],
)
def test_find_key_line(loc: tuple[str | int, ...], line: int | None) -> None:
    text = (
        "[crm]\nurl = 'x'\n# comment\n"
        "[services.high_priority]\n"  # 4
        "enabled = true\n"  # 5
        "days = ['Mon']\n"  # 6
        "[sync]\n"  # 7
        "workers = 3\n"  # 8
    )
    assert find_key_line(text, loc) == line


def test_bom_and_crlf_from_windows_editors_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[sync]\r\nworkers = 2\r\n")
    assert load_config(path, environ={}).settings.sync.workers == 2


def test_low_priority_in_minutes_suggests_hours(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[services.low_priority]\ninterval_minutes = 60\n"))
    assert "did you mean 'interval_hours'?" in message


def test_smtp_host_without_recipients_is_an_error(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, '[alerts]\nsmtp_host = "smtp.example.com"\n'))
    assert ": alerts.email_to: " in message and "nobody to mail" in message
    ok = '[alerts]\nsmtp_host = "smtp.example.com"\nemail_from = "a@example.com"\nemail_to = ["b@example.com"]\n'
    assert load_config(write(tmp_path, ok, "ok.toml"), environ={}).settings.alerts.email_enabled


def test_service_windows_are_read_on_the_configured_zone(tmp_path: Path) -> None:
    """A server kept on UTC can run business hours elsewhere; an unknown zone is a clear error on its own line."""
    from zoneinfo import ZoneInfo

    from inolink_tui.engine.options import EngineOptions

    s = load_config(write(tmp_path, '[services]\ntimezone = "America/New_York"\n'), environ={}).settings
    assert EngineOptions.from_settings(s).timezone == ZoneInfo("America/New_York")
    assert load_config(write(tmp_path, ""), environ={}).settings.services.timezone == "local"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, '[services]\ntimezone = "Mars/Olympus"\n'), environ={})
    assert "services.timezone" in str(err.value) and "Mars/Olympus" in str(err.value)


def test_the_low_priority_window_is_the_configured_one(tmp_path: Path) -> None:
    from inolink_tui.engine.options import EngineOptions

    text = '[services.low_priority]\nstart = "18:00"\nend = "23:00"\ninterval_hours = 6\n'
    window = EngineOptions.from_settings(load_config(write(tmp_path, text), environ={}).settings).services[
        "low_priority"
    ]
    assert (window.start, window.end) == (time(18, 0), time(23, 0))


def test_live_mode_runs_around_the_clock_unless_a_window_is_set(tmp_path: Path) -> None:
    """InoLink's windows are its schedule's defaults: in live mode an absent table means all day, every day."""
    live = load_config(write(tmp_path, '[services]\nmode = "live"\n'), environ={}).settings.services
    for schedule in (live.high_priority, live.crm_to_quickbooks):
        assert (schedule.start, schedule.end, schedule.days) == (time(0), time(23, 59), tuple(Weekday))
    assert (live.high_priority.interval_minutes, live.crm_to_quickbooks.interval_minutes) == (30, 60)
    text = '[services]\nmode = "live"\n[services.high_priority]\ndays = ["Mon"]\nstart = "08:00"\nend = "17:00"\n'
    windowed = load_config(write(tmp_path, text, "windowed.toml"), environ={}).settings.services
    assert (windowed.high_priority.start, windowed.high_priority.days) == (time(8), (Weekday.MON,))
    scheduled = load_config(write(tmp_path, "[services]\n", "scheduled.toml"), environ={}).settings.services
    assert (scheduled.high_priority.start, scheduled.high_priority.end) == (time(8), time(17))
    assert scheduled.crm_to_quickbooks.days[-1] is Weekday.SAT
