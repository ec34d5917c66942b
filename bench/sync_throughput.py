"""Bulk sync throughput against the sandbox's published limits, beside a naive baseline (issue 8).

    uv run python bench/sync_throughput.py            # 300 records at time scale 2
    uv run python bench/sync_throughput.py --quick    # 60 records at time scale 4: a smoke run, under a minute
    uv run python bench/sync_throughput.py --accounts 800 --contacts 400 --products 400 --invoices 800

What runs: the sandbox (`inolink-tui sandbox serve`, its own process, as the real services are
remote) with QuickBooks' limits (500 requests a minute, 10 a second, 10 in flight) and Dataverse's
(6,000 requests per 5 minutes, 52 in flight), every request held for a realistic service latency,
all on a clock sped up `--time-scale` times. A bulk promote of accounts, contacts, products and
invoices (with lines) is synced twice, by each side on its own sandbox: the baseline's starts
from a `--state` snapshot of the engine's taken once the workload was built, so both sync the
same records.

1. by our engine (the CRM to QuickBooks service: one cycle that enqueues the promoted records and
   drains them with its worker pool), built as `engine.factory.build_engine` builds it except that
   its connectors' rate limiters run on a clock scaled like the sandbox's, and the engine's clock
   reads the sandbox's service time (promoted-on stamps and job times agree). So the engine
   paces itself against the same service minute the sandbox counts;
2. by the naive baseline below: a plain loop with httpx, one record at a time (GET the CRM row,
   query QuickBooks by name or number, POST the create, PATCH the CRM row back), no batching,
   no caching, no concurrency.

Rates are per *service* minute (what the same run would do against the real services); wall
figures are reported too. The ceiling share counts answered QuickBooks requests (a 429 uses no
window) over 500 a minute for the whole cycle, and again for the span between the first and the
last QuickBooks request. Above what the machine's CPU can serve, a higher time scale measures the
CPU rather than the pacing: keep it low on a small or busy machine. Ends with the line
`sync: jobs_per_min=X ceiling_share=Y naive_ratio=Z throttled=N`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import load_average, machine, peak_rss_mib, rss_mib, stamp, write_results  # noqa: E402

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS  # noqa: E402
from inolink_tui.domain.enums import EntityType, LinkStatus, RecordLinkStatus  # noqa: E402
from inolink_tui.domain.mapping import (  # noqa: E402
    ItemAccounts,
    ServiceItems,
    crm_to_customer,
    crm_to_item,
    crm_to_transaction,
    line_products,
    record_name,
)
from inolink_tui.domain.mapping.customers import qbo_name  # noqa: E402
from inolink_tui.domain.mapping.transactions import accounting_ref  # noqa: E402

QBO_PER_MINUTE = 500
"""The QuickBooks ceiling: 500 requests per minute per realm (10 a second would allow 600)."""
TO_BE_LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.TO_BE_LINKED]
LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.LINKED]
SETS = {"accounts": "accountid", "contacts": "contactid", "products": "productid", "invoices": "invoiceid"}
STARTUP_SECONDS = 30.0
log = logging.getLogger("bench.sync")


# --- the workload ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    accounts: int
    contacts: int
    products: int
    invoices: int
    seed: int = 11

    @property
    def records(self) -> int:
        return self.accounts + self.contacts + self.products + self.invoices


@dataclass
class Limits:
    time_scale: float
    qbo_latency: float
    dataverse_latency: float


class ScaledClock:
    """The connectors' limiter clock on service time: monotonic runs `scale` times faster, sleeps shrink.

    The sandbox counts its windows on its own clock at the same scale; the two only need the same
    rate (windows slide), not the same origin.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


class ServiceTime:
    """The engine's clock on the sandbox's service time, so promoted-on stamps and job times agree.

    Read once from `/_sandbox/clock`, then advanced locally at the same scale.
    """

    def __init__(self, now: datetime, scale: float) -> None:
        self.origin = now
        self.scale = scale
        self._wall = time.monotonic()

    def __call__(self) -> datetime:
        return self.origin + timedelta(seconds=(time.monotonic() - self._wall) * self.scale)


