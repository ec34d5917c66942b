"""The engine factory cli passes to the daemon, and the environment override the subprocess tests use."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from inolink_tui.cli.engine_factories import FACTORY_ENV, daemon_engine, headless_factory
from inolink_tui.headless.app import HeadlessOptions, HeadlessSetupError, main
from tests.headless.store_engine import build_engine, settings_for

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


def test_the_real_engine_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FACTORY_ENV, raising=False)
    assert headless_factory() is daemon_engine


def test_a_missing_engine_factory_is_a_setup_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FACTORY_ENV, "no_such_module_here:build")
    status = main(settings_for(None), HeadlessOptions(tmp_path / "jobs.db", once=True), headless_factory())
    assert status == 2
    (error,) = [line for line in _json_lines(capsys.readouterr().out) if line["event"] == "setup_error"]
    assert "engine factory 'no_such_module_here:build' is not available" in str(error["message"])


async def test_the_factory_can_be_chosen_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FACTORY_ENV, "tests.headless.store_engine:build_engine")
    assert headless_factory() is build_engine
    with pytest.raises(HeadlessSetupError, match="names no callable"):
        await headless_factory("tests.headless.store_engine:SECRET")(None, None)  # type: ignore[arg-type]
