"""Where InoLink's data lives in one Dynamics 365 org: column and table names, and choice values.

A stock org has none of these until `crm setup` creates them, with the publisher prefix the org's
solution publisher uses (`[crm.schema] prefix`, default "ino"), and an org may already hold them with
other option values (an org that ran InoLink, or a choice column created by hand). So nothing in the
engine spells `ino_linkstatus` or 100000001: it asks a `CrmSchema`, built from the configuration and
checked against the org's metadata at start.

Dataverse builds a lookup's names from its logical name: rows read `_<name>_value`, writes bind
`<name>@odata.bind` (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/
web-api-types-operations#lookup-properties).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    CRM_LOGICAL_NAME_FOR,
    EntityType,
    LinkStatus,
    RecordLinkStatus,
    Source,
)

DEFAULT_PREFIX = "ino"
PREFIX_RULE = re.compile(r"^[a-z][a-z0-9]{1,7}$")
"""A publisher's customization prefix: 2 to 8 letters or digits, starting with a letter, and not "mscrm"
(https://learn.microsoft.com/en-us/power-platform/alm/solution-concepts-alm#solution-publisher)."""

DEFAULT_LINK_STATUS_OPTIONS: Mapping[RecordLinkStatus, int] = {
    RecordLinkStatus.TO_BE_LINKED: 100000000,
    RecordLinkStatus.LINKED: 100000001,
    RecordLinkStatus.ERROR: 100000002,
    RecordLinkStatus.UNLINKED: 100000003,
}
"""Choice values Dataverse gives a new choice column's options: the publisher's option value prefix
(10000 for the default publisher) times 10,000, counting up. The one definition of these defaults: the
prepared sandbox, `crm setup` and DEFAULT_SCHEMA all read them from here (so do the DEFAULT_* maps below)."""

LINK_STATUS_CHOICES: tuple[RecordLinkStatus, ...] = tuple(DEFAULT_LINK_STATUS_OPTIONS)
"""The record Link Status options a column must have (Not Linked is an empty value, not an option)."""

DEFAULT_JOB_STATUS_OPTIONS: Mapping[LinkStatus, int] = {
    LinkStatus.QUEUED: 100000000,
    LinkStatus.SUCCESS: 100000001,
    LinkStatus.ERROR: 100000002,
}
"""Option values of the Link Job mirror table's Link Status choice."""
DEFAULT_JOB_SOURCE_OPTIONS: Mapping[Source, int] = {Source.CRM: 100000000, Source.ACCOUNTING: 100000001}
"""Option values of the Link Job mirror table's Source choice."""
DEFAULT_ENTITY_TYPE_OPTIONS: Mapping[EntityType, int] = {e: 100000000 + i for i, e in enumerate(EntityType)}
"""Option values of the Link Job mirror table's Entity Type choice."""


def check_prefix(prefix: str) -> str:
    """The prefix as Dataverse stores it (lower case), or ValueError naming the rule it breaks."""
    cleaned = prefix.strip().rstrip("_").lower()
    if not PREFIX_RULE.match(cleaned) or cleaned.startswith("mscrm"):
        raise ValueError(
            f"{prefix!r} is not a publisher prefix: 2 to 8 letters or digits, starting with a letter, not 'mscrm'"
        )
    return cleaned


@dataclass(frozen=True)
class CrmSchema:
    """Names of InoLink's columns and tables in one org, and the option values of its choices."""

    prefix: str = DEFAULT_PREFIX
    link_status_options: Mapping[RecordLinkStatus, int] = field(
        default_factory=lambda: dict(DEFAULT_LINK_STATUS_OPTIONS)
    )
    job_status_options: Mapping[LinkStatus, int] = field(default_factory=lambda: dict(DEFAULT_JOB_STATUS_OPTIONS))
    job_source_options: Mapping[Source, int] = field(default_factory=lambda: dict(DEFAULT_JOB_SOURCE_OPTIONS))
    entity_type_options: Mapping[EntityType, int] = field(default_factory=lambda: dict(DEFAULT_ENTITY_TYPE_OPTIONS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", check_prefix(self.prefix))
        missing = [s.value for s in LINK_STATUS_CHOICES if s not in self.link_status_options]
        if missing:
            raise ValueError(f"no Link Status option value for {', '.join(missing)}")
        values = list(self.link_status_options.values())
        if len(set(values)) != len(values):
            raise ValueError("two Link Status options share one value")

    def _n(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    # --- the link columns of the six synced tables ------------------------------------------------
    @property
    def link_status(self) -> str:
        return self._n("linkstatus")

    @property
    def accounting_id(self) -> str:
        return self._n("accountingid")

    @property
    def accounting_ref(self) -> str:
        return self._n("accountingref")

    @property
    def promoted_by(self) -> str:
        """Logical name of the Promoted By lookup (to systemuser)."""
        return self._n("promotedby")

    @property
    def promoted_by_value(self) -> str:
        return f"_{self.promoted_by}_value"

    @property
    def promoted_by_bind(self) -> str:
        return f"{self.promoted_by}@odata.bind"

    @property
    def promoted_on(self) -> str:
        return self._n("promotedon")

    @property
    def sync_claim(self) -> str:
        """The claim column of the sync-lease guard (one writer per record at a time)."""
        return self._n("syncclaim")

    # --- the Low Priority service's balance columns on accounts -----------------------------------
    @property
    def open_balance(self) -> str:
        return self._n("openbalance")

    @property
    def overdue_1_to_30(self) -> str:
        return self._n("overdue1to30")

    @property
    def overdue_31_to_60(self) -> str:
        return self._n("overdue31to60")

    @property
    def overdue_61_to_90(self) -> str:
        return self._n("overdue61to90")

    @property
    def overdue_over_90(self) -> str:
        return self._n("overdueover90")

    @property
    def balance_updated_on(self) -> str:
        return self._n("balanceupdatedon")

    @property
    def balance_columns(self) -> tuple[str, ...]:
        """The money columns, in bucket order (open balance first)."""
        return (
            self.open_balance,
            self.overdue_1_to_30,
            self.overdue_31_to_60,
            self.overdue_61_to_90,
            self.overdue_over_90,
        )

    # --- aging and totals (accounts and contacts), read from QuickBooks' AgedReceivables ------------
    @property
    def aging_current(self) -> str:
        """The part of the open balance not yet due (the report's Current column)."""
        return self._n("agingcurrent")

    @property
    def last_transaction_date(self) -> str:
        return self._n("lasttransactiondate")

    @property
    def ytd_sales(self) -> str:
        return self._n("ytdsales")

    @property
    def aging_columns(self) -> tuple[str, ...]:
        """Open balance, then the report's buckets in its order: current, 1-30, 31-60, 61-90, over 90."""
        return (
            self.open_balance,
            self.aging_current,
            self.overdue_1_to_30,
            self.overdue_31_to_60,
            self.overdue_61_to_90,
            self.overdue_over_90,
        )

    # --- invoice status and balance written back from QuickBooks ------------------------------------
    @property
    def invoice_status(self) -> str:
        return self._n("invoicestatus")

    @property
    def amount_paid(self) -> str:
        return self._n("amountpaid")

    @property
    def invoice_balance(self) -> str:
        return self._n("balance")

    @property
    def accounting_due_date(self) -> str:
        """QuickBooks' DueDate (the stock `duedate` stays CRM's own, pushed once with the invoice)."""
        return self._n("accountingduedate")

    @property
    def last_payment_date(self) -> str:
        return self._n("lastpaymentdate")

    # --- payments received in QuickBooks, and their applications to invoices -------------------------
    @property
    def payment_table(self) -> str:
        return self._n("payment")

    @property
    def payments(self) -> str:
        """Entity set of the payment table."""
        return self._n("payments")

    def entity_set_for(self, entity_type: EntityType) -> str:
        """The Dataverse entity set of an Entity Type's records (Payment's and Sales Transaction's are this org's
        tables, named with its prefix)."""
        if entity_type is EntityType.PAYMENT:
            return self.payments
        if entity_type is EntityType.SALES_TRANSACTION:
            return self.sales_transactions
        return CRM_ENTITY_SET_FOR[entity_type]

    def logical_name_for(self, entity_type: EntityType) -> str:
        """The table logical name of an Entity Type's records (Payment's and Sales Transaction's: this org's)."""
        if entity_type is EntityType.PAYMENT:
            return self.payment_table
        if entity_type is EntityType.SALES_TRANSACTION:
            return self.sales_transaction_table
        return CRM_LOGICAL_NAME_FOR[entity_type]

    @property
    def payment_id(self) -> str:
        """Primary key of the payment table (and name of the application's lookup to it)."""
        return self._n("paymentid")

    def payment(self, column: str) -> str:
        """A column of the payment or application tables by its bare name: payment("amount")."""
        return self._n(column)

    @property
    def payment_key(self) -> str:
        """Alternate key on the payment's Accounting ID: one CRM payment per QuickBooks payment."""
        return self._n("paymentaccountingidkey")

    @property
    def application_table(self) -> str:
        return self._n("paymentapplication")

    @property
    def applications(self) -> str:
        return self._n("paymentapplications")

    @property
    def application_key(self) -> str:
        """Alternate key on "<payment Id>|<invoice Id>": one row per invoice a payment paid."""
        return self._n("applicationkey")

    @property
    def voided_on(self) -> str:
        """On a payment row: when QuickBooks reported the payment voided or deleted (kept, marked void)."""
        return self._n("voidedon")

    # --- transactions entered in QuickBooks, kept as history rows (InoLink's Sales Transactions) -------------
    @property
    def sales_transaction_table(self) -> str:
        return self._n("salestransaction")

    @property
    def sales_transactions(self) -> str:
        """Entity set of the sales transaction table."""
        return self._n("salestransactions")

    @property
    def sales_transaction_id(self) -> str:
        """Primary key of the sales transaction table."""
        return self._n("salestransactionid")

    def sales_transaction(self, column: str) -> str:
        """A column of the sales transaction table by its bare name: sales_transaction("amount")."""
        return self._n(column)

    @property
    def transaction_key(self) -> str:
        """Column "<QuickBooks entity>|<Id>" (Ids are unique per entity, not across them) with an alternate key."""
        return self._n("transactionkey")

    @property
    def transaction_key_key(self) -> str:
        return self._n("transactionkey_key")

    # --- the Link Job mirror table ------------------------------------------------------------------
    @property
    def link_job_table(self) -> str:
        return self._n("linkjob")

    @property
    def link_jobs(self) -> str:
        """Entity set of the mirror table."""
        return self._n("linkjobs")

    def job(self, column: str) -> str:
        """A column of the Link Job table by its bare name: job("jobnumber") -> "ino_jobnumber"."""
        return self._n(column)

    @property
    def job_number_key(self) -> str:
        return self._n("jobnumberkey")

    @property
    def regarding(self) -> str:
        """Logical name of the Link Job's polymorphic lookup to its record."""
        return self._n("regardingobjectid")

    def regarding_navigation(self, logical_name: str) -> str:
        """Navigation property of the regarding lookup for one target table."""
        return f"{self.regarding}_{logical_name}"

    # --- the sync-lease guard table -----------------------------------------------------------------
    @property
    def sync_lease_table(self) -> str:
        return self._n("synclease")

    @property
    def sync_leases(self) -> str:
        return self._n("syncleases")

    # --- choice values ------------------------------------------------------------------------------
    def option(self, status: RecordLinkStatus) -> int:
        return self.link_status_options[status]

    def linked_columns(self, accounting_id: str, accounting_ref: str | None) -> dict[str, object]:
        """What a CRM record holds once linked: Link Status Linked, Accounting ID and Ref."""
        return {
            self.link_status: self.option(RecordLinkStatus.LINKED),
            self.accounting_id: accounting_id,
            self.accounting_ref: accounting_ref,
        }

    def status_columns(self, status: RecordLinkStatus) -> dict[str, object]:
        """The write that sets a record's Link Status."""
        return {self.link_status: self.option(status)}

    def row_is(self, row: Mapping[str, object], status: RecordLinkStatus) -> bool:
        """Whether a CRM row's Link Status is `status`."""
        return row.get(self.link_status) == self.link_status_options.get(status, object())

    def status_of(self, value: object) -> RecordLinkStatus | None:
        """The record Link Status an option value stands for (None: empty or unknown, i.e. Not Linked)."""
        for status, option in self.link_status_options.items():
            if value == option:
                return status
        return None


DEFAULT_SCHEMA = CrmSchema()
"""The names of the prepared sandbox and of an org set up with the default prefix."""
