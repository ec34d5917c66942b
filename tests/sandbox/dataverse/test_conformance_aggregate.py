"""Conformance: `$apply` aggregation, from the samples of Microsoft Learn "Aggregate data using OData".

AGGREGATE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/aggregate-data
One sandbox for the module, seeded once with five accounts (four Active, one Inactive) and two contacts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.sandbox.dataverse.harness import API, Sandbox, in_process

pytestmark = pytest.mark.asyncio(loop_scope="module")
FORMATTED = 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sb() -> AsyncIterator[Sandbox]:
    async with in_process() as sandbox:
        jim = await sandbox.create("contacts", {"firstname": "Jim", "lastname": "Glynn"})
        maria = await sandbox.create("contacts", {"firstname": "Maria", "lastname": "Campbell"})
        rows = [
            ("A", 100000, 1, jim, "WA", 1),
            ("B", 200000, 1, maria, "WA", 2),
            ("C", 30000, 1, maria, "OR", None),
            ("D", 100000, 1, None, "WA", None),
            ("E", 10000, 2, jim, "OR", None),
        ]
        for name, revenue, status, contact, state, category in rows:
            body: dict[str, Any] = {
                "name": name,
                "revenue": revenue,
                "statuscode": status,
                "statecode": status - 1,
                "address1_stateorprovince": state,
                "accountcategorycode": category,
            }
            if contact:
                body["primarycontactid@odata.bind"] = f"/contacts({contact})"
            await sandbox.create("accounts", body)
        yield sandbox


async def _value(sb: Sandbox, query: str, **headers: str) -> list[dict[str, Any]]:
    response = await sb.get(f"accounts?$apply={query}", **headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts"
    rows: list[dict[str, Any]] = body["value"]
    return rows


async def test_groupby_lists_the_unique_values_with_labels(sb: Sandbox) -> None:
    # AGGREGATE "List of unique statuses in the query".
    rows = await _value(sb, "groupby((statuscode))", Prefer=FORMATTED)
    assert rows == [
        {"statuscode@OData.Community.Display.V1.FormattedValue": "Active", "statuscode": 1},
        {"statuscode@OData.Community.Display.V1.FormattedValue": "Inactive", "statuscode": 2},
    ]


async def test_count_by_status(sb: Sandbox) -> None:
    # AGGREGATE "Count by status values": `aggregate($count as count)`, formatted as a string.
    rows = await _value(sb, "groupby((statuscode),aggregate($count as count))", Prefer=FORMATTED)
    assert [(r["statuscode"], r["count"], r["count@OData.Community.Display.V1.FormattedValue"]) for r in rows] == [
        (1, 4, "4"),
        (2, 1, "1"),
    ]


async def test_sum_of_revenue_and_its_formatted_value(sb: Sandbox) -> None:
    # AGGREGATE "Aggregate sum of revenue": one row, `total` and `"$440,000.00"`; Preference-Applied echoed.
    response = await sb.get("accounts?$apply=aggregate(revenue with sum as total)", Prefer=FORMATTED)
    assert response.headers["Preference-Applied"] == FORMATTED
    assert response.json()["value"] == [
        {"total@OData.Community.Display.V1.FormattedValue": "$440,000.00", "total": 440000}
    ]


async def test_average_and_sum_by_status(sb: Sandbox) -> None:
    # AGGREGATE "Average revenue based on status" and "Sum of revenue based on status".
    average = await _value(sb, "groupby((statuscode),aggregate(revenue with average as averagevalue))")
    assert [(r["statuscode"], r["averagevalue"]) for r in average] == [(1, 107500), (2, 10000)]
    total = await _value(sb, "groupby((statuscode),aggregate(revenue with sum as total))")
    assert [(r["statuscode"], r["total"]) for r in total] == [(1, 430000), (2, 10000)]


async def test_group_through_a_lookup_is_named_after_the_related_table(sb: Sandbox) -> None:
    # AGGREGATE "Total account revenue by primary contact name": the value is `contact_fullname`.
    rows = await _value(sb, "groupby((primarycontactid/fullname),aggregate(revenue with sum as total))")
    named = {r["contact_fullname"]: r["total"] for r in rows if "contact_fullname" in r}
    assert named == {"Jim Glynn": 110000, "Maria Campbell": 230000}


async def test_filter_then_groupby(sb: Sandbox) -> None:
    # AGGREGATE "Primary contact names for accounts in 'WA'": `filter(...)/groupby((primarycontactid/fullname))`.
    rows = await _value(sb, "filter(address1_stateorprovince eq 'WA')/groupby((primarycontactid/fullname))")
    assert {r.get("contact_fullname") for r in rows} == {"Jim Glynn", "Maria Campbell", None}


async def test_min_and_max_of_a_datetime(sb: Sandbox) -> None:
    # AGGREGATE "Last / First created record date and time": `createdon with max as lastCreate`.
    last = (await _value(sb, "aggregate(createdon with max as lastCreate)"))[0]["lastCreate"]
    first = (await _value(sb, "aggregate(createdon with min as firstCreate)"))[0]["firstCreate"]
    assert isinstance(last, str) and last.endswith("Z") and first <= last


async def test_distinct_combinations_leave_null_values_out(sb: Sandbox) -> None:
    # AGGREGATE "Distinct column values": groupby((statecode,statuscode,accountcategorycode)); a null category is
    # absent from its row.
    rows = await _value(sb, "groupby((statecode,statuscode,accountcategorycode))")
    assert {tuple(sorted(r.items())) for r in rows} == {
        (("statecode", 0), ("statuscode", 1)),
        (("accountcategorycode", 1), ("statecode", 0), ("statuscode", 1)),
        (("accountcategorycode", 2), ("statecode", 0), ("statuscode", 1)),
        (("statecode", 1), ("statuscode", 2)),
    }


async def test_documented_refusals(sb: Sandbox) -> None:
    # AGGREGATE note: "$orderby with aggregate values is not supported. This will return the error: The query node
    # SingleValueOpenPropertyAccess is not supported"; "groupby with datetime values is not supported".
    ordered = await sb.get("accounts?$apply=aggregate(revenue with sum as total)&$orderby=total desc")
    assert ordered.status_code == 400
    assert ordered.json()["error"]["message"] == "The query node SingleValueOpenPropertyAccess is not supported"
    by_date = await sb.get("accounts?$apply=groupby((createdon))")
    assert by_date.status_code == 400
