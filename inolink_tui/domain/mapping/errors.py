"""The one error the mapping functions raise: bad or incomplete source data, said in an operator's words."""

from __future__ import annotations


class MappingError(ValueError):
    """A record cannot be mapped as it stands; the message names the field and the fix."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing
