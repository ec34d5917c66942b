"""The custom-mapping half of `config check`: the QuickBooks field table always, both systems with `--online`.

Why `--online` and not "whenever the connections are configured": `config check` must answer on a machine that
cannot (yet) reach Dynamics or QuickBooks, in a CI job, or before `auth quickbooks` ran, and quickly; reading the
org's metadata takes four requests per mapped table. `doctor` always checks against both systems.
"""

from __future__ import annotations

from inolink_tui.cli.context import CliContext
from inolink_tui.config.load import LoadedConfig


def mapping_problems(cli: CliContext, loaded: LoadedConfig, *, online: bool) -> tuple[list[str], list[str]]:
    """(one line per problem, notes): offline, the fields QuickBooks has and which are read-only; online, also the
    org's columns and QuickBooks' custom field definitions."""
    from inolink_tui.domain.mapping.check import check_mappings

    rows = loaded.settings.mapping
    if not rows:
        return [], []
    if not online:
        return [str(p) for p in check_mappings(rows)], []

    from inolink_tui.cli.connected import run_guarded
    from inolink_tui.engine.mapping_check import MappingCheck

    async def main() -> MappingCheck:
        from inolink_tui.connectors.dataverse import DataverseClient
        from inolink_tui.connectors.quickbooks import QuickBooksClient
        from inolink_tui.connectors.settings import NotConfigured, dataverse_settings_from, quickbooks_settings_from
        from inolink_tui.engine.mapping_check import check_against_systems
        from inolink_tui.store.tokens import TokenStore

        settings = loaded.settings
        crm = DataverseClient(dataverse_settings_from(settings.crm))
        qbo: QuickBooksClient | None = None
        try:
            qbo_settings = quickbooks_settings_from(settings.quickbooks)
            if qbo_settings.token_file is None:
                raise NotConfigured("[quickbooks] token_file is not set")
            qbo = QuickBooksClient(qbo_settings, store=TokenStore(qbo_settings.token_file))
            return await check_against_systems(rows, crm, qbo)
        finally:
            await crm.aclose()
            if qbo is not None:
                await qbo.aclose()

    result = run_guarded(cli, main)
    return [str(p) for p in result.problems], result.notes
