"""[sync] keys of issue 16 (inactive and deleted records, tax codes, payment terms): defaults, reading, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.config.load import ConfigError, load_config
from inolink_tui.domain.mapping.customers import CustomerPolicy
from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.engine.lifecycle import CrmDeactivated, CrmDeleted, LifecyclePolicy, QuickBooksInactive
from inolink_tui.engine.options import EngineOptions


def options(tmp_path: Path, text: str) -> EngineOptions:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return EngineOptions.from_settings(load_config(path, environ={}).settings)


def test_defaults_deactivate_inactivate_unlink_and_no_tax_code(tmp_path: Path) -> None:
    o = options(tmp_path, "")
    assert o.lifecycle == LifecyclePolicy()
    assert o.lifecycle.quickbooks_inactive is QuickBooksInactive.DEACTIVATE
    assert o.lifecycle.crm_deactivated is CrmDeactivated.INACTIVATE and o.lifecycle.crm_deleted is CrmDeleted.UNLINK
    assert o.money == MoneyPolicy()
    assert o.customers == CustomerPolicy() and not o.customers.primary_contact


def test_keys_reach_the_engine(tmp_path: Path) -> None:
    o = options(
        tmp_path,
        '[sync]\nquickbooks_inactive = "flag"\ninactive_flag_column = "new_qbinactive"\ncrm_deactivated = "ignore"\n'
        'crm_deleted = "ignore"\ndefault_tax_code = "GST"\nexempt_tax_code = "Exempt"\n'
        'tax_codes = { "SKU-1" = "Zero-rated" }\npayment_terms = { "Net 45" = "Net 60" }\n'
        'customer_types = { "Preferred Customer" = "Wholesale" }\nprimary_contact = true\n',
    )
    assert o.lifecycle == LifecyclePolicy(
        QuickBooksInactive.FLAG, "new_qbinactive", CrmDeactivated.IGNORE, CrmDeleted.IGNORE
    )
    assert o.money == MoneyPolicy("GST", "Exempt", {"sku-1": "Zero-rated"}, {"net 45": "Net 60"})
    assert o.customers == CustomerPolicy({"Preferred Customer": "Wholesale"}, primary_contact=True)


@pytest.mark.parametrize(
    "text",
    [
        '[sync]\nquickbooks_inactive = "delete"\n',
        '[sync]\ncrm_deleted = "delete"\n',
        '[sync]\ninactive_flag_column = "no spaces allowed"\n',
        '[sync]\ndefault_tax_code = ""\n',
        '[sync]\ntax_codes = { "SKU-1" = "" }\n',
    ],
)
def test_bad_values_are_a_config_error_naming_the_key(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    key = text.split("\n")[1].split(" =")[0]
    assert key in str(info.value) and "\n" not in str(info.value)
