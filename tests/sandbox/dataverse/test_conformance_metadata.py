"""Conformance: the Dataverse metadata API of the sandbox, one documented behaviour per test.

Written from Microsoft Learn (each test names its page), exercised over HTTP with httpx against a served
sandbox; a stock org (`--bare-org`) unless the behaviour is about the prepared org. Base of the URLs below:
https://learn.microsoft.com/power-apps/developer/data-platform/
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.sandbox.dataverse.org import Org, label, served_org

ACCOUNT = "EntityDefinitions(LogicalName='account')"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@pytest.fixture
async def bare() -> AsyncIterator[Org]:
    async with served_org(bare=True) as org:
        yield org


@pytest.fixture
async def prepared() -> AsyncIterator[Org]:
    async with served_org(bare=False) as org:
        yield org


async def _publisher(org: Org, prefix: str = "ino") -> None:
    """What a setup does first in a stock org: a publisher owning the customization prefix, and a solution."""
    answer = await org.post(
        "publishers",
        {
            "uniquename": "inolink",
            "friendlyname": "InoLink",
            "customizationprefix": prefix,
            "customizationoptionvalueprefix": 10000,
        },
    )
    publisher = Org.created_id(answer)
    solution = {
        "uniquename": "InoLink",
        "friendlyname": "InoLink",
        "version": "1.0",
        "publisherid@odata.bind": f"/publishers({publisher})",
    }
    assert (await org.post("solutions", solution)).status_code == 204


def _string(schema: str, length: int = 100, **extra: Any) -> dict[str, Any]:
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
        "AttributeType": "String",
        "AttributeTypeName": {"Value": "StringType"},
        "SchemaName": schema,
        "DisplayName": label(schema),
        "RequiredLevel": {
            "Value": "None",
            "CanBeChanged": True,
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
        },
        "MaxLength": length,
        "FormatName": {"Value": "Text"},
        **extra,
    }


def _choice(schema: str, options: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        "AttributeType": "Picklist",
        "SchemaName": schema,
        "DisplayName": label(schema),
        "OptionSet": {
            "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata",
            "IsGlobal": False,
            "OptionSetType": "Picklist",
            "Options": [{"Value": value, "Label": label(text)} for value, text in options],
        },
    }


def _table(schema: str) -> dict[str, Any]:
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        "SchemaName": schema,
        "DisplayName": label("Link Job"),
        "DisplayCollectionName": label("Link Jobs"),
        "OwnershipType": "UserOwned",
        "IsActivity": False,
        "HasActivities": False,
        "HasNotes": False,
        "Attributes": [_string("ino_Name", 200, IsPrimaryName=True)],
    }


# ----- service document and $metadata -----


async def test_service_document_lists_entity_sets(bare: Org) -> None:
    # webapi/web-api-service-documents: GET [org]/api/data/v9.2/ lists each entity set by name, kind and url.
    body = (await bare.get("")).json()
    names = {item["name"] for item in body["value"]}
    assert {"accounts", "contacts", "products", "EntityDefinitions"} <= names
    assert all(item["kind"] == "EntitySet" for item in body["value"])


async def test_metadata_document_describes_tables_and_new_columns(bare: Org) -> None:
    # webapi/web-api-service-documents: $metadata is the CSDL; entity types live in Microsoft.Dynamics.CRM.
    await _publisher(bare)
    assert (await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingId", 50))).status_code == 204
    answer = await bare.get("$metadata")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(answer.content)
    account = next(e for e in root.iter(f"{EDM}EntityType") if e.get("Name") == "account")
    assert account.find(f"{EDM}Key/{EDM}PropertyRef").get("Name") == "accountid"  # type: ignore[union-attr]
    properties = {p.get("Name") for p in account.iter(f"{EDM}Property")}
    assert {"name", "telephone1", "_primarycontactid_value", "ino_accountingid"} <= properties


async def test_metadata_annotations_mark_change_tracked_sets(prepared: Org) -> None:
    # use-change-tracking-synchronize-data-external-systems: "look for the Org.OData.Capabilities.V1.ChangeTracking
    # annotation" in $metadata?annotations=true.
    root = ET.fromstring((await prepared.get("$metadata?annotations=true")).content)
    sets = {e.get("Name"): e for e in root.iter(f"{EDM}EntitySet")}
    terms = [a.get("Term") for a in sets["accounts"].iter(f"{EDM}Annotation")]
    assert "Org.OData.Capabilities.V1.ChangeTracking" in terms


# ----- reading table definitions -----


async def test_entity_definition_by_logical_name_and_by_metadata_id(bare: Org) -> None:
    # webapi/retrieve-metadata-name-metadataid: EntityDefinitions(LogicalName='account') or (<MetadataId>).
    by_name = (await bare.get(f"{ACCOUNT}?$select=LogicalName,EntitySetName,PrimaryIdAttribute")).json()
    assert (by_name["EntitySetName"], by_name["PrimaryIdAttribute"]) == ("accounts", "accountid")
    assert "SchemaName" not in by_name  # $select limits the answer
    by_id = (await bare.get(f"EntityDefinitions({by_name['MetadataId']})?$select=LogicalName")).json()
    assert by_id["LogicalName"] == "account"


async def test_entity_definitions_filter(bare: Org) -> None:
    # webapi/query-metadata-web-api: $filter on EntityMetadata properties.
    listed = (await bare.get("EntityDefinitions?$select=LogicalName&$filter=LogicalName eq 'contact'")).json()
    assert [row["LogicalName"] for row in listed["value"]] == ["contact"]


async def test_filter_on_enum_and_managed_property_values(bare: Org) -> None:
    # webapi/query-metadata-web-api, "Use enum types in $filter operations" / "Use complex types in $filter
    # operations" / "Filtering by required level".
    owned = await bare.get(
        "EntityDefinitions?$select=LogicalName"
        "&$filter=OwnershipType eq Microsoft.Dynamics.CRM.OwnershipTypes'UserOwned'"
    )
    names = {row["LogicalName"] for row in owned.json()["value"]}
    assert "account" in names and "businessunit" not in names
    creatable = await bare.get("EntityDefinitions?$select=LogicalName&$filter=CanCreateAttributes/Value eq true")
    assert "contact" in {row["LogicalName"] for row in creatable.json()["value"]}
    required = await bare.get(
        f"{ACCOUNT}/Attributes?$select=SchemaName&$filter=RequiredLevel/Value eq "
        "Microsoft.Dynamics.CRM.AttributeRequiredLevel'ApplicationRequired'"
    )
    assert [row["SchemaName"] for row in required.json()["value"]] == ["Name"]
    picklists = await bare.get(
        "EntityDefinitions(LogicalName='product')?$select=LogicalName&$expand=Attributes($select=LogicalName;"
        "$filter=AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist')"
    )
    assert [a["LogicalName"] for a in picklists.json()["Attributes"]] == ["producttypecode"]


async def test_option_set_of_one_attribute(bare: Org) -> None:
    # webapi/query-metadata-web-api, "Retrieving attributes": .../Attributes(..)/<cast>/OptionSet?$select=Options.
    url = (
        "EntityDefinitions(LogicalName='product')/Attributes(LogicalName='producttypecode')"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata/OptionSet?$select=Options"
    )
    body = (await bare.get(url)).json()
    assert [o["Value"] for o in body["Options"]] == [1, 2, 3, 4] and "MetadataId" in body and "Name" not in body


async def test_select_of_an_unknown_property(bare: Org) -> None:
    # webapi/query-data-web-api: an unknown property in $select is a 400 naming it.
    answer = await bare.get(f"{ACCOUNT}?$select=NoSuchProperty")
    assert answer.status_code == 400 and "NoSuchProperty" in answer.json()["error"]["message"]


async def test_stock_org_has_no_inolink_schema_and_no_change_tracking(bare: Org) -> None:
    # Issue 13: a stock environment has the standard tables only; change tracking is off until enabled
    # (use-change-tracking-synchronize-data-external-systems: "enable change tracking for the table").
    tables = (await bare.get("EntityDefinitions?$select=LogicalName,ChangeTrackingEnabled")).json()["value"]
    assert not any(t["LogicalName"].startswith("ino_") for t in tables)
    assert not any(t["ChangeTrackingEnabled"] for t in tables)
    columns = (await bare.get(f"{ACCOUNT}/Attributes?$select=LogicalName")).json()["value"]
    names = {c["LogicalName"] for c in columns}
    assert "name" in names and not any(n.startswith("ino_") for n in names)
    tracked = await bare.get("accounts?$select=name", Prefer="odata.track-changes")
    assert tracked.status_code == 400


async def test_prepared_org_describes_its_inolink_columns(prepared: Org) -> None:
    # webapi/query-metadata-web-api: Attributes of a table, with IsCustomAttribute for custom columns.
    columns = (await prepared.get(f"{ACCOUNT}/Attributes?$select=LogicalName,IsCustomAttribute")).json()["value"]
    custom = {c["LogicalName"] for c in columns if c["IsCustomAttribute"]}
    assert {"ino_linkstatus", "ino_accountingid", "ino_promotedby", "ino_openbalance"} <= custom
    keys = (await prepared.get("EntityDefinitions(LogicalName='ino_linkjob')/Keys")).json()["value"]
    assert [(k["KeyAttributes"], k["EntityKeyIndexStatus"]) for k in keys] == [(["ino_jobnumber"], "Active")]


async def test_attribute_by_logical_name_is_its_derived_type(bare: Org) -> None:
    # webapi/query-metadata-web-api: each attribute is returned as its derived type (@odata.type), with
    # StringAttributeMetadata.MaxLength; Account.Name MaxLength 160 (reference/entities/account).
    name = (await bare.get(f"{ACCOUNT}/Attributes(LogicalName='name')")).json()
    assert name["@odata.type"] == "#Microsoft.Dynamics.CRM.StringAttributeMetadata"
    assert (name["AttributeType"], name["MaxLength"], name["IsPrimaryName"]) == ("String", 160, True)
    assert name["RequiredLevel"]["Value"] == "ApplicationRequired"


async def test_picklist_cast_with_option_set_expanded(bare: Org) -> None:
    # webapi/query-metadata-web-api, "Retrieving attributes": cast to PicklistAttributeMetadata and
    # $expand=OptionSet to read the options of choice columns.
    url = (
        "EntityDefinitions(LogicalName='product')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
        "?$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet"
    )
    value = (await bare.get(url)).json()["value"]
    product_type = next(v for v in value if v["LogicalName"] == "producttypecode")
    assert {o["Value"] for o in product_type["OptionSet"]["Options"]} == {
        1,
        2,
        3,
        4,
    }  # Flat Fees (4) is in the product reference
    assert product_type["GlobalOptionSet"] is None
    assert "OptionSet" not in (await bare.get(f"{ACCOUNT}/Attributes(LogicalName='statecode')")).json()


# ----- creating columns -----


async def test_create_string_column_returns_its_uri_and_the_column_works(bare: Org) -> None:
    # webapi/create-update-column-definitions-using-web-api, "Create a string column": 204 with the
    # attribute URI in OData-EntityId; the new column is then an ordinary column of the table.
    await _publisher(bare)
    created = await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingId", 50))
    assert created.status_code == 204
    assert "/EntityDefinitions(LogicalName='account')/Attributes(" in created.headers["OData-EntityId"]
    read = (await bare.get(f"{ACCOUNT}/Attributes(LogicalName='ino_accountingid')")).json()
    assert (read["MaxLength"], read["IsCustomAttribute"], read["SchemaName"]) == (50, True, "ino_AccountingId")
    account = await bare.first_id("accounts", "accountid")
    assert (await bare.patch(f"accounts({account})", {"ino_accountingid": "QB-1"})).status_code == 204
    found = (await bare.get("accounts?$select=ino_accountingid&$filter=ino_accountingid eq 'QB-1'")).json()
    assert [row["accountid"] for row in found["value"]] == [account]


async def test_duplicate_column_schema_name(bare: Org) -> None:
    # reference/web-service-error-codes: 0x80047013 DuplicateAttributeSchemaName.
    await _publisher(bare)
    assert (await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingRef"))).status_code == 204
    again = await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingRef"))
    assert again.status_code == 400 and again.json()["error"]["code"] == "0x80047013"


async def test_schema_name_needs_a_publisher_prefix(bare: Org) -> None:
    # webapi/create-update-entity-definitions-using-web-api: "include the customization prefix that matches
    # the solution publisher". A stock org only has the default publisher's prefix.
    refused = await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingId"))
    assert refused.status_code == 400
    assert "must start with a valid customization prefix" in refused.json()["error"]["message"]
    await _publisher(bare)
    wrong_solution = await bare.post(
        f"{ACCOUNT}/Attributes", _string("new_Other"), **{"MSCRM.SolutionUniqueName": "InoLink"}
    )
    assert wrong_solution.status_code == 400  # the InoLink solution's publisher prefix is ino, not new


async def test_choice_column_with_local_options(bare: Org) -> None:
    # webapi/create-update-column-definitions-using-web-api, "Create a choice column".
    await _publisher(bare)
    body = _choice("ino_LinkStatus", [(100000000, "To be Linked"), (100000001, "Linked")])
    assert (await bare.post(f"{ACCOUNT}/Attributes", body)).status_code == 204
    url = f"{ACCOUNT}/Attributes(LogicalName='ino_linkstatus')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
    read = (await bare.get(f"{url}?$select=LogicalName&$expand=OptionSet")).json()
    labels = {o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"] for o in read["OptionSet"]["Options"]}
    assert labels == {100000000: "To be Linked", 100000001: "Linked"}
    assert read["OptionSet"]["IsGlobal"] is False


async def test_choice_column_bound_to_a_global_choice(bare: Org) -> None:
    # webapi/create-update-optionsets: create a global option set, then a choice column using it with
    # GlobalOptionSet@odata.bind.
    await _publisher(bare)
    option_set = {
        "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata",
        "Name": "ino_linkstatus",
        "DisplayName": label("Link Status"),
        "IsGlobal": True,
        "OptionSetType": "Picklist",
        "Options": [
            {"Value": 100000000, "Label": label("To be Linked")},
            {"Value": 100000001, "Label": label("Linked")},
        ],
    }
    set_id = Org.created_id(await bare.post("GlobalOptionSetDefinitions", option_set))
    assert (await bare.get("GlobalOptionSetDefinitions(Name='ino_linkstatus')")).json()["MetadataId"] == set_id
    duplicate = await bare.post("GlobalOptionSetDefinitions", option_set)
    assert duplicate.json()["error"]["code"] == "0x80044345"
    column = {
        "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        "SchemaName": "ino_LinkStatus",
        "DisplayName": label("Link Status"),
        "GlobalOptionSet@odata.bind": f"/GlobalOptionSetDefinitions({set_id})",
    }
    assert (await bare.post("EntityDefinitions(LogicalName='contact')/Attributes", column)).status_code == 204
    url = "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='ino_linkstatus')"
    read = (await bare.get(f"{url}/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=GlobalOptionSet")).json()
    assert read["GlobalOptionSet"]["Name"] == "ino_linkstatus"


@pytest.mark.parametrize(
    ("odata_type", "attribute_type"),
    [
        ("DateTimeAttributeMetadata", "DateTime"),
        ("MoneyAttributeMetadata", "Money"),
        ("DecimalAttributeMetadata", "Decimal"),
        ("IntegerAttributeMetadata", "Integer"),
        ("MemoAttributeMetadata", "Memo"),
    ],
)
async def test_other_column_types(bare: Org, odata_type: str, attribute_type: str) -> None:
    # webapi/create-update-column-definitions-using-web-api: datetime, money, decimal, integer, memo columns.
    await _publisher(bare)
    body = {"@odata.type": f"Microsoft.Dynamics.CRM.{odata_type}", "SchemaName": "ino_Value", "DisplayName": label("V")}
    assert (await bare.post(f"{ACCOUNT}/Attributes", body)).status_code == 204
    read = (await bare.get(f"{ACCOUNT}/Attributes(LogicalName='ino_value')")).json()
    assert (read["@odata.type"], read["AttributeType"]) == (f"#Microsoft.Dynamics.CRM.{odata_type}", attribute_type)


async def test_lookup_attributes_are_not_created_through_attributes(bare: Org) -> None:
    # webapi/create-update-entity-relationships-using-web-api: a lookup is created with its relationship.
    await _publisher(bare)
    body = {"@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata", "SchemaName": "ino_PromotedBy"}
    assert (await bare.post(f"{ACCOUNT}/Attributes", body)).status_code == 400


# ----- creating and updating tables -----


async def test_create_table_then_crud_on_its_entity_set(bare: Org) -> None:
    # webapi/create-update-entity-definitions-using-web-api, "Create table definitions": 204 with
    # OData-EntityId EntityDefinitions(<MetadataId>); the primary name attribute comes with the body.
    await _publisher(bare)
    created = await bare.post("EntityDefinitions", _table("ino_LinkJob"))
    assert created.status_code == 204 and "/EntityDefinitions(" in created.headers["OData-EntityId"]
    definition = (await bare.get("EntityDefinitions(LogicalName='ino_linkjob')")).json()
    assert (definition["EntitySetName"], definition["PrimaryNameAttribute"]) == ("ino_linkjobs", "ino_name")
    assert (definition["PrimaryIdAttribute"], definition["IsCustomEntity"]) == ("ino_linkjobid", True)
    row = Org.created_id(await bare.post("ino_linkjobs", {"ino_name": "job 1"}))
    assert (await bare.get(f"ino_linkjobs({row})?$select=ino_name")).json()["ino_name"] == "job 1"
    assert (await bare.delete(f"ino_linkjobs({row})")).status_code == 204


async def test_duplicate_table_and_missing_primary_name(bare: Org) -> None:
    # reference/web-service-error-codes: 0x80047010 DuplicateName; create-update-entity-definitions:
    # "The entity must include the definition for the primary name attribute".
    await _publisher(bare)
    assert (await bare.post("EntityDefinitions", _table("ino_LinkJob"))).status_code == 204
    again = await bare.post("EntityDefinitions", _table("ino_LinkJob"))
    assert again.status_code == 400 and again.json()["error"]["code"] == "0x80047010"
    no_primary = {**_table("ino_Other"), "Attributes": [_string("ino_Text")]}
    assert (await bare.post("EntityDefinitions", no_primary)).status_code == 400


async def test_enable_change_tracking_with_put(bare: Org) -> None:
    # webapi/create-update-entity-definitions-using-web-api, "Update table definitions": PUT (not PATCH) the
    # definition, with MSCRM.MergeLabels: true to keep labels; then the table accepts odata.track-changes.
    definition = (await bare.get(ACCOUNT)).json()
    definition["ChangeTrackingEnabled"] = True
    assert (await bare.patch(ACCOUNT, {"ChangeTrackingEnabled": True})).status_code == 405
    assert (await bare.put(ACCOUNT, definition, **{"MSCRM.MergeLabels": "true"})).status_code == 204
    assert (await bare.get(f"{ACCOUNT}?$select=ChangeTrackingEnabled")).json()["ChangeTrackingEnabled"] is True
    tracked = await bare.get("accounts?$select=name", Prefer="odata.track-changes")
    assert tracked.status_code == 200 and "@odata.deltaLink" in tracked.json()
    assert (await bare.get(f"{ACCOUNT}?$select=DisplayName")).json()["DisplayName"]["UserLocalizedLabel"]["Label"]


async def test_new_column_changes_reach_the_delta_link(bare: Org) -> None:
    # use-change-tracking-synchronize-data-external-systems: changes after the delta token are returned.
    await _publisher(bare)
    assert (await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingId", 50))).status_code == 204
    definition = {**(await bare.get(ACCOUNT)).json(), "ChangeTrackingEnabled": True}
    assert (await bare.put(ACCOUNT, definition, **{"MSCRM.MergeLabels": "true"})).status_code == 204
    first = (await bare.get("accounts?$select=ino_accountingid", Prefer="odata.track-changes")).json()
    account = first["value"][0]["accountid"]
    assert (await bare.patch(f"accounts({account})", {"ino_accountingid": "7"})).status_code == 204
    delta = await bare.http.get(first["@odata.deltaLink"], headers=bare.headers({"Prefer": "odata.track-changes"}))
    assert [(r["accountid"], r["ino_accountingid"]) for r in delta.json()["value"]] == [(account, "7")]


# ----- alternate keys -----


async def test_alternate_key_index_is_built_asynchronously(bare: Org) -> None:
    # define-alternate-keys-entity, "Monitor index creation for alternate keys": EntityKeyIndexStatus goes
    # Pending / InProgress -> Active; a key is usable once Active.
    await _publisher(bare)
    assert (await bare.post("EntityDefinitions", _table("ino_LinkJob"))).status_code == 204
    jobs = "EntityDefinitions(LogicalName='ino_linkjob')"
    assert (await bare.post(f"{jobs}/Attributes", _string("ino_JobNumber", 50))).status_code == 204
    key = {"SchemaName": "ino_jobnumberkey", "DisplayName": label("Job Number"), "KeyAttributes": ["ino_jobnumber"]}
    assert (await bare.post(f"{jobs}/Keys", key)).status_code == 204
    status = (await bare.get(f"{jobs}/Keys(LogicalName='ino_jobnumberkey')")).json()["EntityKeyIndexStatus"]
    assert status in ("Pending", "InProgress")
    Org.created_id(await bare.post("ino_linkjobs", {"ino_name": "a", "ino_jobnumber": "17"}))
    bare.handle.clock.advance(5)
    assert (await bare.get(f"{jobs}/Keys(LogicalName='ino_jobnumberkey')")).json()["EntityKeyIndexStatus"] == "Active"
    assert (await bare.get("ino_linkjobs(ino_jobnumber='17')?$select=ino_name")).json()["ino_name"] == "a"
    # reference/web-service-error-codes: EntityKeyNameExists, EntityKeyWithSelectedAttributesExists
    assert (await bare.post(f"{jobs}/Keys", key)).json()["error"]["code"] == "0x80060893"
    same_columns = {**key, "SchemaName": "ino_otherkey"}
    assert (await bare.post(f"{jobs}/Keys", same_columns)).json()["error"]["code"] == "0x80060894"


async def test_alternate_key_over_duplicate_values_fails(bare: Org) -> None:
    # define-alternate-keys-entity: index creation fails when existing rows violate uniqueness (status Failed).
    await _publisher(bare)
    assert (await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingId", 50))).status_code == 204
    ids = [row["accountid"] for row in (await bare.get("accounts?$select=accountid&$top=2")).json()["value"]]
    for account in ids:
        assert (await bare.patch(f"accounts({account})", {"ino_accountingid": "same"})).status_code == 204
    key = {"SchemaName": "ino_accountingidkey", "KeyAttributes": ["ino_accountingid"]}
    assert (await bare.post(f"{ACCOUNT}/Keys", key)).status_code == 204
    bare.handle.clock.advance(5)
    status = (await bare.get(f"{ACCOUNT}/Keys(LogicalName='ino_accountingidkey')")).json()["EntityKeyIndexStatus"]
    assert status == "Failed"


# ----- relationships -----


async def test_one_to_many_relationship_creates_a_bindable_lookup(bare: Org) -> None:
    # webapi/create-update-entity-relationships-using-web-api, "Create a one-to-many relationship": POST
    # RelationshipDefinitions with the Lookup; 204 with OData-EntityId RelationshipDefinitions(<id>).
    await _publisher(bare)
    relationship = {
        "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "SchemaName": "ino_systemuser_account_promotedby",
        "ReferencedEntity": "systemuser",
        "ReferencedAttribute": "systemuserid",
        "ReferencingEntity": "account",
        "CascadeConfiguration": {"Delete": "RemoveLink"},
        "Lookup": {
            "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata",
            "AttributeType": "Lookup",
            "SchemaName": "ino_PromotedBy",
            "DisplayName": label("Promoted By"),
        },
    }
    created = await bare.post("RelationshipDefinitions", relationship)
    assert created.status_code == 204 and "/RelationshipDefinitions(" in created.headers["OData-EntityId"]
    rel = (await bare.get("RelationshipDefinitions(SchemaName='ino_systemuser_account_promotedby')")).json()
    assert rel["ReferencingEntityNavigationPropertyName"] == "ino_PromotedBy"  # the Lookup's SchemaName
    lookup = (await bare.get(f"{ACCOUNT}/Attributes(LogicalName='ino_promotedby')")).json()
    assert (lookup["AttributeType"], lookup["Targets"]) == ("Lookup", ["systemuser"])
    user = await bare.first_id("systemusers", "systemuserid")
    account = await bare.first_id("accounts", "accountid")
    bind = {"ino_PromotedBy@odata.bind": f"/systemusers({user})"}
    assert (await bare.patch(f"accounts({account})", bind)).status_code == 204
    row = (await bare.get(f"accounts({account})?$select=_ino_promotedby_value")).json()
    assert row["_ino_promotedby_value"] == user
    again = await bare.post("RelationshipDefinitions", relationship)
    assert again.json()["error"]["code"] == "0x8004432B"


async def test_multi_table_lookup(bare: Org) -> None:
    # webapi/multitable-lookup: CreatePolymorphicLookupAttribute answers RelationshipIds and AttributeId; each
    # target's navigation property is <Lookup SchemaName>_<table>.
    await _publisher(bare)
    assert (await bare.post("EntityDefinitions", _table("ino_LinkJob"))).status_code == 204
    body = {
        "OneToManyRelationships": [
            {"SchemaName": f"ino_linkjob_regarding_{t}", "ReferencedEntity": t, "ReferencingEntity": "ino_linkjob"}
            for t in ("account", "contact", "product")
        ],
        "Lookup": {
            "@odata.type": "Microsoft.Dynamics.CRM.ComplexLookupAttributeMetadata",
            "AttributeType": "Lookup",
            "SchemaName": "ino_regardingobjectid",
            "DisplayName": label("Regarding"),
        },
    }
    answer = await bare.post("CreatePolymorphicLookupAttribute", body)
    assert answer.status_code == 200 and len(answer.json()["RelationshipIds"]) == 3
    account = await bare.first_id("accounts", "accountid")
    job = {"ino_name": "j", "ino_regardingobjectid_account@odata.bind": f"/accounts({account})"}
    row = Org.created_id(await bare.post("ino_linkjobs", job))
    read = (await bare.get(f"ino_linkjobs({row})?$select=_ino_regardingobjectid_value")).json()
    assert read["_ino_regardingobjectid_value"] == account


# ----- publish and privileges -----


async def test_publish_xml_and_publish_all(bare: Org) -> None:
    # Microsoft.Dynamics.CRM.PublishXml / PublishAllXml actions (webapi/reference): 204 No Content.
    xml = "<importexportxml><entities><entity>account</entity></entities></importexportxml>"
    assert (await bare.post("PublishXml", {"ParameterXml": xml})).status_code == 204
    assert (await bare.post("PublishAllXml", {})).status_code == 204


async def test_retrieve_user_privileges_reflects_a_revoked_privilege(bare: Org) -> None:
    # RetrieveUserPrivileges function: RolePrivileges the user holds; a missing privilege then fails the
    # operation with 403 0x80040220 (webapi/compose-http-requests-handle-errors).
    user = (await bare.get("WhoAmI")).json()["UserId"]
    url = f"systemusers({user})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()"
    names = {p["PrivilegeName"] for p in (await bare.get(url)).json()["RolePrivileges"]}
    assert {"prvReadAccount", "prvWriteAccount", "prvAppendAccount", "prvAppendToAccount"} <= names
    revoke = await bare.control("crm/privileges", {"entity_set": "accounts", "privilege": "Write", "granted": False})
    assert revoke.status_code == 200
    names = {p["PrivilegeName"] for p in (await bare.get(url)).json()["RolePrivileges"]}
    assert "prvWriteAccount" not in names and "prvReadAccount" in names
    account = await bare.first_id("accounts", "accountid")
    denied = await bare.patch(f"accounts({account})", {"name": "x"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "0x80040220"


async def test_retrieve_principal_access_on_a_record(bare: Org) -> None:
    # RetrievePrincipalAccess function: AccessRights of a principal on one record.
    user = (await bare.get("WhoAmI")).json()["UserId"]
    account = await bare.first_id("accounts", "accountid")
    url = (
        f"systemusers({user})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)"
        f"?@tid={{'@odata.id':'accounts({account})'}}"
    )
    rights = (await bare.get(url)).json()["AccessRights"]
    assert {"ReadAccess", "WriteAccess", "AppendAccess", "AppendToAccess"} <= set(rights.split(", "))
    await bare.control("crm/privileges", {"entity_set": "accounts", "privilege": "AppendTo", "granted": False})
    assert "AppendToAccess" not in (await bare.get(url)).json()["AccessRights"]


async def test_missing_customization_privilege(bare: Org) -> None:
    # compose-http-requests-handle-errors: 403 0x80040220 PrivilegeDenied names the missing privilege.
    await _publisher(bare)
    await bare.control("crm/privileges", {"privilege": "prvCreateAttribute", "granted": False})
    refused = await bare.post(f"{ACCOUNT}/Attributes", _string("ino_AccountingId"))
    assert refused.status_code == 403 and "prvCreateAttribute" in refused.json()["error"]["message"]


async def test_control_api_removes_a_column(prepared: Org) -> None:
    # For doctor tests: a removed column disappears from the definitions and from queries.
    removed = await prepared.control("crm/columns/remove", {"entity_set": "accounts", "column": "ino_linkstatus"})
    assert removed.status_code == 200
    assert (await prepared.get(f"{ACCOUNT}/Attributes(LogicalName='ino_linkstatus')")).status_code == 404
    assert (await prepared.get("accounts?$select=ino_linkstatus")).status_code == 400


# ----- deletes -----


async def test_delete_relationship_key_column_and_table(bare: Org) -> None:
    # create-update-entity-relationships-using-web-api, "Delete relationships": DELETE with the relationship's
    # URI; create-update-entity-definitions-using-web-api / define-alternate-keys-entity: tables and keys are
    # deleted with DELETE on their URIs; SDK for Python deletes columns with DELETE .../Attributes(<id>).
    await _publisher(bare)
    assert (await bare.post("EntityDefinitions", _table("ino_LinkJob"))).status_code == 204
    jobs = "EntityDefinitions(LogicalName='ino_linkjob')"
    assert (await bare.post(f"{jobs}/Attributes", _string("ino_JobNumber", 50))).status_code == 204
    key = {"SchemaName": "ino_jobnumberkey", "KeyAttributes": ["ino_jobnumber"]}
    key_uri = (await bare.post(f"{jobs}/Keys", key)).headers["OData-EntityId"]
    relationship = {
        "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "SchemaName": "ino_account_linkjob",
        "ReferencedEntity": "ino_linkjob",
        "ReferencingEntity": "account",
        "Lookup": {"@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata", "SchemaName": "ino_LastJob"},
    }
    rel_id = Org.created_id(await bare.post("RelationshipDefinitions", relationship))
    blocked = await bare.delete(jobs)
    assert blocked.status_code == 400  # a lookup still points at the table
    assert (await bare.delete(f"RelationshipDefinitions({rel_id})")).status_code == 204
    assert (await bare.get(f"{ACCOUNT}/Attributes(LogicalName='ino_lastjob')")).status_code == 404
    key_path = key_uri.split("/api/data/v9.2/", 1)[1]
    assert (await bare.delete(key_path)).status_code == 204
    assert (await bare.get(f"{jobs}/Keys")).json()["value"] == []
    column = (await bare.get(f"{jobs}/Attributes(LogicalName='ino_jobnumber')?$select=MetadataId")).json()
    assert (await bare.delete(f"{jobs}/Attributes({column['MetadataId']})")).status_code == 204
    assert (await bare.delete(jobs)).status_code == 204
    assert (await bare.get(jobs)).status_code == 404
    assert (await bare.get("ino_linkjobs")).status_code == 400  # the entity set is gone
    stock = await bare.delete(ACCOUNT)
    assert stock.status_code == 400
