"""Payment as an Entity Type (issue 16): the vocabulary, filters, the job mirror's choice and the org's names."""

from __future__ import annotations

from datetime import UTC, datetime

from inolink_tui.domain.crm_requirements import SYNCED_TABLES, requirements
from inolink_tui.domain.crm_schema import DEFAULT_ENTITY_TYPE_OPTIONS, CrmSchema
from inolink_tui.domain.enums import QBO_ENTITY_FOR, SYNCED_ENTITY_TYPES, EntityType
from inolink_tui.domain.filters import parse_filter


def test_payment_parses_as_an_entity_type_and_filter() -> None:
    assert EntityType.parse("payment") is EntityType.PAYMENT
    assert parse_filter("entity:payment", datetime.now(UTC)).entity_types == (EntityType.PAYMENT,)
    assert QBO_ENTITY_FOR[EntityType.PAYMENT] == "Payment"
    assert not EntityType.PAYMENT.is_transaction
    assert EntityType.PAYMENT not in SYNCED_ENTITY_TYPES and "payment" not in SYNCED_TABLES


def test_payment_gets_a_new_option_value_and_the_existing_ones_keep_theirs() -> None:
    """Orgs already hold jobs mirrored with the first six values: they must not move."""
    before = ["Account", "Contact", "Product", "Quote", "Order", "Invoice"]
    assert [DEFAULT_ENTITY_TYPE_OPTIONS[EntityType(v)] for v in before] == list(range(100000000, 100000006))
    assert DEFAULT_ENTITY_TYPE_OPTIONS[EntityType.PAYMENT] == 100000006
    choice = next(c for c in requirements(CrmSchema()).columns if c.logical_name == "ino_entitytype")
    assert (100000006, "Payment") in choice.options


def test_payment_table_follows_the_publisher_prefix() -> None:
    schema = CrmSchema(prefix="abc")
    assert schema.entity_set_for(EntityType.PAYMENT) == "abc_payments" == schema.payments
    assert schema.logical_name_for(EntityType.PAYMENT) == "abc_payment"
    assert schema.entity_set_for(EntityType.ORDER) == "salesorders"
