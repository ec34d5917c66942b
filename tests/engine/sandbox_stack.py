"""The engine, the connectors and the in-process sandbox over real HTTP, for end-to-end tests of one behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store import open_store
from inolink_tui.store.base import JobStore

SEED_SETTLED_SECONDS = 10.0
"""Service seconds between the seed and the tests' first engine start (see `stack`)."""


@dataclass
class Stack:
    handle: Any
    store: JobStore
    settings: Any

    @property
    def dv(self) -> Any:
        return self.handle.sandbox.dataverse

    @property
    def qbo(self) -> Any:
        return self.handle.sandbox.qbo

    async def engine(self) -> Any:
        from inolink_tui.engine.factory import build_engine

        engine = await build_engine(self.settings, self.store)
        options = replace(engine.options, dependency_poll_seconds=0.05, once_wait_seconds=5.0)
        engine.options = engine.processor.options = engine.cycles.options = options
        return engine

    async def run_once(self) -> None:
        engine = await self.engine()
        try:
            await engine.run_once()
        finally:
            await engine.stop()

    async def jobs(self) -> list[LinkJob]:
        page = await self.store.page(JobFilter(), JobSort("id", descending=False), limit=100_000)
        return list(page.jobs)


@asynccontextmanager
async def stack(
    tmp_path: Path, *, records: int = 16, sync: str = "", extra: str = "", **options: Any
) -> AsyncIterator[Stack]:
    """`sync`: lines added to [sync]; `extra`: TOML appended to the config (e.g. [[mapping.account]] entries)."""
    from inolink_tui.config.load import load_settings
    from inolink_tui.sandbox.config_writer import write_config
    from inolink_tui.sandbox.options import QboLimits, SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    unthrottled = QboLimits(requests_per_minute=0, requests_per_second=0)
    async with run_sandbox(SandboxOptions(records=records, seed=3, qbo_limits=unthrottled, **options)) as handle:
        # The company's data was entered a while before the engine first runs: its first QuickBooks CDC window
        # (from start-up, less a 2 s overlap) must not reach back to the seed. With a quick start-up it did, and
        # the seed's customers and payments then came back through CDC in some runs and not in others.
        handle.sandbox.clock.advance(SEED_SETTLED_SECONDS)
        config = tmp_path / "s.toml"
        write_config(config, handle.info())
        if sync:
            text = config.read_text()
            config.write_text(
                text.replace("[sync]\n", f"[sync]\n{sync}\n") if "[sync]\n" in text else text + f"\n[sync]\n{sync}\n"
            )
        if extra:
            config.write_text(config.read_text() + "\n" + extra)
        settings = load_settings(config)
        fast_qbo = settings.quickbooks.model_copy(
            update={"requests_per_minute": 100_000, "requests_per_second": 10_000}
        )
        settings = settings.model_copy(update={"quickbooks": fast_qbo})
        store = await open_store(settings.store.path)
        try:
            yield Stack(handle, store, settings)
        finally:
            await store.close()
