"""Custom fields in the seeded company, so custom mappings (issue 17) have real targets on both sides.

CRM: columns an org's own customizer would have added with the default publisher's `new_` prefix, created through
the same customization path as `POST EntityDefinitions(LogicalName='account')/Attributes` (metadata_write.py), so
`EntityDefinitions(..)/Attributes` lists them with their type, MaxLength and options and rows are checked against
them (values.py). QuickBooks: one sales-form custom field switched on in Preferences and two Custom Fields API
definitions for customers (quickbooks/custom_fields.py). A bare org (`--bare-org`) gets no CRM columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inolink_tui.sandbox.quickbooks.custom_fields import declare

if TYPE_CHECKING:
    from inolink_tui.sandbox.app import Sandbox

REGION_LENGTH = 31
"""As long as QuickBooks' custom field values (31), so Region maps both ways without truncation."""
TIER_OPTIONS = {100000000: "Gold", 100000001: "Silver", 100000002: "Bronze"}
"""`new_customertier` choices, numbered from the default publisher's option value prefix 10000."""
SALES_FORM_FIELD = "Sales Rep"
CUSTOMER_FIELDS = ("Region", "Tier")


def seed_custom_fields(sandbox: Sandbox) -> None:
    qbo = sandbox.qbo
    prefs = qbo.raw("Preferences", "1")
    if prefs is not None:
        use = [
            {"Name": f"SalesFormsPrefs.UseSalesCustom{n}", "Type": "BooleanType", "BooleanValue": n == 1}
            for n in (1, 2, 3)
        ]
        names = [{"Name": "SalesFormsPrefs.SalesCustomName1", "Type": "StringType", "StringValue": SALES_FORM_FIELD}]
        prefs.setdefault("SalesFormsPrefs", {})["CustomField"] = [{"CustomField": use}, {"CustomField": names}]
    for label in CUSTOMER_FIELDS:
        declare(qbo, label, "STRING", ("Customer",))
    if sandbox.dataverse is None or sandbox.dataverse.bare:
        return
    from inolink_tui.sandbox.dataverse.customize import column_to_json
    from inolink_tui.sandbox.dataverse.schema import Column, Kind

    state = sandbox.dataverse
    columns = {
        "accounts": [
            Column(
                "new_region",
                Kind.STRING,
                max_length=REGION_LENGTH,
                display="Region",
                schema_name="new_Region",
                custom=True,
            ),
            Column(
                "new_customertier",
                Kind.CHOICE,
                options=dict(TIER_OPTIONS),
                display="Customer Tier",
                schema_name="new_CustomerTier",
                custom=True,
            ),
        ],
        "contacts": [
            Column(
                "new_region",
                Kind.STRING,
                max_length=REGION_LENGTH,
                display="Region",
                schema_name="new_Region",
                custom=True,
            ),
        ],
    }
    for entity_set, added in columns.items():
        for column in added:
            op = {"op": "put_column", "entity_set": entity_set, "column": column_to_json(column)}
            state.customizations.apply(state, op)
