"""engine/primary_contact.py with a fake CRM: pushing, the contact is read only when [sync] primary_contact allows it
and the account has one; pulling, the customer's person names the account's primary contact."""

from __future__ import annotations

from typing import Any

from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping.customers import CustomerPolicy
from inolink_tui.engine.ports import Written
from inolink_tui.engine.primary_contact import NOTHING, primary_contact, pull_primary_contact


class FakeCrm:
    def __init__(self) -> None:
        self.read: list[tuple[EntityType, str]] = []

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        self.read.append((entity_type, record_id))
        return {"firstname": "Ada", "lastname": "Lovelace"} if record_id == "c1" else None


async def test_read_only_when_allowed_and_set() -> None:
    crm = FakeCrm()
    on, off = CustomerPolicy(primary_contact=True), CustomerPolicy()
    row = {"name": "Acme", "_primarycontactid_value": "c1"}
    assert await primary_contact(crm, off, EntityType.ACCOUNT, row) is None  # type: ignore[arg-type]
    assert await primary_contact(crm, on, EntityType.ACCOUNT, {"name": "Acme"}) is None  # type: ignore[arg-type]
    assert await primary_contact(crm, on, EntityType.CONTACT, row) is None  # type: ignore[arg-type]
    assert crm.read == []
    assert await primary_contact(crm, on, EntityType.ACCOUNT, row) == {"firstname": "Ada", "lastname": "Lovelace"}  # type: ignore[arg-type]
    gone = {"_primarycontactid_value": "c2"}
    assert await primary_contact(crm, on, EntityType.ACCOUNT, gone) is None  # type: ignore[arg-type]
    assert crm.read == [(EntityType.CONTACT, "c1"), (EntityType.CONTACT, "c2")]


# ---- QuickBooks -> CRM: the customer's person names the account's primary contact ----


class ContactCrm:
    """Contacts in memory, with the writes the pull made."""

    def __init__(self, contacts: dict[str, dict[str, Any]]) -> None:
        self.contacts = contacts
        self.writes: list[tuple[str, str, dict[str, Any]]] = []

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        return self.contacts.get(record_id)

    async def find_by_name(self, entity_type: EntityType, name: str) -> list[dict[str, Any]]:
        full = lambda r: " ".join(p for p in (r.get("firstname"), r.get("lastname")) if p)  # noqa: E731
        return [r for r in self.contacts.values() if full(r).casefold() == name.casefold()]

    async def create(self, entity_type: EntityType, columns: dict[str, Any]) -> Written:
        self.writes.append(("create", "new", dict(columns)))
        return Written("new", "1")

    async def update(self, entity_type: EntityType, record_id: str, columns: dict[str, Any]) -> Written:
        self.writes.append(("update", record_id, dict(columns)))
        return Written(record_id, "2")


class Links:
    def __init__(self, linked: dict[str, str]) -> None:
        self.linked = linked

    async def get_link(self, entity_type: EntityType, crm_id: str) -> RecordLink | None:
        qbo_id = self.linked.get(crm_id)
        if qbo_id is None:
            return None
        return RecordLink(entity_type, crm_id, "c", RecordLinkStatus.LINKED, "Customer", qbo_id)


ON = CustomerPolicy(primary_contact=True)
HANK = {"CompanyName": "Globex", "GivenName": "Hank", "FamilyName": "Scorpio"}


async def pull(
    crm: ContactCrm, links: Links, customer: dict[str, Any], account: dict[str, Any] | None, **kw: Any
) -> Any:
    policy = kw.get("policy", ON)
    et = kw.get("et", EntityType.ACCOUNT)
    return await pull_primary_contact(crm, links, policy, et, customer, "A1", account)  # type: ignore[arg-type]


async def test_pulled_only_when_allowed_for_an_account_with_a_person() -> None:
    crm = ContactCrm({})
    assert await pull(crm, Links({}), HANK, None, policy=CustomerPolicy()) == NOTHING  # off by default
    assert await pull(crm, Links({}), HANK, None, et=EntityType.CONTACT) == NOTHING
    assert await pull(crm, Links({}), {"CompanyName": "Globex"}, None) == NOTHING  # no person: left alone
    assert crm.writes == []


async def test_an_account_without_one_gets_a_contact_under_it() -> None:
    crm = ContactCrm({})
    done = await pull(crm, Links({}), HANK, {"accountid": "A1"})
    assert done.account_columns == {"primarycontactid@odata.bind": "/contacts(new)"}
    assert crm.writes == [
        (
            "create",
            "new",
            {"firstname": "Hank", "lastname": "Scorpio", "parentcustomerid_account@odata.bind": "/accounts(A1)"},
        )
    ]


async def test_a_contact_of_that_name_already_under_the_account_is_reused() -> None:
    """A pull retried after a crash between the contact's creation and the account's write makes no second one."""
    crm = ContactCrm(
        {"C9": {"contactid": "C9", "firstname": "Hank", "lastname": "Scorpio", "_parentcustomerid_value": "a1"}}
    )
    done = await pull(crm, Links({}), HANK, {"accountid": "A1"})
    assert (done.account_columns, crm.writes) == ({"primarycontactid@odata.bind": "/contacts(C9)"}, [])


async def test_the_primary_contact_is_renamed_unless_it_follows_its_own_customer() -> None:
    crm = ContactCrm({"C1": {"contactid": "C1", "firstname": "Hank", "lastname": "Scorpion"}})
    account = {"accountid": "A1", "_primarycontactid_value": "C1"}
    done = await pull(crm, Links({}), HANK, account)
    assert done.account_columns == {} and crm.writes == [("update", "C1", {"lastname": "Scorpio"})]
    crm.writes.clear()
    done = await pull(crm, Links({"C1": "77"}), HANK, account)
    assert crm.writes == [] and "linked to QuickBooks customer 77" in str(done.note)
    crm.contacts["C1"]["lastname"] = "Scorpio"
    assert await pull(crm, Links({}), HANK, account) == NOTHING  # same names: nothing written


async def test_a_lone_given_name_is_the_contact_s_last_name() -> None:
    crm = ContactCrm({})
    await pull(crm, Links({}), {"CompanyName": "Globex", "GivenName": "Cher"}, {"accountid": "A1"})
    assert crm.writes[0][2]["lastname"] == "Cher" and crm.writes[0][2]["firstname"] is None
