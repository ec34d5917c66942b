"""The engine factory cli hands to the headless daemon: the composition root joins engine and headless here.

`INOLINK_ENGINE_FACTORY=module:function` swaps in another factory (the tests' subprocess doubles, which cannot be
passed as a callable across `exec`); a name that does not resolve is a setup problem the daemon reports as one
JSON line with exit status 2.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from inolink_tui.headless.app import EngineFactory, HeadlessSetupError
from inolink_tui.headless.ports import DaemonEngine
from inolink_tui.store.base import JobStore

FACTORY_ENV = "INOLINK_ENGINE_FACTORY"


async def daemon_engine(settings: Any, store: JobStore) -> DaemonEngine:
    """The real engine for the settings, adapted to what the daemon drives."""
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
