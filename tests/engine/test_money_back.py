"""Money back to CRM over the in-process sandbox: payments with applications, invoice status, aging.

The expected figures come from the sandbox's QuickBooks state and its own AgedReceivables report, never from
what the engine wrote.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.aging import parse_aged_receivables
from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, InvoiceStatus, invoice_status
from inolink_tui.engine.adapters import DataverseCrm, QuickBooksAccounting
from inolink_tui.engine.money_back import record_money, write_aging
from tests.engine.test_sandbox_e2e import Stack, stack

pytestmark = pytest.mark.timeout(180)
LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]
S = DEFAULT_SCHEMA


def linked(s: Stack, entity_set: str) -> list[dict[str, Any]]:
    return [r for r in s.dv.rows(entity_set) if r.get("ino_linkstatus") == LINKED and r.get("ino_accountingid")]


def pay_linked_invoices(s: Stack) -> list[dict[str, Any]]:
    """A QuickBooks user receives payments: one full, one partial, one paying two invoices of one customer."""
    invoices = [s.qbo.get("Invoice", r["ino_accountingid"]) for r in linked(s, "invoices")]
    open_invoices = [i for i in invoices if i and float(i.get("Balance") or 0) > 0]
    assert len(open_invoices) >= 2, "the seed links some invoices"
    made: list[dict[str, Any]] = []
    for n, invoice in enumerate(open_invoices[:4]):
        share = float(invoice["Balance"]) if n % 2 == 0 else round(float(invoice["Balance"]) / 3, 2)
        made.append(
            s.qbo.create(
                "Payment",
                {
                    "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                    "TotalAmt": share,
                    "PaymentRefNum": f"CHK-{n}",
                    "Line": [{"Amount": share, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
                },
            )
        )
    return made


def changed(s: Stack) -> dict[str, list[dict[str, Any]]]:
    return {"Payment": s.qbo.all("Payment"), "Invoice": s.qbo.all("Invoice")}


async def adapters(s: Stack) -> tuple[Any, DataverseCrm, QuickBooksAccounting]:
    engine = await s.engine()
    crm, qbo = engine.crm, engine.qbo
    assert isinstance(crm, DataverseCrm) and isinstance(qbo, QuickBooksAccounting)
    return engine, crm, qbo


def check_payments_and_invoices(s: Stack) -> None:
    today = date.fromisoformat(s.qbo.today())
    customers = {r["ino_accountingid"] for r in linked(s, "accounts") + linked(s, "contacts")}
    crm_payments = s.dv.rows("ino_payments")
    counts = Counter(r["ino_accountingid"] for r in crm_payments)
    assert counts and max(counts.values()) == 1, "no payment recorded twice"
    wanted = {p["Id"] for p in s.qbo.all("Payment") if p["CustomerRef"]["value"] in customers}
    assert set(counts) == wanted, "every payment of a linked customer is in CRM"
    by_id = {r["ino_paymentid"]: r for r in crm_payments}
    crm_apps = s.dv.rows("ino_paymentapplications")
    assert Counter(r["ino_applicationkey"] for r in crm_apps).most_common(1)[0][1] == 1
    for payment in s.qbo.all("Payment"):
        if payment["Id"] not in wanted:
            continue
        row = next(r for r in crm_payments if r["ino_accountingid"] == payment["Id"])
        assert row["ino_amount"] == pytest.approx(float(payment["TotalAmt"]))
        assert row["ino_unappliedamount"] == pytest.approx(float(payment.get("UnappliedAmt") or 0))
        mine = [a for a in crm_apps if by_id.get(a["_ino_paymentid_value"]) is row]
        expected = {
            (t["TxnId"], float(line["Amount"]))
            for line in payment.get("Line") or []
            for t in line.get("LinkedTxn") or []
            if t.get("TxnType") == "Invoice"
        }
        got = {(a["ino_applicationkey"].split("|")[1], float(a["ino_amountapplied"])) for a in mine}
        assert got == expected
    for row in linked(s, "invoices"):
        invoice = s.qbo.get("Invoice", row["ino_accountingid"])
        assert invoice is not None
        if (
            not any(t.get("TxnType") == "Payment" for t in invoice.get("LinkedTxn") or [])
            and row.get("ino_balance") is None
        ):
            continue  # an invoice nothing happened to since linking is refreshed when it changes
        assert row["ino_balance"] == pytest.approx(float(invoice["Balance"])), invoice["Id"]
        assert row["ino_amountpaid"] == pytest.approx(float(invoice["TotalAmt"]) - float(invoice["Balance"]))
        assert row["ino_invoicestatus"] == INVOICE_STATUS_OPTIONS[invoice_status(invoice, today)]


async def test_payments_and_invoice_status_reach_crm_once(tmp_path: Path) -> None:
    async with stack(tmp_path, 30) as s:
        engine, crm, qbo = await adapters(s)
        try:
            await engine.run_once()  # link what the seed promoted (invoices among them)
            made = pay_linked_invoices(s)
            today = date.fromisoformat(s.qbo.today())
            first = await record_money(crm, qbo, "c1", changed(s), today)
            assert first.payments_created >= len(made) and first.invoices_updated >= 1
            check_payments_and_invoices(s)
            statuses = {r.get("ino_invoicestatus") for r in linked(s, "invoices")}
            assert INVOICE_STATUS_OPTIONS[InvoiceStatus.PAID] in statuses  # the full payments
            rows_before = len(s.dv.rows("ino_payments")), len(s.dv.rows("ino_paymentapplications"))
            again = await record_money(crm, qbo, "c1", changed(s), today)
            assert again.payments_created == 0 and again.invoices_updated == 0
            assert (len(s.dv.rows("ino_payments")), len(s.dv.rows("ino_paymentapplications"))) == rows_before
        finally:
            await engine.stop()


async def test_killed_between_a_payment_and_its_applications_records_nothing_twice(tmp_path: Path) -> None:
    async with stack(tmp_path, 30) as s:
        engine, crm, qbo = await adapters(s)
        try:
            await engine.run_once()
            pay_linked_invoices(s)
            today = date.fromisoformat(s.qbo.today())
            real = crm.upsert_row
            calls = 0

            async def killed_on_third(entity_set: str, record_id: str, columns: Any) -> bool:
                nonlocal calls
                calls += 1
                if calls == 3:
                    raise KeyboardInterrupt  # the process dies mid-run: no handler, no cleanup
                return await real(entity_set, record_id, columns)

            crm.upsert_row = killed_on_third  # type: ignore[method-assign]
            with pytest.raises(KeyboardInterrupt):
                await record_money(crm, qbo, "c1", changed(s), today)
            crm.upsert_row = real  # type: ignore[method-assign]
            assert len(s.dv.rows("ino_payments")) >= 1, "the kill came after a payment was written"
            await record_money(crm, qbo, "c1", changed(s), today)  # the restarted run
            check_payments_and_invoices(s)
        finally:
            await engine.stop()


async def test_aging_on_accounts_and_contacts_equals_agedreceivables(tmp_path: Path) -> None:
    from inolink_tui.sandbox.quickbooks.reports import aged_receivables

    async with stack(tmp_path, 30) as s:
        engine, crm, qbo = await adapters(s)
        try:
            await engine.run_once()
            pay_linked_invoices(s)
            now = datetime.fromisoformat(f"{s.qbo.today()}T12:00:00+00:00")
            asked: list[str] = []
            real_report, real_read = qbo.report, qbo.read

            async def counted_report(name: str, params: Any = None) -> dict[str, Any]:
                asked.append(name)
                return await real_report(name, params)

            async def counted_read(entity: str, entity_id: str) -> dict[str, Any] | None:
                asked.append(entity)
                return await real_read(entity, entity_id)

            qbo.report, qbo.read = counted_report, counted_read  # type: ignore[method-assign]
            written = await write_aging(crm, qbo, now)
            assert asked == ["AgedReceivables"], "one report request per run, not one per customer"
            assert written >= 1
            truth = parse_aged_receivables(aged_receivables(s.qbo, {}))
            checked = 0
            for entity_set in ("accounts", "contacts"):
                for row in linked(s, entity_set):
                    figures = truth.get(row["ino_accountingid"])
                    want = figures.as_tuple() if figures else (0,) * 6
                    got = tuple(row.get(c) for c in S.aging_columns)
                    assert got == pytest.approx(tuple(float(v) for v in want)), (entity_set, row["ino_accountingid"])
                    checked += 1 if figures else 0
            assert checked >= 2, "some linked customers owe money"
            assert await write_aging(crm, qbo, now) == 0, "a second run writes nothing when nothing changed"
        finally:
            await engine.stop()


async def test_the_services_hook_reads_cdc_and_keeps_its_writes_from_echoing(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import UTC, timedelta

    from inolink_tui.domain.enums import EntityType, Source
    from inolink_tui.engine.money_services import MONEY_CDC_ENTITIES, MoneyBack

    async with stack(tmp_path, 30) as s:
        engine, crm, qbo = await adapters(s)
        try:
            await engine.run_once()
            since = datetime.now(UTC) - timedelta(minutes=5)
            pay_linked_invoices(s)
            answer = await qbo.cdc(list(MONEY_CDC_ENTITIES), since)  # what QuickBooks' CDC really returns
            assert answer.entities.get("Payment"), answer.entities.keys()
            off = MoneyBack(
                crm,
                qbo,
                engine.store,
                replace(engine.options, payments=False, invoice_status=False),
                lambda: datetime.now(UTC),
            )
            assert off.payments_to_record(answer.entities) == [], "[sync] payments = false records nothing"
            money = MoneyBack(crm, qbo, engine.store, engine.options, lambda: datetime.now(UTC))
            assert len(money.payments_to_record(answer.entities)) == len(answer.entities["Payment"])
            await engine.cycles.high_priority()  # queues the Payment and Invoice Link Jobs and drains them
            check_payments_and_invoices(s)
            refreshed = [
                j for j in await s.jobs() if j.source is Source.ACCOUNTING and j.entity_type is EntityType.INVOICE
            ]
            assert refreshed, "invoice status comes back through Invoice Link Jobs"
            assert await money.aging() >= 1
            before = len([j for j in await s.jobs() if j.source is Source.CRM])
            await engine.run_once()  # CRM change tracking sees our invoice and account writes
            crm_jobs = [j for j in await s.jobs() if j.source is Source.CRM][before:]
            echoed = [
                j for j in crm_jobs if j.entity_type in (EntityType.INVOICE, EntityType.ACCOUNT, EntityType.CONTACT)
            ]
            assert echoed == [], "money written back is not taken for a CRM edit"
        finally:
            await engine.stop()


def check_aging(s: Stack) -> int:
    from inolink_tui.sandbox.quickbooks.reports import aged_receivables

    truth = parse_aged_receivables(aged_receivables(s.qbo, {}))
    owing = 0
    for entity_set in ("accounts", "contacts"):
        for row in linked(s, entity_set):
            figures = truth.get(row["ino_accountingid"])
            want = tuple(float(v) for v in figures.as_tuple()) if figures else (0.0,) * 6
            assert tuple(row.get(c) for c in S.aging_columns) == pytest.approx(want), row["ino_accountingid"]
            owing += figures is not None
    return owing


async def test_one_high_and_one_low_priority_cycle_bring_everything_back(tmp_path: Path) -> None:
    """The issue's done-when: after the services run, CRM's money equals QuickBooks' own figures."""
    async with stack(tmp_path, 30) as s:
        engine, _, _ = await adapters(s)
        try:
            await engine.run_once()
            pay_linked_invoices(s)
            await engine.run_once()  # CRM -> QuickBooks, High Priority, Low Priority
            check_payments_and_invoices(s)
            assert check_aging(s) >= 2
            payments = len(s.dv.rows("ino_payments"))
            await engine.run_once()  # the same CDC window again (overlap): nothing recorded twice
            assert len(s.dv.rows("ino_payments")) == payments
            check_payments_and_invoices(s)
        finally:
            await engine.stop()


