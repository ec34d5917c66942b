"""Rotated OAuth tokens from the token file reach the log scrubber."""

from __future__ import annotations

import json
import os
from pathlib import Path

from inolink_tui.headless.logging_json import REDACTED, SecretScrubber
from inolink_tui.headless.token_secrets import TokenFileSecrets


def _write(path: Path, access: str, refresh: str, bump: int) -> None:
    doc = {"quickbooks:123": {"access_token": access, "refresh_token": refresh, "realm_id": "123"}}
    path.write_text(json.dumps(doc))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump))


def test_tokens_are_learnt_and_relearnt_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    scrubber = SecretScrubber()
    watcher = TokenFileSecrets(path, scrubber)
    assert watcher.poll() == 0  # no file yet: nothing to learn, no error
    _write(path, "access-AAA-111", "RT1-refresh-BBB", bump=1)
    assert watcher.poll() == 2
    assert scrubber.text("Bearer access-AAA-111 / RT1-refresh-BBB") == f"Bearer {REDACTED} / {REDACTED}"
    assert scrubber.text("realm 123") == "realm 123"  # ids are not secrets
    assert watcher.poll() == 0  # unchanged file: not re-read
    _write(path, "access-CCC-222", "RT1-refresh-BBB", bump=2_000_000_000)
    assert watcher.poll() == 2
    assert REDACTED in scrubber.text("access-CCC-222")
    assert REDACTED in scrubber.text("access-AAA-111")  # old tokens stay redacted


def test_a_half_written_file_is_skipped_quietly(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"quickbooks:1": {"access_token": "abc')
    assert TokenFileSecrets(path, SecretScrubber()).poll() == 0
