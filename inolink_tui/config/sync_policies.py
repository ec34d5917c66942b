"""[sync] keys for inactive and deleted records, tax codes and payment terms (issue 16 items 3 and 4), and for
transactions entered in QuickBooks and payments removed there (item 1).

Kept apart from config/model.py (over its size budget): `SyncSettings` takes these fields by inheriting
`SyncPolicyKeys`. What each key does is in config.example.toml and engine/lifecycle.py, domain/mapping/money.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_COLUMN = r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"


class SyncPolicyKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    quickbooks_inactive: Literal["deactivate", "flag", "ignore"] = "deactivate"
    """A QuickBooks customer or item made inactive: deactivate the linked CRM record, set a flag column, or nothing."""
    inactive_flag_column: str = Field(default="ino_accountinginactive", pattern=_COLUMN)
    crm_deactivated: Literal["inactivate", "ignore"] = "inactivate"
    """A linked CRM record deactivated: make the QuickBooks record inactive, or nothing."""
    crm_deleted: Literal["unlink", "ignore"] = "unlink"
    """A linked CRM record deleted: unlink it and report it in a Link Job (QuickBooks keeps its record), or nothing."""
    default_tax_code: str | None = Field(default=None, min_length=1)
    """Outside the US: the tax code of a line whose item has none; in the US: the transaction's tax code (rate)."""
    exempt_tax_code: str | None = Field(default=None, min_length=1)
    """Outside the US: the tax code of a line whose item is not taxable."""
    tax_codes: dict[str, str] = Field(default_factory=dict)
    """Product number or QuickBooks item name -> tax code name (outside the US)."""
    payment_terms: dict[str, str] = Field(default_factory=dict)
    """CRM Payment Terms label -> QuickBooks Term name (by default the same name)."""
    customer_types: dict[str, str] = Field(default_factory=dict)
    """CRM account Category label (or option value) -> QuickBooks Customer Type name (by default the same name)."""
    primary_contact: bool = False
    """InoLink's "Allow Primary contact to sync": an account's primary contact names its customer's person."""
    quickbooks_invoices: Literal["off", "history", "record"] = "off"
    """An invoice entered in QuickBooks for a linked customer: nothing, a Sales Transaction row, or a CRM invoice."""
    quickbooks_estimates: Literal["off", "history", "record"] = "off"
    """An estimate entered in QuickBooks for a linked customer: nothing, a Sales Transaction row, or a CRM quote."""
    quickbooks_credit_memos: Literal["off", "history"] = "off"
    """A credit memo entered in QuickBooks for a linked customer: nothing, or a Sales Transaction row."""
    quickbooks_sales_receipts: Literal["off", "history"] = "off"
    """A sales receipt entered in QuickBooks for a linked customer: nothing, or a Sales Transaction row."""
    removed_payments: Literal["mirror", "delete", "void"] = "mirror"
    """A payment deleted or voided in QuickBooks: as QuickBooks shows it (deleted goes, voided stays marked void),
    removed from CRM either way, or kept marked void either way (domain/transaction_history.py)."""

    @field_validator("tax_codes", "payment_terms", "customer_types")
    @classmethod
    def _no_blank(cls, value: dict[str, str]) -> dict[str, str]:
        for key, target in value.items():
            if not key.strip() or not target.strip():
                raise ValueError("keys and values must not be empty")
        return value
