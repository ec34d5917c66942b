"""Crash loop, payments workload (issue 16's done-when): no payment is recorded twice in CRM.

A standalone sandbox runs its simulated users (`POST /_sandbox/activity {"step": n}`: payments against open
invoices, new invoices, credit memos, edits on both sides) while the real daemon (`inolink-tui --no-ui`) is
SIGKILLed again and again: sometimes at a random moment after it starts, sometimes just after one of its workers
took a Payment Link Job. A fresh `inolink-tui --once` then finishes the work. Afterwards every QuickBooks
payment of a linked customer is in CRM exactly once, with one application per invoice it paid and the amounts
QuickBooks holds, and no payment or application row is there twice.

CI runs 12 kills; INOLINK_FAULTS_LONG=1 runs 80 (and more activity).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.store import open_store
from tests.faults.processes import StandaloneSandbox, fork_server, standalone_sandbox
from tests.faults.support import scaled
from tests.faults.test_crash_loop import (
    SEED,
    client_at_time_scale,
    eventually,
    qbo_customers,
    rows,
    run_to_completion,
)

pytestmark = pytest.mark.timeout(900)

LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.LINKED]


async def post_high_priority_now(db: Path) -> None:
    store = await open_store(db)
    try:
        await store.post_request("test:crash-loop-payments", "sync-now", {"service": "high_priority"})
    finally:
        await store.close()


def holding_payment(db: Path, pid: int) -> bool:
    """This daemon's workers hold a Payment job's lease (the worker name is host:pid:pool-n)."""
    try:
        sql = "SELECT count(*) FROM jobs WHERE entity_type = 'Payment' AND lease_worker LIKE ?"
        return bool(rows(db, sql, f"%:{pid}:%")[0][0])
    except Exception:  # the store is being created by the daemon
        return False


def crm_rows(sandbox: StandaloneSandbox, entity_set: str, select: list[str]) -> list[dict[str, Any]]:
    """CRM rows read through the Dataverse connector with the config's own credentials."""
    from inolink_tui.connectors.dataverse import DataverseClient
    from inolink_tui.connectors.settings import DataverseSettings

    crm = sandbox.settings_doc()["crm"]
    settings = DataverseSettings(
        url=crm["url"],
        tenant=crm["tenant"],
        client_id=crm["client_id"],
        client_secret=crm["client_secret"],
        authority=crm["authority"],
    )

    async def read() -> list[dict[str, Any]]:
        async with DataverseClient(settings) as client:
            return await client.list_rows(entity_set, select=select)

    return asyncio.run(read())


def applied(payment: dict[str, Any]) -> dict[str, float]:
    """What QuickBooks says a payment paid: invoice Id -> amount (lines to one invoice add up)."""
    out: dict[str, float] = {}
    for line in payment.get("Line") or []:
        for txn in line.get("LinkedTxn") or []:
            if txn.get("TxnType") == "Invoice":
                out[str(txn["TxnId"])] = round(out.get(str(txn["TxnId"]), 0.0) + float(line["Amount"]), 2)
    return out


