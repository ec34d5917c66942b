"""The CRM tables the sandbox serves, with real Dataverse column names (read this before seeding or syncing).

Every synced table (accounts, contacts, products, quotes, salesorders, invoices) carries InoLink's columns:

- `ino_linkstatus` - choice, values from `CRM_LINK_STATUS_OPTION` (To be Linked 100000000, Linked, Error, Unlinked)
- `ino_accountingid` - the QuickBooks Id; `ino_accountingref` - the QuickBooks DocNumber / reference
- `_ino_promotedby_value` - lookup to systemusers, written as `"ino_promotedby@odata.bind": "/systemusers(<id>)"`
- `ino_promotedon` - datetime
- `ino_syncclaim` - "<engine id>|<expires ISO UTC>" while an engine pushes the record (engine/claims.py)

Accounts also hold the low-priority balance columns (`ino_openbalance`, `ino_overdue1to30`, `ino_overdue31to60`,
`ino_overdue61to90`, `ino_overdueover90`, `ino_balanceupdatedon`).

`ino_linkjobs` mirrors our Link Jobs in CRM: `ino_jobnumber` (our job id, an alternate key),
`ino_entitytype` / `ino_linkstatus` / `ino_source` choices (CRM_ENTITY_TYPE_OPTION, CRM_JOB_STATUS_OPTION,
CRM_JOB_SOURCE_OPTION), and the polymorphic lookup `_ino_regardingobjectid_value` with one navigation property per
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

from dataclasses import dataclass, field
from enum import StrEnum

from inolink_tui.domain.enums import (
    CRM_ENTITY_TYPE_OPTION,
    CRM_JOB_SOURCE_OPTION,
    CRM_JOB_STATUS_OPTION,
    CRM_LINK_STATUS_OPTION,
)


class Kind(StrEnum):
    """Column types, named after their Edm type where the OData parser reports them."""

    STRING = "Edm.String"
    INT = "Edm.Int32"
    BIGINT = "Edm.Int64"
    DECIMAL = "Edm.Decimal"
    MONEY = "Money"
    BOOL = "Edm.Boolean"
    DATETIME = "Edm.DateTimeOffset"
    CHOICE = "Choice"
    GUID = "Edm.Guid"
    LOOKUP = "Lookup"

    @property
    def edm(self) -> str:
        """The Edm type name used in parser error messages."""
        return {Kind.MONEY: "Edm.Decimal", Kind.CHOICE: "Edm.Int32", Kind.LOOKUP: "Edm.Guid"}.get(self, self.value)

    @property
    def numeric(self) -> bool:
        return self in (Kind.INT, Kind.BIGINT, Kind.DECIMAL, Kind.MONEY, Kind.CHOICE)


@dataclass(frozen=True)
class Column:
    """One attribute. For lookups `name` is the logical name; the row key is `_<name>_value`."""

    name: str
    kind: Kind
    max_length: int = 100
    options: dict[int, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # navigation property -> entity set
    read_only: bool = False
    display: str = ""
    cascade_delete: bool = False

    @property
    def key(self) -> str:
        """The attribute's name in row dicts and JSON."""
        return f"_{self.name}_value" if self.kind is Kind.LOOKUP else self.name

    @property
    def label(self) -> str:
        return self.display or self.name.replace("_", " ").title()


@dataclass(frozen=True)
class AlternateKey:
    name: str
    columns: tuple[str, ...]
    display: str


@dataclass(frozen=True)
class CollectionNav:
    """A one-to-many navigation: rows of `entity_set` whose `lookup` column points at this row."""

    name: str
    entity_set: str
    lookup: str


@dataclass
class Table:
    logical_name: str
    entity_set: str
    primary_key: str
    primary_name: str
    columns: dict[str, Column]
    otc: int
    display: str
    alternate_keys: tuple[AlternateKey, ...] = ()
    collections: dict[str, CollectionNav] = field(default_factory=dict)
    change_tracking: bool = True

    def column(self, key: str) -> Column | None:
        """Find a column by its row key (`_x_value` for lookups, the logical name otherwise)."""
        return self.columns.get(key)

    def navigation(self, nav: str) -> tuple[Column, str] | None:
        """The lookup column and target entity set of a single-valued navigation property (case-sensitive)."""
        for col in self.columns.values():
            if nav in col.targets:
                return col, col.targets[nav]
        return None

    def lookup_by_name(self, name: str) -> Column | None:
        """A lookup column by its logical name (`primarycontactid`), as used in `$filter` path traversal."""
        col = self.columns.get(f"_{name}_value")
        return col if col is not None and col.kind is Kind.LOOKUP else None


def _s(name: str, max_length: int = 100, display: str = "") -> Column:
    return Column(name, Kind.STRING, max_length=max_length, display=display)


def _m(name: str) -> Column:
    return Column(name, Kind.MONEY)


def _d(name: str) -> Column:
    return Column(name, Kind.DECIMAL)


def _dt(name: str, read_only: bool = False) -> Column:
    return Column(name, Kind.DATETIME, read_only=read_only)


def _lookup(name: str, targets: dict[str, str], *, read_only: bool = False, cascade: bool = False) -> Column:
    return Column(name, Kind.LOOKUP, targets=targets, read_only=read_only, cascade_delete=cascade)


def _choice(name: str, options: dict[int, str], display: str = "") -> Column:
    return Column(name, Kind.CHOICE, options=options, display=display)


RECORD_LINK_STATUS_LABELS = {value: str(status) for status, value in CRM_LINK_STATUS_OPTION.items()}
STATE_ACTIVE = {0: "Active", 1: "Inactive"}
STATUS_ACTIVE = {1: "Active", 2: "Inactive"}


