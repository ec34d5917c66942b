"""An account's primary contact names its QuickBooks customer's person (domain/mapping/customers.py)."""

from __future__ import annotations

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import crm_to_customer, customer_entity_type


def test_the_contact_names_become_given_and_family_name_and_it_stays_an_account() -> None:
    contact = {"firstname": "Ada", "lastname": "Lovelace: Jr"}
    body = crm_to_customer(EntityType.ACCOUNT, {"name": "Analytical Engines"}, primary_contact=contact)
    assert (body["CompanyName"], body["GivenName"], body["FamilyName"]) == ("Analytical Engines", "Ada", "Lovelace- Jr")
    assert customer_entity_type(body) is EntityType.ACCOUNT, "a company with a person is still an account"
    assert "GivenName" not in crm_to_customer(EntityType.ACCOUNT, {"name": "Analytical Engines"})
