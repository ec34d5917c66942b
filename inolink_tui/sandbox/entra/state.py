"""The simulated Entra ID tenant: one app registration, its secret, and the access tokens it issued.

Tokens are JWT-shaped (header.payload.signature, base64url) so clients that peek at `exp` or `aud`
can, but they are validated against the issued-token table, never by signature: a token is good
only for the audience (environment URL) its scope named and only until it expires on the sandbox
clock. Everything is derived from the seed so a restarted sandbox has the same tenant and secret.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from inolink_tui.sandbox.clock import SandboxClock

_NAMESPACE = uuid.UUID("0f4c2b1e-3d5a-4e6f-9a8b-7c6d5e4f3a2b")
DEFAULT_TOKEN_LIFETIME = 3599


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    audience: str
    client_id: str
    tenant_id: str
    expires_at: float  # service seconds on SandboxClock.monotonic()


@dataclass(frozen=True)
class TokenFault:
    """A planned failure of the token endpoint (429 or 5xx) with its Retry-After in service seconds."""

    status: int
    retry_after: float


def normalise_audience(value: str) -> str:
    """`http://127.0.0.1:8080/.default`, `http://127.0.0.1:8080/` and `...:8080` name the same resource."""
    text = value.strip()
    if text.endswith("/.default"):
        text = text[: -len("/.default")]
    return text.rstrip("/").lower()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


class EntraState:
    def __init__(
        self,
        clock: SandboxClock,
        *,
        seed: int = 0,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        refresh_in: int | None = None,
        resources: set[str] | None = None,
    ) -> None:
        self.clock = clock
        self.tenant_id = tenant_id or str(uuid.uuid5(_NAMESPACE, f"tenant:{seed}"))
        self.client_id = client_id or str(uuid.uuid5(_NAMESPACE, f"client:{seed}"))
        self.client_secret = client_secret or "sbx~" + uuid.uuid5(_NAMESPACE, f"secret:{seed}").hex
        self.token_lifetime = token_lifetime
        self.refresh_in = refresh_in
        self.secret_expired = False
        self.resources = {normalise_audience(r) for r in resources} if resources else set()
        self.tokens: dict[str, IssuedToken] = {}
        self.faults: deque[TokenFault] = deque()
        self.token_requests = 0

    def fail_next(self, status: int, retry_after: float = 5, count: int = 1) -> None:
        """Make the next `count` token requests fail with `status` (429 / 500 / 503) and a Retry-After."""
        for _ in range(count):
            self.faults.append(TokenFault(status, retry_after))

    def issue(self, audience: str) -> IssuedToken:
        now = self.clock.now()
        expires_at = self.clock.monotonic() + self.token_lifetime
        claims = {
            "aud": normalise_audience(audience) + "/",
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.token_lifetime,
            "appid": self.client_id,
            "tid": self.tenant_id,
            "oid": str(uuid.uuid5(_NAMESPACE, f"oid:{self.client_id}")),
            "ver": "1.0",
        }
        header = {"typ": "JWT", "alg": "RS256", "kid": "sandbox"}
        token = f"{_b64(header)}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        issued = IssuedToken(token, normalise_audience(audience), self.client_id, self.tenant_id, expires_at)
        self._forget_expired()
        self.tokens[token] = issued
        return issued

    def _forget_expired(self) -> None:
        now = self.clock.monotonic()
        for token in [t for t, issued in self.tokens.items() if issued.expires_at <= now]:
            del self.tokens[token]

    def principal(self, token: str, audience: str) -> IssuedToken | None:
        """The issued token if it is known, unexpired and for `audience`; None otherwise."""
        issued = self.tokens.get(token)
        if issued is None or issued.expires_at <= self.clock.monotonic():
            return None
        if issued.audience != normalise_audience(audience):
            return None
        return issued

    def validate(self, token: str, audience: str) -> bool:
        return self.principal(token, audience) is not None

    def revoke_all(self) -> None:
        """Forget every issued token (tests: force the client through a 401 and a new token)."""
        self.tokens.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "token_lifetime": self.token_lifetime,
            "refresh_in": self.refresh_in,
            "secret_expired": self.secret_expired,
            "resources": sorted(self.resources),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], clock: SandboxClock) -> EntraState:
        """Restore the registration; issued tokens are not kept, so clients simply fetch new ones."""
        state = cls(
            clock,
            tenant_id=str(data["tenant_id"]),
            client_id=str(data["client_id"]),
            client_secret=str(data["client_secret"]),
            token_lifetime=int(data.get("token_lifetime", DEFAULT_TOKEN_LIFETIME)),
            refresh_in=data.get("refresh_in"),
            resources=set(data.get("resources", [])),
        )
        state.secret_expired = bool(data.get("secret_expired", False))
        return state
