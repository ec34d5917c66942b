"""Entra ID client-credentials tokens for Dataverse, through msal, without blocking the event loop.

msal is synchronous and its constructor already talks to the network (OIDC discovery), so the app
is built lazily in a worker thread, once per (authority, client). msal's cache serves the token
until fewer than 300 s remain, which is our "refresh before expiry". On a 401 from Dataverse the app
is dropped (msal cannot evict one client-credentials token) and the next call builds a fresh one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import msal

from inolink_tui.connectors.errors import AuthError, TransportError
from inolink_tui.connectors.events import AuthProblem, AuthRestored, EventSink, emit
from inolink_tui.connectors.msal_http import MsalHttpClient, is_local_http, msal_authority
from inolink_tui.connectors.settings import DataverseSettings
from inolink_tui.connectors.status import TokenStatus
from inolink_tui.domain.errors import ErrorFacts, Service
from inolink_tui.domain.jobs import utcnow

log = logging.getLogger(__name__)

FAST_PATH_MARGIN = timedelta(seconds=360)


class DataverseTokenProvider:
    def __init__(self, settings: DataverseSettings, *, events: EventSink | None = None) -> None:
        self.settings = settings
        self.events = events
        self._app: Any = None
        self._http: MsalHttpClient | None = None
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self.expires_at: datetime | None = None
        """When the current access token expires (shown in the console and by `auth check`)."""
        self._problem: str | None = None

    def _build_app(self) -> Any:
        authority = self.settings.authority_url
        self._http = MsalHttpClient.for_authority(authority, timeout=self.settings.timeout_seconds)
        return msal.ConfidentialClientApplication(
            self.settings.client_id,
            client_credential=self.settings.client_secret,
            authority=msal_authority(authority),
            http_client=self._http,
            instance_discovery=not is_local_http(authority),
        )

    def _acquire(self) -> dict[str, Any]:
        if self._app is None:
            self._app = self._build_app()
        result: dict[str, Any] = self._app.acquire_token_for_client(scopes=[self.settings.scope])
        return result

    async def access_token(self) -> str:
        token, expires = self._token, self.expires_at
        if token is not None and expires is not None and expires - utcnow() > FAST_PATH_MARGIN:
            return token  # well inside msal's own 300 s margin: skip the thread hop
        async with self._lock:
            try:
                result = await asyncio.to_thread(self._acquire)
            except httpx.TimeoutException as exc:
                self._app = None
                raise TransportError(
                    ErrorFacts(Service.DATAVERSE, None, "timeout", f"Entra ID timed out: {exc!r}")
                ) from exc
            except httpx.TransportError as exc:
                self._app = None
                raise TransportError(
                    ErrorFacts(Service.DATAVERSE, None, "connection", f"Entra ID unreachable: {exc}")
                ) from exc
            except ValueError as exc:  # msal: bad authority, failed discovery
                self._app = None
                raise self._fail(ErrorFacts(Service.DATAVERSE, None, "invalid_authority", str(exc))) from exc
            if "access_token" not in result:
                self._app = None
                raise self._fail(_facts_from_msal(result))
            token = str(result["access_token"])
            if token != self._token:
                self._token = token
                self.expires_at = utcnow() + timedelta(seconds=int(result.get("expires_in", 0)))
            if self._problem is not None:
                self._problem = None
                emit(self.events, AuthRestored(Service.DATAVERSE))
            return token

    def _fail(self, facts: ErrorFacts) -> AuthError:
        error = AuthError(facts)
        first = self._problem is None
        self._problem = error.hint
        if first:
            emit(self.events, AuthProblem(Service.DATAVERSE, error.hint, "check the [crm] settings"))
        return error

    def status(self) -> TokenStatus:
        return TokenStatus(Service.DATAVERSE, self.expires_at, None, False, self._problem)

    async def invalidate(self, token: str) -> None:
        async with self._lock:
            if token == self._token:
                log.info("Dataverse refused the access token; a new one will be requested")
                self._app = None
                self._token = None
                self.expires_at = None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()


def _facts_from_msal(result: dict[str, Any]) -> ErrorFacts:
    """msal returns errors as dicts; the AADSTS number is the precise code."""
    codes = result.get("error_codes") or []
    error = str(result.get("error") or "")
    description = str(result.get("error_description") or error)
    code = f"AADSTS{codes[0]}" if codes else error
    first_line = description.splitlines()[0] if description else error
    return ErrorFacts(Service.DATAVERSE, None, code, first_line, error)
