"""The config checks that go beyond types, and pydantic's errors said in the project's words.

Kept apart from model.py (the schema) so the schema stays a list of fields: here live the rules a value must meet
to be usable (a secret that is only blanks is no secret, a realm id is the company's number, the store is a file)
and the translation of each kind of validation error into the sentence an operator reads after `file:line: key:`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic_core import ErrorDetails

_REALM = re.compile(r"^[0-9]{1,30}$")


def blank_is_missing(value: Any) -> Any:
    """A secret of only blanks (an empty `export`, a stray space in the file) counts as not set at all."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def realm_number(value: Any) -> Any:
    """Realm ids are digits; TOML users often write them as integers, which is harmless."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def realm_id(value: str | None) -> str | None:
    """QuickBooks realm ids (company ids) are numbers such as 9130350000000000; anything else is a paste error."""
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned:
        raise ValueError("must not be empty (leave it out instead)")
    if not _REALM.match(cleaned):
        raise ValueError(f"{value!r} is not a QuickBooks company id (digits only, e.g. 9130350000000000)")
    return cleaned


def store_file(value: Any) -> Any:
    """Before path resolution: `[store] path` names the database file, not a folder (a trailing slash says folder)."""
    if isinstance(value, str) and value.strip().endswith(("/", os.sep)):
        raise ValueError(f"{value!r} is a folder; give the job store's file, e.g. {value.rstrip('/' + os.sep)}/jobs.db")
    return value


def not_a_directory(path: Path) -> Path:
    """After resolution: an existing directory cannot be the store's file."""
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a folder; give the job store's file, e.g. {path / 'jobs.db'}")
    return path


_KINDS = {
    "int": "an integer (a whole number)",
    "float": "a number",
    "string": 'a string (text in quotes, like "abc")',
    "bool": "true or false",
    "list": 'a list (like ["a", "b"])',
    "time": 'a time like "08:00"',
    "dict": "a table",
}
_BOUNDS = {
    "greater_than": ("gt", "must be more than {}"),
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than": ("lt", "must be less than {}"),
    "less_than_equal": ("le", "must be at most {}"),
}


def problem(error: ErrorDetails) -> str | None:
    """The project's sentence for one pydantic error (without the "got ..." tail), or None when the error's own
    message is already ours (a ValueError raised by one of our validators)."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        return None
    base = kind.split("_", 1)[0]
    if kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        return f"expected {_KINDS.get(base, 'a value of another kind')}"
    if kind == "is_instance_of":
        wanted = str(ctx.get("class", ""))
        return "expected a path (text in quotes)" if "Path" in wanted else "expected a value of another kind"
    if kind in ("literal_error", "enum"):
        return f"expected one of {ctx.get('expected', 'the documented values')}"
    if kind in _BOUNDS:
        key, text = _BOUNDS[kind]
        return text.format(ctx.get(key, "?"))
    if kind == "missing":
        return "required"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind in ("string_too_long", "too_long"):
        return "is too long"
    return "is not a valid value here"
