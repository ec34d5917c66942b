"""The CRM tables the sandbox serves, with real Dataverse column names (read this before seeding or syncing).

Every synced table (accounts, contacts, products, quotes, salesorders, invoices) carries InoLink's columns:

- `ino_linkstatus` - choice, values from `domain.crm_schema.DEFAULT_LINK_STATUS_OPTIONS` (To be Linked 100000000,
  Linked, Error, Unlinked)
- `ino_accountingid` - the QuickBooks Id; `ino_accountingref` - the QuickBooks DocNumber / reference
- `_ino_promotedby_value` - lookup to systemusers, written as `"ino_promotedby@odata.bind": "/systemusers(<id>)"`
- `ino_promotedon` - datetime
- `ino_syncclaim` - "<engine id>|<expires ISO UTC>" while an engine pushes the record (engine/claims.py)

Accounts and contacts hold the aging columns, invoices their QuickBooks status and balance, and `ino_payments` /
`ino_paymentapplications` the payments received: see schema_money.py.

`ino_linkjobs` mirrors our Link Jobs in CRM: `ino_jobnumber` (our job id, an alternate key),
`ino_entitytype` / `ino_linkstatus` / `ino_source` choices (DEFAULT_ENTITY_TYPE_OPTIONS, DEFAULT_JOB_STATUS_OPTIONS,
DEFAULT_JOB_SOURCE_OPTIONS), and the polymorphic lookup `_ino_regardingobjectid_value` with one navigation property per
target: `ino_regardingobjectid_account`, `_contact`, `_product`, `_quote`, `_salesorder`, `_invoice`.

`ino_syncleases` holds one lease row per (org, QuickBooks company) pair that engines take before a cycle
(engine/guard.py): `ino_name` ("<org host>|<realm id>", alternate key `ino_name_key`), `ino_holder`, `ino_expireson`.

Lookups are read as `_<name>_value` and written with `<Navigation>@odata.bind`; navigation property names are
case-sensitive. Detail lines (quotedetails, salesorderdetails, invoicedetails) are deleted with their parent.
Collection-valued navigation properties (`quote_details`, `order_details`, `invoice_details`,
`contact_customer_accounts`) can be `$expand`ed. Alternate keys: accounts(accountnumber='..'),
products(productnumber='..'), ino_linkjobs(ino_jobnumber='..'). Every table has the system columns createdon,
modifiedon, `_createdby_value`, `_modifiedby_value`, `_ownerid_value` (systemusers) and versionnumber.
"""

from __future__ import annotations

from inolink_tui.domain.crm_schema import (
    DEFAULT_ENTITY_TYPE_OPTIONS,
    DEFAULT_JOB_SOURCE_OPTIONS,
    DEFAULT_JOB_STATUS_OPTIONS,
    DEFAULT_LINK_STATUS_OPTIONS,
)
from inolink_tui.sandbox.dataverse.schema_currency import currency_table, money_record_columns, with_base_columns
from inolink_tui.sandbox.dataverse.schema_money import aging_columns, invoice_money_columns, money_tables
from inolink_tui.sandbox.dataverse.schema_system import system_columns
from inolink_tui.sandbox.dataverse.schema_types import (
    DEFAULT_RANGES,
    AlternateKey,
    CollectionNav,
    Column,
    Kind,
    Table,
    _choice,
    _d,
    _dt,
    _lookup,
    _m,
    _memo,
    _s,
    value_range,
)
from inolink_tui.sandbox.dataverse.schema_units import product_unit_columns, unit_tables

__all__ = [
    "DEFAULT_RANGES",
    "SYNCED_SETS",
    "AlternateKey",
    "CollectionNav",
    "Column",
    "Kind",
    "Table",
    "build_tables",
    "stock_org",
    "system_columns",
    "value_range",
]


RECORD_LINK_STATUS_LABELS = {value: str(status) for status, value in DEFAULT_LINK_STATUS_OPTIONS.items()}
STATE_ACTIVE = {0: "Active", 1: "Inactive"}
STATUS_ACTIVE = {1: "Active", 2: "Inactive"}


def _inolink() -> list[Column]:
    return [
        _choice("ino_linkstatus", RECORD_LINK_STATUS_LABELS, "Link Status"),
        _s("ino_accountingid", 50, "Accounting ID"),
        _s("ino_accountingref", 100, "Accounting Reference"),
        _lookup("ino_promotedby", {"ino_promotedby": "systemusers"}),
        _dt("ino_promotedon"),
        _s("ino_syncclaim", 100, "Sync Claim"),
    ]


