"""Refresh-token rotation under SIGKILL: the process dies at random moments while it refreshes and
uses QuickBooks tokens over and over (each refresh rotates the refresh token).

With the sandbox's default the rotated-out refresh token dies at once. Then exactly one window is
beyond any client: Intuit has answered with the new token and the process dies before the new token
is on disk. Every other kill must leave a token file that is whole, private (0600) and working; the
kills that hit that window are recognised exactly (the file holds the token the sandbox superseded
last) and counted, and the next start must say "reauthorize" in one event rather than crash. With
a grace period for the old token (Intuit's real behaviour is undocumented) access is never lost.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from tests.faults.processes import StandaloneSandbox, fork_server, standalone_sandbox, wait_for
from tests.faults.support import scaled

pytestmark = pytest.mark.timeout(300)


def saved_refresh_token(sandbox: StandaloneSandbox) -> tuple[str, Path]:
    qbo = sandbox.settings_doc()["quickbooks"]
    path = Path(qbo["token_file"])
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600, f"the token file is mode {mode:o}"
    data = json.loads(path.read_text())  # a torn or half-written file fails here
    entry = data[f"quickbooks:{qbo['realm_id']}"]
    assert entry["refresh_token"].startswith("RT1-")
    return entry["refresh_token"], path


def reconnect(sandbox: StandaloneSandbox) -> None:
    """What a person does after `ReauthorizationRequired`: a fresh consent, saved to the token file."""
    from inolink_tui.store.tokens import TokenStore

    grant = sandbox.control("/_sandbox/intuit/consent", {})
    qbo = sandbox.settings_doc()["quickbooks"]
    TokenStore(Path(qbo["token_file"])).save(
        f"quickbooks:{qbo['realm_id']}", {"refresh_token": grant["refresh_token"], "realm_id": qbo["realm_id"]}
    )


def ok_lines(log: Path) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if line.startswith("ok "))


def crash_around_refreshes(
    tmp_path: Path,
    sandbox: StandaloneSandbox,
    cycles: int,
    *,
    dead_at_once: bool,
    until_gap: int = 0,
    slow_token_answer: float = 0.0,
) -> dict[str, Any]:
    """Kill a refreshing process `cycles` times; with `until_gap`, keep going (up to 5x) until a kill has
    landed in the rotation-to-save window. On a fast machine that window is a few milliseconds, so
    `slow_token_answer` widens it the way a slow network does: Intuit has already rotated the token while
    its answer is still arriving (the sandbox's slow-body fault, seconds between the answer's chunks)."""
    rng = random.Random(4242)
    if slow_token_answer:
        rule = {"kind": "slow_body", "api": "intuit", "path": "/oauth2/v1/tokens/bearer", "delay": slow_token_answer}
        sandbox.control("/_sandbox/faults", {"rules": [rule]})
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    gaps = 0
    rounds = 0
    cycle = -1
    with fork_server(env) as server:
        while True:
            cycle += 1
            if cycle >= cycles and (gaps >= until_gap or cycle >= 5 * cycles):
                break
            log = tmp_path / f"refresher-{cycle:03}.log"
            pid = server.spawn(log, "tests.faults.refresher:refresh_forever", str(sandbox.config))
            # Access must work from what the last (killed) process left on disk.
            wait_for(
                lambda log=log, pid=pid: (log.exists() and ok_lines(log) >= 1) or server_dead(pid),
                30,
                "a working refresh",
            )
            assert ok_lines(log) >= 1, f"cycle {cycle}: QuickBooks access was lost\n{log.read_text()[-3000:]}"
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(pid, signal.SIGKILL)
            assert server.reap(pid) == -signal.SIGKILL, log.read_text()[-2000:]
            rounds += ok_lines(log)
            on_disk, _ = saved_refresh_token(sandbox)
            current = sandbox.control("/_sandbox/info")["qbo_refresh_token"]
            if on_disk != current:
                # Killed after Intuit rotated the token and before it reached the disk. With a grace
                # period the old token still works (the next cycle proves it); without, reconnect.
                gaps += 1
                if dead_at_once:
                    reconnect(sandbox)
    return {"gaps": gaps, "rounds": rounds, "cycles": cycle}


def server_dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_rotation_with_a_grace_period_never_loses_access(tmp_path: Path) -> None:
    with standalone_sandbox(tmp_path, "--records", "0", "--refresh-grace", "3600") as sandbox:
        result = crash_around_refreshes(
            tmp_path, sandbox, scaled(8, 200), dead_at_once=False, until_gap=1, slow_token_answer=0.1
        )
    print(result)
    assert result["gaps"] >= 1, "no kill landed between a rotation and its save: the test proved little"
    assert result["rounds"] >= result["cycles"], "each process should refresh at least once before its kill"


def test_rotation_dead_at_once_loses_access_only_inside_the_unavoidable_window(tmp_path: Path) -> None:
    with standalone_sandbox(tmp_path, "--records", "0") as sandbox:
        result = crash_around_refreshes(tmp_path, sandbox, scaled(8, 200), dead_at_once=True)
    print(result)
    # Every kill outside the window left a working token (the next process reached "ok" before its
    # own kill, asserted in the loop). The window is a few milliseconds of each refresh round.
    assert result["rounds"] >= result["cycles"]
    assert result["gaps"] < result["cycles"], f"every kill lost the token: {result}"
