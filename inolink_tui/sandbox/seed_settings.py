"""QuickBooks lists and settings that client libraries read, seeded with a US company's defaults.

Payment methods, the Preferences sections and the tax rate follow the examples in Intuit's API reference
(all-entities/paymentmethod, /preferences, /taxrate, /taxcode); classes and departments are a plausible
small set with tracking switched on in Preferences, so a client that reads them finds something.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from inolink_tui.sandbox.seed_region import REGIONS, Region, seed_region_taxes

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


def seed_qbo_settings(qbo: QboState, region: Region = REGIONS["US"]) -> None:
    """Lists and settings client libraries read, with a US company's defaults (Intuit's reference examples)."""
    if region.tax_codes:
        seed_region_taxes(qbo, region)
    else:
        _seed_us_tax(qbo)
    for name, kind in (
        ("Cash", "NON_CREDIT_CARD"),
        ("Check", "NON_CREDIT_CARD"),
        ("Visa", "CREDIT_CARD"),
        ("MasterCard", "CREDIT_CARD"),
        ("Discover", "CREDIT_CARD"),
        ("American Express", "CREDIT_CARD"),
        ("Diners Club", "CREDIT_CARD"),
    ):
        qbo.create("PaymentMethod", {"Name": name, "Type": kind})
    for name in ("Residential", "Commercial"):
        qbo.create("Class", {"Name": name})
    for name in ("Main Street", "Online"):
        qbo.create("Department", {"Name": name})
    qbo.create(
        "Preferences",
        {
            "AccountingInfoPrefs": {
                "TrackDepartments": True,
                "DepartmentTerminology": "Location",
                "ClassTrackingPerTxn": True,
                "ClassTrackingPerTxnLine": False,
                "CustomerTerminology": "Customers",
                "FirstMonthOfFiscalYear": "January",
                "UseAccountNumbers": False,
                "TaxYearMonth": "January",
            },
            "ProductAndServicesPrefs": {
                "ForSales": True,
                "ForPurchase": True,
                "QuantityWithPriceAndRate": True,
                "QuantityOnHand": True,
            },
            "SalesFormsPrefs": {
                "CustomTxnNumbers": True,
                "AllowDeposit": False,
                "AllowDiscount": True,
                "AllowEstimates": True,
                "AllowServiceDate": False,
                "AllowShipping": True,
                "ETransactionEnabledStatus": "NotApplicable",
                "IPNSupportEnabled": False,
                "DefaultTerms": {"value": "3"},
            },
            "EmailMessagesPrefs": {
                "InvoiceMessage": {
                    "Subject": "Invoice from Sandbox Company_US_1",
                    "Message": "Your invoice is attached. Please remit payment at your earliest convenience.",
                },
                "EstimateMessage": {
                    "Subject": "Estimate from Sandbox Company_US_1",
                    "Message": "Please review the estimate below. Feel free to contact us if you have any questions.",
                },
                "SalesReceiptMessage": {
                    "Subject": "Sales Receipt from Sandbox Company_US_1",
                    "Message": "Your sales receipt is attached.",
                },
            },
            "VendorAndPurchasesPrefs": {"TrackingByCustomer": True, "BillableExpenseTracking": True},
            "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": True, "MarkTimeEntriesBillable": True},
            "TaxPrefs": {"UsingSalesTax": True, **({} if region.tax_codes else {"TaxGroupCodeRef": {"value": "2"}})},
            "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": region.currency}},
            "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
            "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""}]},
        },
        record_id="1",
    )


def _seed_us_tax(qbo: QboState) -> None:
    """The California rate and its tax code (taxrate / taxcode reference examples)."""
    rate = qbo.create(
        "TaxRate",
        {
            "Name": "California",
            "Description": "Sales Tax",
            "RateValue": Decimal("8"),
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "AgencyRef": {"value": "1"},
        },
        record_id="1",
    )
    qbo.create(
        "TaxCode",
        {
            "Name": "California",
            "Description": "California",
            "Taxable": True,
            "TaxGroup": True,
            "SalesTaxRateList": {
                "TaxRateDetail": [
                    {
                        "TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": 0,
                    }
                ]
            },
            "PurchaseTaxRateList": {"TaxRateDetail": []},
        },
        record_id="2",
    )
