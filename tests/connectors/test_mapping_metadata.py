"""Reading custom field definitions: Preferences' sales-form fields, the GraphQL answer, and where it is not
available (Intuit's sandbox companies, per the Custom Fields API's "Get started" page)."""

from __future__ import annotations

from inolink_tui.connectors.mapping_metadata import api_fields, sales_form_fields
from inolink_tui.connectors.settings import QuickBooksClientSettings


def _settings(environment: str, base: str | None = None) -> QuickBooksClientSettings:
    return QuickBooksClientSettings(environment, "id", "secret", "123", api_base_url=base)


def test_graphql_url_per_environment() -> None:
    assert _settings("production").graphql_url == "https://qb.api.intuit.com/graphql"
    assert _settings("sandbox").graphql_url is None
    assert _settings("sandbox", "http://127.0.0.1:8080/").graphql_url == "http://127.0.0.1:8080/graphql"


def test_sales_form_fields_only_those_switched_on() -> None:
    prefs = {
        "SalesFormsPrefs": {
            "CustomField": [
                {
                    "CustomField": [
                        {"Name": "SalesFormsPrefs.UseSalesCustom1", "Type": "BooleanType", "BooleanValue": True},
                        {"Name": "SalesFormsPrefs.UseSalesCustom2", "Type": "BooleanType", "BooleanValue": False},
                        {"Name": "SalesFormsPrefs.UseSalesCustom3", "Type": "BooleanType", "BooleanValue": True},
                    ]
                },
                {
                    "CustomField": [
                        {"Name": "SalesFormsPrefs.SalesCustomName1", "Type": "StringType", "StringValue": "Crew #"},
                        {"Name": "SalesFormsPrefs.SalesCustomName2", "Type": "StringType", "StringValue": "Off"},
                    ]
                },
            ]
        }
    }
    fields = sales_form_fields(prefs)
    assert [(f.definition_id, f.name, f.entities) for f in fields] == [("1", "Crew #", ("Invoice", "Estimate"))]
    assert sales_form_fields({}) == []


def test_api_fields_from_the_graphql_answer() -> None:
    data = {
        "appFoundationsCustomFieldDefinitions": {
            "edges": [
                {
                    "node": {
                        "legacyIDV2": "1000000001",
                        "label": "Region",
                        "dataType": "STRING",
                        "active": True,
                        "associations": [
                            {
                                "associatedEntity": "/network/Contact",
                                "subAssociations": [
                                    {"associatedEntity": "CUSTOMER", "active": True},
                                    {"associatedEntity": "VENDOR", "active": False},
                                ],
                            }
                        ],
                    }
                },
                {"node": {"label": "no id"}},
                "junk",
            ]
        }
    }
    (field,) = api_fields(data)
    assert (field.definition_id, field.name, field.data_type, field.entities, field.active) == (
        "1000000001",
        "Region",
        "STRING",
        ("Customer",),
        True,
    )
