"""Crash loop: the real daemon SIGKILLed at random moments during a bulk sync, restarted each time.

A standalone sandbox (`inolink-tui sandbox serve`) holds a few hundred promoted CRM accounts. The
daemon (`inolink-tui --no-ui`) is started, asked to sync, and killed with SIGKILL after a random
0.2-1.5 s, again and again; then a fresh `inolink-tui --once` finishes the work. Afterwards every
promoted account is linked exactly once on both sides, no job is lost or left leased, and the
Processed Counts stay within what the kills can explain.

CI runs 16 kills; `--run-slow` adds the 50-kill variant (INOLINK_FAULTS_LONG=1 makes it 300, with more records).
Why 16 are enough by default: the bugs this loop found or guards against each show up at the first kill of their
kind, not after many. A restart after any SIGKILL meets the dead daemon's scheduler and pair leases (every restart
exited 3 before the stale-lease fix); a kill while a worker holds a job, between the QuickBooks create and the CRM
write-back, is what could duplicate a customer (the requestid and record link must make the rerun safe), so every
other kill of the default variant waits until the daemon holds a job before its random moment (the 50-kill
variant: every fourth); the rest land at random during start-up (store, engine, leases, the scan). The completion
run afterwards lifts the QuickBooks client's pacing to the sandbox's time scale: it only has to finish the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.store import open_store
from tests.faults.processes import StandaloneSandbox, fork_server, standalone_sandbox, wait_for
from tests.faults.support import scaled

pytestmark = pytest.mark.timeout(900)

SEED = int(os.environ.get("INOLINK_FAULTS_SEED", "20261126"))


def rows(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


async def post_sync_now(db: Path) -> None:
    store = await open_store(db)
    try:
        await store.post_request("test:crash-loop", "sync-now", {"service": "crm_to_quickbooks"})
    finally:
        await store.close()


def eventually(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def working(db: Path, pid: int) -> bool:
    """This daemon's workers hold a job lease (the worker name is host:pid:pool-n)."""
    try:
        return bool(rows(db, "SELECT count(*) FROM jobs WHERE lease_worker LIKE ?", f"%:{pid}:%")[0][0])
    except sqlite3.OperationalError:
        return False