def test_sigkill_loop_records_each_payment_once(tmp_path: Path) -> None:
    kills = int(os.environ.get("INOLINK_FAULTS_KILLS") or scaled(12, 80))
    steps = scaled(10, 25)
    rng = random.Random(SEED)
    db = tmp_path / "jobs.db"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    started = time.monotonic()
    with standalone_sandbox(tmp_path, "--records", "60", "--time-scale", "30", "--seed", "7") as sandbox:
        sandbox.update_config(sync={"lease_seconds": 5, "max_attempts": 50, "workers": 4})
        every_day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        all_day = {"enabled": True, "days": every_day, "start": "00:00", "end": "23:59"}
        sandbox.update_config(
            services={"high_priority": all_day, "crm_to_quickbooks": all_day, "low_priority": all_day}
        )
        before = {p["Id"] for p in qbo_customers(sandbox, "Payment")}
        asyncio.run(post_high_priority_now(db))
        statuses: Counter[int] = Counter()
        events: Counter[str] = Counter()
        mid_payment = 0
        with fork_server(env) as server:
            for cycle in range(kills):
                # The simulated users keep working between (and during) the daemons' lives.
                for event in sandbox.control("/_sandbox/activity", {"step": steps})["events"]:
                    events[event["event"]] += 1
                asyncio.run(post_high_priority_now(db))
                out = tmp_path / f"daemon-{cycle:03}.log"
                pid = server.spawn(
                    out, "tests.faults.forkserver:run_cli", "--config", str(sandbox.config), "--db", str(db), "--no-ui"
                )
                if cycle % 2:
                    time.sleep(rng.uniform(0.3, 2.5))  # anywhere: startup, CDC, enqueue, a job
                elif eventually(lambda pid=pid: holding_payment(db, pid), 15):
                    mid_payment += 1
                    time.sleep(rng.uniform(0.0, 0.3))  # inside a Payment job: between the row and its applications
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                status = server.reap(pid)
                statuses[status] += 1
                assert status in (-signal.SIGKILL, 0, 3), f"cycle {cycle}: exit {status}\n{out.read_text()[-3000:]}"
            loop_seconds = time.monotonic() - started
            client_at_time_scale(sandbox, 30)
            run_to_completion(server, sandbox.config, db, tmp_path / "once.log")

        linked = {
            str(r["ino_accountingid"])
            for entity_set, key in (("accounts", "accountid"), ("contacts", "contactid"))
            for r in crm_rows(sandbox, entity_set, [key, "ino_linkstatus", "ino_accountingid"])
            if r.get("ino_linkstatus") == LINKED and r.get("ino_accountingid")
        }
        payments = qbo_customers(sandbox, "Payment")
        crm_payments = crm_rows(sandbox, "ino_payments", ["ino_paymentid", "ino_accountingid", "ino_amount"])
        crm_apps = crm_rows(
            sandbox, "ino_paymentapplications", ["ino_applicationkey", "ino_amountapplied", "_ino_paymentid_value"]
        )
    total_seconds = time.monotonic() - started

    new_payments = [p for p in payments if p["Id"] not in before]
    of_linked = {p["Id"]: p for p in payments if str(p["CustomerRef"]["value"]) in linked}
    recorded = Counter(str(r["ino_accountingid"]) for r in crm_payments)
    job_rows = rows(db, "SELECT accounting_id, link_status, processed_count FROM jobs WHERE entity_type = 'Payment'")
    print(
        f"{kills} kills, exits {dict(statuses)}, {mid_payment} inside a Payment job; activity {dict(events)}; "
        f"{len(new_payments)} new QuickBooks payments, {len(of_linked)} of linked customers; "
        f"{len(crm_payments)} CRM payments, {len(crm_apps)} applications; {len(job_rows)} Payment jobs; "
        f"loop {loop_seconds:.1f}s, total {total_seconds:.1f}s"
    )
    assert statuses[-signal.SIGKILL] >= kills * 0.7, f"most cycles should end in SIGKILL: {dict(statuses)}"
    assert mid_payment >= 1, "some kills should land while a Payment job is in hand"
    assert len([p for p in new_payments if p["Id"] in of_linked]) >= 5, "the activity paid linked customers' invoices"
    # Nothing recorded twice: one CRM row per QuickBooks payment, one per (payment, invoice).
    assert recorded and max(recorded.values()) == 1, recorded.most_common(3)
    keys = Counter(str(a["ino_applicationkey"]) for a in crm_apps)
    assert max(keys.values()) == 1, keys.most_common(3)
    # Every payment of a linked customer is there, with its applications as QuickBooks has them.
    assert set(of_linked) <= set(recorded), sorted(set(of_linked) - set(recorded))
    by_row = {str(r["ino_paymentid"]): r for r in crm_payments}
    for pid, payment in of_linked.items():
        row = next(r for r in crm_payments if str(r["ino_accountingid"]) == pid)
        assert float(row["ino_amount"]) == pytest.approx(float(payment["TotalAmt"])), pid
        mine = {
            str(a["ino_applicationkey"]).split("|")[1]: round(float(a["ino_amountapplied"]), 2)
            for a in crm_apps
            if by_row.get(str(a["_ino_paymentid_value"])) is row
        }
        assert mine == applied(payment), pid
    # Every Payment job finished and none is leased; a payment's jobs all name one payment row.
    assert rows(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL OR lease_worker IS NOT NULL")[0][0] == 0
    assert not [j for j in job_rows if j[1] == "Queued"]
    # Each was recorded through an ordinary Payment Link Job that ended in Success (Source Accounting), and no
    # job was processed more often than the kills explain.
    succeeded = {str(j[0]) for j in job_rows if j[1] == "Success"}
    assert set(of_linked) <= succeeded, sorted(set(of_linked) - succeeded)
    assert max(j[2] for j in job_rows) <= 1 + kills
    sources = rows(db, "SELECT DISTINCT source FROM jobs WHERE entity_type = 'Payment'")
    assert sources == [("Accounting",)]
