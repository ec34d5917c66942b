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


def _lists_session(info: dict[str, str]) -> dict[str, Any]:
    """The lists and settings python-quickbooks reads, through its own objects and calls, unchanged."""
    from intuitlib.client import AuthClient
    from quickbooks import QuickBooks
    from quickbooks.objects.department import Department
    from quickbooks.objects.paymentmethod import PaymentMethod
    from quickbooks.objects.preferences import Preferences
    from quickbooks.objects.taxcode import TaxCode
    from quickbooks.objects.taxrate import TaxRate
    from quickbooks.objects.term import Term
    from quickbooks.objects.trackingclass import Class

    auth = AuthClient(
        info["qbo_client_id"], info["qbo_client_secret"], "http://localhost:8765/callback", info["intuit_discovery_url"]
    )
    client = QuickBooks(
        auth_client=auth, refresh_token=info["qbo_refresh_token"], company_id=info["realm_id"], minorversion=75
    )
    client.api_url_v3 = info["qbo_base_url"] + "/v3"
    seen: dict[str, Any] = {}
    prefs = Preferences.get(qb=client)
    seen["home_currency"] = prefs.CurrencyPrefs.HomeCurrency.value
    prefs.SalesFormsPrefs.AllowDeposit = True
    saved = prefs.save(qb=client)
    seen["prefs_after_save"] = (saved.SyncToken, saved.SalesFormsPrefs.AllowDeposit)
    seen["prefs_query"] = [p["Id"] for p in client.query("SELECT * FROM Preferences")["QueryResponse"]["Preferences"]]
    new_class = Class()
    new_class.Name = "PyQB Class"
    new_class.save(qb=client)
    seen["class"] = Class.get(new_class.Id, qb=client).FullyQualifiedName
    seen["classes"] = sorted(c.Name for c in Class.all(qb=client))
    seen["departments"] = sorted(d.Name for d in Department.all(qb=client))
    seen["terms"] = sorted(t.Name for t in Term.all(qb=client))
    methods = PaymentMethod.all(qb=client)
    seen["payment_methods"] = len(methods)
    seen["visa"] = PaymentMethod.get(next(m.Id for m in methods if m.Name == "Visa"), qb=client).Type
    seen["tax_codes"] = sorted(c.Id for c in TaxCode.all(qb=client))
    rates = TaxRate.all(qb=client)
    seen["tax_rate"] = (rates[0].Name, float(TaxRate.get(rates[0].Id, qb=client).RateValue))
    return seen


async def test_python_quickbooks_reads_preferences_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    # Preferences (GET /preferences, query, update), Class, Department, Term, PaymentMethod, TaxCode and
    # TaxRate as the library reads them (Intuit's API reference, all-entities/<name>).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    limits = QboLimits(requests_per_second=0)
    async with run_sandbox(SandboxOptions(records=0, qbo_limits=limits)) as handle:
        seen = await asyncio.to_thread(_lists_session, handle.info())
    assert seen["home_currency"] == "USD"
    assert seen["prefs_after_save"] == ("1", True)
    assert seen["prefs_query"] == ["1"]
    assert seen["class"] == "PyQB Class"
    assert seen["classes"] == ["Commercial", "PyQB Class", "Residential"]
    assert seen["departments"] == ["Main Street", "Online"]
    assert "Net 30" in seen["terms"]
    assert seen["payment_methods"] == 7 and seen["visa"] == "CREDIT_CARD"
    assert {"TAX", "NON"} <= set(seen["tax_codes"])
    assert seen["tax_rate"] == ("California", 8.0)
