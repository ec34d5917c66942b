"""Fixed field mappings between Dynamics 365 rows and QuickBooks Online entities (pure functions).

InoLink documents fixed mappings and no mapping editor (reference §1.7); these modules follow that
table. Row dicts use real Dataverse column names; QuickBooks bodies use real v3 JSON keys.
"""

from inolink_tui.domain.mapping.customers import crm_to_customer, customer_entity_type, customer_to_crm
from inolink_tui.domain.mapping.diff import changed_fields, sparse_update
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.items import ItemAccounts, crm_to_item, item_to_crm
from inolink_tui.domain.mapping.names import NameIndex, NameMatch, best_matches, names_match, normalise_name
from inolink_tui.domain.mapping.records import (
    CUSTOMER_LOOKUP,
    NAME_COLUMN,
    NUMBER_COLUMN,
    PRIMARY_KEY,
    record_name,
)
from inolink_tui.domain.mapping.transactions import ServiceItems, TransactionLine, crm_to_transaction, line_products

__all__ = [
    "CUSTOMER_LOOKUP",
    "NAME_COLUMN",
    "NUMBER_COLUMN",
    "PRIMARY_KEY",
    "ItemAccounts",
    "MappingError",
    "NameIndex",
    "NameMatch",
    "ServiceItems",
    "TransactionLine",
    "best_matches",
    "changed_fields",
    "crm_to_customer",
    "crm_to_item",
    "crm_to_transaction",
    "customer_entity_type",
    "customer_to_crm",
    "item_to_crm",
    "line_products",
    "names_match",
    "normalise_name",
    "record_name",
    "sparse_update",
]
