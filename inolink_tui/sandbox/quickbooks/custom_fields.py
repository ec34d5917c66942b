"""QuickBooks Online custom fields: their definitions, and the `CustomField` array on the records that carry them.

Two kinds, as Intuit documents them:

* **Sales-form custom fields** ("Manage custom fields",
  https://developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields): up to three String fields
  on sales transactions (Invoice, Sales Receipt, Estimate, Credit Memo; Refund Receipt is not modelled), defined
  in `Preferences.SalesFormsPrefs.CustomField` as two groups of name/value entries: `SalesFormsPrefs.UseSalesCustomN`
  (BooleanType, the field is switched on) and `SalesFormsPrefs.SalesCustomNameN` (StringType, its label). On a
  transaction the entry's `DefinitionId` is N ("1".."3"); the answer adds `Name` and `Type: "StringType"`
  (the use-cases page's request sends only DefinitionId and StringValue).
* **Custom Fields API** ("Develop using the Custom Fields API",
  https://developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields/develop-custom-fields):
  definitions are read and created through the GraphQL API (`appFoundationsCustomFieldDefinitions`, see
  `graphql.py`); "These entities support custom fields: Customer, Vendor", written through the Accounting REST API
  with `CustomField.DefinitionId` = the definition's `legacyIDV2`. The sandbox models String and Number fields.

Vague in the docs, so chosen here and said so:

* The longest `StringValue` QuickBooks accepts is not stated in the API reference. The product's custom fields
  hold 31 characters (QuickBooks Online help on custom fields), so longer values are refused with 2050 (the
  reference's "String length ... Max:N" fault, reference §11), the way DocNumber's limit is.
* An unknown, inactive or other-entity `DefinitionId` is fault 3000 (reference §11's catalogue: "3000 invalid
  custom field"); Intuit documents no message text, so the sandbox writes one naming the DefinitionId.
* "Get started" (.../create-custom-fields/get-started) reads a record with its Custom Fields API values as
  `/v3/company/{realmId}/{entityname}?minorversion=70&include=enhancedAllCustomFields`: a Customer or Vendor read
  without that parameter answers without them. The page shows the parameter on an entity read only, so queries,
  CDC, batch and write answers carry the entries as stored (the docs say nothing of those).
* On an update, entries sent replace the entries of the same DefinitionId and the others stay (the docs say
  nothing of merging); an entry sent with an empty or null value clears that field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.errors import QboFault

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.entities import EntitySpec
    from inolink_tui.sandbox.quickbooks.state import QboState

SALES_FORMS = ("Estimate", "Invoice", "SalesReceipt", "CreditMemo")
"""Sales transactions that carry the three sales-form custom fields (Refund Receipt is not modelled)."""
API_ENTITIES = ("Customer", "Vendor")
"""Entities the Custom Fields API's definitions attach to through the Accounting REST API."""
STRING_VALUE_MAX = 31
LEGACY_SLOTS = 3
DATA_TYPES = {"STRING": "StringType", "NUMBER": "NumberType"}
"""GraphQL dataType -> the REST entry's `Type`."""


@dataclass(frozen=True, slots=True)
class Definition:
    """One custom field as a record's `CustomField` entry refers to it."""

    definition_id: str
    name: str
    data_type: str
    entities: tuple[str, ...]
    active: bool = True

    @property
    def rest_type(self) -> str:
        return DATA_TYPES[self.data_type]


def _pref_entries(prefs: dict[str, Any]) -> dict[str, Any]:
    """`SalesFormsPrefs.CustomField` flattened: {"SalesFormsPrefs.UseSalesCustom1": True, ...}."""
    found: dict[str, Any] = {}
    groups = ((prefs.get("SalesFormsPrefs") or {}).get("CustomField")) or []
    for group in groups if isinstance(groups, list) else []:
        entries = group.get("CustomField") if isinstance(group, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("Name"), str):
                value = entry.get("BooleanValue", entry.get("StringValue"))
                found[entry["Name"]] = value
    return found


def sales_form_definitions(state: QboState) -> list[Definition]:
    """The sales-form custom fields switched on in Preferences (DefinitionId "1".."3")."""
    prefs = state.raw("Preferences", "1") or {}
    entries = _pref_entries(prefs)
    out: list[Definition] = []
    for slot in range(1, LEGACY_SLOTS + 1):
        name = entries.get(f"SalesFormsPrefs.SalesCustomName{slot}")
        used = entries.get(f"SalesFormsPrefs.UseSalesCustom{slot}") is True
        if used and isinstance(name, str) and name:
            out.append(Definition(str(slot), name, "STRING", SALES_FORMS))
    return out


def api_definitions(state: QboState) -> list[Definition]:
    """Definitions made through the Custom Fields API (or declared to the sandbox), inactive ones included."""
    return [
        Definition(
            str(d["legacyIDV2"]), str(d["label"]), str(d["dataType"]), tuple(d["entities"]), bool(d.get("active", True))
        )
        for d in state.custom_field_definitions
    ]


