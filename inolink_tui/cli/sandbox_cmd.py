"""`inolink-tui sandbox serve`: run the local Dynamics 365 + QuickBooks simulator as a process.

Stdout carries exactly one JSON line (the connection details) so scripts can read it; logs go to stderr.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from inolink_tui.cli.numbers import FiniteRange


@click.group()
def sandbox() -> None:
    """A faithful local simulator of Dataverse, Entra ID, QuickBooks Online and Intuit OAuth."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (loopback only).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=1,
    show_default=True,
    help="Seed for ids, credentials and data.",
)
@click.option("--records", type=click.IntRange(0, 100_000), default=40, show_default=True, help="CRM accounts.")
@click.option(
    "--time-scale", type=FiniteRange(min=0, min_open=True, max=1e6), default=1.0, show_default=True,
    help="Service seconds per wall second (60 runs an hour of limits in a minute).",
)  # fmt: skip
@click.option(
    "--faults",
    type=click.Choice(["none", "flaky", "throttled", "chaos"]),
    default="none",
    show_default=True,
    help="Fault profile.",
)
@click.option(
    "--activity", type=FiniteRange(min=0, max=1e6), default=0.0, show_default=True, help="User events/minute."
)
@click.option(
    "--write-config",
    "write_config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write an inolink-tui config (and its token file) pointing at this sandbox.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the data in this JSON file across restarts.",
)
@click.option(
    "--refresh-grace",
    type=FiniteRange(min=0, max=1e8),
    default=0.0,
    show_default=True,
    help="Service seconds a rotated-out QuickBooks refresh token keeps working (0: it dies at once).",
)
@click.option(
    "--bare-org",
    is_flag=True,
    help="Dataverse as a stock environment: standard tables only, no InoLink (ino_) columns or table, change "
    "tracking off; run `crm setup` against it.",
)
@click.option(
    "--region",
    type=click.Choice(["US", "CA", "UK", "AU"], case_sensitive=False),
    default="US",
    show_default=True,
    help="The QuickBooks company's region: its sales-tax model, tax codes and home currency.",
)
@click.option(
    "--multicurrency",
    is_flag=True,
    help="QuickBooks multicurrency switched on, with foreign-currency customers and exchange rates.",
)
@click.option(
    "--webhook-url",
    default=None,
    help="Send signed QuickBooks webhook notifications of every change here (e.g. the daemon's --webhook-port).",
)
@click.option("--verbose", "-v", is_flag=True, help="Debug logging on stderr.")
def serve(
    host: str,
    port: int,
    seed: int,
    records: int,
    time_scale: float,
    faults: str,
    activity: float,
    write_config_path: Path | None,
    state_path: Path | None,
    refresh_grace: float,
    bare_org: bool,
    region: str,
    multicurrency: bool,
    webhook_url: str | None,
    verbose: bool,
) -> None:
    """Serve until SIGINT or SIGTERM; print one JSON line with URLs and credentials when ready."""
    from inolink_tui.sandbox.options import IntuitPolicy, SandboxOptions
    from inolink_tui.sandbox.persist import StateFileError
    from inolink_tui.sandbox.server import ConfigWriteError, serve_until_signalled

    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter(
            "the sandbox listens on loopback only (127.0.0.1, localhost or ::1)", param_hint="--host"
        )
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http(s) URL", param_hint="--webhook-url")
    options = SandboxOptions(
        webhook_url=webhook_url,
        host=host,
        port=port,
        seed=seed,
        records=records,
        time_scale=time_scale,
        faults=faults,
        activity=activity,
        state_path=state_path,
        intuit=IntuitPolicy(old_refresh_grace_seconds=refresh_grace),
        bare_org=bare_org,
        qbo_region=region.upper(),
        qbo_multicurrency=multicurrency,
    )
    try:
        asyncio.run(serve_until_signalled(options, write_config_path=write_config_path))
    except (StateFileError, ConfigWriteError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc}") from None