def _system(primary_key: str) -> list[Column]:
    """Columns every table has; the write path maintains them, clients cannot set them."""
    return [
        Column(primary_key, Kind.GUID),
        _dt("createdon", read_only=True),
        _dt("modifiedon", read_only=True),
        _lookup("createdby", {"createdby": "systemusers"}, read_only=True),
        _lookup("modifiedby", {"modifiedby": "systemusers"}, read_only=True),
        _lookup("ownerid", {"ownerid": "systemusers"}),
        Column("versionnumber", Kind.BIGINT, read_only=True),
    ]


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
    return [
        _s("address1_line1", 250),
        _s("address1_line2", 250),
        _s("address1_city", 80),
        _s("address1_stateorprovince", 50),
        _s("address1_postalcode", 20),
        _s("address1_country", 80),
    ]


def _lines(parent: str, parent_set: str) -> list[Column]:
    """Columns of a detail-line table (quotedetail, salesorderdetail, invoicedetail)."""
    return [
        _lookup(parent, {parent: parent_set}, cascade=True),
        _lookup("productid", {"productid": "products"}),
        _s("productdescription", 500),
        _d("quantity"),
        _m("priceperunit"),
        _m("baseamount"),
        _m("extendedamount"),
        _m("manualdiscountamount"),
        _m("tax"),
        Column("isproductoverridden", Kind.BOOL),
        Column("lineitemnumber", Kind.INT),
        _s("description", 2000),
    ]


def _transaction(number: str) -> list[Column]:
    """Columns shared by quote, salesorder and invoice headers."""
    return [
        _s("name", 300),
        _s(number, 100),
        _lookup("customerid", {"customerid_account": "accounts", "customerid_contact": "contacts"}),
        _m("totalamount"),
        _m("totallineitemamount"),
        _m("discountamount"),
        _m("freightamount"),
        _m("totaltax"),
        _s("description", 2000),
        _choice("statecode", {0: "Active", 1: "Closed", 2: "Canceled", 3: "Fulfilled", 4: "Won"}, "Status"),
        Column("statuscode", Kind.CHOICE, options={1: "Active", 2: "Pending", 3: "In Progress", 4: "Closed"}),
        *_inolink(),
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
) -> Table:
    pk = f"{logical}id"
    cols = _system(pk) + columns
    return Table(
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


def build_tables() -> dict[str, Table]:
    """Fresh schema objects keyed by entity set (tables hold a mutable change-tracking flag)."""
    entity_type_labels = {v: str(k) for k, v in CRM_ENTITY_TYPE_OPTION.items()}
    tables = [
        _table("businessunit", "businessunits", "name", 10, [_s("name", 160)], display="Business Unit"),
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
                _s("internalemailaddress", 100),
                _s("applicationid", 36),
                _s("azureactivedirectoryobjectid", 36),
                _lookup("businessunitid", {"businessunitid": "businessunits"}),
                Column("isdisabled", Kind.BOOL),
                _choice("accessmode", {0: "Read-Write", 4: "Non-interactive"}),
            ],
            display="User",
        ),
        _table(
            "account",
            "accounts",
            "name",
            1,
            [
                _s("name", 160),
                _s("accountnumber", 20),
                _s("telephone1", 50),
                _s("fax", 50),
                _s("emailaddress1", 100),
                _s("websiteurl", 200),
                *_address(),
                _s("description", 2000),
                _m("revenue"),
                _m("creditlimit"),
                _lookup("primarycontactid", {"primarycontactid": "contacts"}),
                _lookup("parentaccountid", {"parentaccountid": "accounts"}),
                _choice("statecode", STATE_ACTIVE, "Status"),
                _choice("statuscode", STATUS_ACTIVE, "Status Reason"),
                *_inolink(),
                _m("ino_openbalance"),
                _m("ino_overdue1to30"),
                _m("ino_overdue31to60"),
                _m("ino_overdue61to90"),
                _m("ino_overdueover90"),
                _dt("ino_balanceupdatedon"),
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
                _s("lastname", 50),
                _s("emailaddress1", 100),
                _s("telephone1", 50),
                _s("mobilephone", 50),
                _s("jobtitle", 100),
                *_address(),
                _s("description", 2000),
                _lookup(
                    "parentcustomerid",
                    {"parentcustomerid_account": "accounts", "parentcustomerid_contact": "contacts"},
                ),
                _choice("statecode", STATE_ACTIVE, "Status"),
                _choice("statuscode", STATUS_ACTIVE, "Status Reason"),
                *_inolink(),
            ],
            display="Contact",
        ),
        _table(
            "product",
            "products",
            "name",
            1024,
            [
                _s("name", 100),
                _s("productnumber", 100),
                _s("description", 2000),
                _m("price"),
                _m("standardcost"),
                _m("currentcost"),
                _d("quantityonhand"),
                _choice("producttypecode", {1: "Sales Inventory", 2: "Miscellaneous Charges", 3: "Services"}),
                _choice("statecode", {0: "Active", 1: "Retired", 2: "Draft", 3: "Under Revision"}, "Status"),
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
            collections=(CollectionNav("order_details", "salesorderdetails", "_salesorderid_value"),),
        ),
        _table(
            "salesorderdetail",
            "salesorderdetails",
            "productdescription",
            1089,
            _lines("salesorderid", "salesorders"),
            display="Order Product",
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
                _choice("ino_linkstatus", {v: str(k) for k, v in CRM_JOB_STATUS_OPTION.items()}, "Link Status"),
                _choice("ino_source", {v: str(k) for k, v in CRM_JOB_SOURCE_OPTION.items()}, "Source"),
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
    ]
    return {t.entity_set: t for t in tables}


SYNCED_SETS = ("accounts", "contacts", "products", "quotes", "salesorders", "invoices")
"""Tables that carry InoLink's link columns."""
