"""Assembles the whole sandbox: states, routes of all four services, faults, stats, on one ASGI app.

The Dataverse and Entra ID halves live in their own packages; when they are absent (a partial checkout)
the sandbox still serves Intuit and QuickBooks, and `Sandbox.dataverse` is None.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.faults import FaultInjector, FaultMiddleware
from inolink_tui.sandbox.identity import SandboxIdentity
from inolink_tui.sandbox.intuit import IntuitState, intuit_routes
from inolink_tui.sandbox.options import SandboxOptions
from inolink_tui.sandbox.quickbooks import QboApi, QboState, errors
from inolink_tui.sandbox.quickbooks.graphql import graphql_routes
from inolink_tui.sandbox.stats import SandboxStats, StatsMiddleware

log = logging.getLogger(__name__)


def dataverse_available() -> bool:
    """True when the Dataverse/Entra half of the sandbox is installed alongside this one."""
    try:
        return (
            importlib.util.find_spec("inolink_tui.sandbox.dataverse") is not None
            and importlib.util.find_spec("inolink_tui.sandbox.entra") is not None
        )
    except ModuleNotFoundError:
        return False


@dataclass
class Sandbox:
    options: SandboxOptions
    clock: SandboxClock
    identity: SandboxIdentity
    crm_url: str
    intuit: IntuitState
    qbo: QboState
    qbo_api: QboApi
    stats: SandboxStats
    faults: FaultInjector
    entra: Any = None
    dataverse: Any = None
    dataverse_limits: Any = None
    asgi: ASGIApp = field(init=False)
    initial_refresh_token: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def realm_id(self) -> str:
        return self.qbo.realm_id

    def current_refresh_token(self) -> str:
        """The refresh token to hand a new client: the seeded one until it rotated, then the newest."""
        return self.intuit.current_refresh_token() or self.initial_refresh_token


def _dataverse_parts(sandbox: Sandbox, data: dict[str, Any] | None) -> list[BaseRoute]:
    if not dataverse_available():
        log.warning("inolink_tui.sandbox.dataverse is missing: serving QuickBooks and Intuit only")
        return []
    from inolink_tui.sandbox.dataverse import (
        DataverseLimits,
        DataverseState,
        dataverse_routes,
    )
    from inolink_tui.sandbox.dataverse.schema_currency import seed_currencies
    from inolink_tui.sandbox.entra import EntraState, entra_routes

    options, identity, clock = sandbox.options, sandbox.identity, sandbox.clock
    if data and "entra" in data:
        sandbox.entra = EntraState.from_json(data["entra"], clock)
    else:
        sandbox.entra = EntraState(
            clock,
            seed=options.seed,
            tenant_id=identity.crm_tenant,
            client_id=identity.crm_client_id,
            client_secret=identity.crm_client_secret,
            resources={sandbox.crm_url},
        )
    if data and "dataverse" in data:
        sandbox.dataverse = DataverseState.from_json(data["dataverse"], clock)
    else:
        sandbox.dataverse = DataverseState(clock, org_url=sandbox.crm_url, bare=options.bare_org)
        seed_currencies(sandbox.dataverse)  # every organization has its base currency (schema_currency.py)
        sandbox.dataverse.customizations.key_index_seconds = options.dataverse_key_index_seconds
    limits = DataverseLimits(
        requests_per_window=options.dataverse_requests_per_window,
        window_seconds=options.dataverse_window_seconds,
        max_concurrency=options.dataverse_max_concurrency,
        execution_seconds=options.dataverse_execution_seconds,
    )
    sandbox.dataverse_limits = limits
    routes: list[BaseRoute] = [
        *entra_routes(sandbox.entra, clock, ""),
        *dataverse_routes(sandbox.dataverse, sandbox.entra, clock, limits),
    ]
    return routes


def build_sandbox(
    options: SandboxOptions,
    *,
    base_url: str,
    clock: SandboxClock | None = None,
    saved: dict[str, Any] | None = None,
    seed_data: bool = True,
) -> Sandbox:
    """A ready sandbox for `base_url` (scheme://host:port the clients will use).

    `saved` is a state document from `persist.load_state`; without it the company is seeded afresh.
    """
    from inolink_tui.sandbox.control import control_routes

    clock = clock or SandboxClock(options.time_scale)
    identity = SandboxIdentity.from_seed(options.seed)
    intuit = IntuitState(
        client_id=identity.qbo_client_id,
        client_secret=identity.qbo_client_secret,
        realm_id=identity.realm_id,
        clock=clock,
        policy=options.intuit,
    )
    if saved and "qbo" in saved:
        qbo = QboState.from_json(
            saved["qbo"],
            clock,
            company_utc_offset_minutes=options.company_utc_offset_minutes,
            duplicate_docnumber_check=options.duplicate_docnumber_check,
        )
    else:
        qbo = QboState(
            clock,
            realm_id=identity.realm_id,
            company_utc_offset_minutes=options.company_utc_offset_minutes,
            duplicate_docnumber_check=options.duplicate_docnumber_check,
        )
    qbo_api = QboApi(
        qbo,
        intuit,
        clock,
        options.qbo_limits,
        requestid_mode=options.requestid_mode,
        cdc_lookback_days=options.cdc_lookback_days,
    )
    stats = SandboxStats(clock)
    faults = FaultInjector(
        clock, seed=options.seed, profile=options.faults, qbo_json_429=options.qbo_limits.throttle_body == "json"
    )
    sandbox = Sandbox(
        options=options,
        clock=clock,
        identity=identity,
        crm_url=base_url.rstrip("/"),
        intuit=intuit,
        qbo=qbo,
        qbo_api=qbo_api,
        stats=stats,
        faults=faults,
    )
    from inolink_tui.sandbox.quickbooks.webhooks import WebhookNotifier

    notifier = WebhookNotifier(qbo.realm_id, identity.qbo_webhook_verifier_token, url=options.webhook_url)
    qbo.on_change = notifier.changed
    sandbox.extra["webhooks"] = notifier
    dataverse_routes = _dataverse_parts(sandbox, saved)
    if saved and "intuit" in saved:
        intuit.load_json(saved["intuit"])
        sandbox.initial_refresh_token = intuit.current_refresh_token() or intuit.consent().refresh_token
    else:
        sandbox.initial_refresh_token = intuit.consent().refresh_token
    if seed_data and not saved:
        from inolink_tui.sandbox.seed import seed_sandbox
        from inolink_tui.sandbox.seed_custom import seed_custom_fields

        seed_sandbox(sandbox)
        seed_custom_fields(sandbox)

    routes: list[BaseRoute] = [
        *control_routes(sandbox),
        *intuit_routes(intuit),
        *qbo_api.routes(),
        *graphql_routes(qbo, intuit),
        *dataverse_routes,
        Route("/v3/{rest:path}", qbo_unsupported(qbo_api), methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    app = Starlette(routes=routes)
    app.add_exception_handler(404, _not_found_handler)
    sandbox.asgi = StatsMiddleware(FaultMiddleware(app, faults), stats)
    return sandbox


async def _not_found_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "not_found", "path": request.url.path}, status_code=404)


def qbo_unsupported(api: QboApi) -> Callable[[Request], Awaitable[Response]]:
    """Paths under /v3 that are not a company resource still answer with QBO's Unsupported Operation."""

    async def handler(request: Request) -> Response:
        fault = errors.unsupported_path(request.url.path, str(request.url))
        return api.fault_response(fault, time.perf_counter())

    return handler
