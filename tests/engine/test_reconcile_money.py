"""reconcile's money reads against fakes: the [sync] switches decide what is compared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.reconcile import reconcile

OPTIONS = EngineOptions()
S = OPTIONS.schema


class FakeCrm:
    def __init__(self) -> None:
        self.reads: list[str] = []

    async def linked_rows(self, entity_type: EntityType) -> list[dict[str, Any]]:
        self.reads.append(entity_type.value)
        if entity_type is EntityType.ACCOUNT:
            return [{"accountid": "a1", "name": "Acme", S.accounting_id: "1"}]
        if entity_type is EntityType.INVOICE:
            return [{"invoiceid": "i1", "name": "INV-1", S.accounting_id: "7"}]  # status never written back
        return []

    async def column_values(self, entity_set: str, column: str) -> set[str]:
        self.reads.append(entity_set)
        return set()

    async def promoted(self, entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        return []

    async def get_many(self, entity_type: EntityType, ids: Sequence[str]) -> list[dict[str, Any]]:
        return []


class FakeQbo:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]:
        self.calls.append(entity)
        if entity == "Invoice":
            return [{"Id": "7", "TotalAmt": "50", "Balance": "50", "DueDate": "2999-01-01"}]
        line = {"Amount": "5", "LinkedTxn": [{"TxnId": "7", "TxnType": "Invoice"}]}
        return [{"Id": "9", "CustomerRef": {"value": "1"}, "TotalAmt": "5", "Line": [line]}]

    async def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        raise AssertionError("invoice alone needs no aging report")


async def _kinds(options: EngineOptions) -> tuple[list[str], list[str]]:
    crm, qbo = FakeCrm(), FakeQbo()
    drifts = await reconcile(None, crm, qbo, options, [EntityType.INVOICE])  # type: ignore[arg-type]
    return sorted({d.kind.value for d in drifts}), qbo.calls


async def test_invoice_compares_status_and_payments_with_one_query_each() -> None:
    assert await _kinds(OPTIONS) == (["invoice", "payment"], ["Invoice", "Payment"])


async def test_switched_off_money_is_not_compared() -> None:
    assert await _kinds(replace(OPTIONS, payments=False)) == (["invoice"], ["Invoice"])
    assert await _kinds(replace(OPTIONS, invoice_status=False)) == (["payment"], ["Payment"])
