"""Child process for the rotation crash test: refresh QuickBooks tokens and use them, forever, until killed.

It builds the client exactly as the engine factory does (the config's token file through
`TokenStore`), forces a refresh on every round so each round rotates the refresh token, and
prints `ok N` after every API call that worked, so the test knows access was alive when it killed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from inolink_tui.config.load import load_settings
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.connectors.settings import quickbooks_settings_from
from inolink_tui.store.tokens import TokenStore


def refresh_forever(config_path: str) -> int:
    settings = quickbooks_settings_from(load_settings(Path(config_path)).quickbooks)
    assert settings.token_file is not None

    async def run() -> None:
        async with QuickBooksClient(settings, store=TokenStore(settings.token_file)) as client:
            provider = client.token_provider
            for round_number in range(1_000_000):
                await provider.refresh()  # type: ignore[attr-defined]
                await client.company_info()
                print(f"ok {round_number}", flush=True)

    asyncio.run(run())
    return 0
