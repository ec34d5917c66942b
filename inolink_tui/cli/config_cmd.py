"""`inolink-tui config check | show`: is the config right, and what does the engine actually see?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import tomli_w

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.config.load import ConfigError, LoadedConfig, exit_config_error, find_key_line, load_config
from inolink_tui.config.model import SECRET_ENV_VARS, Settings, mask_url, missing_keys


def _load(cli: CliContext) -> LoadedConfig:
    try:
        return load_config(cli.config_path)
    except ConfigError as exc:
        exit_config_error(exc)


@click.group()
def config() -> None:
    """Validate and print the configuration."""


@config.command()
@click.option(
    "--online",
    is_flag=True,
    help="Also check the [[mapping]] entries against the org's columns and QuickBooks' custom fields (connects).",
)
@pass_cli
def check(cli: CliContext, online: bool) -> None:
    """Validate the config and summarise it: services, store, which secrets are set and from where.

    Exits 0 when the file is valid (warnings included), 2 otherwise. Secrets are never printed.
    Custom mappings are checked against QuickBooks' documented fields; with --online also against the
    org's columns (type, length, choices) and QuickBooks' custom field definitions.
    Secrets may come from INOLINK_CRM_CLIENT_SECRET, INOLINK_QBO_CLIENT_SECRET and
    INOLINK_SMTP_PASSWORD, which win over the file.
    """
    loaded = _load(cli)
    s = loaded.settings
    state = "found" if loaded.found else "not found: using defaults"
    click.echo(f"config file: {loaded.path} ({state})")
    in_file = ", ".join(loaded.sections_in_file) or "none"
    click.echo(f"sections:    {', '.join(Settings.model_fields)} (in the file: {in_file})")
    store_path = cli.db_override or s.store.path
    origin = " (--db)" if cli.db_override else ""
    click.echo(f"store:       {store_path}{origin} ({_exists(store_path)})")
    click.echo(f"crm:         {_crm_line(s)}")
    click.echo(f"quickbooks:  {_qbo_line(s)}")
    click.echo(f"services:    {_mode_line(s)}")
    for name, service in s.services.items():
        click.echo(f"  {name:<19} {service.describe()}")
    sync = s.sync
    click.echo(
        f"sync:        name matching {sync.name_matching.value}, deadlock win {sync.deadlock_win.value}, "
        f"auto-create missing customer {'yes' if sync.auto_create_missing_customer else 'no'}, "
        f"max attempts {sync.max_attempts}, workers {sync.workers}"
    )
    click.echo(f"alerts:      {_alerts_line(s)}")
    click.echo(f"mappings:    {_mappings_line(s)}")
    click.echo("secrets:")
    for (section, key), var in SECRET_ENV_VARS.items():
        dotted = f"{section}.{key}"
        source = loaded.secret_sources.get(dotted, "not set")
        shown = f"not set (set {var} or [{section}] {key})" if source == "not set" else f"set ({source})"
        click.echo(f"  {dotted:<25} {shown}")
    problems = connection_problems(loaded)
    if online and problems:
        for line in problems:
            click.echo(f"inolink-tui: config error: {line}", err=True)
        click.echo("config check --online needs both connections configured", err=True)
        raise SystemExit(2)
    from inolink_tui.cli.mapping_check_cmd import mapping_problems

    mapping_lines, mapping_notes = mapping_problems(cli, loaded, online=online)
    problems += mapping_lines
    warnings = [note for note in s.warnings() if not (problems and "is not fully configured" in note)]
    warnings += mapping_notes
    for note in warnings:
        click.echo(f"warning: {note}")
    if problems:
        for line in problems:
            click.echo(f"inolink-tui: config error: {line}", err=True)
        click.echo(f"config has {len(problems)} problem{'s' if len(problems) != 1 else ''}", err=True)
        raise SystemExit(2)
    plural = "" if len(warnings) == 1 else "s"
    click.echo(f"config OK ({len(warnings)} warning{plural})" if warnings else "config OK")


_HOW_TO_SET = {
    "realm_id": "run `inolink-tui auth quickbooks`, which prints it, and set [quickbooks] realm_id",
}


def connection_problems(loaded: LoadedConfig) -> list[str]:
    """`file:line: dotted.key: missing (...)` for each key a connection in use still lacks.

    A connection is in use once its section is in the file or its secret is in the environment; an untouched
    section stays a warning (a new install). A secret of only blanks counts as missing (the model drops it).
    """
    s = loaded.settings
    lines: list[str] = []
    for name, section in (("crm", s.crm), ("quickbooks", s.quickbooks)):
        env_secret = loaded.secret_sources.get(f"{name}.client_secret", "").startswith("env")
        if name not in loaded.sections_in_file and not env_secret:
            continue
        for key in missing_keys(section):
            var = SECRET_ENV_VARS.get((name, key))
            how = f"set {var} or [{name}] {key}" if var else _HOW_TO_SET.get(key, f"set [{name}] {key}")
            line = find_key_line(loaded.text, (name, key))
            where = f"{loaded.path}:{line}" if line else str(loaded.path)
            lines.append(f"{where}: {name}.{key}: missing ({how})")
    return lines


def _mode_line(s: Settings) -> str:
    """Live mode names its polling bounds; the windows below still apply in both modes."""
    if s.services.mode == "scheduled":
        return "scheduled (InoLink's intervals below)"
    live = s.services.live
    return (
        f"live (CRM changes every {live.crm_min_seconds:g}-{live.crm_max_seconds:g} s, QuickBooks CDC every "
        f"{live.quickbooks_min_seconds:g}-{live.quickbooks_max_seconds:g} s, within the days and windows below)"
    )


def _exists(path: Path) -> str:
    if path.is_file():
        return "exists"
    if path.exists():
        return "not a file!"
    return "will be created"


def _crm_line(s: Settings) -> str:
    crm = s.crm
    if not crm.url:
        return "not configured (url not set)"
    missing = missing_keys(crm)
    tail = f"; missing: {', '.join(missing)}" if missing else ""
    return f"{crm.url} (Web API v{crm.api_version}, authority {crm.authority or 'unset'}{tail})"


def _qbo_line(s: Settings) -> str:
    qb = s.quickbooks
    missing = missing_keys(qb)
    tail = f"; missing: {', '.join(missing)}" if missing else ""
    realm = f"realm {qb.realm_id}, " if qb.realm_id else ""
    return f"{qb.environment}, {realm}{qb.api_base_url}, tokens in {qb.token_file}{tail}"


def _mappings_line(s: Settings) -> str:
    if not s.mapping:
        return "the built-in mapping (no [[mapping.*]] entries; see `inolink-tui mapping show ENTITY`)"
    counts: dict[str, int] = {}
    for m in s.mapping:
        counts[m.origin.section] = counts.get(m.origin.section, 0) + 1
    listed = ", ".join(f"{section} {n}" for section, n in counts.items())
    return f"built-in + {len(s.mapping)} custom row{'s' if len(s.mapping) != 1 else ''} ({listed})"


def _alerts_line(s: Settings) -> str:
    a = s.alerts
    parts = [f"webhook {mask_url(a.webhook_url)} ({a.webhook_format})" if a.webhook_url else "no webhook"]
    parts.append(f"email to {', '.join(a.email_to)} via {a.smtp_host}" if a.email_enabled else "no email")
    parts.append(f"at most one per kind every {a.min_interval_minutes} min" + (", as a digest" if a.digest else ""))
    return "; ".join(parts)


@config.command()
@click.option(
    "--format", "fmt", type=click.Choice(["toml", "json"], case_sensitive=False), default="toml", show_default=True
)
@pass_cli
def show(cli: CliContext, fmt: str) -> None:
    """Print the effective settings (file + defaults + environment), secrets masked."""
    data = effective_settings(_load(cli).settings)
    if cli.db_override is not None:
        data["store"]["path"] = str(cli.db_override)
    if fmt.lower() == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(tomli_w.dumps(_drop_none(data)), nl=False)


def effective_settings(settings: Settings) -> dict[str, Any]:
    """JSON-safe settings with every secret replaced by a mask (or None when unset).

    The webhook URL is masked too: Slack and Teams put the credential in its path.
    """
    data: dict[str, Any] = settings.model_dump(mode="json")
    for section, key in SECRET_ENV_VARS:
        if data[section].get(key) is not None:
            data[section][key] = "********"
    if settings.alerts.webhook_url:
        data["alerts"]["webhook_url"] = mask_url(settings.alerts.webhook_url)
    return data


def _drop_none(value: Any) -> Any:
    """TOML has no null: an unset key is simply left out."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value
