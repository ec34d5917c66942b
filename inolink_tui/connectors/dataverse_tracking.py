"""Several tables' change tracking read in one `$batch`: one request against Dataverse's budget, not one a table.

Why: live mode looks at six tables' change tracking every few seconds while nothing happens. Dataverse counts a
`$batch` as one request toward its request-count limit, whatever it holds (Microsoft Learn, "Service protection
API limits": https://learn.microsoft.com/power-apps/developer/data-platform/api-limits, and "Execute batch
operations using the Web API": https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api),
and a batch may hold GETs as long as they are outside a change set (same page).

What the documentation says, and where it is vague:
- Dataverse's batch page shows GET parts with their own headers but never a change-tracking read inside a batch,
  and its change-tracking page ("Use change tracking to synchronize data with external systems") never mentions
  `$batch`. Dataverse says its `$batch` follows OData 4.0 §11.7, where "individual requests within a batch request
  are evaluated according to the same semantics used when the request appears outside the context of a batch
  request", and OData's `track-changes` preference "SHOULD NOT be applied to a batch request, but MAY be applied to
  individual requests within a batch" (OData 4.01 Part 1, §8.2.8.11 and §11.7:
  https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html). So each part carries its own
  `Prefer: odata.track-changes` and GETs its delta link exactly as Dataverse gave it (made relative to the API
  root; the batch page allows relative or absolute request URLs). Whether Dataverse honours this inside a batch is
  not stated: hence the fallbacks below.
- Without `Prefer: odata.continue-on-error` a batch stops at its first failing part (batch page), so one expired
  delta link would hide the other tables: the batch asks to continue, and a failed part is reported on its own.

The caller (engine/live_probe.py) reads a table on its own again when its part failed, and stops batching when a
whole batch is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inolink_tui.connectors.dataverse import DataverseClient, check_same_origin, part_error
from inolink_tui.connectors.dataverse_batch import BatchOperation, BatchPart
from inolink_tui.connectors.errors import DataverseError, ProtocolError
from inolink_tui.domain.errors import ErrorFacts, Service


@dataclass(frozen=True, slots=True)
class TrackedPart:
    """One table's answer inside the batch: what changed on its first page, and the next delta link.

    `delta_link` is None when the changes run over more than one page (the part ends with a next link): the
    table has changes, which is all a probe needs to know; the full cycle reads them page by page.
    """

    upserted: list[dict[str, Any]]
    deleted: list[str]
    delta_link: str | None

    @property
    def changed(self) -> bool:
        return bool(self.upserted or self.deleted or self.delta_link is None)


async def track_changes_batch(
    client: DataverseClient, delta_links: Sequence[str]
) -> list[TrackedPart | DataverseError]:
    """Follow each delta link, all in one `$batch` (one request); the answers in the same order.

    A part that failed (an expired link, a table whose tracking was switched off) comes back as its typed
    `DataverseError` without failing the others. A batch refused whole raises, as any request does.
    """
    if not delta_links:
        return []
    root = client.settings.api_root
    prefer = f"odata.track-changes,odata.maxpagesize={client.settings.page_size}"
    operations: list[BatchOperation] = []
    for link in delta_links:
        check_same_origin(link, client.settings.org_url)
        if not link.startswith(root):
            raise ValueError(f"delta link {link[:80]!r} is not under the Web API root {root}")
        operations.append(BatchOperation("GET", link[len(root) :], headers={"Prefer": prefer}))
    parts = await client.batch(operations, atomic=False, continue_on_error=True)
    if len(parts) != len(operations):
        raise ProtocolError(
            ErrorFacts(
                Service.DATAVERSE,
                200,
                "bad_body",
                f"batch of {len(operations)} change-tracking reads answered with {len(parts)} parts",
            )
        )
    return [_tracked(part) for part in parts]


def _tracked(part: BatchPart) -> TrackedPart | DataverseError:
    error = part_error(part)
    if error is not None:
        return error
    body = part.body
    if not isinstance(body, dict):
        return DataverseError(ErrorFacts(Service.DATAVERSE, part.status, "bad_body", "change tracking part not JSON"))
    upserted: list[dict[str, Any]] = []
    deleted: list[str] = []
    for row in body.get("value", []):
        if row.get("reason") == "deleted" or str(row.get("@odata.context", "")).endswith("$deletedEntity"):
            deleted.append(str(row.get("id")))
        else:
            upserted.append(row)
    link = body.get("@odata.deltaLink")
    if link is None and "@odata.nextLink" not in body:
        return DataverseError(
            ErrorFacts(Service.DATAVERSE, part.status, "no_delta_link", "change tracking gave no delta link")
        )
    return TrackedPart(upserted, deleted, str(link) if link is not None else None)
