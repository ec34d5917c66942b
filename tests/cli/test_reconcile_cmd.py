"""`reconcile` against the in-process sandbox: clean after a sync, drift after a direct edit, --fix repairs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.sandbox_cli import control, crm_create, crm_row, invoke, run_process, sandbox_config, unthrottled


@pytest.fixture
async def handle():  # type: ignore[no-untyped-def]
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(unthrottled(records=0)) as served:
        yield served


async def _qbo_customer(handle: object, qbo_id: str) -> dict[str, object]:
    records = (await control(handle, "/_sandbox/qbo/records/Customer"))["records"]
    return next(r for r in records if str(r["Id"]) == qbo_id)


async def _once(config: Path) -> None:
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code == 0, output


@pytest.mark.timeout(240)
async def test_clean_after_once_then_drift_after_a_direct_edit_and_fix_repairs_it(
    handle: object, tmp_path: Path
) -> None:
    config = sandbox_config(handle, tmp_path)
    first = await crm_create(handle, "accounts", {"name": "Reconcile Pines Ltd", "telephone1": "555-0101"})
    second = await crm_create(handle, "accounts", {"name": "Reconcile Quays"})
    promoted = await invoke(config, "promote", "account", "--ids", f"{first},{second}")
    assert promoted.exit_code == 0, promoted.output
    await _once(config)

    since = (await control(handle, "/_sandbox/stats"))["last_seq"]
    clean = await invoke(config, "reconcile", "account", "contact")
    assert clean.exit_code == 0, clean.output
    assert "No drift" in clean.output
    # Bulk reads only: one AgedReceivables report, the sales totals (one CustomerSales report, a CompanyInfo query
    # and one query each of Invoice, SalesReceipt, CreditMemo, Payment) and QuickBooks' customers in one query for
    # both entities, no read per linked record.
    log = (await control(handle, f"/_sandbox/stats?since={since}&api=qbo"))["log"]
    assert [entry["path"].rsplit("/", 1)[-1] for entry in log] == ["AgedReceivables", "query", "CustomerSales"] + [
        "query"
    ] * 5

    qbo_id = str(crm_row(handle, "accounts", first)["ino_accountingid"])
    customer = await _qbo_customer(handle, qbo_id)
    body = {"Id": qbo_id, "SyncToken": customer["SyncToken"], "PrimaryPhone": {"FreeFormNumber": "555-9999"}}
    await control(handle, "/_sandbox/qbo/edit", {"entity": "Customer", "body": body})

    drift = await invoke(config, "reconcile", "account", "--format", "json")
    assert drift.exit_code == 1, drift.output
    report = json.loads(drift.output)
    fields = [d for d in report["drift"] if d["kind"] == "field"]
    assert [(d["crm_id"], d["field"], d["crm_value"], d["qbo_value"]) for d in fields] == [
        (first, "telephone1", "555-0101", "555-9999")
    ]
    assert report["fix"] is None

    table = await invoke(config, "reconcile", "account")
    assert table.exit_code == 1 and "telephone1" in table.output and "Reconcile Pines Ltd" in table.output

    refused = await invoke(config, "--read-only", "reconcile", "--fix")
    assert refused.exit_code == 2 and "read-only" in refused.output

    fixed = await invoke(config, "reconcile", "account", "--fix")
    assert fixed.exit_code == 1 and "--fix: queued 1 job(s)" in fixed.output, fixed.output
    jobs = await invoke(config, "jobs", "list", "--status", "queued", "--format", "json")
    assert jobs.exit_code == 0, jobs.output
    await _once(config)
    assert crm_row(handle, "accounts", first)["telephone1"] == "555-9999"
    again = await invoke(config, "reconcile", "account", "contact")
    assert again.exit_code == 0, again.output


@pytest.mark.timeout(240)
async def test_promoted_without_a_job_inactive_and_duplicates_are_reported(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    ids = [
        await crm_create(handle, "accounts", {"name": name})
        for name in ("Dup Co", "Dup Co West", "Gone Soon", "Deleted Co")
    ]
    assert (await invoke(config, "promote", "account", "--ids", ",".join(ids))).exit_code == 0
    await _once(config)
    # Renamed in CRM alone: two linked accounts now share a name (and the renamed one's name drifts).
    await control(
        handle, "/_sandbox/crm/update", {"entity_set": "accounts", "id": ids[1], "changes": {"name": "Dup Co"}}
    )
    handle.sandbox.dataverse.delete_row("accounts", ids[3])  # type: ignore[attr-defined]
    waiting = await crm_create(handle, "accounts", {"name": "Waiting Ltd", "ino_linkstatus": 100000000})
    gone_qbo = str(crm_row(handle, "accounts", ids[2])["ino_accountingid"])
    customer = await _qbo_customer(handle, gone_qbo)
    await control(
        handle,
        "/_sandbox/qbo/edit",
        {"entity": "Customer", "body": {"Id": gone_qbo, "SyncToken": customer["SyncToken"], "Active": False}},
    )
    await control(handle, "/_sandbox/crm/update", {"entity_set": "accounts", "id": ids[0], "changes": {"statecode": 1}})
    result = await invoke(config, "reconcile", "account", "--format", "json")
    assert result.exit_code == 1, result.output
    kinds = {(d["kind"], d["name"]) for d in json.loads(result.output)["drift"]}
    assert ("inactive", "Gone Soon") in kinds
    assert ("inactive", "Dup Co") in kinds  # deactivated in CRM
    assert ("promoted-no-job", "Waiting Ltd") in kinds
    assert ("duplicate", "Dup Co") in kinds
    (deleted,) = [d for d in json.loads(result.output)["drift"] if d["name"] == "Deleted Co"]
    assert (deleted["kind"], deleted["side"], deleted["crm_id"]) == ("gone", "CRM", ids[3])
    fixed = await invoke(config, "reconcile", "account", "--fix")
    # One job per fixable record: the renamed account's pull and the waiting account's link; never the inactive
    # link or the duplicate (a person decides those).
    assert fixed.exit_code == 1 and "--fix: queued 2 job(s)" in fixed.output, fixed.output
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code in (0, 1), output  # Deadlock Win may refuse the duplicate name in QuickBooks
    assert crm_row(handle, "accounts", waiting)["ino_linkstatus"] == 100000001
