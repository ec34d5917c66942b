"""The QuickBooks Online entities the sandbox serves, and the properties each one accepts.

An unknown property in a write is fault 2010, as the real (Jackson-based) service answers; a property
outside these sets in a query is fault 4001. Read-only properties are accepted on input (clients echo
a read back) and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["name", "transaction", "readonly", "company", "settings"]

COMMON_READONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})

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
        "PrimaryEmailAddr",
        "PrimaryPhone",
        "AlternatePhone",
        "Mobile",
        "Fax",
        "WebAddr",
        "Notes",
        "CurrencyRef",
        "Balance",
        "V4IDPseudonym",
    }
)

_TXN = frozenset(
    {
        "DocNumber",
        "TxnDate",
        "PrivateNote",
        "CustomerMemo",
        "Line",
        "CustomerRef",
        "BillAddr",
        "ShipAddr",
        "ShipFromAddr",
        "BillEmail",
        "SalesTermRef",
        "TxnTaxDetail",
        "CurrencyRef",
        "ExchangeRate",
        "ClassRef",
        "DepartmentRef",
        "CustomField",
        "LinkedTxn",
        "ApplyTaxAfterDiscount",
        "PrintStatus",
        "EmailStatus",
        "ShipDate",
        "ShipMethodRef",
        "TrackingNum",
        "GlobalTaxCalculation",
        "TotalAmt",
        "HomeTotalAmt",
        "TxnSource",
        "ProjectRef",
        "TaxExemptionRef",
        "FreeFormAddress",
        "RecurDataRef",
    }
)


@dataclass(frozen=True)
class EntitySpec:
    name: str
    kind: Kind
    fields: frozenset[str]
    readonly: frozenset[str] = frozenset()
    name_field: str | None = None
    cdc: bool = True

    @property
    def path(self) -> str:
        return self.name.lower()

    @property
    def all_fields(self) -> frozenset[str]:
        return self.fields | self.readonly | COMMON_READONLY

    @property
    def has_active(self) -> bool:
        return "Active" in self.fields


SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec(
            "Customer",
            "name",
            _PERSON
            | {
                "BillAddr",
                "ShipAddr",
                "Taxable",
                "Job",
                "BillWithParent",
                "ParentRef",
                "Level",
                "SalesTermRef",
                "PaymentMethodRef",
                "PreferredDeliveryMethod",
                "DefaultTaxCodeRef",
                "ResaleNum",
                "TaxExemptionReasonId",
                "OpenBalanceDate",
                "CustomerTypeRef",
                "IsProject",
                "ClientEntityId",
                "PrimaryTaxIdentifier",
                "ARAccountRef",
                "CustomField",  # the Custom Fields API's fields (custom_fields.py)
            },
            readonly=frozenset({"FullyQualifiedName", "BalanceWithJobs"}),
            name_field="DisplayName",
        ),
        EntitySpec(
            "Vendor",
            "name",
            _PERSON
            | {"BillAddr", "AcctNum", "Vendor1099", "TermRef", "TaxIdentifier", "OtherContactInfo", "CustomField"},
            name_field="DisplayName",
        ),
        EntitySpec(
            "Employee",
            "name",
            _PERSON
            | {
                "PrimaryAddr",
                "EmployeeNumber",
                "SSN",
                "BillableTime",
                "BillRate",
                "HiredDate",
                "ReleasedDate",
                "BirthDate",
                "Gender",
            },
            name_field="DisplayName",
        ),
        EntitySpec(
            "Item",
            "name",
            frozenset(
                {
                    "Name",
                    "Description",
                    "Active",
                    "SubItem",
                    "ParentRef",
                    "Level",
                    "Taxable",
                    "SalesTaxIncluded",
                    "UnitPrice",
                    "Type",
                    "IncomeAccountRef",
                    "ExpenseAccountRef",
                    "AssetAccountRef",
                    "PurchaseDesc",
                    "PurchaseCost",
                    "PurchaseTaxIncluded",
                    "TrackQtyOnHand",
                    "QtyOnHand",
                    "InvStartDate",
                    "Sku",
                    "SalesTaxCodeRef",
                    "PurchaseTaxCodeRef",
                    "ReorderPoint",
                    "PrefVendorRef",
                    "ClassRef",
                }
            ),
            readonly=frozenset({"FullyQualifiedName"}),
            name_field="Name",
        ),
        EntitySpec(
            "Account",
            "name",
            frozenset(
                {
                    "Name",
                    "AcctNum",
                    "Description",
                    "Active",
                    "SubAccount",
                    "ParentRef",
                    "AccountType",
                    "AccountSubType",
                    "CurrencyRef",
                    "TaxCodeRef",
                }
            ),
            readonly=frozenset(
                {"FullyQualifiedName", "Classification", "CurrentBalance", "CurrentBalanceWithSubAccounts"}
            ),
            name_field="Name",
        ),
        EntitySpec(
            "Term",
            "name",
            frozenset(
                {
                    "Name",
                    "Active",
                    "Type",
                    "DueDays",
                    "DiscountPercent",
                    "DiscountDays",
                    "DayOfMonthDue",
                    "DueNextMonthDays",
                    "DiscountDayOfMonth",
                }
            ),
            name_field="Name",
        ),
        EntitySpec(
            "TaxCode",
            "readonly",
            frozenset(
                {
                    "Name",
                    "Description",
                    "Active",
                    "Taxable",
                    "TaxGroup",
                    "Hidden",
                    "SalesTaxRateList",
                    "PurchaseTaxRateList",
                }
            ),
            name_field="Name",
            cdc=False,
        ),
        EntitySpec(
            "CompanyInfo",
            "company",
            frozenset(
                {
                    "CompanyName",
                    "LegalName",
                    "CompanyAddr",
                    "CustomerCommunicationAddr",
                    "LegalAddr",
                    "PrimaryPhone",
                    "Email",
                    "WebAddr",
                    "Country",
                    "FiscalYearStartMonth",
                    "SupportedLanguages",
                    "CompanyStartDate",
                    "NameValue",
                    "DefaultTimeZone",
                }
            ),
            cdc=False,
        ),
        EntitySpec(
            "Class",
            "name",
            frozenset({"Name", "Active", "SubClass", "ParentRef"}),
            readonly=frozenset({"FullyQualifiedName"}),
            name_field="Name",
        ),
        EntitySpec(
            "Department",
            "name",
            frozenset({"Name", "Active", "SubDepartment", "ParentRef"}),
            readonly=frozenset({"FullyQualifiedName"}),
            name_field="Name",
        ),
        EntitySpec("PaymentMethod", "name", frozenset({"Name", "Active", "Type"}), name_field="Name"),
        # developer.intuit.com .../all-entities/customer: CustomerTypeRef names a CustomerType, a list kept in the
        # QuickBooks UI; the API reads it (`select * from CustomerType`) and offers no create or update. The field
        # list beyond Name / Active is not documented there (vague): Name and Active, as connectors expose it.
        EntitySpec("CustomerType", "readonly", frozenset({"Name", "Active"}), name_field="Name", cdc=False),
        EntitySpec(
            "TaxRate",
            "readonly",
            frozenset(
                {
                    "Name",
                    "Description",
                    "Active",
                    "RateValue",
                    "AgencyRef",
                    "TaxReturnLineRef",
                    "SpecialTaxType",
                    "DisplayType",
                    "EffectiveTaxRate",
                }
            ),
            name_field="Name",
            cdc=False,
        ),
        EntitySpec(
            "Preferences",
            "settings",
            frozenset(
                {
                    "AccountingInfoPrefs",
                    "ProductAndServicesPrefs",
                    "SalesFormsPrefs",
                    "EmailMessagesPrefs",
                    "VendorAndPurchasesPrefs",
                    "TimeTrackingPrefs",
                    "TaxPrefs",
                    "CurrencyPrefs",
                    "ReportPrefs",
                    "OtherPrefs",
                }
            ),
            cdc=False,
        ),
        EntitySpec(
            # all-entities/companycurrency: the company's currencies besides its home currency
            "CompanyCurrency",
            "name",
            frozenset({"Code", "Name", "Active", "CustomField"}),
            name_field="Name",
        ),
        EntitySpec(
            # all-entities/exchangerate: read here; rates come from the seed (updates not modelled)
            "ExchangeRate",
            "readonly",
            frozenset({"SourceCurrencyCode", "TargetCurrencyCode", "Rate", "AsOfDate", "CustomField"}),
            cdc=False,
        ),
        EntitySpec(
            "Estimate",
            "transaction",
            _TXN | {"TxnStatus", "ExpirationDate", "AcceptedBy", "AcceptedDate", "DueDate"},
        ),
        EntitySpec(
            "Invoice",
            "transaction",
            _TXN
            | {
                "DueDate",
                "AllowIPNPayment",
                "AllowOnlinePayment",
                "AllowOnlineCreditCardPayment",
                "AllowOnlineACHPayment",
                "Deposit",
                "DepositToAccountRef",
                "DeliveryInfo",
            },
            readonly=frozenset({"Balance", "InvoiceLink", "HomeBalance"}),
        ),
        EntitySpec(
            "CreditMemo",
            "transaction",
            _TXN | {"PaymentMethodRef", "DepositToAccountRef"},
            readonly=frozenset({"Balance", "RemainingCredit", "HomeTotalAmt"}),
        ),
        EntitySpec(
            "SalesReceipt",
            "transaction",
            _TXN | {"PaymentMethodRef", "PaymentRefNum", "DepositToAccountRef", "CreditCardPayment"},
            readonly=frozenset({"Balance"}),
        ),
        EntitySpec(
            # all-entities/refundreceipt: a sales form paid back at once (rules/refunds.py)
            "RefundReceipt",
            "transaction",
            _TXN
            | {"PaymentMethodRef", "PaymentRefNum", "DepositToAccountRef", "CheckPayment", "CreditCardPayment"}
            | {"PaymentType"},
            readonly=frozenset({"Balance"}),
        ),
        EntitySpec(
            "Payment",
            "transaction",
            frozenset(
                {
                    "CustomerRef",
                    "TotalAmt",
                    "Line",
                    "TxnDate",
                    "PaymentMethodRef",
                    "PaymentRefNum",
                    "DepositToAccountRef",
                    "ARAccountRef",
                    "PrivateNote",
                    "ProcessPayment",
                    "CurrencyRef",
                    "ExchangeRate",
                    "CreditCardPayment",
                    "TxnSource",
                    "ProjectRef",
                    "DocNumber",
                }
            ),
            readonly=frozenset({"UnappliedAmt"}),
        ),
    )
}

_BY_LOWER = {name.lower(): spec for name, spec in SPECS.items()}
NAME_UNIQUE_GROUP = ("Customer", "Vendor", "Employee")
"""DisplayName is unique across these three, inactive records included (fault 6240)."""


def spec_for(name: str) -> EntitySpec | None:
    """Entity names are case-insensitive in paths, queries and CDC."""
    return _BY_LOWER.get(name.lower())


def field_name(spec: EntitySpec, name: str) -> str | None:
    """The canonical spelling of a property, matched case-insensitively."""
    wanted = name.lower()
    for candidate in spec.all_fields:
        if candidate.lower() == wanted:
            return candidate
    return None
