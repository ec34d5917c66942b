"""Property: following nextLinks yields exactly the full ordered result, whatever the order and page size."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sandbox.dataverse.harness import API, in_process

_ROW = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["a", "B", "c", "b", "A", None]),
        "revenue": st.one_of(st.none(), st.sampled_from([0, 1.5, 2, 100])),
        "statecode": st.sampled_from([0, 1]),
    }
)
_ORDER = st.lists(
    st.tuples(st.sampled_from(["name", "revenue", "statecode", "createdon"]), st.booleans()),
    max_size=3,
    unique_by=lambda t: t[0],
)


def _in_order(a: dict, b: dict, keys: list[tuple[str, bool]]) -> bool:  # type: ignore[type-arg]
    """Oracle: SQL Server order (nulls lowest, strings ignoring case), first differing key decides."""
    for key, descending in keys:
        x, y = a.get(key), b.get(key)
        x = x.casefold() if isinstance(x, str) else x
        y = y.casefold() if isinstance(y, str) else y
        if x == y:
            continue
        smaller = x is None or (y is not None and x < y)
        return smaller != descending
    return True


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(_ROW, max_size=12), orderby=_ORDER, page=st.integers(1, 5))
def test_pages_concatenate_to_the_full_ordered_result(
    rows: list[dict], orderby: list[tuple[str, bool]], page: int
) -> None:  # type: ignore[type-arg]
    async def run() -> None:
        async with in_process() as sb:
            table = sb.state.table("accounts")
            for row in rows:
                sb.state.insert(table, {k: v for k, v in row.items() if v is not None})
            order = ",".join(f"{k} {'desc' if d else 'asc'}" for k, d in orderby)
            query = "accounts?$select=name" + (f"&$orderby={order}" if order else "")
            full = (await sb.get(query)).json()["value"]
            assert len(full) == len(rows)
            url = f"{API}/{query}"
            paged: list[dict] = []  # type: ignore[type-arg]
            for _ in range(len(rows) + 2):
                body = (await sb.client.get(url, headers=sb.headers(Prefer=f"odata.maxpagesize={page}"))).json()
                assert len(body["value"]) <= page
                paged += body["value"]
                url = body.get("@odata.nextLink", "")
                if not url:
                    break
            assert [r["accountid"] for r in paged] == [r["accountid"] for r in full]
            stored = sb.state.row_map("accounts")
            keys = [*orderby, ("accountid", False)]
            for before, after in itertools.pairwise(full):
                assert _in_order(stored[before["accountid"]], stored[after["accountid"]], keys)

    asyncio.run(run())
