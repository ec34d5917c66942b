"""[crm.schema]: the publisher prefix and the Link Status option values of this org.

Kept apart from `model.py` (already over 500 lines). `crm setup` creates the columns with these names and
values; the engine checks them against the org's metadata at start, so a wrong value is one clear error
rather than a filter that silently matches nothing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS, CrmSchema, check_prefix
from inolink_tui.domain.enums import RecordLinkStatus

_D = DEFAULT_LINK_STATUS_OPTIONS

CRM_SECTION_CONFIG = ConfigDict(extra="forbid", strict=True, validate_by_name=True, serialize_by_alias=True)
"""[crm]'s model config: a field named "schema" would shadow BaseModel.schema, so [crm.schema] is the field
`crm_schema` with the alias "schema", read and written under that name."""


class LinkStatusOptions(BaseModel):
    """[crm.schema.link_status]: the option value of each record Link Status in the choice column."""

    model_config = ConfigDict(extra="forbid", strict=True)

    to_be_linked: int = Field(default=_D[RecordLinkStatus.TO_BE_LINKED], ge=0)
    linked: int = Field(default=_D[RecordLinkStatus.LINKED], ge=0)
    error: int = Field(default=_D[RecordLinkStatus.ERROR], ge=0)
    unlinked: int = Field(default=_D[RecordLinkStatus.UNLINKED], ge=0)

    def as_mapping(self) -> dict[RecordLinkStatus, int]:
        return {
            RecordLinkStatus.TO_BE_LINKED: self.to_be_linked,
            RecordLinkStatus.LINKED: self.linked,
            RecordLinkStatus.ERROR: self.error,
            RecordLinkStatus.UNLINKED: self.unlinked,
        }


class CrmSchemaSettings(BaseModel):
    """[crm.schema]"""

    model_config = ConfigDict(extra="forbid", strict=True)

    prefix: str = "ino"
    link_status: LinkStatusOptions = Field(default_factory=LinkStatusOptions)

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_prefix(value)

    @field_validator("link_status")
    @classmethod
    def _distinct(cls, value: LinkStatusOptions) -> LinkStatusOptions:
        values = list(value.as_mapping().values())
        if len(set(values)) != len(values):
            raise ValueError("two Link Status options share one value")
        return value

    def to_schema(self) -> CrmSchema:
        return CrmSchema(prefix=self.prefix, link_status_options=self.link_status.as_mapping())
