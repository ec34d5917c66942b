"""A pre-imported parent that forks real daemon processes on request, so a crash loop can afford 50+ restarts.

On a loaded 2-core CI box importing the package (msal, intuit-oauth, pydantic, the engine) costs several
seconds per process; forking a parent that already imported everything starts the real `inolink-tui`
entry point in milliseconds. The child is an ordinary OS process running the unmodified CLI, and the
test SIGKILLs it by pid. (The completion run at the end of a crash test uses a fresh interpreter.)

Protocol, one JSON object per line on stdin, one answer per line on stdout:
    {"spawn": "module:function", "args": [...], "out": "/path/log"}  -> {"pid": N}
    {"reap": N}                                                       -> {"pid": N, "status": S}
S is the exit code, or minus the signal number that ended the child.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback
from typing import Any

PRELOAD = (
    "inolink_tui.cli.main",
    "inolink_tui.cli.run_cmd",
    "inolink_tui.config.load",
    "inolink_tui.headless.app",
    "inolink_tui.engine.factory",
    "inolink_tui.engine.runtime",
    "inolink_tui.store",
    "inolink_tui.connectors.quickbooks",
    "inolink_tui.connectors.dataverse",
    "intuitlib.client",
    "msal",
    "aiosqlite",
    "httpx",
)


def run_cli(*argv: str) -> int:
    """The real console script, as `inolink-tui ARGV` would run it."""
    from inolink_tui.cli.main import cli

    try:
        cli.main(args=list(argv), prog_name="inolink-tui", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _child(target: str, args: list[Any], out: str) -> None:
    code = 70
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the child
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        module, _, name = target.partition(":")
        code = int(getattr(importlib.import_module(module), name)(*args) or 0)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    for module in PRELOAD:
        importlib.import_module(module)
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        if "spawn" in command:
            pid = os.fork()
            if pid == 0:
                _child(command["spawn"], command.get("args", []), command["out"])
            print(json.dumps({"pid": pid}), flush=True)
        elif "reap" in command:
            _, status = os.waitpid(int(command["reap"]), 0)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            print(json.dumps({"pid": command["reap"], "status": code}), flush=True)


if __name__ == "__main__":
    main()
