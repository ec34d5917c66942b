"""What the console's connection panel and `auth check` show about each service's tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inolink_tui.domain.errors import Service


@dataclass(frozen=True, slots=True)
class TokenStatus:
    service: Service
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None = None
    """Dataverse (client credentials) has no refresh token: always None there."""
    needs_reauthorization: bool = False
    problem: str | None = None
    """The last authentication failure's hint, until a token is obtained again."""