def _address() -> list[Column]:
    """Address 1 (bill to) and Address 2 (ship to) columns of accounts and contacts."""
    return [
        column
        for n in (1, 2)
        for column in (
            _s(f"address{n}_line1", 250),
            _s(f"address{n}_line2", 250),
            _s(f"address{n}_line3", 250),
            _s(f"address{n}_city", 80),
            _s(f"address{n}_stateorprovince", 50),
            _s(f"address{n}_postalcode", 20),
            _s(f"address{n}_country", 80),
        )
    ]


def _lines(parent: str, parent_set: str) -> list[Column]:
    """Columns of a detail-line table (quotedetail, salesorderdetail, invoicedetail)."""
    return [
        _lookup(parent, {parent: parent_set}, cascade=True),
        _lookup("productid", {"productid": "products"}),
        # "Unit" (UoMId, lookup to uom) on quotedetail / salesorderdetail / invoicedetail: Microsoft Learn,
        # https://learn.microsoft.com/en-us/dynamics365/sales/developer/entities/invoicedetail (and its siblings).
        _lookup("uomid", {"uomid": "uoms"}),
        _s("productdescription", 500),
        _d("quantity"),
        _m("priceperunit"),
        _m("baseamount"),
        _m("extendedamount"),
        _m("manualdiscountamount"),
        _m("tax"),
        Column("isproductoverridden", Kind.BOOL),
        Column("lineitemnumber", Kind.INT),
        _memo("description"),
    ]


def _transaction(number: str) -> list[Column]:
    """Columns shared by quote, salesorder and invoice headers."""
    return [
        _s("name", 300, required="ApplicationRequired"),
        _s(number, 100, required="SystemRequired"),  # the platform numbers a new row when none is sent
        _lookup("customerid", {"customerid_account": "accounts", "customerid_contact": "contacts"}),
        _m("totalamount"),
        _m("totallineitemamount"),
        _m("discountamount"),
        _m("freightamount"),
        _m("totaltax"),
        _memo("description"),
        _choice("statecode", {0: "Active", 1: "Closed", 2: "Canceled", 3: "Fulfilled", 4: "Won"}, "Status"),
        Column("statuscode", Kind.CHOICE, options={1: "Active", 2: "Pending", 3: "In Progress", 4: "Closed"}),
        *_inolink(),
        *money_record_columns(),
    ]


def _table(
    logical: str,
    entity_set: str,
    primary_name: str,
    otc: int,
    columns: list[Column],
    *,
    display: str,
    keys: tuple[AlternateKey, ...] = (),
    collections: tuple[CollectionNav, ...] = (),
    schema: str = "",
    ownership: str = "UserOwned",
    plural: str = "",
) -> Table:
    pk = f"{logical}id"
    cols = with_base_columns(system_columns(pk) + columns)
    return Table(
        schema_name=schema or (f"ino_{logical[4:].title()}" if logical.startswith("ino_") else logical.title()),
        ownership=ownership,
        custom=logical.startswith("ino_"),
        collection_display=plural or f"{display}s",
        logical_name=logical,
        entity_set=entity_set,
        primary_key=pk,
        primary_name=primary_name,
        columns={c.key: c for c in cols},
        otc=otc,
        display=display,
        alternate_keys=keys,
        collections={c.name: c for c in collections},
    )


