"""Putting the headless process together: logging first, then store, engine, metrics, alerts, daemon.

Logging is configured before anything else so that even a startup failure is one JSON line with
the secrets already redacted. The engine is built by a factory (`async (settings, store) -> DaemonEngine`)
that cli, the composition root, passes in (`cli/engine_factories.py`), so the same daemon runs the real
engine or a test double, and headless never imports the engine.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from inolink_tui.domain.errors import ClassifiedError, SetupProblem
from inolink_tui.domain.pair import PairHeld
from inolink_tui.headless.alerts import AlertManager, AlertPolicy
from inolink_tui.headless.daemon import EXIT_CONFIG, EXIT_JOB_ERRORS, EXIT_LEASE_HELD, Daemon, DaemonOptions
from inolink_tui.headless.logging_json import SecretScrubber, configure_logging, log_event
from inolink_tui.headless.once import run_once
from inolink_tui.headless.ports import DaemonEngine
from inolink_tui.headless.settings_port import HeadlessSettings
from inolink_tui.headless.token_secrets import TokenFileSecrets
from inolink_tui.store.base import JobStore, StoreError

if TYPE_CHECKING:
    from inolink_tui.headless.metrics import Metrics

log = logging.getLogger("inolink_tui.headless")

EngineFactory = Callable[[Any, JobStore], Awaitable[DaemonEngine]]
"""Builds the engine for the settings and store, as the daemon drives it."""


class HeadlessSetupError(SetupProblem):
    """The engine cannot be built (no factory, a bad factory name)."""


@dataclass(frozen=True, slots=True)
class HeadlessOptions:
    db_path: Path
    once: bool = False
    log_format: str = "json"
    metrics_port: int | None = None
    metrics_bind: str = "127.0.0.1"
    """The address /metrics listens on; this machine only by default (`0.0.0.0` for every interface)."""
    read_only: bool = False
    webhook_port: int | None = None
    """Receive QuickBooks webhooks on this port (service mode only; headless/webhook.py)."""
    webhook_bind: str = "127.0.0.1"


def collect_secrets(settings: HeadlessSettings, alerts: AlertPolicy | None) -> list[str]:
    secrets = list(settings.secret_values())
    if alerts is not None:
        secrets += list(alerts.secrets)
    return secrets


def is_setup_problem(exc: BaseException) -> bool:
    """Configuration and authorisation failures: rerunning will not help, a person must act. The config's
    ConfigError and the connectors' AuthError (ReauthorizationRequired among them) are domain SetupProblems;
    a settings object that fails validation is pydantic's ValidationError."""
    return isinstance(exc, SetupProblem | pydantic.ValidationError)


def token_file_of(settings: HeadlessSettings) -> Path | None:
    return settings.quickbooks.token_file


async def serve(
    settings: HeadlessSettings,
    options: HeadlessOptions,
    factory: EngineFactory,
    scrubber: SecretScrubber | None = None,
) -> int:
    """Open the store, build the engine and run the daemon (or one pass); returns the exit status."""
    from inolink_tui.store import open_store  # the SQLite backend, chosen here and nowhere else

    alerts_settings = AlertPolicy.from_config(settings.alerts)
    store = await open_store(options.db_path, read_only=options.read_only)
    try:
        chores: list[Callable[[], object]] = []
        token_file = token_file_of(settings)
        if scrubber is not None and token_file is not None:
            watcher = TokenFileSecrets(token_file, scrubber)
            watcher.poll()  # before the engine exists, so not even its start-up can log a token
            chores.append(watcher.poll)
        if not options.read_only and not options.once:
            chores.append(store_upkeep(store, settings))
        try:
            port = await factory(settings, store)
        except SetupProblem:
            raise
        except Exception as exc:  # building reads config, token files and credentials: a person must look
            raise HeadlessSetupError(f"cannot build the engine: {exc}") from exc
        metrics = new_metrics() if options.metrics_port is not None else None
        alerts = AlertManager(alerts_settings) if alerts_settings is not None and alerts_settings.enabled else None
        lease_seconds = float(settings.sync.lease_seconds)
        daemon_options = DaemonOptions(
            metrics_port=options.metrics_port,
            metrics_addr=options.metrics_bind,
            lease_ttl=max(10.0, lease_seconds / 2),
            webhook_port=options.webhook_port,
            webhook_addr=options.webhook_bind,
        )
        daemon = Daemon(
            port,
            store,
            daemon_options,
            metrics=metrics,
            alerts=alerts,
            store_label=str(options.db_path),
            on_refresh=chores,
            webhook=webhook_receiver(settings, port) if options.webhook_port is not None and not options.once else None,
        )
        if options.once:
            return await run_once(daemon)
        return await daemon.run()
    finally:
        await store.close()