@dataclass
class Sandbox:
    info: dict[str, str]
    config: Path
    process: asyncio.subprocess.Process
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=60))

    @property
    def base(self) -> str:
        return self.info["crm_url"].rstrip("/")

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            response = await self.http.get(f"{self.base}/_sandbox/{path}")
        else:
            response = await self.http.post(f"{self.base}/_sandbox/{path}", json=body)
        if response.status_code != 200:
            raise RuntimeError(f"sandbox {path}: {response.status_code} {response.text[:300]}")
        return response.json()


@contextlib.asynccontextmanager
async def sandbox_process(
    folder: Path, work: Workload, limits: Limits, state: Path, port: int = 0
) -> AsyncIterator[Sandbox]:
    """`inolink-tui sandbox serve` in its own process, configured with the benchmark's latencies.

    `state` is its `--state` file: the baseline's sandbox starts from a copy of the engine's, taken
    after the workload was built, so both sync exactly the same records.
    """
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - before the sandbox starts, nothing waits
    config = folder / "s.toml"
    cli = Path(sys.executable).with_name("inolink-tui")
    command = [str(cli)] if cli.exists() else [sys.executable, "-c", "from inolink_tui.cli import main; main()"]
    stderr = (folder / "sandbox.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *command,
        "sandbox",
        "serve",
        "--records",
        "0",
        "--seed",
        str(work.seed),
        "--time-scale",
        str(limits.time_scale),
        "--write-config",
        str(config),
        "--state",
        str(state),
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), STARTUP_SECONDS)
        if not line:
            raise RuntimeError(f"the sandbox did not start; see {folder / 'sandbox.log'}")
        sandbox = Sandbox(json.loads(line), config, process)
        try:
            await sandbox.control("qbo/limits", {"latency_seconds": limits.qbo_latency})
            await sandbox.control("dataverse/limits", {"latency_seconds": limits.dataverse_latency})
            yield sandbox
        finally:
            await sandbox.http.aclose()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        stderr.close()


