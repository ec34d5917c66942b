"""The engine factory cli hands to the headless daemon: the composition root joins engine and headless here.

`INOLINK_ENGINE_FACTORY=module:function` swaps in another factory (the tests' subprocess doubles, which cannot be
passed as a callable across `exec`); a name that does not resolve is a setup problem the daemon reports as one
JSON line with exit status 2.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from inolink_tui.headless.app import EngineFactory, HeadlessSetupError
from inolink_tui.headless.ports import DaemonEngine
from inolink_tui.store.base import JobStore

FACTORY_ENV = "INOLINK_ENGINE_FACTORY"


def skip_httpx_cli() -> None:
    """Keep httpx from importing its command-line client, which the daemon never runs.

    httpx 0.28's `__init__` imports `httpx._main` (its CLI: rich, pygments, click) whenever those are installed,
    and Textual installs rich and pygments here: about 30 ms of CPU, half of importing httpx, before the first
    cycle (measured: 61-71 ms with it, 29-34 ms without). httpx falls back to a stub `main` when that import fails
    (`except ImportError` around it), which a None entry in sys.modules makes it do. The CLI is lazy in later
    versions (https://github.com/pydantic/httpx2/pull/947); nothing else changes, and an httpx already imported
    is left as it is."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


async def daemon_engine(settings: Any, store: JobStore) -> DaemonEngine:
    """The real engine for the settings, adapted to what the daemon drives."""
    skip_httpx_cli()
    from inolink_tui.engine.factory import build_engine
    from inolink_tui.headless.engine_adapter import EngineAdapter

    return EngineAdapter(await build_engine(settings, store), store)


def headless_factory(spec: str | None = None) -> EngineFactory:
    """`daemon_engine`, or the factory `spec` (default: $INOLINK_ENGINE_FACTORY) names."""
    spec = spec or os.environ.get(FACTORY_ENV)
    if not spec:
        return daemon_engine
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        return _refusing(f"engine factory {spec!r} is not available ({exc})")
    factory = vars(module).get(attr or "build_engine")
    if not callable(factory):
        return _refusing(f"engine factory {spec!r} names no callable")
    return factory  # type: ignore[no-any-return]


def _refusing(message: str) -> EngineFactory:
    async def refuse(settings: Any, store: JobStore) -> DaemonEngine:
        raise HeadlessSetupError(message)

    return refuse
