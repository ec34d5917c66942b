"""Impersonation: `CallerObjectId` (preferred) or `MSCRMCallerID` (legacy) makes a request act as another user.

Source: Microsoft Learn, "Impersonate another user using the Web API"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api):
- `CallerObjectId: <Entra object id>` names the user by `azureactivedirectoryobjectid`; `MSCRMCallerID: <guid>` by
  `systemuserid`;
- the caller needs `prvActOnBehalfOfAnotherUser`;
- a record created that way has the impersonated user as `createdby` (and owner), and the real caller as
  `createdonbehalfby`; updates set `modifiedonbehalfby` the same way.
Vague, so chosen here: a header naming no user answers 404 `0x80040217` in the usual not-found shape for
`systemuser`; a caller without the privilege gets the usual 403 `0x80040220` naming `prvActOnBehalfOfAnotherUser`;
the sandbox does not intersect the two users' privileges (it has one privilege set for the whole org).
"""

from __future__ import annotations

import dataclasses

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.messages import DvRequest
from inolink_tui.sandbox.dataverse.state import DataverseState
from inolink_tui.sandbox.dataverse.values import parse_guid

PRIVILEGE = "prvActOnBehalfOfAnotherUser"


def impersonate(state: DataverseState, request: DvRequest) -> DvRequest:
    """The request as the impersonated user would send it (unchanged without either header)."""
    object_id = (request.header("callerobjectid") or "").strip()
    caller_id = (request.header("mscrmcallerid") or "").strip()
    if not object_id and not caller_id:
        return request
    if PRIVILEGE in state.denied_privileges:
        raise errors.privilege_denied(
            user_id=request.user_id,
            business_unit_id=state.business_unit_id,
            privilege="ActOnBehalfOfAnotherUser",
            entity="",
            logical_name="systemuser",
            otc=8,
        )
    users = state.row_map("systemusers")
    if object_id:
        wanted = object_id.lower()
        user = next(
            (u for u in users.values() if str(u.get("azureactivedirectoryobjectid") or "").lower() == wanted), None
        )
    else:
        user = users.get(parse_guid(caller_id) or "")
    if user is None:
        raise errors.not_found("systemuser", object_id or caller_id)
    if user["systemuserid"] == request.user_id:
        return request
    return dataclasses.replace(request, user_id=str(user["systemuserid"]), on_behalf_of=request.user_id)
