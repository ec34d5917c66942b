"""Change tracking: `Prefer: odata.track-changes`, `@odata.deltaLink`, `$deltatoken`, `$deletedEntity` tombstones.

A delta token is `<row version>!<MM/dd/yyyy HH:mm:ss>` (the shape observed on the real service),
URL-encoded in the link. Following it returns rows written after that version, ordered by version,
then tombstones of rows deleted after it; each page of a paged delta carries a nextLink and only the
last one the new deltaLink. Tokens older than `DataverseState.delta_token_lifetime` service seconds
fail with the SDK's text ("Version stamp associated with the client has expired...") so the client must
resync. The HTTP status and code of that failure and of a table without change tracking are not
documented (reference §16); the sandbox answers 400 with the codes in errors.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.paging import decode_token, encode_token, link, page_size
from inolink_tui.sandbox.dataverse.query import Annotations, context_url, parse_options, project
from inolink_tui.sandbox.dataverse.schema import Table
from inolink_tui.sandbox.dataverse.state import DataverseState

REJECTED_WITH_TRACKING = ("$filter", "$orderby", "$expand", "$top")
"""Documented as rejected with `Prefer: odata.track-changes` (change-tracking page, "Query options not supported").

`$count=true` is neither listed there nor shown with a delta link (the page documents only
`<set>/$count?$deltatoken=`, see count_changes): vague, so the sandbox accepts it and adds no count to
tracked pages rather than invent an annotation.
"""
_STAMP = "%m/%d/%Y %H:%M:%S"
UPSERT, DELETE = 0, 1  # upserts come before deletes in a delta


def make_token(version: int, at: datetime) -> str:
    return f"{version}!{at.astimezone(UTC):{_STAMP}}"


def read_token(state: DataverseState, token: str) -> int:
    """The row version a delta token stands for; expired or malformed tokens are rejected."""
    version_text, _, stamp_text = token.partition("!")
    try:
        version = int(version_text)
        stamp = datetime.strptime(stamp_text, _STAMP).replace(tzinfo=UTC)
    except ValueError as exc:
        raise errors.bad_request(f"The $deltatoken '{token}' is not valid.", errors.URL_NOT_PARSED) from exc
    if (state.clock.now() - stamp).total_seconds() > state.delta_token_lifetime:
        raise errors.DataverseError(
            400,
            errors.DELTA_TOKEN_EXPIRED,
            "Version stamp associated with the client has expired. Please perform a full sync.",
        )
    return version


def deleted_entity_context(state: DataverseState, table: Table) -> str:
    """`<org>/api/data/v9.2/$metadata#accounts/$deletedEntity`: the entity *set* name, as the doc's sample shows.

    Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
    ("Retrieve changes in tables using Web API example": `"@odata.context":"[Organization URI]/api/data/v9.0/
    $metadata#accounts/$deletedEntity"`, with `id` and `reason: "deleted"` and nothing else).
    """
    return f"{state.org_url}/api/data/v9.2/$metadata#{table.entity_set}/$deletedEntity"


def count_changes(state: DataverseState, table: Table, request: DvRequest) -> DvResponse:
    """`GET <set>/$count?$deltatoken=<token>`: the number of changes (upserts and deletes) since the token.

    Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
    ("Retrieve count of the changes made in tables using Web API"). The page shows the request only, not the
    response: the sandbox answers as `/$count` does elsewhere (200, text/plain, the number), counting each
    changed row once and each deleted row once, i.e. the rows the delta link would return. A table without
    change tracking and an expired token fail as the delta link itself would.
    """
    if not table.change_tracking:
        raise _tracking_disabled(table)
    since = read_token(state, request.query()["$deltatoken"])
    total = len(_changes(state, table, since, state.current_version))
    return DvResponse(200, {"Content-Type": "text/plain"}, str(total).encode())


def _tracking_disabled(table: Table) -> errors.DataverseError:
    return errors.DataverseError(
        400,
        errors.CHANGE_TRACKING_DISABLED,
        f"Change tracking is not enabled for the entity '{table.logical_name}'. Enable change tracking for the "
        "entity to use the odata.track-changes preference.",
    )


def handle_tracking(state: DataverseState, table: Table, request: DvRequest) -> DvResponse:
    params = request.query()
    if not table.change_tracking:
        raise _tracking_disabled(table)
    for option in REJECTED_WITH_TRACKING:
        if option in params:
            raise errors.bad_request(
                f'The "{option}" query parameter isn\'t supported when Change Tracking is enabled.'
            )
    options = parse_options(state, table, params)
    prefer = request.prefer
    annotations = Annotations(prefer.include_annotations)
    size = page_size(prefer.max_page_size)
    page_number, resume = (1, {}) if "$skiptoken" not in params else decode_token(params["$skiptoken"])
    watermark = int(resume.get("v", state.current_version))
    rows = state.row_map(table.entity_set)
    page: list[dict[str, Any]]
    if "$deltatoken" in params:
        since = read_token(state, params["$deltatoken"])
        items = _changes(state, table, since, watermark)
        after = (int(resume.get("p", -1)), int(resume.get("n", -1)))
        pending = [item for item in items if (item[0], item[1]) > after] if resume else items
        chosen = pending[:size]
        page = []
        deleted_context = deleted_entity_context(state, table)
        for phase, _version, row_id in chosen:
            if phase == UPSERT:
                page.append(project(state, table, rows[row_id], options, annotations))
            else:
                page.append(
                    {
                        "@odata.context": deleted_context,
                        "id": row_id,
                        "reason": "deleted",
                    }
                )
        more = len(pending) > size
        last_state: dict[str, Any] = {"v": watermark, "p": chosen[-1][0], "n": chosen[-1][1]} if chosen else {}
        context = context_url(state, table, options, "/$delta")
    else:
        ordered_ids = sorted(rows)
        last_id = resume.get("k")
        pending_ids = [i for i in ordered_ids if last_id is None or i > last_id]
        page = [project(state, table, rows[i], options, annotations) for i in pending_ids[:size]]
        more = len(pending_ids) > size
        last_state = {"v": watermark, "k": pending_ids[:size][-1]} if pending_ids else {}
        context = context_url(state, table, options)
    body: dict[str, Any] = {"@odata.context": context, "value": page}
    if more:
        token = encode_token(page_number + 1, last_state, tracking=True)
        keep_delta = [("$deltatoken", params["$deltatoken"])] if "$deltatoken" in params else []
        body["@odata.nextLink"] = link(
            state.org_url, request.path, request.params, [*keep_delta, ("$skiptoken", token)]
        )
    else:
        token = make_token(watermark, state.clock.now())
        body["@odata.deltaLink"] = link(state.org_url, request.path, request.params, [("$deltatoken", token)])
    applied = ["odata.track-changes"] if prefer.track_changes else []
    if prefer.max_page_size is not None:
        applied.append(f"odata.maxpagesize={size}")
    if prefer.include_annotations:
        applied.append(f'odata.include-annotations="{prefer.include_annotations}"')
    return DvResponse.json(200, body, {"Preference-Applied": ",".join(applied)} if applied else None)


def _changes(state: DataverseState, table: Table, since: int, until: int) -> list[tuple[int, int, str]]:
    """Upserts by version, then deletes; a row deleted after the token shows as a delete even if it was new."""
    rows = state.row_map(table.entity_set)
    upserts = sorted(
        (UPSERT, int(row["versionnumber"]), row_id)
        for row_id, row in rows.items()
        if since < int(row["versionnumber"]) <= until
    )
    last_delete: dict[str, int] = {}
    for version, row_id in state.tombstones(table.entity_set):
        if since < version <= until and row_id not in rows:
            last_delete[row_id] = version
    deletes = sorted((DELETE, version, row_id) for row_id, version in last_delete.items())
    return upserts + deletes
