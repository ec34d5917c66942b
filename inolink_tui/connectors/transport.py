"""The one request loop both API clients use: limits, the throttle gate, retries and a single re-auth.

Keeping it in one place means Dataverse and QuickBooks cannot drift apart on the rules that matter
operationally: nothing is sent while the gate is closed, 5xx/timeouts back off with jitter, a 401
gets one fresh token and one retry, and every other error is raised typed and classified.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import ssl
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol, Self, runtime_checkable

import httpx

from inolink_tui.connectors.errors import ConnectorError, ProtocolError, TransportError
from inolink_tui.connectors.events import EventSink, Throttled, emit
from inolink_tui.connectors.limits import ApiLimiter
from inolink_tui.connectors.retry import RETRY_STATUSES, Backoff, parse_retry_after
from inolink_tui.domain.errors import BAD_BODY_CODE, ErrorFacts, Service
from inolink_tui.domain.jobs import utcnow

log = logging.getLogger(__name__)


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One verifying TLS context for both API clients of a process, as httpx would make it (certifi's bundle, or
    SSL_CERT_FILE / SSL_CERT_DIR). httpx builds one per AsyncClient, and loading the bundle is about 18 ms of CPU
    each, spent before the first cycle (issue 18 item 3); a context is made to be shared by many connections."""
    return httpx.create_ssl_context()


class TokenSource(Protocol):
    async def access_token(self) -> str: ...

    async def invalidate(self, token: str) -> None:
        """The API refused `token`: forget it so the next `access_token()` fetches a new one."""
        ...


@runtime_checkable
class ClosableTokens(Protocol):
    """A token source holding resources (an HTTP client, a file lock) that its API client closes with itself."""

    def close(self) -> None: ...


ErrorParser = Callable[[httpx.Response], ConnectorError]


class ApiTransport:
    def __init__(
        self,
        *,
        service: Service,
        client: httpx.AsyncClient,
        limiter: ApiLimiter,
        backoff: Backoff,
        tokens: TokenSource,
        parse_error: ErrorParser,
        events: EventSink | None = None,
    ) -> None:
        self.service = service
        self.client = client
        self.limiter = limiter
        self.backoff = backoff
        self.tokens = tokens
        self.parse_error = parse_error
        self.events = events
        self.requests_sent = 0
        self.throttled = 0
        """Responses with status 429, and requests sent again after a failure: the daemon's metrics read both."""
        self.retries = 0

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send one logical request, retrying what is worth retrying; raise a typed error otherwise.

        A retried request is byte-for-byte the same request (same URL, so the same QuickBooks
        requestid), which is what makes retrying a create safe.
        """
        max_attempts = self.backoff.settings.max_attempts
        reauthed = False
        attempt = 0
        while True:
            attempt += 1
            token = await self.tokens.access_token()
            request_headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
            async with self.limiter.slot():
                self.requests_sent += 1
                try:
                    response = await self.client.request(
                        method, url, params=params, headers=request_headers, json=json, content=content
                    )
                except httpx.TimeoutException as exc:
                    error: ConnectorError = TransportError(
                        ErrorFacts(self.service, None, "timeout", f"{method} {_path(url)} timed out ({exc!r})")
                    )
                    response = None
                except httpx.TransportError as exc:
                    error = TransportError(
                        ErrorFacts(self.service, None, "connection", f"{method} {_path(url)} failed: {exc}")
                    )
                    response = None
            unreadable = unreadable_body(response) if response is not None and response.status_code < 300 else None
            if response is not None and unreadable is not None:
                # A 200 whose body was cut short, garbled or replaced by a proxy's page says nothing about the
                # request itself: a transient fault, retried with back-off like a 5xx or a dropped connection.
                error = ProtocolError(
                    ErrorFacts(
                        self.service,
                        response.status_code,
                        BAD_BODY_CODE,
                        f"{method} {_path(url)} answered {unreadable}",
                    )
                )
                response = None
            if response is None:
                if attempt >= max_attempts:
                    raise error
                delay = self.backoff.delay(attempt)
                log.warning("%s: %s; retry %d in %.2fs", self.service.value, error.message, attempt, delay)
                await self.limiter.clock.sleep(delay)
                self.retries += 1
                continue
            status = response.status_code
            if status < 400 or status in ok_statuses:
                return response
            if status == 401 and not reauthed:
                reauthed = True
                attempt -= 1  # a token refresh is not a failure of the request itself
                await self.tokens.invalidate(token)
                continue
            if status in RETRY_STATUSES and attempt < max_attempts:
                await self._wait_before_retry(response, attempt)
                self.retries += 1
                continue
            failure = self.parse_error(response)
            if status == 429:
                failure.retry_after = self._close_gate(response, attempt)
            raise failure

    def _close_gate(self, response: httpx.Response, attempt: int) -> float:
        """Close the API's gate for Retry-After (or the backoff); returns the seconds it stays closed."""
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        seconds = self.backoff.cap_retry_after(retry_after) if retry_after is not None else self.backoff.delay(attempt)
        self.limiter.gate.close_for(seconds)
        self.throttled += 1
        emit(self.events, Throttled(self.service, seconds, utcnow() + timedelta(seconds=seconds), 429))
        log.warning("%s throttled (429): no request for %.2fs", self.service.value, seconds)
        return seconds

    async def _wait_before_retry(self, response: httpx.Response, attempt: int) -> None:
        if response.status_code == 429:
            self._close_gate(response, attempt)  # the next slot() waits at the gate, with everyone else
            return
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        delay = self.backoff.cap_retry_after(retry_after) if retry_after is not None else self.backoff.delay(attempt)
        log.warning("%s answered %d; retry %d in %.2fs", self.service.value, response.status_code, attempt, delay)
        await self.limiter.clock.sleep(delay)


JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


def unreadable_body(response: httpx.Response) -> str | None:
    """Why a successful answer's body cannot be the one the service sent, or None when it reads fine.

    Both APIs answer in JSON (we ask with `Accept: application/json`), so a JSON body that does not parse was
    truncated or garbled on the way, and an HTML page is a proxy's or gateway's (a login or error page), never the
    service's. Other media (Dataverse $batch's multipart, QuickBooks' XML) are left to the clients' own parsers.
    """
    if not response.content:
        return None
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if JSON_MEDIA.match(media):
        try:
            json.loads(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            return f"a truncated or malformed JSON body ({len(response.content)} bytes)"
        return None
    if media in ("text/html", "application/xhtml+xml"):
        return "an HTML page instead of JSON (a proxy or gateway answered, not the service)"
    return None


def _path(url: str) -> str:
    """URLs in messages lose their query (it may hold user data)."""
    return url.split("?", 1)[0]


class OwnedClientLifecycle:
    """Closing shared by both API clients: the httpx client only when we created it, then the token provider."""

    http: httpx.AsyncClient
    token_provider: object
    _owns_http: bool

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()
        if isinstance(self.token_provider, ClosableTokens):
            self.token_provider.close()
