"""`reconcile --fix` on history drifts (engine/reconcile.py repair_jobs): one Sales Transaction Link Job per
transaction, under the history row's own id, a create for a missing row and an update otherwise."""

from __future__ import annotations

from inolink_tui.domain.enums import EntityType, Operation, Source
from inolink_tui.domain.reconcile_history import history_drift
from inolink_tui.engine.qbo_transactions import history_row_id
from inolink_tui.engine.reconcile import repair_jobs
from tests.domain.test_reconcile_history import CUSTOMERS, TODAY, S, row, txn


def test_fix_queues_one_sales_transaction_job_per_transaction() -> None:
    invoices = [txn("1", "5", "5"), txn("2", "0", "0", PrivateNote="Voided")]
    rows = {"Invoice|2": row("Invoice|2", 25.0, 25.0, "Open"), "Invoice|7": row("Invoice|7", 1.0, 1.0, "Open")}
    jobs = repair_jobs(history_drift(S, {"Invoice": invoices}, CUSTOMERS, rows, set(), TODAY), "realm", "me")
    got = {(j.qbo_id, j.operation, j.crm_record_id) for j in jobs}
    assert got == {
        ("1", Operation.CREATE, history_row_id("realm", "Invoice", "1")),
        ("2", Operation.UPDATE, history_row_id("realm", "Invoice", "2")),
        ("7", Operation.UPDATE, history_row_id("realm", "Invoice", "7")),
    }
    assert all(j.entity_type is EntityType.SALES_TRANSACTION and j.source is Source.ACCOUNTING for j in jobs)
    assert all(j.qbo_entity == "Invoice" and j.submitted_by == "me" for j in jobs)
