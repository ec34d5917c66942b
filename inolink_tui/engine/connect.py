"""The engine's two ports built from the configuration, for commands that act without running the engine
(promote, unlink, link, match, import, doctor). `factory.build_engine` builds the same for the services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.connectors.settings import dataverse_settings_from, quickbooks_settings_from
from inolink_tui.engine.adapters import DataverseCrm, QuickBooksAccounting
from inolink_tui.engine.options import EngineOptions
from inolink_tui.store.tokens import TokenStore


@dataclass(frozen=True)
class Ports:
    crm: DataverseCrm
    qbo: QuickBooksAccounting | None
    """None when QuickBooks was not asked for."""
    options: EngineOptions


@asynccontextmanager
async def connected_ports(settings: Any, *, quickbooks: bool = True) -> AsyncIterator[Ports]:
    """Both clients (QuickBooks only when asked), closed on the way out.

    Raises NotConfigured (a missing key) or ValueError (no token file) before any request is made."""
    dv_settings = dataverse_settings_from(settings.crm)
    crm_client = DataverseClient(dv_settings)
    qbo_client: QuickBooksClient | None = None
    try:
        company = ""
        if quickbooks:
            qbo_settings = quickbooks_settings_from(settings.quickbooks)
            if qbo_settings.token_file is None:
                raise ValueError("[quickbooks] token_file is not set; run `inolink-tui auth quickbooks` first")
            qbo_client = QuickBooksClient(qbo_settings, store=TokenStore(qbo_settings.token_file))
            company = qbo_settings.realm_id
        options = EngineOptions.from_settings(settings, company=company)
        yield Ports(
            DataverseCrm(crm_client, options.schema), QuickBooksAccounting(qbo_client) if qbo_client else None, options
        )
    finally:
        await crm_client.aclose()
        if qbo_client is not None:
            await qbo_client.aclose()
