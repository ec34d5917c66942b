"""A widely used third-party client, python-quickbooks, unchanged and only pointed at the sandbox's base URL.

python-quickbooks is not a dependency of the project yet (see the sandbox report); the test runs wherever it
is installed. requests-oauthlib refuses plain http unless OAUTHLIB_INSECURE_TRANSPORT is set, which is its
documented switch for local servers, so the test sets it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inolink_tui.sandbox.options import QboLimits, SandboxOptions
from inolink_tui.sandbox.server import run_sandbox

quickbooks = pytest.importorskip("quickbooks")
pytestmark = pytest.mark.timeout(60)


def _session(info: dict[str, str]) -> dict[str, Any]:
    from intuitlib.client import AuthClient
    from quickbooks import QuickBooks
    from quickbooks.batch import batch_create
    from quickbooks.exceptions import QuickbooksException
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice
    from quickbooks.objects.item import Item

    auth = AuthClient(
        info["qbo_client_id"], info["qbo_client_secret"], "http://localhost:8765/callback", info["intuit_discovery_url"]
    )
    client = QuickBooks(
        auth_client=auth, refresh_token=info["qbo_refresh_token"], company_id=info["realm_id"], minorversion=75
    )
    client.api_url_v3 = info["qbo_base_url"] + "/v3"
    seen: dict[str, Any] = {}
    customer = Customer()
    customer.DisplayName = "PyQB Customer"
    customer.save(qb=client)
    read = Customer.get(customer.Id, qb=client)
    seen["read"] = (read.DisplayName, read.SyncToken)
    read.Notes = "changed"
    read.save(qb=client)
    seen["after_update"] = Customer.get(customer.Id, qb=client).SyncToken
    seen["filter"] = [c.Id for c in Customer.filter(DisplayName="PyQB Customer", qb=client)]
    seen["like"] = [c.Id for c in Customer.where("DisplayName LIKE 'pyqb%'", qb=client)]
    seen["page"] = len(Customer.all(start_position=1, max_results=3, qb=client))
    stale = Customer.get(customer.Id, qb=client)
    stale.SyncToken = "0"
    try:
        stale.save(qb=client)
    except QuickbooksException as exc:
        seen["stale"] = exc.error_code
    item = Item.filter(Name="Write-In", qb=client)[0]
    invoice = Invoice()
    invoice.CustomerRef = read.to_ref()
    line = SalesItemLine()
    line.Amount = 30
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = 3
    line.SalesItemLineDetail.UnitPrice = 10
    invoice.Line = [line]
    invoice.save(qb=client)
    seen["invoice_total"] = Invoice.get(invoice.Id, qb=client).TotalAmt
    first, clash = Customer(), Customer()
    first.DisplayName, clash.DisplayName = "Batch A", "PyQB Customer"
    result = batch_create([first, clash], qb=client)
    seen["batch"] = ([c.DisplayName for c in result.successes], [f.Error[0].code for f in result.faults])
    return seen


async def test_python_quickbooks_creates_reads_queries_and_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    limits = QboLimits(requests_per_second=0)  # the library does not pace itself; 10/s would throttle it
    async with run_sandbox(SandboxOptions(records=0, qbo_limits=limits)) as handle:
        seen = await asyncio.to_thread(_session, handle.info())
    assert seen["read"] == ("PyQB Customer", "0")
    assert seen["after_update"] == "1"
    assert len(seen["filter"]) == 1 and seen["like"] == seen["filter"]
    assert seen["page"] == 3
    assert str(seen["stale"]) == "5010"
    assert float(seen["invoice_total"]) == 30.0
    assert seen["batch"] == (["Batch A"], ["6240"])
