"""engine/primary_contact.py with a fake CRM: the contact is read only when [sync] primary_contact allows it and the
account has one."""

from __future__ import annotations

from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.engine.primary_contact import primary_contact


class FakeCrm:
    def __init__(self) -> None:
        self.read: list[tuple[EntityType, str]] = []

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        self.read.append((entity_type, record_id))
        return {"firstname": "Ada", "lastname": "Lovelace"} if record_id == "c1" else None


async def test_read_only_when_allowed_and_set() -> None:
    crm = FakeCrm()
    on, off = MoneyPolicy(primary_contact=True), MoneyPolicy()
    row = {"name": "Acme", "_primarycontactid_value": "c1"}
    assert await primary_contact(crm, off, EntityType.ACCOUNT, row) is None  # type: ignore[arg-type]
    assert await primary_contact(crm, on, EntityType.ACCOUNT, {"name": "Acme"}) is None  # type: ignore[arg-type]
    assert await primary_contact(crm, on, EntityType.CONTACT, row) is None  # type: ignore[arg-type]
    assert crm.read == []
    assert await primary_contact(crm, on, EntityType.ACCOUNT, row) == {"firstname": "Ada", "lastname": "Lovelace"}  # type: ignore[arg-type]
    gone = {"_primarycontactid_value": "c2"}
    assert await primary_contact(crm, on, EntityType.ACCOUNT, gone) is None  # type: ignore[arg-type]
    assert crm.read == [(EntityType.CONTACT, "c1"), (EntityType.CONTACT, "c2")]
