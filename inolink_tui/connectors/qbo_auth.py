"""Intuit OAuth 2.0 tokens for QuickBooks: refresh, rotation, persistence, and "re-authorize" handling.

Rules this module exists to enforce:
- Intuit rotates the refresh token; the new one is written to the token store (atomically, by the
  store) *before* the new access token is handed to anyone, so a crash can never leave us holding
  only a token that was never saved.
- Refreshes are serialised per realm (an asyncio lock here, and a file lock next to the token file
  across processes): two concurrent refreshes with one token leave the loser with a dead token.
- `invalid_grant` means only a person can fix it. It raises `ReauthorizationRequired` once, emits
  one `AuthProblem` event, and from then on QuickBooks-bound calls fail fast without a request until
  new tokens appear in the store (`inolink-tui auth quickbooks` writes them).
intuit-oauth is a synchronous `requests.Session` without timeouts: it runs in a thread and a
subclass adds a timeout to every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from inolink_tui.connectors.errors import AuthError, ReauthorizationRequired, TransportError
from inolink_tui.connectors.events import AuthProblem, AuthRestored, EventSink, emit
from inolink_tui.connectors.settings import QuickBooksClientSettings
from inolink_tui.connectors.status import TokenStatus
from inolink_tui.domain.errors import REAUTHORIZE_QUICKBOOKS, ErrorFacts, Service
from inolink_tui.domain.jobs import require_aware, utcnow
from inolink_tui.store.base import StoreError

log = logging.getLogger(__name__)

ACCESS_MARGIN = timedelta(seconds=300)
"""Refresh this long before the access token expires (a request must not start with a dying token)."""
STORE_RECHECK_SECONDS = 5.0


class TokenStorage(Protocol):
    """What we need of `inolink_tui.store.tokens.TokenStore` (atomic JSON-per-key file)."""

    def load(self, key: str) -> dict[str, Any] | None: ...

    def save(self, key: str, value: dict[str, Any]) -> None: ...


class TimeoutAuthClient(AuthClient):  # type: ignore[misc]
    """intuit-oauth's client with a timeout on every HTTP call, including the constructor's discovery GET."""

    def __init__(self, *args: Any, timeout: float, **kwargs: Any) -> None:
        self._timeout = timeout
        super().__init__(*args, **kwargs)
        self.include_refresh_token_hard_expires_in = True

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class QuickBooksTokens:
    """One realm's tokens as kept in the token store (ISO-8601 UTC times)."""

    refresh_token: str
    realm_id: str
    access_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    refresh_hard_expires_at: datetime | None = None
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "refresh_token": self.refresh_token,
            "realm_id": self.realm_id,
            "access_token": self.access_token,
            "access_expires_at": iso(self.access_expires_at),
            "refresh_expires_at": iso(self.refresh_expires_at),
            "refresh_hard_expires_at": iso(self.refresh_hard_expires_at),
            "updated_at": iso(self.updated_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], realm_id: str) -> QuickBooksTokens | None:
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            return None

        def when(key: str) -> datetime | None:
            value = data.get(key)
            if not isinstance(value, str) or not value:
                return None
            try:
                return require_aware(datetime.fromisoformat(value), key)
            except ValueError:
                log.warning("token store: ignoring unreadable %s=%r", key, value)
                return None

        access = data.get("access_token")
        return cls(
            refresh_token=refresh,
            realm_id=str(data.get("realm_id") or realm_id),
            access_token=access if isinstance(access, str) and access else None,
            access_expires_at=when("access_expires_at"),
            refresh_expires_at=when("refresh_expires_at"),
            refresh_hard_expires_at=when("refresh_hard_expires_at"),
            updated_at=when("updated_at"),
        )

    def access_valid(self, now: datetime, margin: timedelta = ACCESS_MARGIN) -> bool:
        return bool(self.access_token and self.access_expires_at and self.access_expires_at - now > margin)


def tokens_from_reply(client: Any, realm_id: str, now: datetime) -> QuickBooksTokens:
    """Read what intuit-oauth setattr'd from a 200 token reply into absolute expiries."""

    def after(seconds: Any) -> datetime | None:
        try:
            return now + timedelta(seconds=int(seconds)) if seconds is not None else None
        except (TypeError, ValueError):
            return None

    return QuickBooksTokens(
        refresh_token=str(client.refresh_token),
        realm_id=realm_id,
        access_token=str(client.access_token),
        access_expires_at=after(client.expires_in),
        refresh_expires_at=after(client.x_refresh_token_expires_in),
        refresh_hard_expires_at=after(getattr(client, "x_refresh_token_hard_expires_in", None)),
        updated_at=now,
    )


def oauth_error_facts(exc: AuthClientError) -> ErrorFacts:
    """Intuit's token endpoint answers {"error": "invalid_grant", "error_description": ...}."""
    content = exc.content.decode("utf-8", "replace") if isinstance(exc.content, bytes) else str(exc.content)
    code, message = "", content.strip()
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("error") or "")
        message = str(body.get("error_description") or code)
    return ErrorFacts(Service.QUICKBOOKS, int(exc.status_code), code or None, message or f"HTTP {exc.status_code}")


