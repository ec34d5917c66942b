"""The vocabulary of InoLink, kept exactly as its documentation spells it.

Each enum's *value* is the label a user sees (and the text stored in the database), so that a
job exported to CSV or JSON reads the same as the original product's Link Job form.
"""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    """A string enum that parses its label case-insensitively and by snake_case name."""

    @classmethod
    def parse(cls, text: str) -> _Labelled:
        wanted = text.strip().casefold().replace("_", " ").replace("-", " ")
        for member in cls:
            if wanted in (member.value.casefold(), member.name.casefold().replace("_", " ")):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"{text!r} is not a valid {cls.__name__} (choose from: {choices})")

    def __str__(self) -> str:
        return self.value


class EntityType(_Labelled):
    """Entity Type of a Link Job: the CRM table the synced record belongs to."""

    ACCOUNT = "Account"
    CONTACT = "Contact"
    PRODUCT = "Product"
    QUOTE = "Quote"
    ORDER = "Order"
    INVOICE = "Invoice"
    PAYMENT = "Payment"
    """A payment received in QuickBooks, recorded in CRM's payment table (issue 16): QuickBooks -> CRM only.
    Its CRM table is named by the org's CrmSchema (`payment_table`, publisher prefix), so it is not in the
    fixed-name maps below; SYNCED_ENTITY_TYPES lists the types that are."""
    SALES_TRANSACTION = "Sales Transaction"
    """A transaction entered in QuickBooks (invoice, estimate, credit memo, sales receipt) kept as a row of CRM's
    Sales Transactions table, InoLink's transaction history store (reference notes 1.7): QuickBooks -> CRM only.
    Appended after Payment so the Link Job table's Entity Type choice values never move (100000007)."""

    @property
    def is_transaction(self) -> bool:
        """Transactions are promoted once; names (Account, Contact, Product) keep syncing."""
        return self in (EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE)


class LinkStatus(_Labelled):
    """Link Status of a Link Job. InoLink has exactly these three; "processing" is a lease, not a status."""

    QUEUED = "Queued"
    SUCCESS = "Success"
    ERROR = "Error"


class Source(_Labelled):
    """Which system generated the job: CRM means CRM -> QuickBooks, Accounting means QuickBooks -> CRM."""

    CRM = "CRM"
    ACCOUNTING = "Accounting"

    @property
    def direction(self) -> str:
        return "CRM -> QuickBooks" if self is Source.CRM else "QuickBooks -> CRM"


class RecordLinkStatus(_Labelled):
    """Link Status of a synced CRM record (not of a job).

    "Not Linked" is our name for the state before Promote; InoLink's documentation never names it.
    """

    NOT_LINKED = "Not Linked"
    TO_BE_LINKED = "To be Linked"
    LINKED = "Linked"
    ERROR = "Error"
    UNLINKED = "Unlinked"


class Operation(_Labelled):
    """What a job does on the target side."""

    CREATE = "create"
    UPDATE = "update"
    LINK = "link"


class ErrorClass(_Labelled):
    """Why a job failed, in the terms an operator acts on."""

    TRANSIENT = "transient"
    AUTH = "auth"
    VALIDATION = "validation"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REFERENCE = "reference"
    UNKNOWN = "unknown"

    @property
    def retryable(self) -> bool:
        """Only transient failures are retried automatically; the rest need a person."""
        return self is ErrorClass.TRANSIENT


class AttemptOutcome(_Labelled):
    """How one processing attempt of a job ended."""

    SUCCESS = "success"
    ERROR = "error"
    RETRY = "retry"
    RELEASED = "released"
    WAITING = "waiting"


class JobView(_Labelled):
    """InoLink's Link Job views: Active, Failed, Inactive, plus All; and Conflicts, the jobs where Deadlock Win
    discarded one side's change (InoLink leaves those in a log; here they can be read and re-applied)."""

    ACTIVE = "Active"
    FAILED = "Failed"
    INACTIVE = "Inactive"
    ALL = "All"
    CONFLICTS = "Conflicts"


class NameMatching(_Labelled):
    """Name Matching Criteria: how an existing QuickBooks record is found before creating one."""

    EXACT = "Exact"
    PATTERN = "Pattern"


class DeadlockWin(_Labelled):
    """Deadlock Win: which side's values win when both changed the same record since the last sync."""

    CRM = "CRM"
    QUICKBOOKS = "QuickBooks"


SYNCED_ENTITY_TYPES: tuple[EntityType, ...] = (
    EntityType.ACCOUNT,
    EntityType.CONTACT,
    EntityType.PRODUCT,
    EntityType.QUOTE,
    EntityType.ORDER,
    EntityType.INVOICE,
)
"""The Entity Types of CRM's own tables, synced both ways; Payment (a table `crm setup` creates, QuickBooks ->
CRM only) is not among them."""

QBO_ENTITY_FOR: dict[EntityType, str] = {
    EntityType.ACCOUNT: "Customer",
    EntityType.CONTACT: "Customer",
    EntityType.PRODUCT: "Item",
    EntityType.QUOTE: "Estimate",
    EntityType.ORDER: "Invoice",
    EntityType.INVOICE: "Invoice",
    EntityType.PAYMENT: "Payment",
}
"""QuickBooks Online entity each CRM entity maps to (QBO has no sales orders: an Order becomes an Invoice)."""

CRM_ENTITY_SET_FOR: dict[EntityType, str] = {
    EntityType.ACCOUNT: "accounts",
    EntityType.CONTACT: "contacts",
    EntityType.PRODUCT: "products",
    EntityType.QUOTE: "quotes",
    EntityType.ORDER: "salesorders",
    EntityType.INVOICE: "invoices",
}
"""Dataverse entity set name of each CRM entity."""

CRM_LOGICAL_NAME_FOR: dict[EntityType, str] = {
    EntityType.ACCOUNT: "account",
    EntityType.CONTACT: "contact",
    EntityType.PRODUCT: "product",
    EntityType.QUOTE: "quote",
    EntityType.ORDER: "salesorder",
    EntityType.INVOICE: "invoice",
}
