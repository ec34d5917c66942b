"""Conformance: querying through the Web API as Microsoft documents it, one test per documented behaviour.

Each test is written from the page it cites and sent with httpx to the sandbox (not through our connectors).
Where the documentation is vague the test says so and states what the sandbox chose.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from inolink_tui.sandbox.dataverse.values import format_datetime
from tests.sandbox.dataverse.harness import API, Sandbox

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


# ----- Dataverse query functions -----

FILTER_ROWS = "https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows"
FN = "Microsoft.Dynamics.CRM."


def _at(sb: Sandbox, name: str, when: datetime) -> None:
    """An account whose createdon is `when` (createdon is read-only over the API, so set in the state)."""
    sb.state.insert(sb.state.table("accounts"), {"name": name, "createdon": format_datetime(when)})


async def _names(sb: Sandbox, query: str, **headers: str) -> list[str]:
    body = await _json(sb, f"accounts?$select=name&{query}", **headers)
    return sorted(row["name"] for row in body["value"])


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


async def test_last_x_days_counts_back_from_midnight_today_up_to_now(sb: Sandbox) -> None:
    # Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/lastxdays
    # (PropertyName Edm.String, PropertyValue Edm.Int64: "whether the value is within the last X days").
    # Vague: Microsoft does not define the window. The sandbox follows the behaviour two third-party write-ups
    # report (https://markcarrington.dev/2020/08/25/fetchxml-date-filtering/): from midnight today back X
    # days, up to now; evaluated in UTC, the sandbox application user's time zone.
    now = sb.clock.now()
    _at(sb, "inside: start of the window", _midnight(now) - timedelta(days=2) + timedelta(seconds=1))
    _at(sb, "inside: an hour ago", now - timedelta(hours=1))
    _at(sb, "outside: before the window", _midnight(now) - timedelta(days=2, seconds=1))
    _at(sb, "outside: tomorrow", now + timedelta(days=1))
    names = await _names(sb, f"$filter={FN}LastXDays(PropertyName='createdon',PropertyValue=2)")
    assert names == ["inside: an hour ago", "inside: start of the window"]


async def test_query_function_parameters_through_parameter_aliases(sb: Sandbox) -> None:
    # Source: the syntax example of https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/lastxdays
    # `?$filter=Microsoft.Dynamics.CRM.LastXDays(PropertyName=@p1,PropertyValue=@p2)&@p1='name'&@p2=42`.
    now = sb.clock.now()
    _at(sb, "recent", now - timedelta(hours=1))
    _at(sb, "old", now - timedelta(days=30))
    query = f"$filter={FN}LastXDays(PropertyName=@p1,PropertyValue=@p2)&@p1='createdon'&@p2=7"
    assert await _names(sb, query) == ["recent"]


async def test_next_x_days_runs_from_now_to_the_end_of_the_day_x_days_ahead(sb: Sandbox) -> None:
    # Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/nextxdays
    # Vague on the window, as LastXDays; third-party reports: from now until the end of the day X days ahead.
    now = sb.clock.now()
    _at(sb, "past", now - timedelta(minutes=5))
    _at(sb, "end of day +1", _midnight(now) + timedelta(days=2) - timedelta(seconds=1))
    _at(sb, "day +2", _midnight(now) + timedelta(days=2, seconds=1))
    assert await _names(sb, f"$filter={FN}NextXDays(PropertyName='createdon',PropertyValue=1)") == ["end of day +1"]


async def test_last_x_hours_starts_at_the_top_of_the_hour(sb: Sandbox) -> None:
    # Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/lastxhours
    # Vague on the window; third-party report (Gonzalo Ruiz, "Date and time operators in CRM explained"):
    # "Last 1 Hours" at 3:30 PM covers 2:00 PM to now.
    now = sb.clock.now()
    top = now.replace(minute=0, second=0, microsecond=0)
    _at(sb, "top of the previous hour", top - timedelta(hours=1) + timedelta(seconds=1))
    _at(sb, "before it", top - timedelta(hours=1, seconds=1))
    names = await _names(sb, f"$filter={FN}LastXHours(PropertyName='createdon',PropertyValue=1)")
    assert names == ["top of the previous hour"]


async def test_today_yesterday_and_this_month(sb: Sandbox) -> None:
    # Sources: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/today ,
    # .../reference/yesterday and .../reference/thismonth (PropertyName only; "equals today's date", ...).
    now = sb.clock.now()
    today = _midnight(now)
    _at(sb, "today", today + timedelta(seconds=1))
    _at(sb, "yesterday", today - timedelta(seconds=1))
    _at(sb, "last month", today.replace(day=1) - timedelta(seconds=1))
    assert await _names(sb, f"$filter={FN}Today(PropertyName='createdon')") == ["today"]
    assert await _names(sb, f"$filter={FN}Yesterday(PropertyName='createdon')") == ["yesterday"]
    this_month = await _names(sb, f"$filter={FN}ThisMonth(PropertyName='createdon')")
    assert "last month" not in this_month and "today" in this_month


async def test_on_on_or_after_on_or_before_take_a_date_string(sb: Sandbox) -> None:
    # Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/on
    # (and .../onorafter, .../onorbefore): PropertyValue is Edm.String, "the specified date".
    day = datetime(2024, 2, 29, tzinfo=UTC)
    _at(sb, "before", day - timedelta(seconds=1))
    _at(sb, "on", day + timedelta(hours=23, minutes=59))
    _at(sb, "after", day + timedelta(days=1))
    assert await _names(sb, f"$filter={FN}On(PropertyName='createdon',PropertyValue='2024-02-29')") == ["on"]
    assert await _names(sb, f"$filter={FN}OnOrAfter(PropertyName='createdon',PropertyValue='2024-02-29')") == [
        "after",
        "on",
    ]
    assert await _names(sb, f"$filter={FN}OnOrBefore(PropertyName='createdon',PropertyValue='2024-02-29')") == [
        "before",
        "on",
    ]


@pytest.mark.parametrize(
    "call",
    [
        "LastXDays(PropertyName='createdon')",  # PropertyValue missing
        "LastXDays(PropertyName='createdon',PropertyValues=[7])",  # wrong parameter name
        "LastXDays(PropertyName='createdon',PropertyValue=7,Extra=1)",  # unknown parameter
        "Today(PropertyName='createdon',PropertyValue=1)",  # Today takes PropertyName only
        "LastXDays(PropertyValue=7)",  # PropertyName missing
    ],
)
async def test_wrong_or_missing_query_function_parameters_are_a_400(sb: Sandbox, call: str) -> None:
    # Source: FILTER_ROWS, "Dataverse query functions": each function has a `PropertyName` parameter and, where
    # it has them, `PropertyValue`/`PropertyValues`, for which "you must supply a value". The service's error
    # text for a wrong parameter is not documented: only the status (400) is asserted.
    response = await sb.get(f"accounts?$filter={FN}{call}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "0x80060888"


async def test_non_integer_property_value_cannot_be_converted_to_edm_int64(sb: Sandbox) -> None:
    # Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/lastxdays
    # (PropertyValue is Edm.Int64). Message: the OData library's conversion wording; Dataverse's exact text is
    # not documented.
    response = await sb.get(f"accounts?$filter={FN}LastXDays(PropertyName='createdon',PropertyValue='seven')")
    assert response.status_code == 400
    assert "Edm.Int64" in response.json()["error"]["message"]


@pytest.mark.parametrize("value", ["7", "'not a date'", "'2024-02-30'", "null"])
async def test_on_needs_a_date_string(sb: Sandbox, value: str) -> None:
    # Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/on
    # (PropertyValue: Edm.String, not nullable, "the specified date"). The refusal's text is undocumented.
    response = await sb.get(f"accounts?$filter={FN}On(PropertyName='createdon',PropertyValue={value})")
    assert response.status_code == 400


async def test_date_function_on_a_text_column_is_a_400(sb: Sandbox) -> None:
    # Source: the date functions "evaluate whether the value is within ..." a date range (reference pages
    # above); the wording of the refusal for a non-date column is not documented.
    response = await sb.get(f"accounts?$filter={FN}Today(PropertyName='name')")
    assert response.status_code == 400


async def test_unknown_query_function_is_a_400(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: functions must be called by their fully qualified name from the documented list.
    response = await sb.get(f"accounts?$filter={FN}LastXCenturies(PropertyName='createdon',PropertyValue=1)")
    assert response.status_code == 400


async def test_between_with_quoted_numbers(sb: Sandbox) -> None:
    # Source: FILTER_ROWS example `Microsoft.Dynamics.CRM.Between(PropertyName='numberofemployees',
    # PropertyValues=["5","2000"])` (PropertyValues is Collection(Edm.String); bounds inclusive).
    for name, revenue in (("low", 4), ("edge", 5), ("mid", 100), ("top", 2000), ("high", 2001)):
        sb.state.insert(sb.state.table("accounts"), {"name": name, "revenue": revenue})
    assert await _names(sb, f'$filter={FN}Between(PropertyName=\'revenue\',PropertyValues=["5","2000"])') == [
        "edge",
        "mid",
        "top",
    ]
    assert await _names(sb, f'$filter={FN}NotBetween(PropertyName=\'revenue\',PropertyValues=["5","2000"])') == [
        "high",
        "low",
    ]


async def test_in_values_with_apostrophes_use_double_quotes(sb: Sandbox) -> None:
    # Source: FILTER_ROWS, "Manage single quotes": `In(PropertyName=@p1,PropertyValues=@p2)&@p1='lastname'
    # &@p2=["OBrian","OBryan","O'Brian","O'Bryan"]`. Single-quoted values containing an apostrophe are an error
    # (documented text: "Invalid JSON. A comma character ',' was expected in scope 'Array'..."; the sandbox's
    # text differs, only the 400 is asserted).
    for name in ("O'Brian", "OBryan", "Smith"):
        sb.state.insert(sb.state.table("accounts"), {"name": name})
    query = f'$filter={FN}In(PropertyName=@p1,PropertyValues=@p2)&@p1=\'name\'&@p2=["OBrian","OBryan","O\'Brian"]'
    assert await _names(sb, query) == ["O'Brian", "OBryan"]
    bad = await sb.get(f"accounts?$filter={FN}In(PropertyName='name',PropertyValues=['O'Brian'])")
    assert bad.status_code == 400
    assert await _names(sb, f"$filter={FN}NotIn(PropertyName='name',PropertyValues=[\"Smith\"])") == [
        "O'Brian",
        "OBryan",
    ]


# ----- lambda operators: FILTER_ROWS, "Filter using values of related collections" -----


async def _customers(sb: Sandbox) -> dict[str, str]:
    """Accounts with contacts: Acme Inc. (Buyer, Engineer), Bolt Inc. (Buyer, Buyer), Cask (none)."""
    ids = {name: await sb.create("accounts", {"name": name}) for name in ("Acme Inc.", "Bolt Inc.", "Cask")}
    for account, title in (
        ("Acme Inc.", "Buyer"),
        ("Acme Inc.", "Engineer"),
        ("Bolt Inc.", "Buyer"),
        ("Bolt Inc.", "Buyer"),
    ):
        await sb.create(
            "contacts",
            {"lastname": title, "jobtitle": title, "parentcustomerid_account@odata.bind": f"/accounts({ids[account]})"},
        )
    return ids


async def test_any_is_true_when_one_member_matches(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: "any: Returns true if the expression applied is true for any member of the collection".
    await _customers(sb)
    assert await _names(sb, "$filter=contact_customer_accounts/any(c:c/jobtitle eq 'Engineer')") == ["Acme Inc."]
    assert await _names(sb, "$filter=contact_customer_accounts/any(c:contains(c/jobtitle,'uy'))") == [
        "Acme Inc.",
        "Bolt Inc.",
    ]


async def test_any_without_argument_is_true_for_a_non_empty_collection(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: "The any operator without an argument returns true if the collection isn't empty."
    await _customers(sb)
    assert await _names(sb, "$filter=contact_customer_accounts/any()") == ["Acme Inc.", "Bolt Inc."]
    assert await _names(sb, "$filter=not contact_customer_accounts/any()") == ["Cask"]


async def test_all_is_true_when_every_member_matches(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: "all: Returns true if the expression applied is true for all members of the
    # collection". Vague: the page does not say what `all` gives for an empty collection; the sandbox follows
    # OData (true), so Cask, with no contacts, matches.
    await _customers(sb)
    assert await _names(sb, "$filter=contact_customer_accounts/all(c:c/jobtitle eq 'Buyer')") == ["Bolt Inc.", "Cask"]


async def test_lambda_combined_with_other_conditions(sb: Sandbox) -> None:
    # Source: FILTER_ROWS examples: a lambda body with `and`, and a lambda `and endswith(name,'Inc.')`.
    await _customers(sb)
    query = (
        "$filter=(contact_customer_accounts/any(c:c/jobtitle eq 'Buyer' and c/lastname ne 'Engineer')) "
        "and endswith(name,'Inc.') and contact_customer_accounts/all(c:c/jobtitle ne 'Engineer')"
    )
    assert await _names(sb, query) == ["Bolt Inc."]


async def test_nested_lambdas_see_the_outer_variable(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: "You can include conditions on multiple collection-valued navigation properties and
    # nested collections." The sandbox's schema has no collection under contacts, so nesting is shown on the
    # same collection, comparing the inner item with the outer one (two distinct contacts sharing a title).
    await _customers(sb)
    query = (
        "$filter=contact_customer_accounts/any(c:contact_customer_accounts/any("
        "d:d/jobtitle eq c/jobtitle and d/contactid ne c/contactid))"
    )
    assert await _names(sb, query) == ["Bolt Inc."]


async def test_collection_nested_in_a_lookup_is_not_supported(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: "You can't include conditions on collection-valued navigation properties that are
    # nested in a lookup navigation property ... isn't supported". No error text is documented; status 400.
    await _customers(sb)
    response = await sb.get("accounts?$filter=primarycontactid/contact_customer_accounts/any(a:a/name eq 'x')")
    assert response.status_code == 400


async def test_lambda_on_an_unknown_or_single_valued_property_is_a_400(sb: Sandbox) -> None:
    # Source: FILTER_ROWS: lambda operators apply to "values of related collections" (collection-valued
    # navigation properties). Unknown names get the documented "Could not find a property named ..." text
    # (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
    # lists 0x80060888 for unparsable URLs).
    unknown = await sb.get("accounts?$filter=nope/any(o:o/name eq 'x')")
    assert unknown.status_code == 400
    assert "Could not find a property named 'nope'" in unknown.json()["error"]["message"]
    lookup = await sb.get("accounts?$filter=primarycontactid/any(o:o/fullname eq 'x')")
    assert lookup.status_code == 400


# ----- paging: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/page-results -----

PAGE_RESULTS = "https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/page-results"


async def _all_pages(sb: Sandbox, path: str, prefer: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    link: str | None = f"{API}/{path}"
    while link is not None:
        response = await sb.client.get(link, headers=sb.headers(Prefer=prefer))
        assert response.status_code == 200, response.text
        pages.append(response.json())
        link = pages[-1].get("@odata.nextLink")
    return pages


async def test_maxpagesize_pages_with_next_links_until_the_last_page(sb: Sandbox) -> None:
    # Source: PAGE_RESULTS: `Prefer: odata.maxpagesize=2` answers `Preference-Applied: odata.maxpagesize=2`, two
    # rows and an `@odata.nextLink`; "continue paging through the data until no @odata.nextLink annotation is
    # included in the results".
    await _rows(sb, 5)
    first = await sb.get("accounts?$select=name", Prefer="odata.maxpagesize=2")
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=2"
    pages = await _all_pages(sb, "accounts?$select=name", "odata.maxpagesize=2")
    assert [len(page["value"]) for page in pages] == [2, 2, 1]
    assert "@odata.nextLink" not in pages[-1]
    assert len({row["accountid"] for page in pages for row in page["value"]}) == 5


async def test_top_is_ignored_with_maxpagesize(sb: Sandbox) -> None:
    # Source: PAGE_RESULTS: "Don't use $top with the Prefer: odata.maxpagesize request header. If you include
    # both, $top is ignored."
    await _rows(sb, 5)
    pages = await _all_pages(sb, "accounts?$select=name&$top=3", "odata.maxpagesize=2")
    assert sum(len(page["value"]) for page in pages) == 5


async def test_top_alone_limits_the_rows(sb: Sandbox) -> None:
    # Source: PAGE_RESULTS: "Use the $top query option to limit the number of results returned."
    await _rows(sb, 5)
    body = await _json(sb, "accounts?$select=name,revenue&$top=3")
    assert len(body["value"]) == 3 and "@odata.nextLink" not in body


async def test_skip_is_not_supported(sb: Sandbox) -> None:
    # Source: PAGE_RESULTS: "Dataverse doesn't support the $skip query option". The error text is not
    # documented; only the 400 is asserted.
    response = await sb.get("accounts?$select=name&$skip=1")
    assert response.status_code == 400


async def test_page_size_cannot_exceed_5000(sb: Sandbox) -> None:
    # Source: PAGE_RESULTS: "up to 5,000 records may be returned for each request. You can't request a page size
    # larger than 5,000." Vague: what a larger request answers is not shown; the sandbox caps it at 5,000.
    await _rows(sb, 5002)
    body = await _json(sb, "accounts?$select=name", Prefer="odata.maxpagesize=6000")
    assert len(body["value"]) == 5000 and "@odata.nextLink" in body