async def build_workload(sandbox: Sandbox, work: Workload) -> dict[str, list[str]]:
    """Create the records through the sandbox's control API, then promote them as InoLink's button does."""
    rng = random.Random(work.seed)
    ids: dict[str, list[str]] = {name: [] for name in SETS}

    async def create(entity_set: str, row: dict[str, Any]) -> str:
        created = await sandbox.control("crm/create", {"entity_set": entity_set, "row": row})
        return str(created[SETS.get(entity_set, f"{entity_set[:-1]}id")])

    for i in range(work.accounts):
        ids["accounts"].append(
            await create(
                "accounts",
                {
                    "name": f"Bench Account {i:05d}",
                    "accountnumber": f"BA-{i:05d}",
                    "telephone1": f"(650) 555-{rng.randint(1000, 9999)}",
                    "emailaddress1": f"billing{i}@bench-account.example",
                    "address1_line1": f"{rng.randint(10, 9999)} Market St.",
                    "address1_city": "Bayshore",
                    "address1_stateorprovince": "CA",
                    "address1_postalcode": "94326",
                    "address1_country": "US",
                },
            )
        )
    for i in range(work.contacts):
        row: dict[str, Any] = {
            "firstname": "Bench",
            "lastname": f"Contact {i:05d}",
            "emailaddress1": f"contact{i}@bench-contact.example",
            "telephone1": f"(415) 555-{rng.randint(1000, 9999)}",
        }
        if ids["accounts"]:
            row["parentcustomerid_account@odata.bind"] = f"/accounts({rng.choice(ids['accounts'])})"
        ids["contacts"].append(await create("contacts", row))
    prices: dict[str, float] = {}
    for i in range(work.products):
        price = float(rng.randint(5, 400))
        pid = await create(
            "products",
            {
                "name": f"Bench Product {i:05d}",
                "productnumber": f"BP-{i:05d}",
                "description": "benchmark product",
                "price": price,
                "standardcost": round(price * 0.6, 2),
                "producttypecode": rng.choice((1, 2, 3)),
            },
        )
        ids["products"].append(pid)
        prices[pid] = price
    if work.invoices and not (ids["accounts"] and ids["products"]):
        raise SystemExit("invoices need at least one account and one product")
    for i in range(work.invoices):
        lines = [(rng.choice(ids["products"]), rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
        total = sum(prices[p] * q for p, q in lines)
        invoice = await create(
            "invoices",
            {
                "name": f"Bench Invoice {i:05d}",
                "invoicenumber": f"BI-{i:05d}",
                "customerid_account@odata.bind": f"/accounts({rng.choice(ids['accounts'])})",
                "totallineitemamount": total,
                "totalamount": total,
                "discountamount": 0.0,
                "freightamount": 0.0,
            },
        )
        for number, (product, qty) in enumerate(lines, start=1):
            await create(
                "invoicedetails",
                {
                    "_invoiceid_value": invoice,
                    "_productid_value": product,
                    "quantity": qty,
                    "priceperunit": prices[product],
                    "baseamount": prices[product] * qty,
                    "extendedamount": prices[product] * qty,
                    "lineitemnumber": number,
                },
            )
        ids["invoices"].append(invoice)
    for entity_set, chunk in ids.items():
        if chunk:
            await sandbox.control("promote", {"entity_set": entity_set, "ids": chunk})
    return ids


# --- measuring a run ---------------------------------------------------------------------------
@dataclass
class RunFigures:
    jobs: int
    succeeded: int
    failed: int
    wall_seconds: float
    qbo_requests: int
    qbo_throttled: int
    dataverse_requests: int
    dataverse_throttled: int
    qbo_busy_seconds: float
    linked_in_crm: int
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, scale: float) -> dict[str, Any]:
        service_minutes = self.wall_seconds * scale / 60
        busy_minutes = self.qbo_busy_seconds * scale / 60
        # A refused (429) request does not count against QuickBooks' window: only answered ones use it.
        answered = self.qbo_requests - self.qbo_throttled
        return {
            "jobs": self.jobs,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "linked_in_crm": self.linked_in_crm,
            "wall_seconds": round(self.wall_seconds, 2),
            "service_minutes": round(service_minutes, 3),
            "jobs_per_min": round(self.jobs / service_minutes, 1) if service_minutes else None,
            "jobs_per_wall_min": round(self.jobs / self.wall_seconds * 60, 1) if self.wall_seconds else None,
            "qbo_requests": self.qbo_requests,
            "qbo_requests_answered": answered,
            "qbo_requests_per_job": round(self.qbo_requests / self.jobs, 3) if self.jobs else None,
            "qbo_requests_per_min": round(self.qbo_requests / service_minutes, 1) if service_minutes else None,
            "ceiling_share": round(answered / (QBO_PER_MINUTE * service_minutes), 3) if service_minutes else None,
            "ceiling_share_while_sending": round(answered / (QBO_PER_MINUTE * busy_minutes), 3)
            if busy_minutes
            else None,
            "qbo_429": self.qbo_throttled,
            "qbo_429_share": round(self.qbo_throttled / self.qbo_requests, 4) if self.qbo_requests else 0.0,
            "dataverse_requests": self.dataverse_requests,
            "dataverse_requests_per_job": round(self.dataverse_requests / self.jobs, 3) if self.jobs else None,
            "dataverse_429": self.dataverse_throttled,
            **self.extra,
        }


async def request_counts(sandbox: Sandbox) -> tuple[Counter[str], Counter[str], float]:
    """Requests and 429s per API since the last reset, and the span between the first and last QBO request."""
    stats = await sandbox.control("stats?api=qbo")
    requests, throttled = Counter(stats["requests"]), Counter(stats["throttled"])
    times = [entry["wall_time"] for entry in stats["log"]]
    busy = max(times) - min(times) if len(times) > 1 else 0.0
    return requests, throttled, busy


async def linked_rows(sandbox: Sandbox, ids: dict[str, list[str]]) -> int:
    """Workload rows whose CRM Link Status is Linked now (read from the sandbox, not from our store)."""
    wanted = {i.lower() for chunk in ids.values() for i in chunk}
    token = await entra_token(sandbox.http, sandbox.info)
    found = 0
    for entity_set, key in SETS.items():
        url: str | None = f"{sandbox.base}/api/data/v9.2/{entity_set}?$select={key}&$filter=ino_linkstatus eq {LINKED}"
        while url:
            response = await sandbox.http.get(url, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            body = response.json()
            found += sum(1 for row in body["value"] if str(row[key]).lower() in wanted)
            url = body.get("@odata.nextLink")
    return found


async def entra_token(http: httpx.AsyncClient, info: dict[str, str]) -> str:
    response = await http.post(
        f"{info['aad_authority'].rstrip('/')}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info["crm_client_id"],
            "client_secret": info["crm_client_secret"],
            "scope": f"{info['crm_url'].rstrip('/')}/.default",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


# --- our engine --------------------------------------------------------------------------------
async def run_engine(
    sandbox: Sandbox, limits: Limits, workers: int | None, folder: Path, *, live: bool = False
) -> RunFigures:
    from inolink_tui.config.load import load_settings
    from inolink_tui.connectors.dataverse import DataverseClient
    from inolink_tui.connectors.quickbooks import QuickBooksClient
    from inolink_tui.connectors.settings import dataverse_settings_from, quickbooks_settings_from
    from inolink_tui.domain.events import EventBus, Throttled
    from inolink_tui.engine.adapters import DataverseCrm, QuickBooksAccounting
    from inolink_tui.engine.factory import forward_connector_events
    from inolink_tui.engine.options import EngineOptions
    from inolink_tui.engine.runtime import Engine
    from inolink_tui.store import open_store
    from inolink_tui.store.tokens import TokenStore

    scale = limits.time_scale
    settings = load_settings(sandbox.config)
    store = await open_store(folder / "jobs.db")
    # The same construction as engine.factory.build_engine, plus the scaled clock for the limiters.
    bus = EventBus()
    throttle_events: list[Any] = []
    bus.on(throttle_events.append, Throttled)
    sink = forward_connector_events(bus)
    clock = ScaledClock(scale)
    dv = dataverse_settings_from(settings.crm)
    qs = quickbooks_settings_from(settings.quickbooks)
    assert qs.token_file is not None
    crm_client = DataverseClient(dv, events=sink, clock=clock)
    qbo_client = QuickBooksClient(qs, store=TokenStore(qs.token_file), events=sink, clock=clock)
    sandbox_clock = await sandbox.control("clock")
    service_now = ServiceTime(datetime.fromisoformat(sandbox_clock["now"]), scale)
    defaults = EngineOptions()
    # The engine's times are service times now; its few wall-clock waits (the drain's poll, the
    # lease heartbeat) keep their production lengths in wall seconds.
    overrides: dict[str, Any] = {"lease_seconds": defaults.lease_seconds * scale}
    if workers is not None:
        overrides["workers"] = workers
    if live:  # --live: live mode's loops run beside the bulk load, at their default cadences in service time
        from dataclasses import replace

        from inolink_tui.engine.options import HIGH_PRIORITY, LOW_PRIORITY, LiveOptions, ServiceWindow

        d = LiveOptions()
        overrides["live"] = replace(
            d,
            crm_min_seconds=d.crm_min_seconds / scale,
            crm_max_seconds=d.crm_max_seconds / scale,
            quickbooks_min_seconds=d.quickbooks_min_seconds / scale,
            quickbooks_max_seconds=d.quickbooks_max_seconds / scale,
            full_scan_seconds=d.full_scan_seconds / scale,
        )
        overrides["services"] = {
            "crm_to_quickbooks": ServiceWindow(),
            HIGH_PRIORITY: ServiceWindow(),
            LOW_PRIORITY: ServiceWindow(enabled=False),
        }
    options = EngineOptions.from_settings(settings, company=qs.realm_id, **overrides)
    engine = Engine(
        store,
        DataverseCrm(crm_client),
        QuickBooksAccounting(qbo_client),
        options,
        bus=bus,
        clock=service_now,
        closers=(crm_client.aclose, qbo_client.aclose),
    )
    try:
        await sandbox.control("stats/reset", {})
        started = time.perf_counter()
        if live:
            # The live loop's first poll is the whole CRM to QuickBooks cycle (the bulk); CDC polls run beside it.
            runner = engine.scheduler.runners["crm_to_quickbooks"]
            await engine.start()
            while runner.runs < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            assert runner.last_result is not None
            finished = runner.last_result
        else:
            finished = await engine.cycles.crm_to_quickbooks()
        wall = time.perf_counter() - started
        requests, throttled, busy = await request_counts(sandbox)
        counts = await store.counts()
    finally:
        await engine.stop()
        await store.close()
    by_status = {s: counts.by_status.get(s, 0) for s in LinkStatus}
    return RunFigures(
        jobs=by_status[LinkStatus.SUCCESS] + by_status[LinkStatus.ERROR],
        succeeded=by_status[LinkStatus.SUCCESS],
        failed=by_status[LinkStatus.ERROR],
        wall_seconds=wall,
        qbo_requests=requests["qbo"],
        qbo_throttled=throttled["qbo"],
        dataverse_requests=requests["dataverse"],
        dataverse_throttled=throttled["dataverse"],
        qbo_busy_seconds=busy,
        linked_in_crm=0,
        extra={
            "workers": options.workers,
            "left_queued": by_status[LinkStatus.QUEUED],
            "cycle_error": finished.error,
            "live_mode": live,
            "live_cdc_polls": engine.live.polls["high_priority"] if engine.live is not None else 0,
            "throttle_events": len(throttle_events),
            "peak_rss_mib": peak_rss_mib(),
            "rss_after_mib": rss_mib(),
        },
    )


# --- the naive baseline ------------------------------------------------------------------------
class NaiveSync:
    """One record at a time with a plain httpx client: read, look up, create, write back.

    No batching, no cache, no concurrency, no pacing (serial requests stay under the limits by
    themselves); a 429 is waited out and retried so the baseline is not cut short by one. The
    QuickBooks bodies come from the same pure mapping functions as the engine's, so the two
    differ only in how the requests are orchestrated.
    """

    def __init__(self, info: dict[str, str], scale: float) -> None:
        self.info = info
        self.scale = scale
        self.http = httpx.Client(timeout=60)
        self.api = f"{info['crm_url'].rstrip('/')}/api/data/v9.2"
        self.company = f"{info['qbo_base_url'].rstrip('/')}/v3/company/{info['realm_id']}"
        self.refresh_token = info["qbo_refresh_token"]
        self.crm_token = ""
        self.qbo_token = ""
        self.throttled = 0
        self.errors: list[str] = []

    # tokens
    def _crm_token(self) -> None:
        response = self.http.post(
            f"{self.info['aad_authority'].rstrip('/')}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.info["crm_client_id"],
                "client_secret": self.info["crm_client_secret"],
                "scope": f"{self.info['crm_url'].rstrip('/')}/.default",
            },
        )
        response.raise_for_status()
        self.crm_token = response.json()["access_token"]

    def _qbo_token(self) -> None:
        discovery = self.http.get(self.info["intuit_discovery_url"]).json()
        response = self.http.post(
            discovery["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
            auth=(self.info["qbo_client_id"], self.info["qbo_client_secret"]),
            headers={"Accept": "application/json"},
        )
        response.raise_for_status()
        body = response.json()
        self.qbo_token, self.refresh_token = body["access_token"], body["refresh_token"]

    def _send(self, method: str, url: str, *, qbo: bool, **kwargs: Any) -> httpx.Response:
        for _ in range(20):
            token = self.qbo_token if qbo else self.crm_token
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **kwargs.pop("headers", {})}
            response = self.http.request(method, url, headers=headers, **kwargs)
            if response.status_code == 401:
                self._qbo_token() if qbo else self._crm_token()
                continue
            if response.status_code == 429:
                self.throttled += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            return response
        raise RuntimeError(f"{method} {url}: gave up after 20 tries")

    def crm_get(self, path: str) -> dict[str, Any]:
        response = self._send("GET", f"{self.api}/{path}", qbo=False)
        response.raise_for_status()
        return dict(response.json())

    def crm_patch(self, entity_set: str, row_id: str, columns: dict[str, Any]) -> None:
        response = self._send(
            "PATCH", f"{self.api}/{entity_set}({row_id})", qbo=False, json=columns, headers={"If-Match": "*"}
        )
        response.raise_for_status()

    def qbo_query(self, statement: str) -> list[dict[str, Any]]:
        response = self._send(
            "GET", f"{self.company}/query", qbo=True, params={"query": statement, "minorversion": "75"}
        )
        response.raise_for_status()
        result = response.json().get("QueryResponse", {})
        return [row for key, rows in result.items() if isinstance(rows, list) for row in rows]

    def qbo_create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._send(
            "POST", f"{self.company}/{entity.lower()}", qbo=True, json=body, params={"minorversion": "75"}
        )
        if response.status_code != 200:
            raise ValueError(f"{entity} create: {response.status_code} {response.text[:200]}")
        return dict(response.json()[entity])

    # the loop
    def promoted(self, entity_set: str, key: str) -> list[str]:
        rows = self.crm_get(f"{entity_set}?$select={key}&$filter=ino_linkstatus eq {TO_BE_LINKED}")["value"]
        return [str(r[key]) for r in rows]

    def run(self) -> tuple[int, int]:
        self._crm_token()
        self._qbo_token()
        # Set-up a script needs once: where new items book their income, and the service items.
        accounts = self.qbo_query("select * from Account")

        def first(kind: str, subtype: str | None = None) -> str | None:
            rows = [a for a in accounts if a.get("AccountType") == kind]
            rows = [a for a in rows if not subtype or a.get("AccountSubType") == subtype] or rows
            return str(rows[0]["Id"]) if rows else None

        item_accounts = ItemAccounts(
            first("Income", "SalesOfProductIncome"),
            first("Cost of Goods Sold"),
            first("Other Current Asset", "Inventory"),
        )
        service_items = ServiceItems()
        done = failed = 0
        for entity_set, et in (
            ("accounts", EntityType.ACCOUNT),
            ("contacts", EntityType.CONTACT),
            ("products", EntityType.PRODUCT),
            ("invoices", EntityType.INVOICE),
        ):
            key = SETS[entity_set]
            for row_id in self.promoted(entity_set, key):
                try:
                    self.one(entity_set, et, row_id, item_accounts, service_items)
                    done += 1
                except (ValueError, KeyError, httpx.HTTPStatusError) as exc:
                    failed += 1
                    self.errors.append(f"{entity_set} {row_id}: {exc}")
        self.http.close()
        return done, failed

    def one(
        self, entity_set: str, et: EntityType, row_id: str, item_accounts: ItemAccounts, service_items: ServiceItems
    ) -> None:
        row = self.crm_get(f"{entity_set}({row_id})")
        if et is EntityType.INVOICE:
            customer = self.crm_get(f"accounts({row['_customerid_value']})?$select=ino_accountingid")
            lines = self.crm_get(f"invoicedetails?$filter=_invoiceid_value eq {row_id}")["value"]
            item_ids: dict[str, str] = {}
            for pid in line_products(lines):
                product = self.crm_get(f"products({pid})?$select=ino_accountingid")
                if product.get("ino_accountingid"):
                    item_ids[pid.lower()] = str(product["ino_accountingid"])
            number = str(row.get("invoicenumber") or "")
            found = self.qbo_query(f"select * from Invoice where DocNumber = '{number}'") if number else []
            if found:
                created = found[0]
            else:
                if not customer.get("ino_accountingid"):
                    raise ValueError("the invoice's customer is not linked")
                body = crm_to_transaction(
                    et,
                    row,
                    lines,
                    customer_qbo_id=str(customer["ino_accountingid"]),
                    item_ids=item_ids,
                    service_items=service_items,
                )
                created = self.qbo_create("Invoice", body)
            ref = accounting_ref(et, created)
        else:
            entity = "Item" if et is EntityType.PRODUCT else "Customer"
            name = qbo_name(record_name(et, row))
            column = "Name" if entity == "Item" else "DisplayName"
            escaped = name.replace("'", "\\'")
            found = self.qbo_query(f"select * from {entity} where {column} = '{escaped}'")
            if found:
                created = found[0]
            elif et is EntityType.PRODUCT:
                created = self.qbo_create(
                    "Item", crm_to_item(row, item_accounts, for_create=True, today=datetime.now(UTC).date())
                )
            else:
                created = self.qbo_create("Customer", crm_to_customer(et, row))
            ref = name
        self.crm_patch(
            entity_set,
            row_id,
            {"ino_linkstatus": LINKED, "ino_accountingid": str(created["Id"]), "ino_accountingref": ref},
        )


async def run_naive(sandbox: Sandbox, limits: Limits) -> RunFigures:
    naive = NaiveSync(sandbox.info, limits.time_scale)
    await sandbox.control("stats/reset", {})
    started = time.perf_counter()
    done, failed = await asyncio.to_thread(naive.run)
    wall = time.perf_counter() - started
    requests, throttled, busy = await request_counts(sandbox)
    return RunFigures(
        jobs=done + failed,
        succeeded=done,
        failed=failed,
        wall_seconds=wall,
        qbo_requests=requests["qbo"],
        qbo_throttled=throttled["qbo"],
        dataverse_requests=requests["dataverse"],
        dataverse_throttled=throttled["dataverse"],
        qbo_busy_seconds=busy,
        linked_in_crm=0,
        extra={"first_errors": naive.errors[:5]},
    )


# --- main --------------------------------------------------------------------------------------
@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    yield


async def measure(
    work: Workload, limits: Limits, workers: int | None, skip_naive: bool, live: bool = False
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    ids: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="inolink-sync-bench-") as tmp:
        snapshot = Path(tmp) / "workload-state.json"
        port = 0
        for label in ("engine", "naive"):
            if label == "naive" and skip_naive:
                continue
            folder = Path(tmp) / label
            state = folder / "state.json"
            if label == "naive":
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(snapshot, state)
            # The restored company's Entra app is registered for the first sandbox's URL: same port.
            async with sandbox_process(folder, work, limits, state, port) as sandbox:
                port = int(sandbox.base.rsplit(":", 1)[1])
                if label == "engine":
                    t0 = time.perf_counter()
                    ids = await build_workload(sandbox, work)
                    await sandbox.control("save", {})
                    shutil.copyfile(state, snapshot)
                    print(f"workload of {work.records:,} promoted records built in {time.perf_counter() - t0:.1f} s")
                load_before = load_average()
                if label == "engine":
                    figures = await run_engine(sandbox, limits, workers, folder, live=live)
                else:
                    figures = await run_naive(sandbox, limits)
                figures.linked_in_crm = await linked_rows(sandbox, ids)
                summary = figures.summary(limits.time_scale)
                summary["load_average_before_after"] = [load_before, load_average()]
                results[label] = summary
                print(f"{label}: " + json.dumps(summary))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 accounts, 10 contacts, 10 products, 20 invoices")
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--contacts", type=int, default=50)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument(
        "--time-scale",
        type=float,
        help="service seconds per wall second (default 2, --quick 4); above what the machine's CPU can serve,"
        " the figures measure the CPU, not the pacing",
    )
    parser.add_argument("--qbo-latency", type=float, default=0.3, help="service seconds per QuickBooks request")
    parser.add_argument("--dataverse-latency", type=float, default=0.15, help="service seconds per Dataverse request")
    parser.add_argument("--workers", type=int, help="engine workers (default: the config default)")
    parser.add_argument("--no-naive", action="store_true", help="skip the baseline (no ratio is reported)")
    parser.add_argument(
        "--live", action="store_true", help="run the engine in live mode (its CDC polls beside the bulk load)"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.time_scale is None:
        args.time_scale = 4.0 if args.quick else 2.0
    if args.quick:
        work = Workload(20, 10, 10, 20)
    else:
        work = Workload(args.accounts, args.contacts, args.products, args.invoices)
    if min(work.accounts, work.contacts, work.products, work.invoices) < 0 or work.records == 0:
        parser.error("sizes must be non-negative and not all zero")
    if max(work.accounts, work.contacts, work.products, work.invoices) > 5000:
        parser.error("at most 5,000 per table (the engine reads up to 5,000 promoted records per table per cycle)")
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    limits = Limits(args.time_scale, args.qbo_latency, args.dataverse_latency)
    before = machine()
    started = stamp()
    with quiet_logs():
        results = asyncio.run(measure(work, limits, args.workers, args.no_naive, args.live))
    engine = results["engine"]
    naive = results.get("naive")
    ratio = round(engine["jobs_per_min"] / naive["jobs_per_min"], 2) if naive and naive["jobs_per_min"] else None
    report = {
        "benchmark": "sync_throughput",
        "timestamp": started,
        "machine": before,
        "machine_after": {"load_average_1_5_15": load_average()},
        "workload": {**work.__dict__, "records": work.records, "quick": args.quick, "live_mode": args.live},
        "limits": {
            "time_scale": limits.time_scale,
            "qbo_requests_per_minute": QBO_PER_MINUTE,
            "qbo_requests_per_second": 10,
            "qbo_max_concurrency": 10,
            "qbo_latency_service_s": limits.qbo_latency,
            "dataverse_requests_per_5min": 6000,
            "dataverse_max_concurrency": 52,
            "dataverse_latency_service_s": limits.dataverse_latency,
        },
        "rates_are": "per service minute (wall minutes x time_scale)",
        "engine": engine,
        "naive": naive,
        "naive_ratio": ratio,
    }
    path = write_results("sync_throughput", report, args.out, keep_runs=6)
    print(f"wrote {path}")
    print(
        f"sync: jobs_per_min={engine['jobs_per_min']} ceiling_share={engine['ceiling_share']}"
        f" naive_ratio={ratio} throttled={engine['qbo_429']}"
    )


if __name__ == "__main__":
    main()
