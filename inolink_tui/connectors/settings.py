"""Plain settings the connectors need, so they never import the config package.

The CLI maps the validated config onto these; tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"
"""Where `auth quickbooks` listens when no redirect URI is configured (register it in the Intuit app)."""


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """Exponential backoff with jitter for 5xx, timeouts, connection errors and 429 without Retry-After."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    """A Retry-After longer than this is capped (a hostile or broken server must not park us for a day)."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("delays must satisfy 0 <= base_delay <= max_delay")


@dataclass(frozen=True, slots=True)
class DataverseSettings:
    url: str
    """Org URL, e.g. https://contoso.crm.dynamics.com (the token's audience)."""
    tenant: str
    client_id: str
    client_secret: str
    authority: str | None = None
    """Default https://login.microsoftonline.com/<tenant>."""
    api_version: str = "9.2"
    timeout_seconds: float = 30.0
    requests_per_window: int = 6000
    window_seconds: float = 300.0
    max_concurrency: int = 52
    execution_seconds: float = 1200.0
    """Combined execution time Dataverse allows per window (service protection); 0 disables the check."""
    page_size: int = 5000
    retry: RetrySettings = RetrySettings()

    def __post_init__(self) -> None:
        _check_url("[crm] url", self.url)
        _check_positive("[crm] timeout_seconds", self.timeout_seconds)
        _check_positive("[crm] requests_per_5min", self.requests_per_window)
        _check_positive("[crm] max_concurrency", self.max_concurrency)
        if not 1 <= self.page_size <= 5000:
            raise ValueError("page_size must be between 1 and 5000")

    @property
    def org_url(self) -> str:
        return self.url.rstrip("/")

    @property
    def api_root(self) -> str:
        return f"{self.org_url}/api/data/v{self.api_version}/"

    @property
    def scope(self) -> str:
        return f"{self.org_url}/.default"

    @property
    def authority_url(self) -> str:
        return (self.authority or f"https://login.microsoftonline.com/{self.tenant}").rstrip("/")


@dataclass(frozen=True, slots=True)
class QuickBooksClientSettings:
    environment: str
    """"sandbox", "production", or a discovery-document URL (how the local sandbox is reached)."""
    client_id: str
    client_secret: str
    realm_id: str
    redirect_uri: str = "http://127.0.0.1:8765/callback"  # = DEFAULT_REDIRECT_URI
    api_base_url: str | None = None
    minor_version: int = 75
    timeout_seconds: float = 30.0
    requests_per_minute: int = 500
    requests_per_second: int = 10
    max_concurrency: int = 10
    token_file: Path | None = None
    retry: RetrySettings = RetrySettings()

    def __post_init__(self) -> None:
        _check_positive("[quickbooks] timeout_seconds", self.timeout_seconds)
        _check_positive("[quickbooks] requests_per_minute", self.requests_per_minute)
        _check_positive("[quickbooks] requests_per_second", self.requests_per_second)
        _check_positive("[quickbooks] max_concurrency", self.max_concurrency)
        if self.api_base_url is not None:
            _check_url("[quickbooks] api_base_url", self.api_base_url)

    @property
    def base_url(self) -> str:
        if self.api_base_url:
            return self.api_base_url.rstrip("/")
        if self.environment.lower() in ("production", "prod"):
            return "https://quickbooks.api.intuit.com"
        return "https://sandbox-quickbooks.api.intuit.com"

    @property
    def company_url(self) -> str:
        return f"{self.base_url}/v3/company/{self.realm_id}"

    @property
    def graphql_url(self) -> str | None:
        """Intuit's GraphQL endpoint (custom field definitions), https://qb.api.intuit.com/graphql; None for Intuit's
        sandbox companies, where "The Custom Fields API is currently not available" (developer.intuit.com/app/
        developer/qbo/docs/workflows/create-custom-fields/get-started). With `api_base_url` (the local sandbox)
        its /graphql."""
        if self.api_base_url:
            return f"{self.api_base_url.rstrip('/')}/graphql"
        if self.environment.lower() in ("production", "prod"):
            return "https://qb.api.intuit.com/graphql"
        return None

    @property
    def token_key(self) -> str:
        """Key of this company's tokens in the token store (shared with the sandbox's --write-config)."""
        return f"quickbooks:{self.realm_id}"


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL, got {value!r}")


def _check_positive(name: str, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class CrmConfig(Protocol):
    """The shape of the config's [crm] section (duck-typed: connectors do not import the config package)."""

    @property
    def url(self) -> str | None: ...

    @property
    def tenant(self) -> str | None: ...

    @property
    def client_id(self) -> str | None: ...

    @property
    def client_secret(self) -> _Secret | None: ...

    @property
    def authority(self) -> str | None: ...

    @property
    def api_version(self) -> str: ...

    @property
    def timeout_seconds(self) -> float: ...

    @property
    def requests_per_5min(self) -> int: ...

    @property
    def max_concurrency(self) -> int: ...


class QuickBooksConfig(Protocol):
    """The shape of the config's [quickbooks] section."""

    @property
    def environment(self) -> str: ...

    @property
    def client_id(self) -> str | None: ...

    @property
    def client_secret(self) -> _Secret | None: ...

    @property
    def realm_id(self) -> str | None: ...

    @property
    def redirect_uri(self) -> str | None: ...

    @property
    def api_base_url(self) -> str | None: ...

    @property
    def minor_version(self) -> int: ...

    @property
    def timeout_seconds(self) -> float: ...

    @property
    def requests_per_minute(self) -> int: ...

    @property
    def requests_per_second(self) -> int: ...

    @property
    def max_concurrency(self) -> int: ...

    @property
    def token_file(self) -> Path: ...


class NotConfigured(ValueError):
    """A section lacks what a connection needs; the message names the missing keys."""


def _require(section: str, **values: object) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise NotConfigured(f"[{section}] is missing {', '.join(missing)}")


def dataverse_settings_from(crm: CrmConfig) -> DataverseSettings:
    _require("crm", url=crm.url, tenant=crm.tenant, client_id=crm.client_id, client_secret=crm.client_secret)
    assert crm.url and crm.tenant and crm.client_id and crm.client_secret
    return DataverseSettings(
        url=crm.url,
        tenant=crm.tenant,
        client_id=crm.client_id,
        client_secret=crm.client_secret.get_secret_value(),
        authority=crm.authority,
        api_version=crm.api_version,
        timeout_seconds=crm.timeout_seconds,
        requests_per_window=crm.requests_per_5min,
        max_concurrency=crm.max_concurrency,
    )


def quickbooks_settings_from(qbo: QuickBooksConfig) -> QuickBooksClientSettings:
    _require("quickbooks", client_id=qbo.client_id, client_secret=qbo.client_secret, realm_id=qbo.realm_id)
    assert qbo.client_id and qbo.client_secret and qbo.realm_id
    return QuickBooksClientSettings(
        environment=qbo.environment,
        client_id=qbo.client_id,
        client_secret=qbo.client_secret.get_secret_value(),
        realm_id=qbo.realm_id,
        redirect_uri=qbo.redirect_uri or DEFAULT_REDIRECT_URI,
        api_base_url=qbo.api_base_url,
        minor_version=qbo.minor_version,
        timeout_seconds=qbo.timeout_seconds,
        requests_per_minute=qbo.requests_per_minute,
        requests_per_second=qbo.requests_per_second,
        max_concurrency=qbo.max_concurrency,
        token_file=qbo.token_file,
    )