def job_count(db: Path) -> int:
    try:
        return int(rows(db, "SELECT count(*) FROM jobs")[0][0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def crm_accounts(sandbox: StandaloneSandbox) -> dict[str, dict[str, Any]]:
    """Every CRM account, read through the Dataverse connector with the config's own credentials."""
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
            return await client.list_rows(
                "accounts", select=["accountid", "name", "ino_linkstatus", "ino_accountingid"]
            )

    return {r["accountid"]: r for r in asyncio.run(read())}


def qbo_names(sandbox: StandaloneSandbox, entity: str) -> set[str]:
    return {str(r.get("DisplayName", "")).casefold() for r in qbo_customers(sandbox, entity)}


def qbo_customers(sandbox: StandaloneSandbox, entity: str = "Customer") -> list[dict[str, Any]]:
    answer = sandbox.control(f"/_sandbox/qbo/records/{entity}")
    records = answer.get("records", answer) if isinstance(answer, dict) else answer
    return list(records)


def client_at_time_scale(sandbox: StandaloneSandbox, scale: int) -> None:
    """QuickBooks' throttles (500 a minute, 10 a second) in the sandbox's service time, as the client's pacing,
    and as many workers as QuickBooks takes requests at once (10), for a run that only has to finish the work.

    The sandbox counts its windows in service seconds (`--time-scale`), so at 30 it admits 30 times what real
    QuickBooks does per wall second; a client paced for real QuickBooks would only wait for nothing.
    """
    sandbox.update_config(
        quickbooks={"requests_per_minute": 500 * scale, "requests_per_second": 10 * scale}, sync={"workers": 10}
    )


def run_to_completion(server: Any, config: Path, db: Path, log: Path) -> None:
    """`inolink-tui --once` until nothing is Queued (jobs a kill left leased wait out their 5 s lease)."""
    queued = -1
    for _ in range(6):
        pid = server.spawn(log, "tests.faults.forkserver:run_cli", "--config", str(config), "--db", str(db), "--once")
        status = server.reap(pid)
        assert status in (0, 1, 4), f"--once exited {status}: {log.read_text()[-3000:]}"  # 4: jobs left Queued
        queued = rows(db, "SELECT count(*) FROM jobs WHERE link_status = 'Queued'")[0][0]
        if queued == 0:
            return
        time.sleep(1)
    raise AssertionError(f"{queued} jobs still Queued after six --once runs")


@pytest.mark.parametrize(
    ("variant", "holding_every"),
    [pytest.param("default", 2, id="16-kills"), pytest.param("long", 4, id="50-kills", marks=pytest.mark.slow)],
)
def test_sigkill_loop_loses_and_doubles_nothing(tmp_path: Path, variant: str, holding_every: int) -> None:
    """`holding_every`: every n-th kill waits until the daemon holds a job (the others land during start-up)."""
    kills = int(os.environ.get("INOLINK_FAULTS_KILLS") or (16 if variant == "default" else scaled(50, 300)))
    records = scaled(280, 800)
    rng = random.Random(SEED)
    db = tmp_path / "jobs.db"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    time_scale = 30
    with standalone_sandbox(
        tmp_path, "--records", str(records), "--time-scale", str(time_scale), "--seed", "5"
    ) as sandbox:
        # Short job leases so work a killed daemon held is taken up again within seconds.
        sandbox.update_config(sync={"lease_seconds": 5, "max_attempts": 50, "workers": 4})
        # Both directions run in every daemon, whatever the time of day: High Priority (QuickBooks -> CRM) all day,
        # so its start-up catch-up runs beside the bulk sync and is killed mid-cycle too. (Its jobs once stayed
        # Queued after the --once runs: they were dated by the sandbox's faster clock, hence due in the future;
        # the store now dates no job later than its own clock.)
        every_day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        sandbox.update_config(
            services={
                "high_priority": {"enabled": True, "days": every_day, "start": "00:00", "end": "23:59"},
                "crm_to_quickbooks": {"enabled": True, "days": every_day, "start": "00:00", "end": "23:59"},
                "low_priority": {"enabled": False},
            }
        )
        initial_refresh = sandbox.control("/_sandbox/info")["qbo_refresh_token"]
        existing = {c["DisplayName"].casefold(): c["Id"] for c in qbo_customers(sandbox)}
        taken = qbo_names(sandbox, "Vendor") | qbo_names(sandbox, "Employee")
        sandbox.control("/_sandbox/promote", {"entity_set": "accounts", "count": records})
        to_be_linked = CRM_LINK_STATUS_OPTION[RecordLinkStatus.TO_BE_LINKED]
        before = crm_accounts(sandbox)
        promoted = {i for i, a in before.items() if a["ino_linkstatus"] == to_be_linked}
        assert len(promoted) >= 150, "the bulk sync should cover a few hundred accounts"
        asyncio.run(post_sync_now(db))  # creates the store, so each cycle can ask for a run first

        statuses: Counter[int] = Counter()
        holding: list[bool] = []
        started = time.monotonic()
        with fork_server(env) as server:
            # First the bulk enqueue (one uninterrupted pass reads every promoted row), killed as soon
            # as the jobs exist; the loop below then kills the daemons that process them.
            first = server.spawn(
                tmp_path / "daemon-first.log",
                "tests.faults.forkserver:run_cli",
                "--config",
                str(sandbox.config),
                "--db",
                str(db),
                "--no-ui",
            )
            first_at = time.monotonic()
            wait_for(lambda: job_count(db) >= len(promoted), 240, "the bulk enqueue")
            scan_seconds = time.monotonic() - first_at
            os.kill(first, signal.SIGKILL)
            assert server.reap(first) == -signal.SIGKILL
            enqueued = job_count(db)
            for cycle in range(kills):
                asyncio.run(post_sync_now(db))
                out = tmp_path / f"daemon-{cycle:03}.log"
                pid = server.spawn(
                    out, "tests.faults.forkserver:run_cli", "--config", str(sandbox.config), "--db", str(db), "--no-ui"
                )
                if cycle % holding_every:
                    time.sleep(rng.uniform(0.2, 1.5))  # a crash during startup (store, engine, lease, scan)
                else:
                    # Otherwise the random moment counts from when this daemon holds a job: on a loaded CI
                    # box startup and the scan of promoted rows can outlast 1.5 s, and killing only
                    # starting daemons would test little.
                    holding.append(eventually(lambda pid=pid: working(db, pid), 30))
                    time.sleep(rng.uniform(0.2, 1.5))
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                status = server.reap(pid)
                statuses[status] += 1
                # A daemon that exits on its own mid-loop did so for a reason: a crash is a failure.
                assert status in (-signal.SIGKILL, 0, 3), f"cycle {cycle}: exit {status}\n{out.read_text()[-3000:]}"
            loop_seconds = time.monotonic() - started
            progress = rows(db, "SELECT link_status, count(*) FROM jobs GROUP BY 1")
            started = time.monotonic()
            client_at_time_scale(sandbox, time_scale)
            run_to_completion(server, sandbox.config, db, tmp_path / "once.log")
            once_seconds = time.monotonic() - started

        accounts = crm_accounts(sandbox)
        customers = qbo_customers(sandbox)
        doc = sandbox.settings_doc()
        secrets = [doc["crm"]["client_secret"], doc["quickbooks"]["client_secret"], initial_refresh]
        secrets += [t["refresh_token"] for t in json.loads(Path(doc["quickbooks"]["token_file"]).read_text()).values()]

    print(
        f"{kills} kills in {loop_seconds:.1f}s, exits {dict(statuses)}, enqueued {enqueued} in {scan_seconds:.1f}s, "
        f"killed while holding jobs {sum(holding)}/{len(holding)}, before --once: {progress}, "
        f"--once finished in {once_seconds:.1f}s"
    )
    assert statuses[-signal.SIGKILL] >= kills * 0.8, f"most cycles should end in SIGKILL: {dict(statuses)}"
    assert sum(holding) >= len(holding) * 0.7, "most kills should land while jobs are in hand"
    assert statuses[3] <= kills // 5, f"restarts kept refusing (stale scheduler lease?): {dict(statuses)}"

    total = job_count(db)
    assert total >= 300, f"only {total} Link Jobs: the bulk sync should be several hundred records"
    # No job in flight, none lost: every job is finished and unleased.
    assert rows(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL OR lease_worker IS NOT NULL")[0][0] == 0
    assert rows(db, "SELECT count(*) FROM jobs WHERE link_status = 'Queued'")[0][0] == 0
    # QuickBooks -> CRM: the customers the bulk sync created come back through CDC. A kill between a create and
    # its link left some unlinked for a moment; their jobs must end as updates of the one linked account and
    # never create, or link on a guess, a CRM account: CRM holds exactly the accounts it held before.
    pulled = rows(db, "SELECT id, link_status, crm_record_id, error_description FROM jobs WHERE source = 'Accounting'")
    assert all(j[1] == "Success" for j in pulled), [j for j in pulled if j[1] != "Success"]
    assert set(accounts) == set(before), f"CRM accounts changed: {len(accounts)} now, {len(before)} before"
    jobs = rows(
        db,
        "SELECT crm_record_id, link_status, processed_count, accounting_id, error_description FROM jobs"
        " WHERE entity_type = 'Account' AND source = 'CRM'",
    )
    by_record: dict[str, list[tuple[Any, ...]]] = {}
    for job in jobs:
        by_record.setdefault(job[0], []).append(job)
    assert promoted <= set(by_record), f"{len(promoted - set(by_record))} promoted accounts never got a job"

    by_name = Counter(c["DisplayName"].casefold() for c in customers)
    by_id = {c["Id"]: c for c in customers}
    namesakes: dict[str, list[str]] = {}
    for account_id in promoted:
        namesakes.setdefault(accounts[account_id]["name"].casefold(), []).append(account_id)
    clashes = 0
    for folded, ids in namesakes.items():
        if folded in taken and folded not in existing:
            # A vendor or employee has the name: QuickBooks refuses a customer with it (6240), every time.
            assert by_name[folded] == 0
            assert all(by_record[i][-1][1] == "Error" and "6240" in by_record[i][-1][4] for i in ids), folded
            clashes += len(ids)
            continue
        assert by_name[folded] == 1, f"{folded!r} is in QuickBooks {by_name[folded]} times"
        successes = [(i, j) for i in ids for j in by_record[i] if j[1] == "Success"]
        if folded in existing:
            # The name was in QuickBooks before the sync: linked to that customer (name matching) or
            # reported (6240, e.g. an inactive one); never a second customer.
            clashes += len(ids)
            assert all(job[3] == existing[folded] for _, job in successes), f"{folded!r}: {successes}"
            continue
        # Namesakes in CRM (the generator repeats names): one is linked, the others get a clear 6240.
        assert len(successes) == 1, f"{folded!r}: {[by_record[i] for i in ids]}"
        account_id, job = successes[0]
        assert by_id[job[3]]["DisplayName"].casefold() == folded
        account = accounts[account_id]
        assert account["ino_accountingid"] == job[3], f"{folded!r}: CRM holds {account['ino_accountingid']!r}"
        assert account["ino_linkstatus"] == CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED], folded
        for other in ids:
            if other != account_id:
                assert [j[1] for j in by_record[other]][-1] == "Error" and "6240" in by_record[other][-1][4]
                clashes += 1
    linked_new = sum(1 for f, ids in namesakes.items() if f not in existing and f not in taken)
    assert linked_new >= 100, f"only {linked_new} accounts were new to QuickBooks: too few to prove much"

    # Processed Count: at least one pass per finished job, and no more passes than kills can explain.
    counts = [j[2] for j in jobs]
    assert min(counts) >= 1
    assert max(counts) <= 1 + kills, f"a job was processed {max(counts)} times"
    assert sum(counts) <= len(jobs) + kills * 4, "more re-processing than the kills (4 workers each) explain"
    lines = [json.loads(x) for x in (tmp_path / "once.log").read_text().splitlines() if x.startswith("{")]
    assert not [x for x in lines if x.get("event") == "crashed"]

    # No secret in any log line of the 50+ daemons, nor anywhere in the job database (Error Descriptions).
    evidence = [*tmp_path.glob("daemon-*.log"), tmp_path / "once.log", db]
    for path in evidence:
        blob = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in blob, f"a secret leaked into {path.name}"
