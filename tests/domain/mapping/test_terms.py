"""Payment terms both ways (domain/mapping/terms.py and money.py `sales_term_ref`): the default table pairs
CRM's stock options with QuickBooks Terms of the same name; `[sync] payment_terms` overrides it."""

from __future__ import annotations

from inolink_tui.domain.mapping.money import MoneyPolicy, company_money, sales_term_ref
from inolink_tui.domain.mapping.terms import crm_terms_value, terms_columns

TERMS = [
    {"Id": "1", "Name": "Due on receipt"},
    {"Id": "3", "Name": "Net 30"},
    {"Id": "5", "Name": "2% 10 Net 30"},
    {"Id": "7", "Name": "Net 90"},
]
COMPANY = company_money(None, None, [], TERMS)


def test_a_term_comes_back_as_the_crm_option_of_the_same_name() -> None:
    default = MoneyPolicy()
    assert crm_terms_value("Net 30", default) == 1
    assert crm_terms_value("net 60", default) == 4
    assert crm_terms_value("2% 10 Net 30", default) == 2  # CRM's "2% 10, Net 30": punctuation ignored
    assert crm_terms_value("Due on receipt", default) is None  # no stock option: the column is left alone
    assert terms_columns(COMPANY, default, {"SalesTermRef": {"value": "3"}}) == {"paymenttermscode": 1}
    assert terms_columns(COMPANY, default, {"SalesTermRef": {"value": "1"}}) == {}
    assert terms_columns(COMPANY, default, {}) == {}
    assert terms_columns(COMPANY, default, {"SalesTermRef": {"value": "99", "name": "Net 45"}}) == {
        "paymenttermscode": 3
    }


def test_configured_pairs_are_read_both_ways() -> None:
    # [sync] payment_terms: CRM label (or an org's own option value) -> QuickBooks Term name
    policy = MoneyPolicy(payment_terms={"net 45": "Net 90", "100000000": "Due on receipt"})
    assert crm_terms_value("Net 90", policy) == 3
    assert crm_terms_value("due on receipt", policy) == 100000000
    assert sales_term_ref(COMPANY, policy, {"paymenttermscode": 3}) == {"value": "7", "name": "Net 90"}
    assert sales_term_ref(COMPANY, MoneyPolicy(), {"paymenttermscode": 2}) == {"value": "5", "name": "2% 10 Net 30"}
    assert sales_term_ref(COMPANY, MoneyPolicy(), {"paymenttermscode": 4}) is None  # QuickBooks has no Net 60
