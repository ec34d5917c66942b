"""The console's palette tools (`doctor`, `jobs fix-dependencies`), run as this program in a subprocess with
the same --config and --db: the console stays free of connectors, and the output is the CLI's own."""

from __future__ import annotations

import asyncio
import sys

from inolink_tui.cli.context import CliContext
from inolink_tui.domain.jobs import LinkJob

TOOL_TIMEOUT_SECONDS = 300.0


def _base_args(ctx: CliContext) -> list[str]:
    args = [sys.executable, "-m", "inolink_tui"]
    if ctx.config_path is not None:
        args += ["--config", str(ctx.config_path)]
    if ctx.db_override is not None:
        args += ["--db", str(ctx.db_override)]
    return args


async def run_cli(args: list[str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), TOOL_TIMEOUT_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return 2, f"gave up after {TOOL_TIMEOUT_SECONDS:.0f} s"
    return int(proc.returncode or 0), out.decode(errors="replace")


def register_console_tools(ctx: CliContext) -> None:
    from inolink_tui.ui.tools import Tool, register_tool

    base = _base_args(ctx)

    async def doctor(_: LinkJob | None) -> tuple[int, str]:
        return await run_cli([*base, "doctor"])

    async def fix_dependencies(job: LinkJob | None) -> tuple[int, str]:
        return await run_cli([*base, "jobs", "fix-dependencies", str(job.id if job else "")])

    async def promote(job: LinkJob | None) -> tuple[int, str]:
        assert job is not None
        return await run_cli([*base, "promote", job.entity_type.name.lower(), "--ids", job.crm_record_id])

    async def unlink(job: LinkJob | None) -> tuple[int, str]:
        assert job is not None
        return await run_cli([*base, "unlink", job.entity_type.name.lower(), job.crm_record_id])

    register_tool("doctor", Tool("Doctor: check connections, schema and settings", "inolink-tui doctor", doctor))
    register_tool(
        "fix-dependencies",
        Tool(
            "Fix dependencies of selected job",
            "Queue the customer and products an Error transaction needs, and requeue it",
            fix_dependencies,
            needs_job=True,
            mutating=True,
        ),
    )
    for name, title, help_text, run in (
        ("promote", "Promote the record of selected job", "Set it To be Linked again (InoLink's Promote)", promote),
        ("unlink", "Unlink the record of selected job", "End its link on both sides; nothing is deleted", unlink),
    ):
        register_tool(name, Tool(title, help_text, run, needs_job=True, mutating=True, needs_record=True))
