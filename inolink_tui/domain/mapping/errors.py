"""The one error the mapping functions raise: bad or incomplete source data, said in an operator's words."""

from __future__ import annotations

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import ClassifiedError


class MappingError(ClassifiedError, ValueError):
    """A record cannot be mapped as it stands; the message names the field and the fix (a validation failure:
    retrying the same data cannot help). Still a ValueError, as callers that parse values expect."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message, error_class=ErrorClass.VALIDATION)
        self.missing = missing