async def test_the_sandbox_activity_payments_and_credits_reach_crm(tmp_path: Path) -> None:
    from inolink_tui.sandbox.activity import ActivityRunner

    async with stack(tmp_path, 30) as s:
        engine, _, _ = await adapters(s)
        try:
            await engine.run_once()
            customers = {r["ino_accountingid"] for r in linked(s, "accounts") + linked(s, "contacts")}
            before = {p["Id"] for p in s.qbo.all("Payment")}
            runner = ActivityRunner(s.handle.sandbox, 1.0, seed=5)
            events = [runner.step()["event"] for _ in range(80)]
            assert events.count("qbo_payment") + events.count("qbo_credit_memo") >= 5, Counter(events)
            await engine.run_once()
            new = {p["Id"] for p in s.qbo.all("Payment") if p["Id"] not in before}
            of_linked = {p for p in new if s.qbo.get("Payment", p)["CustomerRef"]["value"] in customers}
            assert of_linked, "the activity paid some invoices of linked customers"
            recorded = Counter(r["ino_accountingid"] for r in s.dv.rows("ino_payments"))
            assert of_linked <= set(recorded) and max(recorded.values()) == 1
            for row in linked(s, "invoices"):
                invoice = s.qbo.get("Invoice", row["ino_accountingid"])
                if invoice and row.get("ino_balance") is not None:
                    assert row["ino_balance"] == pytest.approx(float(invoice["Balance"]))
            assert check_aging(s) >= 1
        finally:
            await engine.stop()


