"""Suite-wide switches: the `slow` marker's long variants run only with --run-slow.

Why: the whole suite must stay well under 15 minutes on a shared 2-core machine. A long variant
(more kills, more records) goes behind `@pytest.mark.slow` only when a shorter default variant still
covers the same behaviour, so CI (`uv run pytest`) keeps checking it and `--run-slow` adds depth.
"""

from __future__ import annotations

import pytest

RUN_SLOW = "--run-slow"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        RUN_SLOW,
        action="store_true",
        default=False,
        help="also run the tests marked slow (long variants; the default run covers the same behaviour in short)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption(RUN_SLOW):
        return
    skip_slow = pytest.mark.skip(reason="slow long variant: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package's bytecode once before the tests start.

    Why: many tests start the CLI or the daemon as a subprocess (the crash loops, `--once` runs), and with
    PYTHONDONTWRITEBYTECODE=1 (set on these machines) each would compile every module from source again, about
    0.15 s a process. Only the controller compiles (xdist workers find the files written); __pycache__ is ignored
    by git.
    """
    if "workerinput" in config.__dict__:  # an xdist worker: the controller compiled already
        return
    import compileall
    from pathlib import Path

    compileall.compile_dir(Path(__file__).resolve().parents[1] / "inolink_tui", quiet=2)