@contextlib.contextmanager
def _file_lock(token_file: Path | None) -> Iterator[None]:
    """Serialise refreshes across processes sharing one token file (the console and the headless engine)."""
    if token_file is None:
        yield
        return
    token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Not the token store's own "<file>.lock": flock locks of two descriptors on one file conflict even
    # within a process, and the store takes its lock inside ours.
    lock_path = token_file.with_name(token_file.name + ".refresh-lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class QuickBooksTokenProvider:
    """Access tokens for one realm, refreshed before expiry and persisted before use."""

    def __init__(
        self,
        settings: QuickBooksClientSettings,
        store: TokenStorage,
        *,
        events: EventSink | None = None,
        scopes: tuple[Any, ...] = (Scopes.ACCOUNTING,),
    ) -> None:
        self.settings = settings
        self.store = store
        self.events = events
        self.scopes = scopes
        self._lock = asyncio.Lock()
        self._client: Any = None
        self._tokens: QuickBooksTokens | None = None
        self._unsaved: QuickBooksTokens | None = None
        self._dead_refresh_token: str | None = None
        self._last_store_check = 0.0
        self._attempted: str | None = None
        """The refresh token of the latest refresh attempt (the one Intuit refused, on invalid_grant)."""
        self.refresh_count = 0

    # --- what the console shows ---
    @property
    def tokens(self) -> QuickBooksTokens | None:
        return self._tokens

    @property
    def access_expires_at(self) -> datetime | None:
        return self._tokens.access_expires_at if self._tokens else None

    @property
    def refresh_expires_at(self) -> datetime | None:
        return self._tokens.refresh_expires_at if self._tokens else None

    @property
    def needs_reauthorization(self) -> bool:
        return self._dead_refresh_token is not None

    def status(self) -> TokenStatus:
        return TokenStatus(
            Service.QUICKBOOKS,
            self.access_expires_at,
            self.refresh_expires_at,
            self.needs_reauthorization,
            REAUTHORIZE_QUICKBOOKS if self.needs_reauthorization else None,
        )

    # --- the intuit-oauth client, built lazily in a thread (its constructor fetches discovery) ---
    def _auth_client(self) -> Any:
        if self._client is None:
            self._client = TimeoutAuthClient(
                self.settings.client_id,
                self.settings.client_secret,
                self.settings.redirect_uri,
                self.settings.environment,
                realm_id=self.settings.realm_id,
                timeout=self.settings.timeout_seconds,
            )
        return self._client

    def authorization_url(self, state: str) -> str:
        """Blocking (discovery on first use): call from the CLI or through a thread."""
        return str(self._auth_client().get_authorization_url(list(self.scopes), state_token=state))

    # --- store access ---
    def _load(self) -> QuickBooksTokens | None:
        try:
            data = self.store.load(self.settings.token_key)
        except (OSError, StoreError) as exc:
            raise AuthError(
                ErrorFacts(Service.QUICKBOOKS, None, "token_store", f"cannot read the QuickBooks tokens: {exc}")
            ) from exc
        return QuickBooksTokens.from_json(data, self.settings.realm_id) if data else None

    def _save(self, tokens: QuickBooksTokens) -> None:
        self.store.save(self.settings.token_key, tokens.to_json())

    async def load(self) -> QuickBooksTokens | None:
        """Read the saved tokens (expiries for display, without any request to Intuit)."""
        async with self._lock:
            stored = await asyncio.to_thread(self._load)
            if stored is not None and stored.refresh_token != self._dead_refresh_token:
                self._tokens = stored
            return stored

    # --- the main entry point ---
    async def access_token(self) -> str:
        if self._dead_refresh_token is not None:
            await self._maybe_recovered()
        tokens = self._tokens
        if tokens is not None and self._unsaved is None and tokens.access_valid(utcnow()):
            return str(tokens.access_token)
        async with self._lock:
            tokens = self._tokens
            if tokens is not None and self._unsaved is None and tokens.access_valid(utcnow()):
                return str(tokens.access_token)
            return await self._refresh_locked()

    async def invalidate(self, token: str) -> None:
        async with self._lock:
            tokens = self._tokens
            if tokens is not None and tokens.access_token == token:
                log.info("QuickBooks refused the access token; refreshing")
                self._tokens = QuickBooksTokens(
                    tokens.refresh_token,
                    tokens.realm_id,
                    None,
                    None,
                    tokens.refresh_expires_at,
                    tokens.refresh_hard_expires_at,
                    tokens.updated_at,
                )

    async def refresh(self) -> QuickBooksTokens:
        """Refresh now, whatever the access token's remaining life (for tools and tests)."""
        async with self._lock:
            await self._refresh_locked(force=True)
            assert self._tokens is not None
            return self._tokens

    async def exchange_code(self, code: str, realm_id: str | None = None) -> QuickBooksTokens:
        """Authorization-code grant (the `auth quickbooks` flow); the result is saved before returning."""
        async with self._lock:
            new = await asyncio.to_thread(self._exchange_blocking, code, realm_id or self.settings.realm_id)
            self._tokens = new
            self._recovered()
            return new

    # --- internals ---
    async def _refresh_locked(self, *, force: bool = False) -> str:
        if self._unsaved is not None:
            await asyncio.to_thread(self._save_or_raise, self._unsaved)
            self._tokens, self._unsaved = self._unsaved, None
            if not force and self._tokens.access_valid(utcnow()):
                return str(self._tokens.access_token)
        try:
            new = await asyncio.to_thread(self._refresh_blocking, force)
        except ReauthorizationRequired as exc:
            self._mark_dead(exc)
            raise
        self._tokens = new
        return str(new.access_token)

    def _refresh_blocking(self, force: bool) -> QuickBooksTokens:
        with _file_lock(self.settings.token_file):
            stored = self._load()
            current = self._tokens
            if stored is not None and (current is None or stored.refresh_token != current.refresh_token):
                # Another process (or `auth quickbooks`) saved newer tokens: use them rather than our stale copy.
                if not force and stored.access_valid(utcnow()):
                    return stored
                current = stored
            if current is None:
                raise ReauthorizationRequired(
                    ErrorFacts(
                        Service.QUICKBOOKS,
                        None,
                        "invalid_grant",
                        f"no QuickBooks tokens saved under {self.settings.token_key!r}",
                    )
                )
            client = self._call(self._auth_client, building=True)
            self._attempted = current.refresh_token
            try:
                self._call(lambda: client.refresh(refresh_token=current.refresh_token))
            except AuthClientError as exc:
                facts = oauth_error_facts(exc)
                if facts.code == "invalid_grant":
                    raise ReauthorizationRequired(facts) from exc
                raise AuthError(facts) from exc
            new = tokens_from_reply(client, self.settings.realm_id, utcnow())
            self.refresh_count += 1
            try:
                self._save(new)
            except (OSError, StoreError) as exc:
                self._unsaved = new
                raise AuthError(
                    ErrorFacts(
                        Service.QUICKBOOKS, None, "token_store", f"could not save the new QuickBooks tokens: {exc}"
                    )
                ) from exc
            log.info("QuickBooks tokens refreshed and saved (access until %s)", new.access_expires_at)
            return new

    def _exchange_blocking(self, code: str, realm_id: str) -> QuickBooksTokens:
        with _file_lock(self.settings.token_file):
            client = self._call(self._auth_client, building=True)
            try:
                self._call(lambda: client.get_bearer_token(code, realm_id=realm_id))
            except AuthClientError as exc:
                raise AuthError(oauth_error_facts(exc)) from exc
            new = tokens_from_reply(client, realm_id, utcnow())
            self._save_or_raise(new)
            return new

    def _save_or_raise(self, tokens: QuickBooksTokens) -> None:
        try:
            self._save(tokens)
        except (OSError, StoreError) as exc:
            raise AuthError(
                ErrorFacts(Service.QUICKBOOKS, None, "token_store", f"could not save the QuickBooks tokens: {exc}")
            ) from exc

    def _call(self, func: Any, *, building: bool = False) -> Any:
        """Run an intuit-oauth call, turning `requests` failures into our transport errors."""
        import requests

        try:
            return func()
        except requests.Timeout as exc:
            self._client = None
            raise TransportError(
                ErrorFacts(Service.QUICKBOOKS, None, "timeout", f"Intuit OAuth timed out: {exc}")
            ) from exc
        except requests.RequestException as exc:
            self._client = None
            raise TransportError(
                ErrorFacts(Service.QUICKBOOKS, None, "connection", f"Intuit OAuth unreachable: {exc}")
            ) from exc
        except AuthClientError as exc:
            if self._client is None or exc.status_code >= 500:
                self._client = None
            if building:
                raise AuthError(oauth_error_facts(exc)) from exc
            raise

    def _mark_dead(self, exc: ReauthorizationRequired) -> None:
        first = self._dead_refresh_token is None
        self._dead_refresh_token = self._attempted or (self._tokens.refresh_token if self._tokens else "")
        self._tokens = None
        self._last_store_check = time.monotonic()
        if first:
            log.error("QuickBooks needs re-authorization: %s", exc.message)
            emit(self.events, AuthProblem(Service.QUICKBOOKS, exc.message or "invalid_grant", REAUTHORIZE_QUICKBOOKS))

    async def _maybe_recovered(self) -> None:
        """While re-authorization is needed, fail fast; look for new saved tokens every few seconds."""
        now = time.monotonic()
        if now - self._last_store_check >= STORE_RECHECK_SECONDS:
            self._last_store_check = now
            stored = await asyncio.to_thread(self._load)
            if stored is not None and stored.refresh_token != self._dead_refresh_token:
                async with self._lock:
                    self._tokens = stored
                    self._recovered()
                return
        raise ReauthorizationRequired(
            ErrorFacts(Service.QUICKBOOKS, None, "invalid_grant", "QuickBooks is waiting for re-authorization")
        )

    def _recovered(self) -> None:
        if self._dead_refresh_token is not None:
            self._dead_refresh_token = None
            log.info("QuickBooks tokens are back; resuming")
            emit(self.events, AuthRestored(Service.QUICKBOOKS))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
