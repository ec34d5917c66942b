"""Simulated users: CRM users promote, edit, deactivate and delete records; QuickBooks users edit customers
and items, enter invoices, estimates, sales receipts, payments (full and partial) and credit memos, delete or
void a payment now and then, and make customers inactive.
`--activity RATE` runs RATE events per (service) minute, from a seeded RNG.

Each event goes through the same state methods as the APIs, so it obeys the same rules and shows up
in change tracking and CDC exactly like a person's edit would.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.seed_region import line_tax_ref

if TYPE_CHECKING:
    from inolink_tui.sandbox.app import Sandbox

log = logging.getLogger(__name__)

TO_BE_LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.TO_BE_LINKED]
SYNCED_SETS = ("accounts", "contacts", "products", "quotes", "salesorders", "invoices")
_PRIMARY_KEY = {
    "accounts": "accountid",
    "contacts": "contactid",
    "products": "productid",
    "quotes": "quoteid",
    "salesorders": "salesorderid",
    "invoices": "invoiceid",
}


def _user_ids(sandbox: Sandbox) -> list[str]:
    report = sandbox.extra.get("seed_report")
    if report is not None and report.user_ids:
        return list(report.user_ids)
    rows = sandbox.dataverse.rows("systemusers") if sandbox.dataverse is not None else []
    return [r["systemuserid"] for r in rows if r.get("accessmode") != 4] or [r["systemuserid"] for r in rows]


def promote_records(
    sandbox: Sandbox,
    entity_set: str,
    *,
    ids: list[str] | None = None,
    count: int = 1,
    rng: random.Random | None = None,
) -> list[str]:
    """Set records to "To be Linked" as InoLink's Promote button does (who and when included)."""
    if sandbox.dataverse is None:
        raise ValueError("the Dataverse sandbox is not installed")
    if entity_set not in SYNCED_SETS:
        raise ValueError(f"{entity_set} is not a synced table (choose from {', '.join(SYNCED_SETS)})")
    if "ino_linkstatus" not in sandbox.dataverse.tables[entity_set].columns:
        raise ValueError(f"{entity_set} has no InoLink columns yet (a stock org before `crm setup`)")
    rng = rng or random.Random()
    key = _PRIMARY_KEY[entity_set]
    if ids is None:
        candidates = [r[key] for r in sandbox.dataverse.rows(entity_set) if r.get("ino_linkstatus") is None]
        ids = rng.sample(candidates, min(count, len(candidates)))
    users = _user_ids(sandbox)
    when = sandbox.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")
    for row_id in ids:
        user = rng.choice(users) if users else None
        changes: dict[str, Any] = {"ino_linkstatus": TO_BE_LINKED, "ino_promotedon": when}
        if user is not None:
            changes["_ino_promotedby_value"] = user
        sandbox.dataverse.update_row(entity_set, row_id, changes, user_id=user)
    return list(ids)


