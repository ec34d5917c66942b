"""Asking Dataverse what a user may do: `RetrieveUserPrivileges` and `RetrievePrincipalAccess`.

- `GET systemusers(<id>)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()` (Learn: "RetrieveUserPrivileges
  Function") answers `RolePrivileges`: one RolePrivilege (Depth, PrivilegeId, BusinessUnitId, PrivilegeName)
  per privilege the user holds through its roles. This is the table-level question ("may the app user read,
  write, append and append-to on account?"): look for `prvRead<SchemaName>`, `prvWrite..`, `prvAppend..`,
  `prvAppendTo..`, whose names and ids `EntityDefinitions(..)?$select=Privileges` also lists.
- `GET systemusers(<id>)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)`
  `?@tid={'@odata.id':'accounts(<id>)'}` (Learn: "RetrievePrincipalAccess Function") answers the access
  rights on one record, as the flags of the AccessRights EnumType
  (`"ReadAccess, WriteAccess, AppendAccess, AppendToAccess, ..."`).

The sandbox has one security role for everyone: every privilege at Global depth, minus what the control
API revoked (`/_sandbox/crm/privileges`), which the data operations enforce too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.customize import metadata_id
from inolink_tui.sandbox.dataverse.keys import parse_key
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.metadata_json import PRIVILEGE_TYPES, privilege_id, privilege_name
from inolink_tui.sandbox.dataverse.metadata_write import CUSTOMIZATION_PRIVILEGES
from inolink_tui.sandbox.dataverse.schema import Table

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

PREFIX = "Microsoft.Dynamics.CRM."
ACCESS_RIGHTS = {
    "Read": "ReadAccess",
    "Write": "WriteAccess",
    "Append": "AppendAccess",
    "AppendTo": "AppendToAccess",
    "Create": "CreateAccess",
    "Delete": "DeleteAccess",
    "Share": "ShareAccess",
    "Assign": "AssignAccess",
}
_TARGET = re.compile(r"'@odata\.id'\s*:\s*'([^']+)'|\"@odata\.id\"\s*:\s*\"([^\"]+)\"")


def holds(state: DataverseState, table: Table, verb: str) -> bool:
    """Whether API callers hold `verb` on `table` (revoked by entity set and verb, or by privilege name)."""
    return verb not in state.denied.get(table.entity_set, set()) and (
        privilege_name(verb, table) not in state.denied_privileges
    )


def is_function(segment: str) -> bool:
    return segment.startswith(PREFIX + "RetrieveUserPrivileges") or segment.startswith(
        PREFIX + "RetrievePrincipalAccess"
    )


def bound_function(state: DataverseState, user_key: str, segment: str, request: DvRequest) -> DvResponse:
    if request.method != "GET":
        raise errors.DataverseError(
            405, errors.URL_NOT_PARSED, f"The requested resource does not support http method '{request.method}'."
        )
    users = state.tables["systemusers"]
    user = parse_key(users, user_key)
    if not isinstance(user, str) or user not in state.row_map("systemusers"):
        raise errors.not_found("systemuser", user_key)
    if segment.startswith(PREFIX + "RetrieveUserPrivileges"):
        return _user_privileges(state)
    return _principal_access(state, request)


def _user_privileges(state: DataverseState) -> DvResponse:
    privileges = []
    for table in state.tables.values():
        for verb in PRIVILEGE_TYPES:
            if holds(state, table, verb):
                privileges.append(
                    {
                        "Depth": "Global",
                        "PrivilegeId": privilege_id(verb, table),
                        "BusinessUnitId": state.business_unit_id,
                        "PrivilegeName": privilege_name(verb, table),
                    }
                )
    for name in CUSTOMIZATION_PRIVILEGES:
        if name not in state.denied_privileges:
            privileges.append(
                {
                    "Depth": "Global",
                    "PrivilegeId": metadata_id("privilege", name),
                    "BusinessUnitId": state.business_unit_id,
                    "PrivilegeName": name,
                }
            )
    context = f"{state.org_url}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse"
    return DvResponse.json(200, {"@odata.context": context, "RolePrivileges": privileges})


def _principal_access(state: DataverseState, request: DvRequest) -> DvResponse:
    alias = request.query().get("@tid") or request.query().get("@target") or ""
    match = _TARGET.search(alias)
    if match is None:
        raise errors.bad_request(
            "RetrievePrincipalAccess needs Target: "
            "RetrievePrincipalAccess(Target=@tid)?@tid={'@odata.id':'accounts(<id>)'}"
        )
    reference = (match.group(1) or match.group(2)).rsplit("/", 1)[-1]
    entity_set, _, key_text = reference.partition("(")
    table = state.table(entity_set)
    key = parse_key(table, key_text.rstrip(")"))
    row = state.row_map(entity_set).get(key) if isinstance(key, str) else state.find_by_key(table, key)
    if row is None:
        raise errors.not_found(table.logical_name, key_text.rstrip(")"))
    rights = [right for verb, right in ACCESS_RIGHTS.items() if holds(state, table, verb)]
    context = f"{state.org_url}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.RetrievePrincipalAccessResponse"
    return DvResponse.json(200, {"@odata.context": context, "AccessRights": ", ".join(rights) or "None"})
