"""Intuit's OAuth 2.0 server state: one app, one company, codes, rotating refresh tokens, access tokens.

A *grant* is one user consent. Every refresh token and access token belongs to a grant, so revoking
any token of it disconnects the app from the company, as Intuit's revoke does. All times are service
seconds from the sandbox clock, so `clock.advance()` expires tokens without sleeping.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.options import IntuitPolicy

OPENID_SCOPES = frozenset({"openid", "profile", "email", "phone", "address", "intuit_name"})
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


class OAuthError(Exception):
    """An RFC 6749 error answer: `error` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class Grant:
    grant_id: str
    realm_id: str
    client_id: str
    consented_at: float
    hard_expires_at: float
    revoked: bool = False
    scope: str = ACCOUNTING_SCOPE
    """The scopes the user consented to (space separated); the Accounting API needs the accounting scope."""


@dataclass
class RefreshToken:
    token: str
    grant_id: str
    expires_at: float
    superseded_at: float | None = None
    issued_at: float | None = None
    """When this value was first handed out (None in states saved before it was recorded)."""


@dataclass
class AccessToken:
    token: str
    grant_id: str
    realm_id: str
    expires_at: float


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    realm_id: str | None
    scope: str
    expires_at: float
    used: bool = False
    grant_id: str | None = None
    """The consent this code produced, so a replayed code can revoke it."""


@dataclass(frozen=True)
class TokenIssue:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    hard_expires_in: int


