"""engine/vendors.py with a fake QuickBooks: the Vendor is found by Display Name (case ignored) once per name per
cycle, never created; a name QuickBooks lacks leaves PrefVendorRef out and is said in the job's message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.engine import fit
from inolink_tui.engine.money import MoneyLookups
from inolink_tui.engine.vendors import preferred_vendor


class FakeQbo:
    def __init__(self) -> None:
        self.asked: list[tuple[str, list[str]]] = []

    async def find_by_names(self, entity: str, names: Sequence[str]) -> list[dict[str, Any]]:
        self.asked.append((entity, list(names)))
        vendors = [{"Id": "56", "DisplayName": "Acme Supplies"}]
        return [v for v in vendors if v["DisplayName"].casefold() in {n.casefold() for n in names}]

    async def create(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("a vendor is never created")


async def test_found_once_per_cycle_and_a_missing_vendor_is_noted() -> None:
    qbo = FakeQbo()
    lookups = MoneyLookups(qbo)  # type: ignore[arg-type]
    fit.start_collecting()
    assert await preferred_vendor(lookups, {"vendorname": "acme supplies"}) == {"value": "56"}
    assert await preferred_vendor(lookups, {"vendorname": "ACME Supplies"}) == {"value": "56"}
    assert await preferred_vendor(lookups, {"vendorname": None}) is None
    assert qbo.asked == [("Vendor", ["acme supplies"])]
    assert fit.with_truncations(JobSuccess(message="updated")).message == "updated"
    assert await preferred_vendor(lookups, {"vendorname": "Nobody Ltd"}) is None
    message = fit.with_truncations(JobSuccess(message="updated")).message
    assert message == "updated; no QuickBooks vendor named 'Nobody Ltd': the item's Preferred Vendor was left out"
    lookups.reset()
    await preferred_vendor(lookups, {"vendorname": "Acme Supplies"})
    assert len(qbo.asked) == 3
