"""Several engines on one Dynamics org + QuickBooks company, each with its own database, never duplicate a record.

Failure 1 of issue 12: two `--once` runs with different `--db` files on the same pair created 28 duplicate
invoices and 10 duplicate estimates (the scheduler lease lives inside each database, and each database derives its
own `requestid`). Here N engines (separate OS processes, separate databases) are started at once on one
standalone sandbox holding promoted accounts, quotes, orders and invoices; then a short crash loop of daemons on
those databases (SIGKILL some, restart); then each database is run to completion. QuickBooks must hold exactly one
record per CRM record: one customer per name, one estimate or invoice per CRM document number.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.faults.processes import StandaloneSandbox, fork_server, standalone_sandbox
from tests.faults.support import scaled

pytestmark = pytest.mark.timeout(900)

ENGINES = 3
EVERY_DAY = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _queued(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM jobs WHERE link_status = 'Queued'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _records(sandbox: StandaloneSandbox, entity: str) -> list[dict[str, Any]]:
    answer = sandbox.control(f"/_sandbox/qbo/records/{entity}")
    return list(answer.get("records", answer) if isinstance(answer, dict) else answer)


def _duplicates(sandbox: StandaloneSandbox, entity: str, key: str, before: set[str]) -> dict[str, int]:
    """Values of `key` held by more than one record of `entity` created during the test."""
    counts = Counter(
        str(r.get(key) or "").casefold() for r in _records(sandbox, entity) if str(r["Id"]) not in before and r.get(key)
    )
    return {k: n for k, n in counts.items() if n > 1}


def _crm_links(sandbox: StandaloneSandbox) -> dict[str, list[str]]:
    """QuickBooks id -> the CRM quotes, orders and invoices linked to it, read with the config's own credentials."""
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

    async def read() -> dict[str, list[str]]:
        links: dict[str, list[str]] = {}
        async with DataverseClient(settings) as client:
            for entity_set, key in (("quotes", "quoteid"), ("salesorders", "salesorderid"), ("invoices", "invoiceid")):
                for row in await client.list_rows(entity_set, select=[key, "ino_accountingid"]):
                    if row.get("ino_accountingid"):
                        links.setdefault(str(row["ino_accountingid"]), []).append(f"{entity_set}/{row[key]}")
        return links

    return asyncio.run(read())


def _cli(config: Path, db: Path, *args: str) -> tuple[str, ...]:
    return ("--config", str(config), "--db", str(db), *args)


def test_engines_on_separate_databases_never_duplicate(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("INOLINK_FAULTS_SEED", "20261206")))
    rounds = scaled(6, 30)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    with standalone_sandbox(tmp_path, "--records", "140", "--time-scale", "30", "--seed", "7") as sandbox:
        sandbox.update_config(
            sync={"lease_seconds": 5, "max_attempts": 50, "workers": 4},
            services={
                "crm_to_quickbooks": {"enabled": True, "days": EVERY_DAY, "start": "00:00", "end": "23:59"},
                "high_priority": {"enabled": False},
                "low_priority": {"enabled": False},
            },
        )
        # The QuickBooks client paced for this sandbox's time scale (30 times real QuickBooks' admissions per wall
        # second), not for real QuickBooks: who may sync the pair is settled by the pair lease in the first second,
        # and paced for the real service the one engine that wins then spent 40 s of this test on the bulk sync.
        sandbox.update_config(quickbooks={"requests_per_minute": 500 * 30, "requests_per_second": 10 * 30})
        before = {e: {str(r["Id"]) for r in _records(sandbox, e)} for e in ("Customer", "Invoice", "Estimate")}
        # The seed promotes about two thirds of its quotes, orders and invoices; promote the rest too.
        for entity_set, count in (("accounts", 20), ("quotes", 40), ("salesorders", 40), ("invoices", 40)):
            sandbox.control("/_sandbox/promote", {"entity_set": entity_set, "count": count})
        dbs = [tmp_path / f"engine-{i}.db" for i in range(ENGINES)]
        exits: Counter[int] = Counter()
        with fork_server(env) as server:
            # N engines at once, each on its own new database: `--once`, as in the report.
            pids = [
                server.spawn(
                    tmp_path / f"once-{i}.log", "tests.faults.forkserver:run_cli", *_cli(sandbox.config, db, "--once")
                )
                for i, db in enumerate(dbs)
            ]
            first = [server.reap(pid) for pid in pids]
            assert all(code in (0, 1, 3) for code in first), first
            # Each refused run said so in one line naming the engine that holds the pair and until when.
            for i in (i for i, code in enumerate(first) if code == 3):
                refusal = [x for x in (tmp_path / f"once-{i}.log").read_text().splitlines() if "pair_lease_held" in x]
                assert len(refusal) == 1 and "another engine syncs" in refusal[0] and "until" in refusal[0], refusal
                assert any(f"db {db}" in refusal[0] for db in dbs), refusal
            # A crash loop of daemons on the same databases: all start at once, some are SIGKILLed.
            for cycle in range(rounds):
                pids = [
                    server.spawn(
                        tmp_path / f"daemon-{cycle:02}-{i}.log",
                        "tests.faults.forkserver:run_cli",
                        *_cli(sandbox.config, db, "--no-ui"),
                    )
                    for i, db in enumerate(dbs)
                ]
                time.sleep(rng.uniform(0.5, 3.0))
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL if rng.random() < 0.7 else signal.SIGTERM)
                for pid in pids:
                    exits[server.reap(pid)] += 1
            # Then every database is run to completion, one after the other.
            for i, db in enumerate(dbs):
                for attempt in range(8):
                    log = tmp_path / f"final-{i}-{attempt}.log"
                    pid = server.spawn(log, "tests.faults.forkserver:run_cli", *_cli(sandbox.config, db, "--once"))
                    code = server.reap(pid)
                    if code in (0, 1) and _queued(db) == 0:
                        break
                    time.sleep(2)
                else:
                    raise AssertionError(f"{db.name}: still {_queued(db)} Queued jobs; last exit {code}")
        customers = _duplicates(sandbox, "Customer", "DisplayName", before["Customer"])
        invoices = _duplicates(sandbox, "Invoice", "DocNumber", before["Invoice"])
        estimates = _duplicates(sandbox, "Estimate", "DocNumber", before["Estimate"])
        created = {e: len(_records(sandbox, e)) - len(before[e]) for e in before}
        new_documents = {
            str(r["Id"]): e
            for e in ("Invoice", "Estimate")
            for r in _records(sandbox, e)
            if str(r["Id"]) not in before[e]
        }
        links = _crm_links(sandbox)
    print(
        f"first --once exits {first}; crash loop exits {dict(exits)}; created {created}; duplicates: "
        f"{sum(invoices.values()) - len(invoices)} invoices, {sum(estimates.values()) - len(estimates)} estimates, "
        f"{sum(customers.values()) - len(customers)} customers"
    )
    assert created["Invoice"] >= 20 and created["Estimate"] >= 15, created
    assert not invoices, f"duplicate invoices (DocNumber: copies): {invoices}"
    assert not estimates, f"duplicate estimates (DocNumber: copies): {estimates}"
    assert not customers, f"duplicate customers: {customers}"
    # One record per CRM record, both ways: every document created is linked from exactly one CRM record.
    unlinked = sorted(set(new_documents) - set(links))
    assert not unlinked, f"QuickBooks documents no CRM record is linked to: {unlinked}"
    shared = {qbo_id: crm for qbo_id, crm in links.items() if qbo_id in new_documents and len(crm) > 1}
    assert not shared, f"QuickBooks documents linked from several CRM records: {shared}"