async def test_low_priority_backfills_payments_crm_lacks(tmp_path: Path) -> None:
    """Payments High Priority did not record (switched off, or the customer linked later) arrive once."""
    async with stack(tmp_path, 30) as s:
        engine = await s.engine(payments=False)
        try:
            await engine.run_once()
            made = pay_linked_invoices(s)
            await engine.run_once()
            assert s.dv.rows("ino_payments") == [], "[sync] payments = false"
        finally:
            await engine.stop()
        engine = await s.engine()
        try:
            await engine.cycles.low_priority()
            recorded = {r["ino_accountingid"] for r in s.dv.rows("ino_payments")}
            assert {p["Id"] for p in made} <= recorded
            check_payments_and_invoices(s)
            rows = len(s.dv.rows("ino_payments"))
            await engine.cycles.low_priority()
            assert len(s.dv.rows("ino_payments")) == rows
        finally:
            await engine.stop()


def payment_jobs(jobs: list[Any]) -> list[Any]:
    from inolink_tui.domain.enums import EntityType

    return [j for j in jobs if j.entity_type is EntityType.PAYMENT]


async def test_payments_are_ordinary_link_jobs_of_source_accounting(tmp_path: Path) -> None:
    """Issue 16: payments are recorded through Link Jobs an operator can see, filter, requeue and audit."""
    from datetime import UTC

    from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, Source
    from inolink_tui.domain.filters import parse_filter
    from inolink_tui.engine.mirror import mirror_row
    from inolink_tui.engine.money_back import payment_row_id
    from inolink_tui.engine.payment_jobs import payment_job

    async with stack(tmp_path, 30) as s:
        engine, _, _ = await adapters(s)
        try:
            await engine.run_once()
            made = pay_linked_invoices(s)
            await engine.run_once()
            check_payments_and_invoices(s)
            jobs = payment_jobs(await s.jobs())
            by_payment = Counter(j.accounting_id for j in jobs)
            assert {p["Id"] for p in made} <= set(by_payment), "one Payment job per payment CDC reported"
            for job in jobs:
                assert job.source is Source.ACCOUNTING and job.link_status is LinkStatus.SUCCESS, job
                assert job.qbo_entity == "Payment" and job.operation is Operation.CREATE
                assert job.crm_record_id == payment_row_id(engine.options.company, str(job.accounting_id))
                row = mirror_row(job, S)
                assert row["ino_entitytype"] == S.entity_type_options[EntityType.PAYMENT]
                assert not any(k.endswith("@odata.bind") for k in row), "a payment is no Regarding target"
            flt = parse_filter("entity:payment", datetime.now(UTC))
            page = await engine.store.page(flt, limit=1000)
            assert {j.id for j in page.jobs} == {j.id for j in jobs}
            # The same payments queued again (a second CDC overlap, a restart): new jobs, nothing recorded twice.
            before = len(s.dv.rows("ino_payments")), len(s.dv.rows("ino_paymentapplications"))
            now = datetime.now(UTC)
            again = await engine.store.enqueue(
                [payment_job(p, engine.options.company, now) for p in s.qbo.all("Payment") if p["Id"] in by_payment],
                now=now,
            )
            assert len(again.created) == len(by_payment)
            await engine.cycles.high_priority()
            rerun = await engine.store.get_many(list(again.created))
            assert all(j.link_status is LinkStatus.SUCCESS and j.operation is Operation.UPDATE for j in rerun), rerun
            assert (len(s.dv.rows("ino_payments")), len(s.dv.rows("ino_paymentapplications"))) == before
            check_payments_and_invoices(s)
        finally:
            await engine.stop()


