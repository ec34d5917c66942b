"""Putting the process together: setup problems end with status 2 and one clear JSON line."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from inolink_tui.headless.app import HeadlessOptions, HeadlessSetupError, is_setup_problem, main
from tests.headless.store_engine import SECRET, build_engine, settings_for

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_busy_metrics_port_is_a_setup_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status = main(settings_for(None), HeadlessOptions(tmp_path / "jobs.db", metrics_port=port), build_engine)
    assert status == 2
    lines = _json_lines(capsys.readouterr().out)
    (error,) = [line for line in lines if line["event"] == "setup_error"]
    assert f"cannot serve metrics on 127.0.0.1:{port}" in str(error["message"])
    events = [line["event"] for line in lines]
    assert events.index("scheduler_lease_released") < events.index("setup_error")  # the lease went back first
    assert SECRET not in json.dumps(lines)


def test_bad_alert_settings_are_refused_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for(None)
    settings.alerts.webhook_format = "discord"
    assert main(settings, HeadlessOptions(tmp_path / "jobs.db"), build_engine) == 2
    assert "slack or teams" in capsys.readouterr().out


def test_setup_problems_are_recognised_by_class() -> None:
    """By type, not by name: a class that merely sounds like one (the old name test took it) is not a setup problem."""
    from inolink_tui.config.load import ConfigError
    from inolink_tui.connectors.errors import ReauthorizationRequired
    from inolink_tui.domain.errors import ErrorFacts, Service

    class AuthorStoreDown(Exception):
        pass

    class ConfigurableThing(RuntimeError):
        pass

    assert is_setup_problem(HeadlessSetupError("x"))
    assert is_setup_problem(ReauthorizationRequired(ErrorFacts(Service.QUICKBOOKS, 400, "invalid_grant")))
    assert is_setup_problem(ConfigError("config.toml: not TOML"))
    assert not is_setup_problem(AuthorStoreDown())
    assert not is_setup_problem(ConfigurableThing())
    assert not is_setup_problem(RuntimeError("boom"))
    assert not is_setup_problem(KeyError("job"))


def test_an_engine_that_cannot_be_built_is_a_setup_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def broken(settings: object, store: object) -> object:
        raise ValueError("[quickbooks] token_file is not set; run `inolink-tui auth quickbooks` first")

    assert main(settings_for(None), HeadlessOptions(tmp_path / "jobs.db"), broken) == 2
    (error,) = [line for line in _json_lines(capsys.readouterr().out) if line["event"] == "setup_error"]
    assert error["message"] == (
        "cannot build the engine: [quickbooks] token_file is not set; run `inolink-tui auth quickbooks` first"
    )
