"""Building the Engine from the configuration: connectors, token file, options, event forwarding.

`build_engine(settings, store)` is what the headless daemon and the console call.
"""

from __future__ import annotations

import logging
from typing import Any

from inolink_tui.connectors import events as connector_events
from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.events import EventSink
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.connectors.settings import dataverse_settings_from, quickbooks_settings_from
from inolink_tui.domain.events import AuthProblem, EventBus, Throttled
from inolink_tui.domain.vocabulary import System
from inolink_tui.engine.adapters import DataverseCrm, QuickBooksAccounting
from inolink_tui.engine.crm_setup import check_crm_schema
from inolink_tui.engine.guard import EngineIdentity, LeaseNames, pair_key
from inolink_tui.engine.guard_dataverse import DataverseRows
from inolink_tui.engine.mapping_metadata import SystemsMetadata
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.pair_guard import EngineGuard
from inolink_tui.engine.runtime import Engine
from inolink_tui.store.base import JobStore
from inolink_tui.store.tokens import TokenStore

log = logging.getLogger(__name__)


def forward_connector_events(bus: EventBus) -> EventSink:
    """A connector EventSink that republishes auth problems and throttling as engine events."""

    def sink(event: object) -> None:
        if isinstance(event, connector_events.AuthProblem):
            message = f"{event.message} {event.action}".strip() if event.action else event.message
            bus.publish(AuthProblem(system=System.of(event.service), message=message))
        elif isinstance(event, connector_events.Throttled):
            bus.publish(Throttled(system=System.of(event.service), retry_after_seconds=event.seconds))

    return sink


async def build_engine(settings: Any, store: JobStore, *, bus: EventBus | None = None) -> Engine:
    bus = bus or EventBus()
    sink = forward_connector_events(bus)
    dv_settings = dataverse_settings_from(settings.crm)
    qbo_settings = quickbooks_settings_from(settings.quickbooks)
    if qbo_settings.token_file is None:
        raise ValueError("[quickbooks] token_file is not set; run `inolink-tui auth quickbooks` first")
    crm_client = DataverseClient(dv_settings, events=sink)
    qbo_client = QuickBooksClient(qbo_settings, store=TokenStore(qbo_settings.token_file), events=sink)
    options = EngineOptions.from_settings(settings, company=qbo_settings.realm_id)
    try:
        await check_crm_schema(crm_client, options)
    except Exception:  # the engine that would own the clients is never built
        await crm_client.aclose()
        await qbo_client.aclose()
        raise
    # The pair lease lives in Dataverse so engines with different databases (or machines) see each other.
    guard = EngineGuard(
        DataverseRows(crm_client),
        pair_key(dv_settings.org_url, qbo_settings.realm_id),
        EngineIdentity(database=database_label(store)),
        lease_seconds=max(15.0, options.lease_seconds),
        claim_seconds=max(30.0, 2 * options.lease_seconds),
        names=LeaseNames(options.schema.prefix),
        claim_column=options.schema.sync_claim,
    )
    crm = DataverseCrm(crm_client, options.schema)
    qbo = QuickBooksAccounting(qbo_client)
    engine = Engine(
        store,
        crm,
        qbo,
        options,
        bus=bus,
        closers=(crm_client.aclose, qbo_client.aclose),
        guard=guard,
        monitors={System.CRM: crm, System.QUICKBOOKS: qbo},
        metadata=SystemsMetadata(crm_client, qbo_client),
    )
    log.info("engine built for %s and QuickBooks company %s", dv_settings.org_url, qbo_settings.realm_id)
    return engine


def database_label(store: JobStore) -> str:
    """The database file the pair lease names as its holder's; a store without a file (a test double) names none."""
    from inolink_tui.store.sqlite import SqliteJobStore  # the SQLite backend is chosen by cli, not here

    return str(store.path) if isinstance(store, SqliteJobStore) else ""
