"""Reading QuickBooks custom field definitions: which name has which DefinitionId, per entity.

Two sources, as Intuit documents them:

* sales forms (Estimate, Invoice, Sales Receipt, Credit Memo): the company's Preferences,
  `SalesFormsPrefs.CustomField` ("Manage custom fields",
  https://developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields): `SalesCustomNameN` names
  field N (its DefinitionId is N) and `UseSalesCustomN` says it is switched on;
* customers and vendors: the Custom Fields GraphQL API's `appFoundationsCustomFieldDefinitions` query ("Develop
  using the Custom Fields API", .../create-custom-fields/develop-custom-fields), whose `legacyIDV2` is the
  DefinitionId the Accounting REST API takes ("These entities support custom fields: Customer, Vendor").

Intuit serves GraphQL at https://qb.api.intuit.com/graphql (its "get started" page says the Custom Fields API "is
currently not available in sandbox"); a QuickBooks reached through `[quickbooks] api_base_url` (the local sandbox)
answers it at `<api_base_url>/graphql`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from inolink_tui.connectors.quickbooks import QuickBooksClient

INTUIT_GRAPHQL = "https://qb.api.intuit.com/graphql"
SALES_FORMS = frozenset({"Estimate", "Invoice", "SalesReceipt", "CreditMemo"})
_QUERY = (
    "query { appFoundationsCustomFieldDefinitions { edges { node { id legacyIDV2 label active dataType "
    "associations { associatedEntity active subAssociations { associatedEntity active } } } } } }"
)
_ASSOCIATED = {"Customer": "CUSTOMER", "Vendor": "VENDOR"}


def graphql_url(client: QuickBooksClient) -> str:
    base = client.settings.api_base_url
    host = urlsplit(base).hostname or "" if base else ""
    return f"{base.rstrip('/')}/graphql" if base and not host.endswith("intuit.com") else INTUIT_GRAPHQL


def sales_form_fields(preferences: Mapping[str, Any]) -> dict[str, str]:
    """Name -> DefinitionId of the sales-form custom fields switched on in `Preferences`."""
    values: dict[str, Any] = {}
    groups = ((preferences.get("SalesFormsPrefs") or {}).get("CustomField")) or []
    for group in groups if isinstance(groups, list) else []:
        for entry in (group.get("CustomField") if isinstance(group, Mapping) else None) or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("Name"), str):
                values[entry["Name"]] = entry.get("BooleanValue", entry.get("StringValue"))
    out: dict[str, str] = {}
    for slot in (1, 2, 3):
        name = values.get(f"SalesFormsPrefs.SalesCustomName{slot}")
        if values.get(f"SalesFormsPrefs.UseSalesCustom{slot}") is True and isinstance(name, str) and name:
            out[name] = str(slot)
    return out


def api_fields(data: Mapping[str, Any], entity: str) -> dict[str, str]:
    """Name -> DefinitionId (legacyIDV2) of the active GraphQL definitions associated with `entity`."""
    wanted = _ASSOCIATED.get(entity)
    edges = ((data.get("data") or {}).get("appFoundationsCustomFieldDefinitions") or {}).get("edges") or []
    out: dict[str, str] = {}
    for edge in edges:
        node = edge.get("node") if isinstance(edge, Mapping) else None
        if not isinstance(node, Mapping) or node.get("active") is False:
            continue
        subs = [
            s
            for a in node.get("associations") or []
            for s in (a.get("subAssociations") or [])
            if isinstance(s, Mapping)
        ]
        if wanted and any(s.get("associatedEntity") == wanted and s.get("active") is not False for s in subs):
            out[str(node.get("label"))] = str(node.get("legacyIDV2"))
    return out


async def custom_field_ids(client: QuickBooksClient, entity: str) -> dict[str, str]:
    """Name -> DefinitionId of the custom fields `entity` records carry (empty for entities without any)."""
    if entity in SALES_FORMS:
        body = await client._call("GET", "preferences")
        return sales_form_fields(body.get("Preferences") or {})
    if entity not in _ASSOCIATED:
        return {}
    response = await client.transport.send(
        "POST", graphql_url(client), headers={"Content-Type": "application/json"}, json={"query": _QUERY}
    )
    body = response.json()
    return api_fields(body if isinstance(body, dict) else {}, entity)
