"""Which QuickBooks fields a mapping may name: the documented writable fields per entity, and the read-only ones.

From Intuit's API reference (developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/
customer, /item, /invoice, /estimate): each attribute is listed as required, optional, conditionally required or
read only. A custom mapping may write (direction both / to_quickbooks / on_create) only a writable field; it may
read any of them into CRM (direction to_crm), read-only ones included (Balance into a CRM money column is fine).
A path names a nested value the way `domain.limits` does (`BillAddr.City`, `SalesTermRef.value`); a reference
is mapped through its `.value` (the QuickBooks Id).

`CustomField:<name>` fields are not in this table: they are checked against the company's definitions
(`domain.mapping.check`). The StringValue limit: Intuit's API reference states none; the product's custom fields
hold 31 characters, which the sandbox enforces too (sandbox/quickbooks/custom_fields.py).
"""

from __future__ import annotations

CUSTOM_FIELD_STRING_MAX = 31

_ADDRESS_PARTS = (
    "Line1",
    "Line2",
    "Line3",
    "Line4",
    "Line5",
    "City",
    "Country",
    "CountrySubDivisionCode",
    "PostalCode",
)


def _addresses(*names: str) -> frozenset[str]:
    return frozenset(f"{name}.{part}" for name in names for part in _ADDRESS_PARTS)


_COMMON_READ_ONLY = frozenset({"Id", "SyncToken", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "domain"})

_PERSON = frozenset(
    {
        "DisplayName",
        "Title",
        "GivenName",
        "MiddleName",
        "FamilyName",
        "Suffix",
        "CompanyName",
        "PrintOnCheckName",
        "Active",
        "PrimaryEmailAddr.Address",
        "PrimaryPhone.FreeFormNumber",
        "AlternatePhone.FreeFormNumber",
        "Mobile.FreeFormNumber",
        "Fax.FreeFormNumber",
        "WebAddr.URI",
        "Notes",
        "CurrencyRef.value",
    }
)

_SALES = frozenset(
    {
        "DocNumber",
        "TxnDate",
        "PrivateNote",
        "CustomerMemo.value",
        "CustomerRef.value",
        "BillEmail.Address",
        "SalesTermRef.value",
        "ClassRef.value",
        "DepartmentRef.value",
        "CurrencyRef.value",
        "ExchangeRate",
        "ShipDate",
        "ShipMethodRef.value",
        "TrackingNum",
        "ApplyTaxAfterDiscount",
        "PrintStatus",
        "EmailStatus",
        "GlobalTaxCalculation",
        "TxnTaxDetail.TxnTaxCodeRef.value",
        "Line[].Description",
        "Line[].Amount",
        "Line[].DetailType",
        "Line[].SalesItemLineDetail.ItemRef.value",
        "Line[].SalesItemLineDetail.Qty",
        "Line[].SalesItemLineDetail.UnitPrice",
        "Line[].SalesItemLineDetail.TaxCodeRef.value",
        "Line[].SalesItemLineDetail.ServiceDate",
        "Line[].SalesItemLineDetail.ClassRef.value",
    }
) | _addresses("BillAddr", "ShipAddr")

WRITABLE: dict[str, frozenset[str]] = {
    "Customer": _PERSON
    | _addresses("BillAddr", "ShipAddr")
    | frozenset(
        {
            "Taxable",
            "Job",
            "BillWithParent",
            "ParentRef.value",
            "SalesTermRef.value",
            "PaymentMethodRef.value",
            "PreferredDeliveryMethod",
            "ResaleNum",
            "DefaultTaxCodeRef.value",
            "TaxExemptionReasonId",
            "OpenBalanceDate",
            "CustomerTypeRef.value",
            "PrimaryTaxIdentifier",
            "ARAccountRef.value",
        }
    ),
    "Item": frozenset(
        {
            "Name",
            "Sku",
            "Description",
            "PurchaseDesc",
            "Active",
            "SubItem",
            "ParentRef.value",
            "Taxable",
            "SalesTaxIncluded",
            "PurchaseTaxIncluded",
            "UnitPrice",
            "PurchaseCost",
            "Type",
            "IncomeAccountRef.value",
            "ExpenseAccountRef.value",
            "AssetAccountRef.value",
            "TrackQtyOnHand",
            "QtyOnHand",
            "InvStartDate",
            "ReorderPoint",
            "PrefVendorRef.value",
            "ClassRef.value",
            "SalesTaxCodeRef.value",
            "PurchaseTaxCodeRef.value",
        }
    ),
    "Invoice": _SALES
    | frozenset(
        {
            "DueDate",
            "AllowOnlinePayment",
            "AllowOnlineCreditCardPayment",
            "AllowOnlineACHPayment",
            "Deposit",
            "DepositToAccountRef.value",
        }
    ),
    "Estimate": _SALES | frozenset({"DueDate", "ExpirationDate", "TxnStatus", "AcceptedBy", "AcceptedDate"}),
}
"""Fields a client may set, per QuickBooks entity (the paths a custom mapping may write)."""

READ_ONLY: dict[str, frozenset[str]] = {
    "Customer": _COMMON_READ_ONLY
    | frozenset({"Balance", "BalanceWithJobs", "FullyQualifiedName", "Level", "V4IDPseudonym"}),
    # PrefVendorRef.name: the preferred Vendor's name returned with the reference (Item reference: the ref's value and
    # name are the Vendor's Id and name); a mapping writes the reference through .value only
    "Item": _COMMON_READ_ONLY | frozenset({"FullyQualifiedName", "Level", "PrefVendorRef.name"}),
    "Invoice": _COMMON_READ_ONLY
    | frozenset({"TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance", "InvoiceLink", "TxnTaxDetail.TotalTax"}),
    "Estimate": _COMMON_READ_ONLY | frozenset({"TotalAmt", "HomeTotalAmt", "TxnTaxDetail.TotalTax"}),
}
"""Fields QuickBooks computes or owns: readable into CRM, never written."""

CUSTOM_FIELD_ENTITIES = ("Customer", "Invoice", "Estimate")
"""QuickBooks entities the engine syncs that carry a `CustomField` array: Customer (Custom Fields API) and the
sales forms (Preferences.SalesFormsPrefs); Item has none."""
