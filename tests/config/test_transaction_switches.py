"""[sync] switches of issue 16 item 1: transactions entered in QuickBooks and payments removed there."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.config.load import ConfigError, load_config
from inolink_tui.domain.transaction_history import RemovedPayments, TransactionPolicy, TransactionSync
from inolink_tui.engine.options import EngineOptions


def options(tmp_path: Path, text: str) -> EngineOptions:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return EngineOptions.from_settings(load_config(path, environ={}).settings)


def test_every_type_is_off_and_removed_payments_mirror_by_default(tmp_path: Path) -> None:
    policy = options(tmp_path, "").transactions
    assert policy == TransactionPolicy()
    assert {policy.mode(e) for e in ("Invoice", "Estimate", "CreditMemo", "SalesReceipt")} == {TransactionSync.OFF}
    assert policy.removed_payments is RemovedPayments.MIRROR


def test_keys_reach_the_engine(tmp_path: Path) -> None:
    policy = options(
        tmp_path,
        '[sync]\nquickbooks_invoices = "record"\nquickbooks_estimates = "history"\n'
        'quickbooks_credit_memos = "history"\nquickbooks_sales_receipts = "history"\nremoved_payments = "void"\n',
    ).transactions
    assert policy == TransactionPolicy(
        TransactionSync.RECORD,
        TransactionSync.HISTORY,
        TransactionSync.HISTORY,
        TransactionSync.HISTORY,
        RemovedPayments.VOID,
    )


@pytest.mark.parametrize(
    "text",
    [
        '[sync]\nquickbooks_invoices = "on"\n',
        '[sync]\nquickbooks_credit_memos = "record"\n',  # CRM has no credit memo table
        '[sync]\nquickbooks_sales_receipts = "record"\n',
        '[sync]\nremoved_payments = "keep"\n',
        "[sync]\nquickbooks_estimates = true\n",
    ],
)
def test_bad_values_are_a_config_error_naming_the_key(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    key = text.split("\n")[1].split(" =")[0]
    assert key in str(info.value) and "\n" not in str(info.value)
