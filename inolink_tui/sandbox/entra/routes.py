"""Entra ID's v2 endpoints for the client-credentials flow: OpenID discovery, token, and signing keys.

The discovery document advertises https URLs even though the sandbox listens on plain http, because
msal refuses non-https endpoints; clients give msal an http_client that maps https://127.0.0.1:PORT
back to http. Errors use the real body (`error`, `error_description` starting `AADSTS<code>:` and ending
with Trace ID / Correlation ID / Timestamp lines, `error_codes`, `timestamp`, `trace_id`,
`correlation_id`, `error_uri`).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from inolink_tui.sandbox.client_auth import client_credentials
from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.entra.state import EntraState, normalise_audience

_TOKEN_HEADERS = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache", "Expires": "-1"}
JSON_UTF8 = "application/json; charset=utf-8"
"""Entra's Content-Type on discovery, token and error answers (reference notes §2.4, seen on the wire)."""


def _https_base(request: Request, public_base: str) -> str:
    base = public_base or str(request.base_url)
    base = base.rstrip("/")
    return "https://" + base.split("://", 1)[1] if base.startswith("http://") else base


def _tenant_not_found(tenant: str) -> tuple[int, str, int, str]:
    return (
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the "
        "correct cloud. Check with your subscription administrator, this may happen if there are no active "
        "subscriptions for the tenant.",
    )


def entra_routes(state: EntraState, clock: SandboxClock, public_base: str) -> list[BaseRoute]:
    """Routes for `/{tenant}/v2.0/.well-known/openid-configuration`, `/{tenant}/oauth2/v2.0/token` and keys.

    `public_base` is the advertised origin (e.g. `https://127.0.0.1:8080`); empty means "the origin the
    request came to", which is what a sandbox bound to port 0 needs.
    """

    def error(
        request: Request, status: int, error: str, code: int, text: str, headers: dict[str, str] | None = None
    ) -> Response:
        trace_id = str(uuid.uuid4())
        correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        timestamp = clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
        body: dict[str, Any] = {
            "error": error,
            "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}"
            f"\r\nTimestamp: {timestamp}",
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        }
        headers = {**_TOKEN_HEADERS, "x-ms-request-id": trace_id, **(headers or {})}
        return JSONResponse(body, status, headers, media_type=JSON_UTF8)

    async def discovery(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant.lower() != state.tenant_id:
            status, _error, code, text = _tenant_not_found(tenant)
            return error(request, status, "invalid_tenant", code, text)
        base = f"{_https_base(request, public_base)}/{state.tenant_id}"
        document = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "ver"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
        return JSONResponse(document, headers={"Cache-Control": "max-age=86400, private"}, media_type=JSON_UTF8)

    async def keys(request: Request) -> Response:
        return JSONResponse({"keys": []}, headers={"Cache-Control": "max-age=86400, private"}, media_type=JSON_UTF8)

    async def token(request: Request) -> Response:
        state.token_requests += 1
        tenant = request.path_params["tenant"]
        if state.faults:
            fault = state.faults.popleft()
            retry = str(max(1, math.ceil(clock.to_wall(fault.retry_after))))
            name = "temporarily_unavailable" if fault.status in (429, 503) else "server_error"
            return error(
                request,
                fault.status,
                name,
                90033,
                "A transient error has occurred. Please try again.",
                {"Retry-After": retry},
            )
        if tenant.lower() != state.tenant_id:
            return error(request, *_tenant_not_found(tenant))
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        grant = fields.get("grant_type", "")
        if not grant:
            return error(
                request,
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        if grant != "client_credentials":
            return error(
                request, 400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
            )
        # client_secret_basic (RFC 6749 §2.3.1) as well as client_secret_post: see sandbox.client_auth
        client = client_credentials(request.headers.get("authorization"), fields)
        client_id = client.client_id if client else ""
        if not client_id:
            return error(
                request,
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        if client_id.lower() != state.client_id.lower():
            return error(
                request,
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can "
                "happen if the application has not been installed by the administrator of the tenant or consented "
                "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            )
        secret = client.client_secret if client else None
        if secret is None:
            return error(
                request,
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if secret != state.client_secret:
            return error(request, 401, "invalid_client", 7000215, "Invalid client secret is provided.")
        if state.secret_expired:
            return error(
                request,
                401,
                "invalid_client",
                7000222,
                f"The provided client secret keys for app '{state.client_id}' are expired. Visit the Azure portal "
                "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate "
                "credentials for added security: https://aka.ms/certCreds.",
            )
        scope = fields.get("scope", "").strip()
        if not scope:
            return error(
                request,
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            )
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return error(
                request,
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value "
                "with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource = normalise_audience(scopes[0])
        if state.resources and resource not in state.resources:
            return error(
                request,
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {scopes[0][: -len('/.default')]} was not found in the tenant named "
                f"{tenant}. This can happen if the application has not been installed by the administrator of the "
                "tenant or consented to by any user in the tenant. You might have sent your authentication request "
                "to the wrong tenant.",
            )
        issued = state.issue(resource)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": state.token_lifetime,
            "ext_expires_in": state.token_lifetime,
            "access_token": issued.access_token,
        }
        if state.refresh_in is not None:
            body["refresh_in"] = state.refresh_in
        return JSONResponse(
            body, headers={**_TOKEN_HEADERS, "x-ms-request-id": str(uuid.uuid4())}, media_type=JSON_UTF8
        )

    return [
        Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    ]
