"""`POST /graphql`: the one query of Intuit's GraphQL API the sandbox answers, `appFoundationsCustomFieldDefinitions`.

"Develop using the Custom Fields API" (https://developer.intuit.com/app/developer/qbo/docs/workflows/
create-custom-fields/develop-custom-fields) says definitions are read with that query, "The output lists the
custom fields along with data types and entities", and that a record's `CustomField.DefinitionId` is the
definition's id for the Accounting REST API. The stored pages do not carry the schema itself, so the node's
fields here are those Intuit's schema reference names for a definition (`id`, `legacyIDV2`, `label`, `active`,
`dataType`, `associations { associatedEntity active subAssociations { associatedEntity active } }`); the sandbox
returns all of them whatever the selection set asks (it parses no GraphQL), and answers any other operation with
a GraphQL error (HTTP 200, `{"errors": [...]}`, as GraphQL services do). Authorisation is the same bearer access
token as the Accounting API's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from inolink_tui.sandbox.quickbooks.custom_fields import api_definitions

if TYPE_CHECKING:
    from inolink_tui.sandbox.intuit.state import IntuitState
    from inolink_tui.sandbox.quickbooks.state import QboState

QUERY_NAME = "appFoundationsCustomFieldDefinitions"
ASSOCIATED = {"Customer": ("/network/Contact", "CUSTOMER"), "Vendor": ("/network/Contact", "VENDOR")}


def definitions_payload(state: QboState) -> dict[str, Any]:
    """The query's `data`, one edge per definition."""
    edges = []
    for definition in api_definitions(state):
        subs = [{"associatedEntity": ASSOCIATED[e][1], "active": definition.active} for e in definition.entities]
        node = {
            "id": f"djQuMTo{definition.definition_id}",
            "legacyIDV2": definition.definition_id,
            "label": definition.name,
            "active": definition.active,
            "dataType": definition.data_type,
            "associations": [
                {"associatedEntity": "/network/Contact", "active": definition.active, "subAssociations": subs}
            ],
        }
        edges.append({"node": node})
    return {QUERY_NAME: {"edges": edges}}


def graphql_routes(state: QboState, intuit: IntuitState) -> list[BaseRoute]:
    async def handle(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        problem = intuit.access_problem(token.strip() if scheme.lower() == "bearer" else None, state.realm_id)
        if problem is not None:
            return JSONResponse({"errors": [{"message": problem, "extensions": {"code": "401"}}]}, status_code=401)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"errors": [{"message": "The request body is not JSON."}]}, status_code=400)
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str) or QUERY_NAME not in query or query.lstrip().startswith("mutation"):
            return JSONResponse({"errors": [{"message": f"The sandbox answers only the {QUERY_NAME} query."}]})
        return JSONResponse({"data": definitions_payload(state)})

    return [Route("/graphql", handle, methods=["POST"])]