def declare(state: QboState, label: str, data_type: str = "STRING", entities: tuple[str, ...] = API_ENTITIES) -> str:
    """A new Custom Fields API definition (what `appFoundationsCreateCustomFieldDefinition` does); its legacyIDV2."""
    if data_type not in DATA_TYPES:
        raise ValueError(f"dataType must be one of {', '.join(DATA_TYPES)}")
    if not label.strip():
        raise ValueError("a custom field needs a label")
    unknown = [e for e in entities if e not in API_ENTITIES]
    if unknown or not entities:
        raise ValueError(f"custom fields of the Custom Fields API attach to {', '.join(API_ENTITIES)} only")
    if any(str(d["label"]).lower() == label.strip().lower() for d in state.custom_field_definitions):
        raise ValueError(f"a custom field named {label.strip()!r} already exists")
    legacy_id = str(1_000_000_001 + len(state.custom_field_definitions))
    state.custom_field_definitions.append(
        {
            "id": f"djQuMTo{legacy_id}",
            "legacyIDV2": legacy_id,
            "label": label.strip(),
            "dataType": data_type,
            "entities": list(entities),
            "active": True,
        }
    )
    return legacy_id


ENHANCED = "enhancedAllCustomFields"


def without_api_custom_fields(entity: str, record: dict[str, Any], include: str | None) -> dict[str, Any]:
    """A Customer / Vendor read as answered without `include=enhancedAllCustomFields`: no CustomField entries."""
    if entity not in API_ENTITIES or "CustomField" not in record:
        return record
    if include is not None and ENHANCED in [part.strip() for part in include.split(",")]:
        return record
    return {key: value for key, value in record.items() if key != "CustomField"}


def _definitions_for(state: QboState, entity: str) -> dict[str, Definition]:
    found = sales_form_definitions(state) if entity in SALES_FORMS else api_definitions(state)
    return {d.definition_id: d for d in found if entity in d.entities}


def invalid(entity: str, definition_id: Any) -> QboFault:
    return QboFault(
        "3000",
        "Invalid Custom Field",
        f"Invalid Custom Field : the custom field with DefinitionId {definition_id} is not defined and active "
        f"for {entity}.",
        element="CustomField",
    )


def _value(definition: Definition, entry: dict[str, Any]) -> tuple[str, Any]:
    if definition.data_type == "NUMBER":
        raw = entry.get("NumberValue")
        if raw is None or raw == "":
            return "NumberValue", None
        try:
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise errors.malformed_body("CustomField", f"NumberValue {raw!r} is not a number") from None
        if isinstance(raw, bool) or not number.is_finite():
            raise errors.malformed_body("CustomField", f"NumberValue {raw!r} is not a number")
        return "NumberValue", number
    raw = entry.get("StringValue")
    if raw is None or raw == "":
        return "StringValue", None
    if not isinstance(raw, str):
        raise errors.malformed_body("CustomField", "StringValue must be a string")
    if len(raw) > STRING_VALUE_MAX:
        raise errors.string_length("CustomField.StringValue", STRING_VALUE_MAX, len(raw))
    return "StringValue", raw


def apply(state: QboState, spec: EntitySpec, out: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Check and complete `out["CustomField"]` in place (Name and Type from the definition)."""
    sent = out.get("CustomField")
    if sent is None or (existing is not None and sent == existing.get("CustomField")):
        return  # unchanged by this write (a sparse update carries the stored entries over)
    if not isinstance(sent, list) or not all(isinstance(entry, dict) for entry in sent):
        raise errors.malformed_body(spec.name, "CustomField must be a list of objects")
    known = _definitions_for(state, spec.name)
    kept: dict[str, dict[str, Any]] = {}
    before = existing.get("CustomField") if existing is not None else None
    for entry in before if isinstance(before, list) else []:
        if isinstance(entry, dict) and entry.get("DefinitionId") is not None:
            kept[str(entry["DefinitionId"])] = entry
    for entry in sent:
        definition_id = entry.get("DefinitionId")
        if definition_id in (None, ""):
            raise errors.required("CustomField.DefinitionId")
        definition = known.get(str(definition_id))
        if definition is None or not definition.active:
            raise invalid(spec.name, definition_id)
        if entry.get("Type") not in (None, definition.rest_type):
            raise errors.QboFault(
                "2170", "Invalid Enumeration", f"Invalid Enumeration : {entry['Type']}", element="CustomField.Type"
            )
        key, value = _value(definition, entry)
        if value is None:
            kept.pop(definition.definition_id, None)
            continue
        kept[definition.definition_id] = {
            "DefinitionId": definition.definition_id,
            "Name": definition.name,
            "Type": definition.rest_type,
            key: value,
        }
    out["CustomField"] = list(kept.values())
