"""The slice of the configuration the headless process reads, typed here because headless never imports config.

cli (the composition root) passes the config model's `Settings`, which has every member below; mypy checks that
at the call in cli/run_cmd.py. Read-only properties so the pydantic fields (and narrower types such as
`Literal["slack", "teams"]` or `list[str]`) satisfy them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class SecretValue(Protocol):
    """A secret kept out of reprs (pydantic's SecretStr)."""

    def get_secret_value(self) -> str: ...


class AlertsSection(Protocol):
    """[alerts]: mapped onto `AlertPolicy` by `AlertPolicy.from_config`."""

    @property
    def webhook_url(self) -> str | None: ...
    @property
    def webhook_format(self) -> str: ...
    @property
    def smtp_host(self) -> str | None: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_user(self) -> str | None: ...
    @property
    def smtp_password(self) -> SecretValue | None: ...
    @property
    def smtp_starttls(self) -> bool: ...
    @property
    def email_from(self) -> str | None: ...
    @property
    def email_to(self) -> Sequence[str]: ...
    @property
    def stale_queue_intervals(self) -> int: ...
    @property
    def error_rate_threshold(self) -> float: ...
    @property
    def min_interval_minutes(self) -> int: ...
    @property
    def digest(self) -> bool: ...


class TokenFileSection(Protocol):
    """[quickbooks]: the token file whose secrets the logs must never show, and the webhooks' verifier token."""

    @property
    def token_file(self) -> Path | None: ...
    @property
    def webhook_verifier_token(self) -> SecretValue | None: ...


class RetentionSection(Protocol):
    """[store]: how long Success jobs are kept (0 keeps them forever)."""

    @property
    def success_retention_days(self) -> int: ...


class LeaseSection(Protocol):
    """[sync]: how long a claimed job stays leased to this process."""

    @property
    def lease_seconds(self) -> float: ...


class HeadlessSettings(Protocol):
    @property
    def alerts(self) -> AlertsSection: ...
    @property
    def quickbooks(self) -> TokenFileSection: ...
    @property
    def store(self) -> RetentionSection: ...
    @property
    def sync(self) -> LeaseSection: ...
    def secret_values(self) -> list[str]:
        """Every configured secret, for log scrubbing."""
        ...
