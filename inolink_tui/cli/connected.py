"""Running a command that talks to Dynamics 365 and QuickBooks: one place turns every way it can fail
(config, authorisation, a refused request, a refused action) into one line and exit 2."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from inolink_tui.cli.context import CliContext
from inolink_tui.cli.store_session import fail
from inolink_tui.domain.enums import SYNCED_ENTITY_TYPES, EntityType

T = TypeVar("T")

SYNCED_NAMES = {e.name.lower(): e for e in SYNCED_ENTITY_TYPES} | {"salesorder": EntityType.ORDER}


def parse_entity(text: str, *, names_only: bool = False) -> EntityType:
    """ENTITY as a user types it: account, contact, product, quote, order (salesorder), invoice."""
    found = SYNCED_NAMES.get(text.strip().lower())
    if found is None:
        try:
            found = EntityType(EntityType.parse(text))
        except ValueError:
            fail(f"{text!r} is not an entity (choose from: account, contact, product, quote, order, invoice)")
    if found not in SYNCED_ENTITY_TYPES:
        fail(f"{found.value} records come from QuickBooks only (choose from: {', '.join(SYNCED_NAMES)})")
    if names_only and found.is_transaction:
        fail(f"{found.value} is a transaction; this command takes account, contact or product")
    return found


def run_connected(cli: CliContext, body: Callable[..., Coroutine[Any, Any, T]], *, quickbooks: bool = True) -> T:
    """Open the store and both connections, run `body(store, ports)`, and close everything."""
    from inolink_tui.engine.connect import connected_ports

    settings = cli.settings()

    async def with_ports(store: Any) -> T:
        async with connected_ports(settings, quickbooks=quickbooks) as ports:
            return await body(store, ports)

    return run_with_store(cli, with_ports)


def run_with_store(cli: CliContext, body: Callable[..., Coroutine[Any, Any, T]]) -> T:
    """Open (or, like the engine's first run, create) the job store, run `body(store)`, close it; every
    expected failure is one line and exit 2."""
    from inolink_tui.cli.store_session import open_job_store

    async def main() -> T:
        async with open_job_store(cli, create=True) as store:
            return await body(store)

    return run_guarded(cli, main)


def run_crm(cli: CliContext, body: Callable[..., Coroutine[Any, Any, T]]) -> T:
    """Run `body(client)` with a DataverseClient from [crm] (no job store, no QuickBooks)."""
    from inolink_tui.connectors.dataverse import DataverseClient
    from inolink_tui.connectors.settings import dataverse_settings_from

    settings = cli.settings()

    async def main() -> T:
        client = DataverseClient(dataverse_settings_from(settings.crm))
        try:
            return await body(client)
        finally:
            await client.aclose()

    return run_guarded(cli, main)


def run_guarded(cli: CliContext, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    from inolink_tui.connectors.errors import ConnectorError
    from inolink_tui.connectors.settings import NotConfigured
    from inolink_tui.engine.record_actions import ActionRefused
    from inolink_tui.store.base import StoreError

    try:
        return asyncio.run(main())
    except NotConfigured as exc:
        fail(f"{cli.config_path or 'config'}: {exc}")
    except ActionRefused as exc:
        fail(str(exc))
    except ConnectorError as exc:
        fail(exc.describe())
    except StoreError as exc:
        fail(str(exc) or type(exc).__name__)
    except ValueError as exc:
        fail(str(exc))
