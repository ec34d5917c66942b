"""Reading the config file: TOML -> environment secrets -> validated `Settings`, or one clear line.

Every failure becomes a `ConfigError` whose message is a single line naming the file, the dotted
key, the TOML line when it can be found, and what is wrong, because operators read these over SSH
in a service log, where a pydantic traceback is noise.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from inolink_tui.config.checks import problem
from inolink_tui.config.mapping import MappingConfigProblem, load_mappings
from inolink_tui.config.model import SECRET_ENV_VARS, Settings, default_config_path
from inolink_tui.domain.errors import SetupProblem

log = logging.getLogger(__name__)


class ConfigError(SetupProblem):
    """A config problem, already phrased as the one line to show."""


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """Settings plus where they came from, for `config check`."""

    settings: Settings
    path: Path
    found: bool
    """False when the default file does not exist and defaults are in use."""
    secret_sources: dict[str, str] = field(default_factory=dict)
    """Dotted key -> "env NAME", "file" or "not set"."""
    sections_in_file: tuple[str, ...] = ()
    text: str = ""
    """The file's TOML, so `config check` can point at the line of each problem it finds."""


def load_config(path: Path | None, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load `path` (or the default location). A missing explicit file is an error; a missing default is not."""
    env = os.environ if environ is None else environ
    explicit = path is not None
    config_path = path if path is not None else default_config_path()
    text: str | None = None
    try:
        text = config_path.read_text(encoding="utf-8-sig")  # tolerate the BOM Windows editors add
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"{config_path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{config_path}: is a directory, not a config file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_path}: not TOML: the file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror or exc}") from None

    data: dict[str, Any] = {}
    if text is not None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not TOML: {exc}") from None

    in_file = tuple(data)
    raw_mappings = data.pop("mapping", None)  # [[mapping.<entity>]]: read by config/mapping.py, with TOML lines
    sources = _apply_secret_env(data, env)
    try:
        settings = Settings.model_validate(data, context={"base_dir": config_path.parent.absolute()})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, config_path, text or "")) from None
    try:
        mappings = load_mappings(raw_mappings, config_path, text or "", prefix=settings.crm.crm_schema.prefix)
    except MappingConfigProblem as exc:
        raise ConfigError(str(exc)) from None
    if mappings:
        settings = settings.model_copy(update={"mapping": mappings})
    return LoadedConfig(
        settings=settings,
        path=config_path,
        found=text is not None,
        secret_sources=sources,
        sections_in_file=in_file,
        text=text or "",
    )


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    return load_config(path, environ).settings


def load_settings_or_exit(path: Path | None) -> Settings:
    """For the CLI: on any config problem print one line to stderr and exit with status 2."""
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        exit_config_error(exc)
    # INFO, not WARNING: with logging unconfigured (plain CLI commands) Python would print WARNINGs
    # on every `jobs list`; headless mode configures logging and so shows them. `config check` lists them.
    for note in loaded.settings.warnings():
        log.info("config: %s", note)
    return loaded.settings


def exit_config_error(exc: ConfigError) -> NoReturn:
    sys.stderr.write(f"inolink-tui: config error: {exc}\n")
    raise SystemExit(2)


def _apply_secret_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Environment secrets win over the file (so the file can be shared or committed without them)."""
    sources: dict[str, str] = {}
    for (section, key), var in SECRET_ENV_VARS.items():
        dotted = f"{section}.{key}"
        value = env.get(var, "").strip()  # a blank export is no secret (and must not hide the file's value)
        table = data.get(section)
        if value:
            if table is None:
                data[section] = table = {}
            if isinstance(table, dict):
                table[key] = value
                sources[dotted] = f"env {var}"
                continue
        in_file = table.get(key) if isinstance(table, dict) else None
        if in_file and not (isinstance(in_file, str) and not in_file.strip()):
            sources[dotted] = "file"
        else:
            sources[dotted] = "not set"
    return sources


# --- error formatting ------------------------------------------------------------------------


def format_validation_error(exc: ValidationError, path: Path, text: str) -> str:
    """The first error as `file:line: key: problem`, with a count of the others on the same line."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    dotted = _dotted(loc)
    line = find_key_line(text, loc)
    where = f"{path}:{line}" if line else str(path)
    message = _describe(first, loc)
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {dotted or '(top level)'}: {message}{more}"


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(item)
    return ".".join(parts)


def _describe(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        parent = _model_at(loc[:-1])
        what = "section" if len(loc) == 1 else "key"
        message = f"unknown {what} {key!r}"
        if parent is not None:
            known = list(parent.model_fields)
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]!r}?)"
            else:
                message += f" (known: {', '.join(known)})"
        return message
    secret = bool(loc) and (loc[0], loc[-1]) in SECRET_ENV_VARS
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a table (like [{_dotted(loc)}]), got {_type_name(error.get('input'))}"
    ours = problem(error)
    if ours is not None:  # pydantic's own wording ("Input should be ...") never reaches the operator
        return ours if kind == "missing" else f"{ours}, got {_shown(error.get('input'), secret)}"
    msg = re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
    return msg[0].lower() + msg[1:] if msg else "is not a valid value here"


def _type_name(value: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _shown(value: Any, secret: bool = False) -> str:
    if secret:
        return f"{_type_name(value)} (value hidden)"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({_type_name(value)})"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that owns the table at `loc`, to suggest its known keys."""
    model: type[BaseModel] = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
    return model


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\s*\[\[")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_key(raw: str) -> list[str]:
    return [part.strip().strip("\"'") for part in raw.split(".")]


def find_key_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best effort: the 1-based TOML line that sets `loc` (or its nearest parent table or key).

    Handles `[table]` headers and dotted keys; inline tables fall back to the line of their key.
    """
    if not text:
        return None
    wanted = [str(p) for p in loc if not isinstance(p, int)]
    best: tuple[int, int] | None = None  # (matched depth, line)
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _ARRAY_HEADER.match(line):
            table = []
            continue
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            path = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            path = table + _split_key(key.group(1))
        depth = _common_prefix(path, wanted)
        if depth == len(path) and depth > 0 and (best is None or depth > best[0]):
            best = (depth, number)
            if depth == len(wanted):
                return number
    return best[1] if best else None


def _common_prefix(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count