def build_tables(*, bare: bool = False) -> dict[str, Table]:
    """Fresh schema objects keyed by entity set (tables hold a mutable change-tracking flag).

    `bare` gives the stock environment `sandbox serve --bare-org` starts with (see `stock_org`).
    """
    entity_type_labels = {v: str(k) for k, v in DEFAULT_ENTITY_TYPE_OPTIONS.items()}
    tables = [
        _table(
            "businessunit",
            "businessunits",
            "name",
            10,
            [_s("name", 160)],
            display="Business Unit",
            schema="BusinessUnit",
            ownership="BusinessOwned",
        ),
        _table(
            "publisher",
            "publishers",
            "friendlyname",
            7101,
            [
                _s("uniquename", 256, required="SystemRequired"),
                _s("friendlyname", 256, required="SystemRequired"),
                _s("customizationprefix", 8, required="SystemRequired"),
                Column("customizationoptionvalueprefix", Kind.INT, required="SystemRequired"),
                _memo("description"),
            ],
            display="Publisher",
            ownership="OrganizationOwned",
        ),
        _table(
            "solution",
            "solutions",
            "friendlyname",
            7100,
            [
                _s("uniquename", 65, required="SystemRequired"),
                _s("friendlyname", 256, required="SystemRequired"),
                _s("version", 256, required="SystemRequired"),
                _lookup("publisherid", {"publisherid": "publishers"}),
                _memo("description"),
            ],
            display="Solution",
            ownership="OrganizationOwned",
        ),
        _table(
            "systemuser",
            "systemusers",
            "fullname",
            8,
            [
                _s("fullname", 200),
                _s("firstname", 64),
                _s("lastname", 64),
                _s("domainname", 1024),
                _s("internalemailaddress", 100, fmt="Email"),
                _s("applicationid", 36),
                _s("azureactivedirectoryobjectid", 36),
                _lookup("businessunitid", {"businessunitid": "businessunits"}),
                Column("isdisabled", Kind.BOOL),
                _choice("accessmode", {0: "Read-Write", 4: "Non-interactive"}),
            ],
            display="User",
            schema="SystemUser",
            ownership="BusinessOwned",
        ),
        _table(
            "account",
            "accounts",
            "name",
            1,
            [
                _s("name", 160, required="ApplicationRequired"),
                _s("accountnumber", 20),
                _s("telephone1", 50, fmt="Phone"),
                _s("telephone2", 50, fmt="Phone"),
                _s("fax", 50),
                _s("emailaddress1", 100, fmt="Email"),
                _s("websiteurl", 200, fmt="Url"),
                *_address(),
                _memo("description"),
                _m("revenue"),
                _m("creditlimit"),
                # Microsoft Learn, account reference (AccountCategoryCode "Category"): 1 Preferred Customer, 2 Standard
                _choice("accountcategorycode", {1: "Preferred Customer", 2: "Standard"}, "Category"),
                _lookup("primarycontactid", {"primarycontactid": "contacts"}),
                _lookup("parentaccountid", {"parentaccountid": "accounts"}),
                _choice("statecode", STATE_ACTIVE, "Status"),
                _choice("statuscode", STATUS_ACTIVE, "Status Reason"),
                *_inolink(),
                *aging_columns(),
                *money_record_columns(),
            ],
            display="Account",
            keys=(AlternateKey("accountnumberkey", ("accountnumber",), "Account Number"),),
            collections=(CollectionNav("contact_customer_accounts", "contacts", "_parentcustomerid_value"),),
        ),
        _table(
            "contact",
            "contacts",
            "fullname",
            2,
            [
                _s("fullname", 160),
                _s("firstname", 50),
                _s("middlename", 50),
                _s("lastname", 50, required="ApplicationRequired"),
                _s("emailaddress1", 100, fmt="Email"),
                _s("telephone1", 50, fmt="Phone"),
                _s("telephone2", 50, fmt="Phone"),
                _s("mobilephone", 50, fmt="Phone"),
                _s("jobtitle", 100),
                *_address(),
                _memo("description"),
                _lookup(
                    "parentcustomerid",
                    {"parentcustomerid_account": "accounts", "parentcustomerid_contact": "contacts"},
                ),
                _choice("statecode", STATE_ACTIVE, "Status"),
                _choice("statuscode", STATUS_ACTIVE, "Status Reason"),
                *_inolink(),
                *aging_columns(),
                *money_record_columns(),
            ],
            display="Contact",
        ),
        _table(
            "product",
            "products",
            "name",
            1024,
            [
                _s("name", 100, required="ApplicationRequired"),
                _s("productnumber", 100, required="SystemRequired"),
                _memo("description"),
                _m("price", 0, 1_000_000_000_000),
                _m("standardcost", 0, 1_000_000_000_000),
                _m("currentcost", 0, 1_000_000_000_000),
                _d("quantityonhand", 0, 1_000_000_000),
                # VendorName, VendorPartNumber Text[100] (Learn: Business Central's "CRM Product" table mirrors product)
                _s("vendorname", 100),
                _s("vendorpartnumber", 100),
                _choice(
                    "producttypecode",
                    {1: "Sales Inventory", 2: "Miscellaneous Charges", 3: "Services", 4: "Flat Fees"},
                ),
                _choice("statecode", {0: "Active", 1: "Retired", 2: "Draft", 3: "Under Revision"}, "Status"),
                *product_unit_columns(),
                *_inolink(),
            ],
            display="Product",
            keys=(AlternateKey("productnumberkey", ("productnumber",), "Product ID"),),
        ),
        _table(
            "quote",
            "quotes",
            "name",
            1084,
            [*_transaction("quotenumber"), _dt("effectivefrom"), _dt("effectiveto")],
            display="Quote",
            collections=(CollectionNav("quote_details", "quotedetails", "_quoteid_value"),),
        ),
        _table(
            "quotedetail",
            "quotedetails",
            "productdescription",
            1085,
            _lines("quoteid", "quotes"),
            display="Quote Product",
            schema="QuoteDetail",
        ),
        _table(
            "salesorder",
            "salesorders",
            "name",
            1088,
            [
                *_transaction("ordernumber"),
                _lookup("quoteid", {"quoteid": "quotes"}),
                _dt("requestdeliveryby"),
                _dt("datefulfilled"),
            ],
            display="Order",
            schema="SalesOrder",
            collections=(CollectionNav("order_details", "salesorderdetails", "_salesorderid_value"),),
        ),
        _table(
            "salesorderdetail",
            "salesorderdetails",
            "productdescription",
            1089,
            _lines("salesorderid", "salesorders"),
            display="Order Product",
            schema="SalesOrderDetail",
        ),
        _table(
            "invoice",
            "invoices",
            "name",
            1090,
            [
                *_transaction("invoicenumber"),
                _lookup("salesorderid", {"salesorderid": "salesorders"}),
                _dt("duedate"),
                _dt("datedelivered"),
                *invoice_money_columns(),
            ],
            display="Invoice",
            collections=(CollectionNav("invoice_details", "invoicedetails", "_invoiceid_value"),),
        ),
        _table(
            "invoicedetail",
            "invoicedetails",
            "productdescription",
            1091,
            _lines("invoiceid", "invoices"),
            display="Invoice Product",
            schema="InvoiceDetail",
        ),
        _table(
            "ino_linkjob",
            "ino_linkjobs",
            "ino_name",
            10001,
            [
                _s("ino_name", 200, "Name"),
                _s("ino_jobnumber", 50, "Job Number"),
                _choice("ino_entitytype", entity_type_labels, "Entity Type"),
                _choice("ino_linkstatus", {v: str(k) for k, v in DEFAULT_JOB_STATUS_OPTIONS.items()}, "Link Status"),
                _choice("ino_source", {v: str(k) for k, v in DEFAULT_JOB_SOURCE_OPTIONS.items()}, "Source"),
                _s("ino_submittedby", 200, "Submitted By"),
                _dt("ino_submittedon"),
                _dt("ino_processedon"),
                _s("ino_accountingid", 50, "Accounting ID"),
                Column("ino_processedcount", Kind.INT, display="Processed Count"),
                _s("ino_errordescription", 4000, "Error Description"),
                _lookup(
                    "ino_regardingobjectid",
                    {
                        "ino_regardingobjectid_account": "accounts",
                        "ino_regardingobjectid_contact": "contacts",
                        "ino_regardingobjectid_product": "products",
                        "ino_regardingobjectid_quote": "quotes",
                        "ino_regardingobjectid_salesorder": "salesorders",
                        "ino_regardingobjectid_invoice": "invoices",
                    },
                ),
            ],
            display="Link Job",
            schema="ino_LinkJob",
            keys=(AlternateKey("ino_jobnumberkey", ("ino_jobnumber",), "Job Number"),),
        ),
        _table(
            "ino_synclease",
            "ino_syncleases",
            "ino_name",
            10002,
            [_s("ino_name", 100, "Name"), _s("ino_holder", 200, "Holder"), _dt("ino_expireson")],
            display="Sync Lease",
            keys=(AlternateKey("ino_name_key", ("ino_name",), "Pair"),),
        ),
        *money_tables(_table),
        *unit_tables(_table),
        currency_table(_table),
    ]
    built = {t.entity_set: t for t in tables}
    return stock_org(built) if bare else built


CUSTOM_PREFIX = "ino_"
"""The prepared org's publisher prefix: what `--bare-org` strips to get a stock environment."""


def stock_org(tables: dict[str, Table]) -> dict[str, Table]:
    """A stock Dataverse environment: no `ino_` tables or columns, no alternate keys, change tracking off.

    A new environment has no alternate keys on account or product (they are customizations) and change
    tracking is off on every table until someone enables it (Microsoft Learn, "Use change tracking to
    synchronize data with external systems").
    """
    stock: dict[str, Table] = {}
    for table in tables.values():
        if table.logical_name.startswith(CUSTOM_PREFIX):
            continue
        table.columns = {k: c for k, c in table.columns.items() if not c.name.startswith(CUSTOM_PREFIX)}
        table.alternate_keys = ()
        table.change_tracking = False
        stock[table.entity_set] = table
    return stock


SYNCED_SETS = ("accounts", "contacts", "products", "quotes", "salesorders", "invoices")
"""Tables that carry InoLink's link columns."""
