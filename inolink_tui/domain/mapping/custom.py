"""Custom field mappings from the config (issue 17 item 2): where each row came from, so every problem found in it
can be told as `file:line: mapping.account[3].crm: ...`.

This is the contract between the config loader (which builds `LocatedMapping`s from `[[mapping.<entity>]]` tables),
the checks against the org's and QuickBooks' metadata (`config check`, `doctor`), and the engine (which applies the
rows on top of `DEFAULT_MAPPINGS`). Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.tables import FieldMapping

CUSTOM_FIELD_PREFIX = "CustomField:"
"""A QuickBooks field written `CustomField:Region` is the `CustomField` array entry whose definition is named
"Region" (QuickBooks custom fields are addressed by name, see Intuit's Custom Fields guide)."""


@dataclass(frozen=True, slots=True)
class MappingOrigin:
    """Where one `[[mapping.<entity>]]` entry is written: its file, its index among that entity's entries (0-based, as
    `mapping.account[3]` prints it) and the TOML line of the entry's header and of each key when they can be found."""

    file: Path
    section: str
    """The config key, e.g. "account" (the Entity Type, lower case, spaces as underscores)."""
    index: int
    line: int | None = None
    key_lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str | None = None) -> str:
        """`file:line: mapping.account[3].crm` — the prefix of every one-line problem about this entry."""
        line = self.key_lines.get(key, self.line) if key else self.line
        place = f"{self.file}:{line}" if line is not None else str(self.file)
        dotted = f"mapping.{self.section}[{self.index}]" + (f".{key}" if key else "")
        return f"{place}: {dotted}"


@dataclass(frozen=True, slots=True)
class LocatedMapping:
    """One custom mapping row with its origin; `replaces` is True when it overrides a built-in row of the same
    CRM column and QuickBooks field (the built-in row is then not applied)."""

    entity_type: EntityType
    mapping: FieldMapping
    origin: MappingOrigin
    replaces: bool = False


@dataclass(frozen=True, slots=True)
class MappingProblem:
    """A custom mapping the config or a system cannot honour, already phrased as one line."""

    origin: MappingOrigin
    key: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.origin.where(self.key)}: {self.message}"