class ActivityRunner:
    def __init__(self, sandbox: Sandbox, rate: float, seed: int) -> None:
        self.sandbox = sandbox
        self.rate = rate
        self.rng = random.Random(seed * 7919 + 1)
        self.extra = random.Random(seed * 7919 + 2)
        """Draws of the events added with issue 16 (estimates, sales receipts, removed payments): see `step`."""
        self.counts: Counter[str] = Counter()
        self._wake = asyncio.Event()

    def set_rate(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("rate must not be negative")
        self.rate = rate
        self._wake.set()

    async def run(self) -> None:
        """Run until cancelled; a rate of 0 idles until `set_rate` wakes it."""
        while True:
            if self.rate <= 0:
                self._wake.clear()
                await self._wake.wait()
                continue
            interval = self.sandbox.clock.to_wall(60.0 / self.rate)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=interval * self.rng.uniform(0.5, 1.5))
                continue  # the rate changed: recompute the interval
            except TimeoutError:
                pass
            try:
                self.step()
            except Exception:  # a bug in one simulated event must not silence the company for good
                log.exception("simulated user event failed")

    def step(self) -> dict[str, Any]:
        """One simulated user event; a business-rule refusal is an outcome too, not a crash.

        A quiet turn (a drawn event that did nothing this time) goes to another QuickBooks user, who enters an
        estimate or a sales receipt or removes a payment, drawn from a second generator: the first one's sequence
        stays what it was before these events existed, so a seed replays the same story it always did."""
        events = [self._qbo_edit_customer, self._qbo_edit_item, self._qbo_invoice, self._qbo_payment]
        events += [self._qbo_invoice, self._qbo_payment, self._qbo_credit_memo, self._qbo_deactivate_customer]
        if self.sandbox.dataverse is not None:
            events += [self._crm_promote, self._crm_promote, self._crm_edit, self._crm_deactivate, self._crm_delete]
        event = self.rng.choice(events)
        quiet = False
        try:
            detail = event()
        except QboFault as fault:
            detail = {"refused": fault.code}
        except (LookupError, ValueError) as exc:
            detail = {"skipped": str(exc)}
            quiet = isinstance(exc, LookupError)
        if quiet:
            event = self.extra.choice([self._qbo_estimate, self._qbo_sales_receipt, self._qbo_remove_payment])
            try:
                detail = event()
            except QboFault as fault:
                detail = {"refused": fault.code}
            except (LookupError, ValueError) as exc:
                detail = {"skipped": str(exc)}
        name = event.__name__.lstrip("_")
        self.counts[name] += 1
        log.debug("activity %s: %s", name, detail)
        return {"event": name, **detail}

    # -- QuickBooks users --------------------------------------------------------------------------------
    def _active(self, entity: str) -> list[dict[str, Any]]:
        return [r for r in self.sandbox.qbo.records[entity].values() if r.get("Active", True) is not False]

    def _qbo_edit_customer(self) -> dict[str, Any]:
        customer = self.rng.choice(self._active("Customer"))
        phone = f"(650) 555-{self.rng.randint(1000, 9999)}"
        body = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "PrimaryPhone": {"FreeFormNumber": phone}}
        updated = self.sandbox.qbo.update("Customer", body)
        return {"customer": updated["Id"], "SyncToken": updated["SyncToken"]}

    def _qbo_edit_item(self) -> dict[str, Any]:
        items = [i for i in self._active("Item") if i["Name"] not in ("Write-In", "Discount", "Shipping", "Services")]
        item = self.rng.choice(items)
        price = (Decimal(str(item.get("UnitPrice", 10))) * Decimal(str(self.rng.uniform(0.9, 1.1)))).quantize(
            Decimal("0.01")
        )
        updated = self.sandbox.qbo.update(
            "Item", {"Id": item["Id"], "SyncToken": item["SyncToken"], "UnitPrice": price}
        )
        return {"item": updated["Id"], "UnitPrice": str(price)}

    def _sales_lines(self, rng: random.Random) -> list[dict[str, Any]]:
        items = [i for i in self._active("Item") if i["Name"] not in ("Discount",)]
        lines = []
        for _ in range(rng.randint(1, 3)):
            item = rng.choice(items)
            qty = rng.randint(1, 5)
            price = Decimal(str(item.get("UnitPrice") or "25.00"))
            detail: dict[str, Any] = {"ItemRef": {"value": item["Id"]}, "Qty": qty, "UnitPrice": price}
            if (tax := line_tax_ref(self.sandbox.qbo, item)) is not None:
                detail["TaxCodeRef"] = tax  # a non-US company needs a tax code on every line
            lines.append({"Amount": price * qty, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
        return lines

    def _qbo_invoice(self) -> dict[str, Any]:
        customer = self.rng.choice(self._active("Customer"))
        lines = self._sales_lines(self.rng)
        invoice = self.sandbox.qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": lines})
        return {"invoice": invoice["Id"], "TotalAmt": str(invoice["TotalAmt"])}

    def _qbo_estimate(self) -> dict[str, Any]:
        """An estimate entered in QuickBooks (Estimate reference: CustomerRef and Line are required)."""
        customer = self.extra.choice(self._active("Customer"))
        lines = self._sales_lines(self.extra)
        estimate = self.sandbox.qbo.create("Estimate", {"CustomerRef": {"value": customer["Id"]}, "Line": lines})
        return {"estimate": estimate["Id"], "TotalAmt": str(estimate["TotalAmt"])}

    def _qbo_sales_receipt(self) -> dict[str, Any]:
        """A sale paid on the spot (SalesReceipt reference: Line is required; the customer is optional, given
        here so the receipt belongs to someone CRM may know)."""
        customer = self.extra.choice(self._active("Customer"))
        lines = self._sales_lines(self.extra)
        receipt = self.sandbox.qbo.create("SalesReceipt", {"CustomerRef": {"value": customer["Id"]}, "Line": lines})
        return {"sales_receipt": receipt["Id"], "TotalAmt": str(receipt["TotalAmt"])}

    def _qbo_remove_payment(self) -> dict[str, Any]:
        """A payment entered by mistake is deleted (two times in three) or voided, now and then (one draw in two
        does nothing). Both are documented operations on a payment: "Delete a payment" and "Void a payment"
        (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment); the invoices it paid
        are open again."""
        if self.extra.random() < 0.5:
            raise LookupError("no payment removed this time")
        qbo = self.sandbox.qbo
        payments = [p for p in qbo.records["Payment"].values() if Decimal(str(p.get("TotalAmt") or 0)) > 0]
        if not payments:
            raise LookupError("no payment to remove")
        payment = self.extra.choice(payments)
        body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}
        if self.extra.random() < 2 / 3:
            qbo.delete("Payment", body)
            return {"payment": payment["Id"], "removed": "deleted"}
        qbo.void("Payment", body)
        return {"payment": payment["Id"], "removed": "voided"}

    def _qbo_payment(self) -> dict[str, Any]:
        open_invoices = [i for i in self.sandbox.qbo.records["Invoice"].values() if Decimal(str(i["Balance"])) > 0]
        invoice = self.rng.choice(open_invoices)
        balance = Decimal(str(invoice["Balance"]))
        amount = balance if self.rng.random() < 0.6 else (balance / 2).quantize(Decimal("0.01"))
        payment = self.sandbox.qbo.create(
            "Payment",
            {
                "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                "TotalAmt": amount,
                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
            },
        )
        return {"payment": payment["Id"], "invoice": invoice["Id"], "amount": str(amount)}

    def _qbo_credit_memo(self) -> dict[str, Any]:
        """A credit for a customer with an open invoice; most are applied to it through a payment at once."""
        qbo = self.sandbox.qbo
        open_invoices = [i for i in qbo.records["Invoice"].values() if Decimal(str(i["Balance"])) > 0]
        invoice = self.rng.choice(open_invoices)
        items = [i for i in self._active("Item") if i["Name"] not in ("Discount",)]
        item = self.rng.choice(items)
        amount = (Decimal(str(invoice["Balance"])) * Decimal(self.rng.choice(("0.1", "0.25", "0.5")))).quantize(
            Decimal("0.01")
        )
        detail: dict[str, Any] = {"ItemRef": {"value": item["Id"]}}
        if (tax := line_tax_ref(qbo, item)) is not None:
            detail["TaxCodeRef"] = tax
        memo = qbo.create(
            "CreditMemo",
            {
                "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}],
            },
        )
        credit = Decimal(str(memo["RemainingCredit"]))
        if self.rng.random() < 0.3 or credit > Decimal(str(invoice["Balance"])):
            return {"credit_memo": memo["Id"], "applied": False}
        payment = qbo.create(
            "Payment",
            {
                "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                "TotalAmt": 0,
                "Line": [
                    {"Amount": credit, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
                    {"Amount": credit, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
                ],
            },
        )
        return {"credit_memo": memo["Id"], "applied": True, "payment": payment["Id"]}

    def _qbo_deactivate_customer(self) -> dict[str, Any]:
        """A customer with nothing open is made inactive (Active false), as people tidy their lists (rarely)."""
        if self.rng.random() < 0.7:
            raise LookupError("no customer made inactive this time")
        settled = [c for c in self._active("Customer") if Decimal(str(c.get("Balance", 0))) == 0]
        customer = self.rng.choice(settled)
        updated = self.sandbox.qbo.update(
            "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Active": False}
        )
        return {"customer": updated["Id"], "Active": False}

    # -- CRM users -------------------------------------------------------------------------------------------
    def _crm_promote(self) -> dict[str, Any]:
        entity_set = self.rng.choice(SYNCED_SETS)
        promoted = promote_records(self.sandbox, entity_set, count=1, rng=self.rng)
        if not promoted:
            raise LookupError(f"nothing left to promote in {entity_set}")
        return {"promoted": entity_set, "id": promoted[0]}

    def _crm_edit(self) -> dict[str, Any]:
        assert self.sandbox.dataverse is not None
        rows = self.sandbox.dataverse.rows("accounts")
        row = self.rng.choice(rows)
        users = _user_ids(self.sandbox)
        phone = f"(650) 555-{self.rng.randint(1000, 9999)}"
        self.sandbox.dataverse.update_row(
            "accounts", row["accountid"], {"telephone1": phone}, user_id=self.rng.choice(users) if users else None
        )
        return {"account": row["accountid"], "telephone1": phone}

    def _crm_deactivate(self) -> dict[str, Any]:
        """Deactivate an account or contact: statecode Inactive (1), statuscode Inactive (2) (now and then)."""
        assert self.sandbox.dataverse is not None
        if self.rng.random() < 0.6:
            raise LookupError("no deactivation this time")
        entity_set = self.rng.choice(("accounts", "contacts"))
        key = _PRIMARY_KEY[entity_set]
        rows = [r for r in self.sandbox.dataverse.rows(entity_set) if r.get("statecode") in (None, 0)]
        row = self.rng.choice(rows)
        users = _user_ids(self.sandbox)
        self.sandbox.dataverse.update_row(
            entity_set, row[key], {"statecode": 1, "statuscode": 2}, user_id=self.rng.choice(users) if users else None
        )
        return {"deactivated": entity_set, "id": row[key]}

    def _crm_delete(self) -> dict[str, Any]:
        """Delete a contact now and then (the rarest event: four draws in five do nothing)."""
        assert self.sandbox.dataverse is not None
        if self.rng.random() < 0.8:
            raise LookupError("no deletion this time")
        row = self.rng.choice(self.sandbox.dataverse.rows("contacts"))
        self.sandbox.dataverse.delete_row("contacts", row["contactid"])
        return {"deleted": "contacts", "id": row["contactid"]}
