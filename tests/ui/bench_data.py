"""Fill a real SQLite job store with N jobs in a realistic mix, fast, for the console's scale checks.

Jobs go in through the store's batched `enqueue` (so indexes, the tally and the change feed are the
store's own); the status mix is then set with one UPDATE per status, because running a million jobs
through claim/complete would measure the engine, not the console.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import open_store
from inolink_tui.store.ops_jobs import fold_tally, index_dirty_text

BATCH = 50_000
ENTITIES = list(EntityType)


async def fill_store(path: Path, rows: int, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    start = now - timedelta(days=30)
    step = timedelta(days=30) / max(rows, 1)
    store = await open_store(path)
    try:
        for first in range(0, rows, BATCH):
            batch = [
                NewJob(
                    entity_type=ENTITIES[i % len(ENTITIES)],
                    source=Source.CRM if i % 3 else Source.ACCOUNTING,
                    crm_record_id=f"{i:08x}-0000-0000-0000-000000000000",
                    record_name=f"Contoso {ENTITIES[i % len(ENTITIES)].value} {i}",
                    company="9130350",
                    submitted_by=("admin", "j.doe", "svc-inolink")[i % 3],
                    submitted_at=start + step * i,
                )
                for i in range(first, min(rows, first + BATCH))
            ]
            await store.enqueue(batch, now=batch[-1].submitted_at)  # feed rows dated as if arriving over time
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(
                "UPDATE jobs SET link_status = 'Error', processed_at = submitted_at + 40000000, processed_count = 3,"
                " error_description = 'Duplicate Name Exists Error: The name supplied already exists.',"
                " error_fold = 'duplicate name exists error: the name supplied already exists.',"
                " error_class = 'duplicate', error_code = '6240' WHERE id % 7 = 0"
            )
            conn.execute(
                "UPDATE jobs SET link_status = 'Success', processed_at = submitted_at + 40000000, processed_count = 1,"
                " accounting_id = CAST(1000 + id AS TEXT) WHERE id % 7 != 0 AND id % 5 != 0"
            )
            # The bookkeeping a running engine does in passing (each claim folds the tally deltas and indexes a
            # batch of edited text): a million jobs reaching their status took a million claims there.
            fold_tally(conn, minimum=1)
            while index_dirty_text(conn, 100_000):
                pass
    finally:
        conn.close()


if __name__ == "__main__":
    import asyncio
    import sys
    import time

    started = time.perf_counter()
    asyncio.run(fill_store(Path(sys.argv[1]), int(sys.argv[2])))
    print(f"filled {sys.argv[1]} with {int(sys.argv[2]):,} jobs in {time.perf_counter() - started:.1f} s")
