"""The Starlette glue: bearer-token check, throttling, protocol headers, and hand-off to the dispatcher.

Every response carries `OData-Version: 4.0`, `REQ_ID` and `x-ms-service-request-id`; successful ones
also carry the rate-limit debugging headers. A missing, unknown, expired or wrong-audience token
gets 401 with the `WWW-Authenticate: Bearer authorization_uri=..., resource_id=...` challenge and an
empty body (the real body is unconfirmed, reference §16).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.batch import run_batch
from inolink_tui.sandbox.dataverse.impersonation import impersonate
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.operations import dispatch
from inolink_tui.sandbox.dataverse.query import Annotations
from inolink_tui.sandbox.dataverse.state import DataverseState
from inolink_tui.sandbox.dataverse.throttle import DataverseLimits, Throttle
from inolink_tui.sandbox.entra.state import EntraState

log = logging.getLogger(__name__)
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def execute(state: DataverseState, request: DvRequest) -> DvResponse:
    """One operation, with every failure turned into the service's error response."""
    spec = request.prefer.include_annotations
    annotations = Annotations(spec).wants if spec else False
    try:
        if request.path.strip("/") == "$batch":
            if request.in_batch:
                raise errors.bad_request("A batch request cannot contain another batch request.")
            if request.method != "POST":
                raise errors.DataverseError(
                    405,
                    errors.URL_NOT_PARSED,
                    f"The requested resource does not support http method '{request.method}'.",
                )
            return run_batch(state, request, lambda inner: execute(state, inner))
        return dispatch(state, impersonate(state, request))
    except errors.DataverseError as exc:
        return DvResponse.error(exc, annotations=annotations)
    except Exception:
        log.exception("sandbox Dataverse failed on %s %s", request.method, request.path)
        return DvResponse.error(errors.DataverseError(500, "0x80040216", "An unexpected error occurred."))


def dataverse_routes(
    state: DataverseState, entra: EntraState, clock: SandboxClock, limits: DataverseLimits
) -> list[BaseRoute]:
    """`/api/data/v9.2/...` on one catch-all route; tokens are checked with `entra` for `state.org_url`."""
    throttle = Throttle(clock, limits)

    def finish(response: DvResponse, request_id: str, extra: dict[str, str] | None = None) -> Response:
        headers = {
            "OData-Version": "4.0",
            "REQ_ID": request_id,
            "x-ms-service-request-id": f"{request_id},{uuid.uuid4()}",
            **(extra or {}),
            **response.headers,
        }
        media_type = headers.pop("Content-Type", None)
        return Response(response.body, response.status, headers, media_type=media_type)

    async def endpoint(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        issued = entra.principal(token.strip(), state.org_url) if scheme.lower() == "bearer" else None
        if issued is None:
            host = request.url.netloc
            challenge = (
                f"Bearer authorization_uri=https://{host}/{entra.tenant_id}/oauth2/authorize, "
                f"resource_id={state.org_url}/"
            )
            return finish(DvResponse(401), request_id, {"WWW-Authenticate": challenge})
        user_id = state.app_user_for(issued.client_id)
        try:
            started = throttle.admit(user_id)
        except errors.DataverseError as exc:
            return finish(DvResponse.error(exc), request_id)
        try:
            if limits.latency_seconds > 0:
                await asyncio.sleep(clock.to_wall(limits.latency_seconds))
            dv_request = DvRequest(
                method=request.method,
                path=request.path_params["path"],
                params=parse_qsl(request.url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=await request.body(),
                user_id=user_id,
            )
            response = execute(state, dv_request)
        finally:
            throttle.release(user_id, started)
        return finish(response, request_id, throttle.headers(user_id))

    return [Route("/api/data/v9.2/{path:path}", endpoint, methods=METHODS)]