async def test_a_payment_job_of_an_unlinked_customer_ends_in_error_with_what_to_do(tmp_path: Path) -> None:
    from inolink_tui.domain.enums import ErrorClass, LinkStatus, Source
    from inolink_tui.engine.payment_jobs import payment_job

    async with stack(tmp_path, 30) as s:
        engine, _, _ = await adapters(s)
        try:
            await engine.run_once()
            linked_ids = {r["ino_accountingid"] for r in linked(s, "accounts") + linked(s, "contacts")}
            stranger = next(
                c for c in s.qbo.all("Customer") if c["Id"] not in linked_ids and c.get("Active") is not False
            )
            payment = s.qbo.create(
                "Payment", {"CustomerRef": {"value": stranger["Id"]}, "TotalAmt": 5.0, "PaymentRefNum": "X-1"}
            )
            now = datetime.fromisoformat(f"{s.qbo.today()}T12:00:00+00:00")
            await engine.store.enqueue([payment_job(payment, engine.options.company, now)], now=now)
            await engine.cycles.high_priority()
            job = next(j for j in payment_jobs(await s.jobs()) if j.accounting_id == payment["Id"])
            assert job.source is Source.ACCOUNTING and job.link_status is LinkStatus.ERROR
            assert job.error_class is ErrorClass.REFERENCE and "not linked" in (job.error_description or "")
            assert payment["Id"] not in {r["ino_accountingid"] for r in s.dv.rows("ino_payments")}
        finally:
            await engine.stop()