def new_metrics() -> Metrics:
    """The Prometheus metrics (headless/metrics.py), imported only with --metrics-port: prometheus-client and its
    HTTP server are start-up time a daemon without metrics would pay before its first cycle."""
    from inolink_tui.headless.metrics import Metrics

    return Metrics()


def webhook_receiver(settings: HeadlessSettings, engine: DaemonEngine) -> Any:
    """QuickBooks notifications run the High Priority cycle (its CDC read) at once; imported only when asked for."""
    from inolink_tui.headless.webhook import WebhookReceiver

    secret = settings.quickbooks.webhook_verifier_token
    token = secret.get_secret_value() if secret is not None else ""
    return WebhookReceiver(token, lambda: engine.run_now("high_priority"))


def store_upkeep(store: object, settings: HeadlessSettings) -> Callable[[], object]:
    """The hourly retention purge and feed pruning (store/retention.py) as a refresh chore of the daemon."""
    from inolink_tui.store.retention import StoreUpkeep
    from inolink_tui.store.sqlite import SqliteJobStore

    days = settings.store.success_retention_days
    if not isinstance(store, SqliteJobStore):
        return lambda: None
    return StoreUpkeep(store, days).poll


def main(settings: HeadlessSettings, options: HeadlessOptions, factory: EngineFactory) -> int:
    """The synchronous entry `run_headless` calls: logging, the event loop, one-line errors."""
    try:
        alerts_settings = AlertPolicy.from_config(settings.alerts)
    except ValueError as exc:
        configure_logging(options.log_format, collect_secrets(settings, None))
        log_event(log, "config_error", f"[alerts]: {exc}", logging.ERROR)
        return EXIT_CONFIG
    scrubber = configure_logging(options.log_format, collect_secrets(settings, alerts_settings))
    if options.read_only:
        log_event(
            log,
            "config_error",
            "--read-only cannot run the engine (processing jobs changes them); open the console to watch instead",
            logging.ERROR,
        )
        return EXIT_CONFIG
    log_event(
        log,
        "starting",
        "inolink-tui headless " + ("single run" if options.once else "service"),
        db=str(options.db_path),
        pid=os.getpid(),
        once=options.once,
        metrics_port=options.metrics_port,
    )
    try:
        return asyncio.run(serve(settings, options, factory, scrubber))
    except StoreError as exc:
        log_event(log, "store_error", str(exc), logging.ERROR)
        return EXIT_CONFIG
    except PairHeld as exc:  # --once while another engine (any database, any machine) syncs the pair
        log_event(log, "pair_lease_held", str(exc), logging.ERROR, holder=exc.holder, until=exc.until)
        return EXIT_LEASE_HELD
    except Exception as exc:
        if is_setup_problem(exc):
            message = str(exc) if isinstance(exc, SetupProblem) else f"{type(exc).__name__}: {exc}"
            log_event(log, "setup_error", message, logging.ERROR)
            return EXIT_CONFIG
        if isinstance(exc, ClassifiedError):
            # A service that cannot be reached (or answers nonsense) before any job ran: already a
            # classified one-line message; a traceback would read as a crash of inolink-tui itself.
            log_event(log, "connection_error", str(exc), logging.ERROR)
            return EXIT_JOB_ERRORS
        log.exception("headless run failed", extra={"event": "crashed"})
        return EXIT_JOB_ERRORS
