"""Conformance: querying through the Web API as Microsoft documents it, one test per documented behaviour.

Each test is written from the page it cites and sent with httpx to the sandbox (not through our connectors).
Where the documentation is vague the test says so and states what the sandbox chose.
"""

from __future__ import annotations

from typing import Any

from tests.sandbox.dataverse.harness import Sandbox

COUNT_ROWS = "https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/count-rows"
ALL_ANNOTATIONS = 'odata.include-annotations="*"'


async def _rows(sb: Sandbox, n: int, prefix: str = "row") -> None:
    table = sb.state.table("accounts")
    for i in range(n):
        sb.state.insert(table, {"name": f"{prefix} {i}"})


async def _json(sb: Sandbox, path: str, **headers: str) -> dict[str, Any]:
    response = await sb.get(path, **headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# ----- counting: COUNT_ROWS -----


async def test_count_true_adds_odata_count_irrespective_of_page_size(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: "@odata.count ... contains the number of rows, up to 5,000, that matches the filter
    # criteria irrespective of the page size requested."
    await _rows(sb, 9, "sample")
    await _rows(sb, 2, "other")
    body = await _json(
        sb, "accounts?$select=name&$filter=contains(name,'sample')&$count=true", Prefer="odata.maxpagesize=3"
    )
    assert body["@odata.count"] == 9 and len(body["value"]) == 3 and "@odata.nextLink" in body


async def test_count_stops_at_5000(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: "include a count of entities that match the filter criteria, up to 5,000".
    await _rows(sb, 5003)
    body = await _json(sb, "accounts?$select=name&$count=true", Prefer="odata.maxpagesize=1")
    assert body["@odata.count"] == 5000


async def test_total_record_count_annotations_over_5000(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: with `$count=true` and more than 5,000 records: `"@odata.count": 5000`,
    # `"@Microsoft.Dynamics.CRM.totalrecordcount": 5000`, `"...totalrecordcountlimitexceeded": true`.
    await _rows(sb, 5001)
    prefer = (
        'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,'
        'Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded",odata.maxpagesize=1'
    )
    body = await _json(sb, "accounts?$select=name&$count=true", Prefer=prefer)
    assert body["@odata.count"] == 5000
    assert body["@Microsoft.Dynamics.CRM.totalrecordcount"] == 5000
    assert body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] is True


async def test_total_record_count_annotations_under_5000(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: "If there are fewer than 5000 records, the actual count is returned":
    # `"@odata.count": 58, "...totalrecordcount": 58, "...totalrecordcountlimitexceeded": false`.
    await _rows(sb, 58)
    body = await _json(sb, "accounts?$select=name&$count=true", Prefer=ALL_ANNOTATIONS)
    assert body["@odata.count"] == 58
    assert body["@Microsoft.Dynamics.CRM.totalrecordcount"] == 58
    assert body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] is False


async def test_total_record_count_is_minus_one_without_count_true(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: "If you don't include the $count=true query option, the total
    # @Microsoft.Dynamics.CRM.totalrecordcount value is -1." Vague: the page does not say what
    # `totalrecordcountlimitexceeded` is then; the sandbox sends false. No `@odata.count` without `$count=true`.
    await _rows(sb, 3)
    body = await _json(sb, "accounts?$select=name", Prefer='odata.include-annotations="Microsoft.Dynamics.CRM.*"')
    assert body["@Microsoft.Dynamics.CRM.totalrecordcount"] == -1
    assert body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] is False
    assert "@odata.count" not in body


async def test_total_record_count_annotations_only_with_the_preference(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: the two annotations are added by "the odata.include-annotations preference for these
    # annotations"; a request without it gets `@odata.count` only (the page's first sample).
    await _rows(sb, 5001)
    body = await _json(sb, "accounts?$select=name&$count=true", Prefer="odata.maxpagesize=1")
    assert body["@odata.count"] == 5000
    assert not [key for key in body if key.startswith("@Microsoft.Dynamics.CRM.totalrecordcount")]


async def test_count_annotations_come_before_value(sb: Sandbox) -> None:
    # Source: COUNT_ROWS, sample response order: @odata.context, @odata.count, the two annotations, value.
    await _rows(sb, 2)
    body = await _json(sb, "accounts?$select=name&$count=true", Prefer=ALL_ANNOTATIONS)
    keys = list(body)
    assert keys[:4] == [
        "@odata.context",
        "@odata.count",
        "@Microsoft.Dynamics.CRM.totalrecordcount",
        "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded",
    ]
    assert keys.index("value") > 3


async def test_dollar_count_segment_returns_a_plain_number(sb: Sandbox) -> None:
    # Source: COUNT_ROWS: "To get just a number that represents the count of a collection, append /$count"
    # (200, Content-Type: text/plain, body `10`).
    await _rows(sb, 10)
    response = await sb.get("accounts/$count")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "10"
