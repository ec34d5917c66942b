"""Logs for a service: one JSON object per line (or plain text), with every configured secret redacted.

Log collectors (journald, Loki, CloudWatch) split on newlines, so one event must be one line whatever
its message holds. Secrets are scrubbed from the structured fields *before* serialisation, because
replacing text inside an already serialised JSON line can break it (a secret "1" would eat numbers).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import IO, Any

from inolink_tui.headless.ports import plain

REDACTED = "***"
EVENT_ATTR = "event"
FIELDS_ATTR = "fields"

# Attributes every LogRecord has; anything else passed through `extra=` is a field of the event.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

# Libraries whose INFO lines carry request URLs (a Slack webhook URL is itself a credential).
_CHATTY_LOGGERS = ("httpx", "httpcore", "msal", "urllib3", "apscheduler", "aiosqlite", "asyncio")


class SecretScrubber:
    """Replaces every known secret value with *** wherever it appears in a string.

    Longer secrets are replaced first so a secret that contains another is never half-redacted.
    New secrets (e.g. an access token obtained at run time) can be added while logging runs.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        merged = {s for s in (*self._secrets, *secrets) if s}
        self._secrets = tuple(sorted(merged, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def deep(self, value: Any) -> Any:
        """Scrub strings inside dicts and lists (keys too); other values are made JSON-friendly first."""
        value = plain(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value


class SecretFilter(logging.Filter):
    """Scrubs a record in place (message, arguments, fields, traceback) before any handler formats it."""

    def __init__(self, scrubber: SecretScrubber) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.scrubber:
            return True
        record.msg = self.scrubber.text(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.scrubber.text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrubber.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrubber.text(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS:
                setattr(record, key, self.scrubber.deep(value))
        return True


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The event's fields: `extra={"fields": {...}}` plus any other extra attributes."""
    out: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _RECORD_ATTRS or key == EVENT_ATTR:
            continue
        if key == FIELDS_ATTR and isinstance(value, Mapping):
            out.update(value)
        else:
            out[key] = value
    return out


def _ts(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "event", "logger", "message", "fields"}`, one object per line.

    `event` is the machine name of what happened (`job_changed`, `cycle_finished`, ...); a plain
    log call without one is the event "log". The scrubber runs again here so a formatter used without
    the filter still never writes a secret.
    """

    def __init__(self, scrubber: SecretScrubber | None = None) -> None:
        super().__init__()
        self.scrubber = scrubber or SecretScrubber()

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": _ts(record),
            "level": record.levelname.lower(),
            "event": getattr(record, EVENT_ATTR, None) or "log",
            "logger": record.name,
            "message": record.getMessage(),
            "fields": record_fields(record),
        }
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["error"] = record.exc_text
        return json.dumps(self.scrubber.deep(doc), ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """Human lines for `--log-format text`: time, level, event, message, then key=value fields."""

    def __init__(self, scrubber: SecretScrubber | None = None) -> None:
        super().__init__()
        self.scrubber = scrubber or SecretScrubber()

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, EVENT_ATTR, None) or "log"
        parts = [_ts(record), f"{record.levelname:<7}", event, record.getMessage()]
        for key, value in self.scrubber.deep(record_fields(record)).items():
            parts.append(f"{key}={json.dumps(value, ensure_ascii=False)}")
        line = " ".join(parts).replace("\n", "\\n")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return self.scrubber.text(line)


def configure_logging(
    log_format: str,
    secrets: Iterable[str] = (),
    *,
    stream: IO[str] | None = None,
    level: int = logging.INFO,
) -> SecretScrubber:
    """Route every log record of the process to one stdout handler in the chosen format.

    Returns the scrubber so secrets learnt later (tokens) can be added to it.
    """
    if log_format not in ("json", "text"):
        raise ValueError(f"log format must be json or text, not {log_format!r}")
    scrubber = SecretScrubber(secrets)
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.addFilter(SecretFilter(scrubber))
    handler.setFormatter(JsonFormatter(scrubber) if log_format == "json" else TextFormatter(scrubber))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    return scrubber


def log_event(logger: logging.Logger, event: str, message: str, level: int = logging.INFO, /, **fields: Any) -> None:
    """Log one named event with fields (the shape JsonFormatter writes)."""
    logger.log(level, message, extra={EVENT_ATTR: event, FIELDS_ATTR: fields})