@dataclass
class IntuitState:
    client_id: str
    client_secret: str
    realm_id: str
    clock: SandboxClock
    policy: IntuitPolicy = field(default_factory=IntuitPolicy)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)

    # -- client authentication -------------------------------------------------------------------
    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        if client_id != self.client_id or not secrets.compare_digest(client_secret or "", self.client_secret):
            raise OAuthError("invalid_client", "Client authentication failed", status=401)

    # -- grants ------------------------------------------------------------------------------------
    def consent(self, realm_id: str | None = None, scope: str = ACCOUNTING_SCOPE) -> TokenIssue:
        """A user connected the app: a new grant with its first tokens (used for the seeded token too)."""
        now = self.clock.monotonic()
        grant = Grant(
            grant_id=secrets.token_hex(8),
            realm_id=realm_id or self.realm_id,
            client_id=self.client_id,
            consented_at=now,
            hard_expires_at=now + self.policy.hard_expiry_seconds,
            scope=scope,
        )
        self.grants[grant.grant_id] = grant
        return self._issue(grant, now)

    def authorize(self, client_id: str, redirect_uri: str, scope: str) -> AuthCode:
        if client_id != self.client_id:
            raise OAuthError("invalid_client", "Invalid client_id")
        scopes = scope.split()
        if not scopes:
            raise OAuthError("invalid_scope", "scope is required")
        unknown = [s for s in scopes if s not in OPENID_SCOPES and not s.startswith("com.intuit.quickbooks.")]
        if unknown:
            raise OAuthError("invalid_scope", f"Unknown scope {unknown[0]}")
        company = {"com.intuit.quickbooks.accounting", "com.intuit.quickbooks.payment"}
        code = AuthCode(
            code="AB11" + secrets.token_urlsafe(36),
            client_id=client_id,
            redirect_uri=redirect_uri,
            realm_id=self.realm_id if company.intersection(scopes) else None,
            scope=scope,
            expires_at=self.clock.monotonic() + self.policy.auth_code_seconds,
        )
        self.codes[code.code] = code
        return code

    def exchange_code(self, code: str, redirect_uri: str | None) -> TokenIssue:
        now = self.clock.monotonic()
        record = self.codes.get(code)
        if record is None or record.expires_at <= now:
            raise OAuthError("invalid_grant", "Token invalid")
        if record.used:
            # Intuit ("Exchange the code once. Repeated exchanges can invalidate tokens", reference §2.4) and
            # RFC 6749 §4.1.2: a code used twice is refused and the server "SHOULD revoke (when possible) all
            # tokens previously issued based on that authorization code".
            if record.grant_id is not None and record.grant_id in self.grants:
                self.grants[record.grant_id].revoked = True
            raise OAuthError("invalid_grant", "Token invalid")
        if redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "Redirect URI mismatch")
        record.used = True
        issue = self.consent(record.realm_id, record.scope)
        record.grant_id = self.refresh_tokens[issue.refresh_token].grant_id
        return issue

    def refresh(self, token: str) -> TokenIssue:
        now = self.clock.monotonic()
        record = self.refresh_tokens.get(token)
        if record is None:
            raise OAuthError("invalid_grant", "Token invalid")
        grant = self.grants[record.grant_id]
        if grant.revoked:
            raise OAuthError("invalid_grant", "Token has been expired or revoked.")
        if record.expires_at <= now or grant.hard_expires_at <= now:
            raise OAuthError("invalid_grant", "Refresh token is invalid or expired")
        if record.superseded_at is not None and now - record.superseded_at >= self.policy.old_refresh_grace_seconds:
            raise OAuthError("invalid_grant", "Token invalid")
        rotation = self.policy.refresh_rotation_seconds
        if (
            rotation > 0
            and record.superseded_at is None
            and record.issued_at is not None
            and now - record.issued_at < rotation
        ):
            # reference §2.5 / §13.3: the value changes "roughly every 24 hours"; until then a refresh answers
            # the same refresh token, its 100-day window restarted
            return self._issue(grant, now, keep=record)
        if record.superseded_at is None:
            record.superseded_at = now
        return self._issue(grant, now)

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind a refresh or access token; False when the token is unknown."""
        grant_id: str | None = None
        if token in self.refresh_tokens:
            grant_id = self.refresh_tokens[token].grant_id
        elif token in self.access_tokens:
            grant_id = self.access_tokens[token].grant_id
        if grant_id is None:
            return False
        self.grants[grant_id].revoked = True
        return True

    def _issue(self, grant: Grant, now: float, *, keep: RefreshToken | None = None) -> TokenIssue:
        """New access token; a new refresh token too, unless `keep` (a young one) is rolled over instead."""
        expires_at = min(now + self.policy.refresh_token_seconds, grant.hard_expires_at)
        if keep is not None:
            keep.expires_at = expires_at
            refresh = keep
        else:
            refresh = RefreshToken(
                token="RT1-" + secrets.token_urlsafe(18) + "-" + secrets.token_hex(10),
                grant_id=grant.grant_id,
                expires_at=expires_at,
                issued_at=now,
            )
        access = AccessToken(
            token="eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(96),
            grant_id=grant.grant_id,
            realm_id=grant.realm_id,
            expires_at=now + self.policy.access_token_seconds,
        )
        self.refresh_tokens[refresh.token] = refresh
        self.access_tokens[access.token] = access
        self._prune(now)
        return TokenIssue(
            access_token=access.token,
            refresh_token=refresh.token,
            expires_in=self.policy.access_token_seconds,
            # round, not int: (now + 8726400) - now on a large float clock can be 8726399.999...
            refresh_expires_in=round(refresh.expires_at - now),
            hard_expires_in=round(grant.hard_expires_at - now),
        )

    def _prune(self, now: float) -> None:
        """Forget long-dead access tokens so a long activity run does not grow without bound."""
        dead = [t for t, a in self.access_tokens.items() if a.expires_at + 86_400 < now]
        for token in dead:
            del self.access_tokens[token]

    # -- resource-server checks ---------------------------------------------------------------------
    def access_problem(self, token: str | None, realm_id: str) -> str | None:
        """Why a bearer token may not call this realm's API, or None when it may."""
        if not token:
            return "Token not present"
        record = self.access_tokens.get(token)
        if record is None:
            return f"Token invalid: {token[:8]}..."
        if self.grants[record.grant_id].revoked:
            return f"Token revoked: {token[:8]}..."
        if record.expires_at <= self.clock.monotonic():
            return f"Token expired: {token[:8]}..."
        if record.realm_id != realm_id:
            return f"Token not valid for realm {realm_id}"
        return None

    def lacks_accounting_scope(self, token: str) -> bool:
        """A valid token whose consent did not include the accounting scope (the API answers 403 / 3100)."""
        record = self.access_tokens.get(token)
        return record is not None and ACCOUNTING_SCOPE not in self.grants[record.grant_id].scope.split()

    def user_for(self, token: str | None) -> Grant | None:
        if token is None:
            return None
        record = self.access_tokens.get(token)
        if record is None or record.expires_at <= self.clock.monotonic():
            return None
        grant = self.grants[record.grant_id]
        return None if grant.revoked else grant

    # -- persistence -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Times are stored relative to now so a restarted clock carries the remaining lifetimes over."""
        now = self.clock.monotonic()

        def rel(record: Any, *keys: str) -> dict[str, Any]:
            data = asdict(record)
            for key in keys:
                if data[key] is not None:
                    data[key] = data[key] - now
            return data

        return {
            "grants": [rel(g, "consented_at", "hard_expires_at") for g in self.grants.values()],
            "refresh_tokens": [
                rel(r, "expires_at", "superseded_at", "issued_at") for r in self.refresh_tokens.values()
            ],
            "access_tokens": [rel(a, "expires_at") for a in self.access_tokens.values()],
        }

    def load_json(self, data: dict[str, Any]) -> None:
        now = self.clock.monotonic()

        def absolute(item: dict[str, Any], *keys: str) -> dict[str, Any]:
            out = dict(item)
            for key in keys:
                if out.get(key) is not None:
                    out[key] = out[key] + now
            return out

        for g in data.get("grants", []):
            grant = Grant(**absolute(g, "consented_at", "hard_expires_at"))
            self.grants[grant.grant_id] = grant
        for r in data.get("refresh_tokens", []):
            refresh = RefreshToken(**absolute(r, "expires_at", "superseded_at", "issued_at"))
            self.refresh_tokens[refresh.token] = refresh
        for a in data.get("access_tokens", []):
            access = AccessToken(**absolute(a, "expires_at"))
            self.access_tokens[access.token] = access

    def current_refresh_token(self) -> str | None:
        """The newest live refresh token of the newest live grant (what `--write-config` hands out)."""
        now = self.clock.monotonic()
        live = [
            r
            for r in self.refresh_tokens.values()
            if r.superseded_at is None and r.expires_at > now and not self.grants[r.grant_id].revoked
        ]
        return live[-1].token if live else None
