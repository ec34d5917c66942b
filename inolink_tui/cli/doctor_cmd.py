"""`inolink-tui doctor`: one line per finding with its fix; exit 0 when all is well, 2 otherwise.

The console's command palette runs the same command (as a subprocess), so it shares this output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.store_session import EXIT_USAGE

if TYPE_CHECKING:
    from inolink_tui.engine.doctor import Finding


@click.command()
@pass_cli
def doctor(cli: CliContext) -> None:
    """Check both connections, the CRM schema and privileges, QuickBooks' settings and the custom mappings
    ([[mapping.*]] against the org's columns and QuickBooks' fields); print each fix."""
    from inolink_tui.cli.connected import run_guarded

    settings = cli.settings()

    async def main() -> list[Finding]:
        from inolink_tui.connectors.dataverse import DataverseClient
        from inolink_tui.connectors.errors import ConnectorError
        from inolink_tui.connectors.quickbooks import QuickBooksClient
        from inolink_tui.connectors.settings import NotConfigured, dataverse_settings_from, quickbooks_settings_from
        from inolink_tui.engine.doctor import D365, QBO, Finding, crm_findings, quickbooks_findings
        from inolink_tui.engine.mapping_check import FIX, MAPPING, mapping_findings
        from inolink_tui.engine.options import EngineOptions
        from inolink_tui.store.tokens import TokenStore

        findings: list[Finding] = []
        realm = settings.quickbooks.realm_id or ""
        options = EngineOptions.from_settings(settings, company=realm)
        crm: DataverseClient | None = None
        qbo: QuickBooksClient | None = None
        try:
            try:
                crm = DataverseClient(dataverse_settings_from(settings.crm))
            except NotConfigured as exc:
                findings.append(Finding(D365, False, str(exc), "fill in [crm] (see `inolink-tui config check`)"))
            else:
                try:
                    findings += await crm_findings(crm, options)
                except ConnectorError as exc:
                    findings.append(Finding(D365, False, exc.describe(), "see the message"))
            try:
                qbo_settings = quickbooks_settings_from(settings.quickbooks)
                if qbo_settings.token_file is None:
                    raise NotConfigured("[quickbooks] token_file is not set")
                qbo = QuickBooksClient(qbo_settings, store=TokenStore(qbo_settings.token_file))
            except NotConfigured as exc:
                fix = "fill in [quickbooks], then `inolink-tui auth quickbooks`"
                findings.append(Finding(QBO, False, str(exc), fix))
            else:
                try:
                    findings += await quickbooks_findings(qbo, options)
                except ConnectorError as exc:
                    findings.append(Finding(QBO, False, exc.describe(), "see the message"))
            try:
                findings += await mapping_findings(settings.mapping, crm, qbo)
            except ConnectorError as exc:
                findings.append(Finding(MAPPING, False, f"custom mappings not checked: {exc.describe()}", FIX))
        finally:
            for client in (crm, qbo):
                if client is not None:
                    await client.aclose()
        return findings

    findings = run_guarded(cli, main)
    for finding in findings:
        click.echo(finding.line())
    problems = sum(1 for f in findings if f.problem)
    if problems:
        click.echo(f"{problems} problem(s) found")
        raise SystemExit(EXIT_USAGE)
    click.echo("all is well")
