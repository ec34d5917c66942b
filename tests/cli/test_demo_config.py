"""`--demo`'s config (cli/demo.py): it turns on the QuickBooks -> CRM transaction switches so the simulated
QuickBooks users' invoices, estimates, credit memos and sales receipts show up as Link Jobs (issue 16)."""

from __future__ import annotations

from pathlib import Path

from inolink_tui.cli.demo import write_demo_config
from inolink_tui.config.load import load_settings
from inolink_tui.domain.transaction_history import TransactionSync, transaction_policy

INFO = {
    "crm_url": "http://127.0.0.1:9/org",
    "crm_tenant": "00000000-0000-0000-0000-000000000001",
    "crm_client_id": "00000000-0000-0000-0000-000000000002",
    "crm_client_secret": "s",
    "aad_authority": "http://127.0.0.1:9/aad",
    "intuit_discovery_url": "http://127.0.0.1:9/.well-known",
    "qbo_client_id": "c",
    "qbo_client_secret": "s",
    "realm_id": "9130",
    "qbo_base_url": "http://127.0.0.1:9/v3",
    "qbo_refresh_token": "r",
}


def test_demo_config_shows_quickbooks_entered_transactions(tmp_path: Path) -> None:
    settings = load_settings(write_demo_config(tmp_path, INFO))
    policy = transaction_policy(settings.sync)
    assert (policy.invoices, policy.estimates) == (TransactionSync.RECORD, TransactionSync.RECORD)
    assert (policy.credit_memos, policy.sales_receipts) == (TransactionSync.HISTORY, TransactionSync.HISTORY)
    assert settings.sync.auto_create_missing_customer is True


def test_without_the_switches_every_type_is_off(tmp_path: Path) -> None:
    from inolink_tui.sandbox.config_writer import write_config

    path = tmp_path / "plain.toml"
    write_config(path, INFO)
    policy = transaction_policy(load_settings(path).sync)
    assert {policy.mode(e) for e in ("Invoice", "Estimate", "CreditMemo", "SalesReceipt")} == {TransactionSync.OFF}
