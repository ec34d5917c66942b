"""The engine's own view of the configuration, so it can be built without a config file in tests.

`EngineOptions.from_settings` reads the `[services]` and `[sync]` sections of the pydantic Settings
(duck-typed, since config sits beside the engine rather than below it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, time, timedelta, tzinfo
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA, CrmSchema
from inolink_tui.domain.enums import DeadlockWin, NameMatching
from inolink_tui.domain.mapping.custom import LocatedMapping
from inolink_tui.domain.mapping.customers import CustomerPolicy
from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.domain.transaction_history import TransactionPolicy, transaction_policy
from inolink_tui.domain.vocabulary import SyncService
from inolink_tui.engine.lifecycle import LifecyclePolicy, policy_values

HIGH_PRIORITY = SyncService.HIGH_PRIORITY
LOW_PRIORITY = SyncService.LOW_PRIORITY
CRM_TO_QUICKBOOKS = SyncService.CRM_TO_QUICKBOOKS
SERVICE_NAMES: tuple[str, ...] = tuple(SyncService)
"""In the order `run_once` runs them (see engine/runtime.py)."""


@dataclass(frozen=True, slots=True)
class ServiceWindow:
    """When a service runs: on `days` (Monday = 0), from `start` to `end` inclusive, every `interval`.

    The low-priority service counts its interval from midnight (start 00:00, end 23:59).
    """

    enabled: bool = True
    days: frozenset[int] = frozenset(range(7))
    start: time = time(0, 0)
    end: time = time(23, 59)
    interval: timedelta = timedelta(minutes=60)

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("a service interval must be positive")
        if not self.days <= frozenset(range(7)):
            raise ValueError("days are weekday numbers 0 (Monday) to 6 (Sunday)")
        if self.end < self.start:
            raise ValueError("a service window must end after it starts")


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """Live mode (engine/live.py): each change feed polled at an adaptive cadence instead of on a schedule.

    `crm_per_hour` / `quickbooks_per_hour` are the APIs' request budgets (Dataverse 6,000 per 5 minutes, QuickBooks
    500 a minute), against which the idle cost is reported."""

    crm_min_seconds: float = 2.0
    crm_max_seconds: float = 10.0
    quickbooks_min_seconds: float = 5.0
    quickbooks_max_seconds: float = 30.0
    full_scan_seconds: float = 300.0
    backoff: float = 1.5
    crm_per_hour: float = 6000 * 12
    quickbooks_per_hour: float = 500 * 60


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """[sync] and [services], plus the engine's tuning knobs."""

    name_matching: NameMatching = NameMatching.EXACT
    deadlock_win: DeadlockWin = DeadlockWin.CRM
    auto_create_missing_customer: bool = True
    write_in_item: str = "Write-In"
    discount_item: str = "Discount"
    shipping_item: str = "Shipping"
    max_attempts: int = 5
    create_from_quickbooks: bool = True
    payments: bool = True
    invoice_status: bool = True
    workers: int = 10
    lease_seconds: float = 60.0
    company: str = ""
    """QuickBooks realm id the jobs belong to (the Link Job's company)."""
    income_account: str | None = None
    """QuickBooks Income account for new items; None: the first Income account QuickBooks lists."""
    expense_account: str | None = None
    asset_account: str | None = None
    backoff_base_seconds: float = 30.0
    dependency_poll_seconds: float = 1.0
    """How long a job waiting on another record's job is deferred before it looks again."""
    dependency_max_wait: float = 900.0
    """The longest a job waits for the same other job before it ends in Error (class reference) with a hint."""
    once_wait_seconds: float = 60.0
    """--once: the longest a drain waits for deferred jobs that are about to become due."""
    batch_size: int = 25
    timezone: tzinfo = UTC
    schema: CrmSchema = DEFAULT_SCHEMA
    """[crm.schema]: the names of InoLink's columns and tables in CRM, and the Link Status values."""
    lifecycle: LifecyclePolicy = field(default_factory=LifecyclePolicy)
    """[sync] inactive and deleted records, both ways (engine/lifecycle.py)."""
    money: MoneyPolicy = field(default_factory=MoneyPolicy)
    """[sync] tax codes and payment terms on pushed transactions (domain/mapping/money.py)."""
    customers: CustomerPolicy = field(default_factory=CustomerPolicy)
    """[sync] customer types and primary contact (domain/mapping/customers.py)."""
    transactions: TransactionPolicy = field(default_factory=TransactionPolicy)
    """[sync] transactions entered in QuickBooks and payments removed there (domain/transaction_history.py)."""
    unit_group: str = "Default Unit"
    """[sync] unit_group / default_unit: the CRM Unit Group and unit of products created from QuickBooks."""
    default_unit: str = "Primary Unit"
    mappings: tuple[LocatedMapping, ...] = ()
    """[[mapping.<entity>]]: the config's custom field mappings, applied on top of the built-in ones."""
    live: LiveOptions | None = None
    """Live mode's cadences; None runs the services on their schedules (InoLink's intervals)."""
    services: dict[str, ServiceWindow] = field(
        default_factory=lambda: {
            CRM_TO_QUICKBOOKS: ServiceWindow(days=frozenset(range(6)), interval=timedelta(minutes=60)),
            HIGH_PRIORITY: ServiceWindow(start=time(8), end=time(17), interval=timedelta(minutes=30)),
            LOW_PRIORITY: ServiceWindow(days=frozenset(range(6)), interval=timedelta(hours=24)),
        }
    )

    @classmethod
    def from_settings(cls, settings: Any, *, company: str = "", **overrides: Any) -> EngineOptions:
        sync = settings.sync
        services: dict[str, ServiceWindow] = {}
        for name in SERVICE_NAMES:
            sched = getattr(settings.services, name)
            start, end = sched.start, sched.end
            if name == LOW_PRIORITY:
                interval = timedelta(hours=int(sched.interval_hours))
            else:
                interval = timedelta(minutes=int(sched.interval_minutes))
            days = frozenset(int(getattr(d, "number", d)) for d in sched.days)
            services[name] = ServiceWindow(bool(sched.enabled), days, start, end, interval)
        values: dict[str, Any] = {
            "name_matching": sync.name_matching,
            "deadlock_win": sync.deadlock_win,
            "auto_create_missing_customer": sync.auto_create_missing_customer,
            "write_in_item": sync.write_in_item,
            "discount_item": sync.discount_item,
            "shipping_item": sync.shipping_item,
            "max_attempts": sync.max_attempts,
            "create_from_quickbooks": sync.create_from_quickbooks,
            "payments": sync.payments,
            "invoice_status": sync.invoice_status,
            "workers": sync.workers,
            "lease_seconds": sync.lease_seconds,
            "company": company,
            "services": services,
            "timezone": settings.services.zone(),
            "mappings": tuple(settings.mapping),
            "unit_group": sync.unit_group,
            "default_unit": sync.default_unit,
        }
        if settings.services.mode == "live":
            values["live"] = live_options(settings)
        values.update(policy_values(sync))
        values["transactions"] = transaction_policy(sync)
        values["schema"] = settings.crm.crm_schema.to_schema()
        values.update(overrides)
        return cls(**values)


def live_options(settings: Any) -> LiveOptions:
    """[services.live] and the two connections' budgets, per hour."""
    live = settings.services.live
    return LiveOptions(
        crm_min_seconds=float(live.crm_min_seconds),
        crm_max_seconds=float(live.crm_max_seconds),
        quickbooks_min_seconds=float(live.quickbooks_min_seconds),
        quickbooks_max_seconds=float(live.quickbooks_max_seconds),
        full_scan_seconds=float(live.full_scan_minutes) * 60,
        crm_per_hour=float(settings.crm.requests_per_5min) * 12,
        quickbooks_per_hour=float(settings.quickbooks.requests_per_minute) * 60,
    )
