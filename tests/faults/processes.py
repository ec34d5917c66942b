"""Real processes for the crash tests: a standalone sandbox (`inolink-tui sandbox serve`) and the fork server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import tomli_w

ROOT = Path(__file__).resolve().parents[2]
PYTHON = [sys.executable]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[Any], grace: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class StandaloneSandbox:
    proc: subprocess.Popen[str]
    port: int
    config: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            response = client.post(path, json=body) if body is not None else client.get(path)
            response.raise_for_status()
            return response.json()

    def settings_doc(self) -> dict[str, Any]:
        return tomllib.loads(self.config.read_text())

    def update_config(self, **sections: dict[str, Any]) -> None:
        doc = self.settings_doc()
        for name, values in sections.items():
            doc.setdefault(name, {}).update(values)
        self.config.write_text(tomli_w.dumps(doc))


@contextmanager
def standalone_sandbox(tmp: Path, *args: str) -> Iterator[StandaloneSandbox]:
    config = tmp / "sandbox.toml"
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    err = (tmp / "sandbox.err").open("w")
    proc = subprocess.Popen(
        [*PYTHON, "-m", "inolink_tui", "sandbox", "serve", "--port", str(port), "--write-config", str(config), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=err,
        text=True,
    )
    try:
        wait_for(lambda: config.exists() or proc.poll() is not None, 90, "the sandbox to write its config")
        assert proc.poll() is None, (tmp / "sandbox.err").read_text()[-2000:]
        yield StandaloneSandbox(proc, port, config)
    finally:
        stop(proc)
        err.close()


class ForkServer:
    """Drives tests/faults/forkserver.py: spawn the real CLI in a forked child, reap it after a kill."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*PYTHON, "-m", "tests.faults.forkserver"],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self._read()
        assert "ready" in ready, ready

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("the fork server died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def spawn(self, out: Path, target: str, *args: str) -> int:
        return int(self._ask({"spawn": target, "args": list(args), "out": str(out)})["pid"])

    def reap(self, pid: int) -> int:
        return int(self._ask({"reap": pid})["status"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@contextmanager
def fork_server(env: dict[str, str]) -> Iterator[ForkServer]:
    server = ForkServer(env)
    try:
        yield server
    finally:
        server.close()
