"""Running CLI commands against an in-process sandbox: a config for it, the CLI in a thread, control calls."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from inolink_tui.cli.main import cli


def unthrottled(**options: Any) -> Any:
    """SandboxOptions whose QuickBooks admits any rate: for tests of what the CLI does, not of throttling
    (the connectors' own tests cover that); `sandbox_config` then paces the client to match."""
    from inolink_tui.sandbox.options import QboLimits, SandboxOptions

    return SandboxOptions(qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0), **options)


def sandbox_config(handle: Any, folder: Path, extra: str = "") -> Path:
    """The config `sandbox serve --write-config` would write, with `extra` TOML appended.

    Against a sandbox whose QuickBooks has no rate limits, the client is not paced for real QuickBooks either
    (10 requests a second, 500 a minute): that pacing only made these tests wait.
    """
    import tomllib

    import tomli_w

    from inolink_tui.sandbox.config_writer import write_config

    path = folder / "sandbox.toml"
    write_config(path, handle.info())
    limits = handle.sandbox.options.qbo_limits
    if not limits.requests_per_second and not limits.requests_per_minute:
        document = tomllib.loads(path.read_text())
        document["quickbooks"].update(requests_per_minute=100_000, requests_per_second=10_000)
        path.write_text(tomli_w.dumps(document))
    if extra:
        path.write_text(path.read_text() + "\n" + extra)
    return path


async def invoke(config: Path, *args: str, stdin: str | None = None) -> Result:
    """The CLI in a thread: it calls asyncio.run itself while the sandbox serves from this loop."""
    argv = ["--config", str(config), *args]
    return await asyncio.to_thread(CliRunner().invoke, cli, argv, input=stdin, catch_exceptions=False)


async def control(handle: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=handle.base_url, timeout=20) as client:
        response = await (client.post(path, json=body) if body is not None else client.get(path))
        response.raise_for_status()
        return response.json()


async def crm_create(handle: Any, entity_set: str, row: dict[str, Any]) -> str:
    created = await control(handle, "/_sandbox/crm/create", {"entity_set": entity_set, "row": row})
    key = {"salesorders": "salesorderid"}.get(entity_set, f"{entity_set.removesuffix('s')}id")
    return str(created[key])


async def qbo_create(handle: Any, entity: str, body: dict[str, Any]) -> str:
    created = await control(handle, "/_sandbox/qbo/create", {"entity": entity, "body": body})
    return str(created["Id"])


def crm_row(handle: Any, entity_set: str, row_id: str) -> dict[str, Any]:
    row = handle.sandbox.dataverse.get_row(entity_set, row_id)
    assert row is not None, f"{entity_set}({row_id}) is gone"
    return dict(row)


async def run_process(config: Path, *args: str, seconds: float = 90) -> tuple[int, str]:
    """The CLI as its own process (what `--no-ui --once` needs: it installs signal handlers)."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("INOLINK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inolink_tui",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), seconds)
    return int(proc.returncode or 0), out.decode()
