"""[crm] and [quickbooks]: the two connections' sections, and which of their keys are still empty."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from inolink_tui.config.checks import realm_id, realm_number
from inolink_tui.config.crm_schema import CRM_SECTION_CONFIG, CrmSchemaSettings
from inolink_tui.config.fields import ConfigPath, Secret, Section, default_token_file, http_url

QBO_API_BASE_URL: dict[str, str] = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
}
QBO_DISCOVERY_URL: dict[str, str] = {
    "sandbox": "https://developer.intuit.com/.well-known/openid_sandbox_configuration/",
    "production": "https://developer.intuit.com/.well-known/openid_configuration/",
}


class CrmSettings(Section):
    """[crm]: the Dynamics 365 (Dataverse) environment and the Entra ID app registration."""

    model_config = CRM_SECTION_CONFIG  # [crm.schema] is read and written as "schema" (see config/crm_schema.py)
    url: str | None = None
    tenant: str | None = None
    client_id: str | None = None
    client_secret: Secret = None
    authority: str | None = Field(default=None, validate_default=True)
    api_version: str = "9.2"
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    requests_per_5min: int = Field(default=6000, ge=1)
    max_concurrency: int = Field(default=52, ge=1, le=1000)
    crm_schema: CrmSchemaSettings = Field(default_factory=CrmSchemaSettings, alias="schema")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return http_url(value, "organization URL (e.g. https://contoso.crm.dynamics.com)")

    @field_validator("authority")
    @classmethod
    def _authority(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Default to the public cloud's authority for the tenant; sovereign clouds set their own."""
        if value is None:
            tenant = info.data.get("tenant")
            return f"https://login.microsoftonline.com/{tenant}" if tenant else None
        return http_url(value, "authority URL (e.g. https://login.microsoftonline.com/<tenant>)")

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        cleaned = value.strip().removeprefix("v")
        if not re.match(r"^\d+\.\d+$", cleaned):
            raise ValueError(f'{value!r} is not a Web API version like "9.2"')
        return cleaned

    @property
    def configured(self) -> bool:
        return bool(self.url and self.tenant and self.client_id and self.client_secret)

    @property
    def web_api_url(self) -> str | None:
        """The Web API root, e.g. https://contoso.crm.dynamics.com/api/data/v9.2/."""
        return f"{self.url}/api/data/v{self.api_version}/" if self.url else None


class QuickBooksSettings(Section):
    """[quickbooks]: the Intuit app, the company (realm) and the API limits."""

    environment: str = "sandbox"
    client_id: str | None = None
    client_secret: Secret = None
    realm_id: Annotated[str | None, BeforeValidator(realm_number)] = None
    redirect_uri: str | None = None
    api_base_url: str | None = Field(default=None, validate_default=True)
    minor_version: int = Field(default=75, ge=1)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    requests_per_minute: int = Field(default=500, ge=1)
    requests_per_second: int = Field(default=10, ge=1)
    max_concurrency: int = Field(default=10, ge=1, le=100)
    token_file: ConfigPath = Field(default_factory=default_token_file)
    webhook_verifier_token: Secret = None
    """The Intuit app's webhook verifier token (developer.intuit.com > your app > Webhooks): the key of the
    `intuit-signature` HMAC on each notification `--webhook-port` receives."""

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        lowered = value.strip().lower()
        aliases = {"sandbox": "sandbox", "sand": "sandbox", "production": "production", "prod": "production"}
        if lowered in aliases:
            return aliases[lowered]
        if re.match(r"^https?://\S+$", value.strip()):
            return value.strip()
        raise ValueError(f'{value!r} is not "sandbox", "production" or a discovery-document URL')

    @field_validator("api_base_url")
    @classmethod
    def _api_base_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            return http_url(value, "API base URL")
        environment = info.data.get("environment")
        if environment is None:  # environment itself was invalid; that error is reported instead
            return None
        if environment in QBO_API_BASE_URL:
            return QBO_API_BASE_URL[environment]
        raise ValueError("required when environment is a discovery-document URL (it cannot be guessed)")

    @field_validator("redirect_uri")
    @classmethod
    def _redirect(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://\S+$", value.strip()):
            raise ValueError(f"{value!r} is not an http(s) redirect URI")
        return value.strip()

    @field_validator("realm_id")
    @classmethod
    def _realm(cls, value: str | None) -> str | None:
        return realm_id(value)

    @property
    def discovery_url(self) -> str:
        """What intuit-oauth's AuthClient takes as `environment`: a name it knows, or the URL itself."""
        return QBO_DISCOVERY_URL.get(self.environment, self.environment)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.realm_id)


def missing_keys(section: CrmSettings | QuickBooksSettings) -> list[str]:
    """The connection keys still empty, so `config check` can name them."""
    if isinstance(section, CrmSettings):
        wanted: tuple[str, ...] = ("url", "tenant", "client_id", "client_secret")
    else:
        wanted = ("client_id", "client_secret", "realm_id")
    return [key for key in wanted if not getattr(section, key)]
