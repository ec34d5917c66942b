"""JSON log lines: one object per line, the documented keys, and no configured secret anywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.headless.logging_json import (
    REDACTED,
    JsonFormatter,
    SecretScrubber,
    configure_logging,
    log_event,
)

SECRETS = ("s3cr3t-crm-Value", 'qbo"secret\\with-quotes', "hunter2-smtp", "https://hooks.slack.test/T000/B000/XYZ")


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("json", SECRETS, stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_event_is_one_json_object_with_the_documented_keys(capture: io.StringIO) -> None:
    log = logging.getLogger("inolink_tui.test")
    log_event(log, "job_changed", "job 7 -> Error", logging.WARNING, job_id=7, link_status=LinkStatus.ERROR)
    log.info("multi\nline\nmessage")
    lines = _lines(capture)
    assert len(lines) == 2
    first = lines[0]
    assert set(first) == {"ts", "level", "event", "logger", "message", "fields"}
    assert first["event"] == "job_changed"
    assert first["level"] == "warning"
    assert first["fields"] == {"job_id": 7, "link_status": "Error"}
    assert str(first["ts"]).endswith("Z")
    datetime.fromisoformat(str(first["ts"]).replace("Z", "+00:00"))
    assert lines[1]["event"] == "log"
    assert lines[1]["message"] == "multi\nline\nmessage"


def test_no_secret_survives_in_messages_fields_args_or_tracebacks(capture: io.StringIO) -> None:
    log = logging.getLogger("inolink_tui.test")
    log.info("token refresh with %s failed", SECRETS[0])
    log_event(log, "auth_problem", f"bad secret {SECRETS[1]}", logging.ERROR, detail={"nested": [SECRETS[2]]})
    log.warning("posting to %s", SECRETS[3], extra={"url": SECRETS[3]})
    try:
        raise RuntimeError(f"login refused for password {SECRETS[2]}")
    except RuntimeError:
        log.exception("smtp failed")
    text = capture.getvalue()
    lines = _lines(capture)
    assert len(lines) == 4
    for secret in SECRETS:
        assert secret not in text
        assert json.dumps(secret)[1:-1] not in text
    assert lines[0]["message"] == f"token refresh with {REDACTED} failed"
    assert lines[1]["fields"] == {"detail": {"nested": [REDACTED]}}
    assert lines[2]["fields"] == {"url": REDACTED}
    assert "RuntimeError" in str(lines[3]["error"])


def test_a_secret_that_looks_like_json_syntax_cannot_break_the_line() -> None:
    scrubber = SecretScrubber(["1", '"', "ts"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, 'count "1"', None, None)
    record.event = "e"
    record.fields = {"n": 1, "s": "a1b"}
    doc = json.loads(JsonFormatter(scrubber).format(record))
    assert doc["fields"]["n"] == 1  # numbers are data, not text: left alone and still valid JSON
    assert doc["fields"]["s"] == f"a{REDACTED}b"


def test_longer_secrets_are_redacted_before_shorter_ones_they_contain() -> None:
    scrubber = SecretScrubber(["abc", "abcdef"])
    assert scrubber.text("x abcdef y abc") == f"x {REDACTED} y {REDACTED}"


def test_secrets_learnt_later_are_redacted_too(capture: io.StringIO) -> None:
    scrubber = configure_logging("json", SECRETS, stream=capture)
    scrubber.add("fresh-access-token-123")
    logging.getLogger("x").info("using fresh-access-token-123")
    assert "fresh-access-token-123" not in capture.getvalue()


def test_text_format_is_one_line_per_event_and_scrubbed() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("text", SECRETS, stream=stream)
        log_event(logging.getLogger("t"), "cycle_finished", "done", service="high_priority", secret=SECRETS[0])
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    out = stream.getvalue()
    assert out.count("\n") == 1
    assert "cycle_finished done" in out
    assert 'service="high_priority"' in out
    assert SECRETS[0] not in out


def test_datetimes_and_enums_are_serialised_readably(capture: io.StringIO) -> None:
    at = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    log_event(logging.getLogger("t"), "e", "m", at=at, status=LinkStatus.QUEUED)
    assert _lines(capture)[0]["fields"] == {"at": "2026-11-26T05:00:00Z", "status": "Queued"}


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json or text"):
        configure_logging("xml")
