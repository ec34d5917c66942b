"""engine/customer_types.py with a fake QuickBooks: the Customer Types are read once per cycle, and only when a
record has a Category (push) or a Customer Type (pull)."""

from __future__ import annotations

from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.customers import CustomerPolicy
from inolink_tui.engine.customer_types import account_category, account_customer_type
from inolink_tui.engine.money import MoneyLookups


class FakeQbo:
    def __init__(self) -> None:
        self.queries: list[str] = []

    async def query(self, entity: str, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        self.queries.append(entity)
        return [{"Id": "5", "Name": "Wholesale"}, {"Id": "6", "Name": "Standard"}]


async def test_read_once_per_cycle_and_only_when_needed() -> None:
    qbo = FakeQbo()
    lookups = MoneyLookups(qbo)  # type: ignore[arg-type]
    policy = CustomerPolicy(customer_types={"Preferred Customer": "Wholesale"})
    account = EntityType.ACCOUNT
    assert await account_customer_type(lookups, policy, account, {"name": "A"}) is None
    assert await account_category(lookups, policy, account, {"DisplayName": "A"}) == {}
    assert qbo.queries == [], "nothing to map: no request"
    assert await account_customer_type(lookups, policy, account, {"accountcategorycode": 1}) == {
        "value": "5",
        "name": "Wholesale",
    }
    assert await account_category(lookups, policy, account, {"CustomerTypeRef": {"value": "6"}}) == {
        "accountcategorycode": 2
    }
    assert await account_customer_type(lookups, policy, EntityType.CONTACT, {"accountcategorycode": 1}) is None
    assert qbo.queries == ["CustomerType"]
    lookups.reset()  # a new cycle
    await account_category(lookups, policy, account, {"CustomerTypeRef": {"value": "5"}})
    assert qbo.queries == ["CustomerType", "CustomerType"]
