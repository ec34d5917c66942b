"""Intuit OAuth 2.0 endpoints as `intuit-oauth` 1.2.7 calls them (QBO reference §2 and §13 items 1-4).

Token answers carry the `intuit_tid` header (with the underscore the library reads) and never an
`id_token`, which the library would try to verify against a signing key we do not have.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from inolink_tui.sandbox.client_auth import basic_credentials, client_credentials
from inolink_tui.sandbox.intuit.state import IntuitState, OAuthError, TokenIssue

JSON_UTF8 = "application/json;charset=UTF-8"
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"


def _tid_headers() -> dict[str, str]:
    return {"intuit_tid": "1-" + secrets.token_hex(12), "cache-control": "no-cache, no-store", "pragma": "no-cache"}


def _json(body: dict[str, Any], status: int = 200, extra: dict[str, str] | None = None) -> Response:
    headers = _tid_headers() | (extra or {})
    return Response(json.dumps(body), status_code=status, headers=headers, media_type=JSON_UTF8)


def _oauth_error(exc: OAuthError) -> Response:
    extra = {"www-authenticate": 'Basic realm="Intuit"'} if exc.status == 401 else None
    return _json({"error_description": exc.description, "error": exc.error}, exc.status, extra)


def _basic(request: Request) -> tuple[str | None, str | None]:
    found = basic_credentials(request.headers.get("authorization"))
    return (found.client_id, found.client_secret) if found else (None, None)


def _token_body(issue: TokenIssue, with_hard_expiry: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token_type": "bearer",
        "access_token": issue.access_token,
        "refresh_token": issue.refresh_token,
        "expires_in": issue.expires_in,
        "x_refresh_token_expires_in": issue.refresh_expires_in,
    }
    if with_hard_expiry:
        body["x_refresh_token_hard_expires_in"] = issue.hard_expires_in
    return body


def intuit_routes(state: IntuitState) -> list[BaseRoute]:
    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def discovery(request: Request) -> Response:
        root = base(request)
        document = {
            "issuer": f"{root}/op/v1",
            "authorization_endpoint": f"{root}/connect/oauth2",
            "token_endpoint": f"{root}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{root}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{root}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{root}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
        return _json(document)

    async def authorize(request: Request) -> Response:
        params = request.query_params
        redirect_uri = params.get("redirect_uri")
        client_id = params.get("client_id", "")
        if not redirect_uri or client_id != state.client_id:
            return _json({"error": "invalid_request", "error_description": "Invalid client_id or redirect_uri"}, 400)
        query: dict[str, str] = {}
        if params.get("response_type") != "code":
            query["error"] = "unsupported_response_type"
        else:
            try:
                code = state.authorize(client_id, redirect_uri, params.get("scope", ""))
            except OAuthError as exc:
                query["error"] = exc.error
            else:
                query["code"] = code.code
                if code.realm_id is not None:
                    query["realmId"] = code.realm_id
        if "state" in params:
            query["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(redirect_uri + separator + urlencode(query), status_code=302)

    async def token(request: Request) -> Response:
        try:
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
            form = await request.form()
            # both methods the discovery document advertises: client_secret_basic and client_secret_post
            client = client_credentials(request.headers.get("authorization"), {k: str(v) for k, v in form.items()})
            state.check_client(client.client_id if client else None, client.client_secret if client else None)
            grant_type = str(form.get("grant_type", ""))
            if grant_type == "authorization_code":
                code = str(form.get("code", ""))
                if not code:
                    raise OAuthError("invalid_request", "code is required")
                redirect = form.get("redirect_uri")
                issue = state.exchange_code(code, str(redirect) if redirect is not None else None)
            elif grant_type == "refresh_token":
                refresh = str(form.get("refresh_token", ""))
                if not refresh:
                    raise OAuthError("invalid_request", "refresh_token is required")
                issue = state.refresh(refresh)
            elif not grant_type:
                raise OAuthError("invalid_request", "grant_type is required")
            else:
                raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type}")
        except OAuthError as exc:
            return _oauth_error(exc)
        hard = request.headers.get(HARD_EXPIRY_HEADER, "").lower() == "true"
        return _json(_token_body(issue, hard))

    async def revoke(request: Request) -> Response:
        try:
            state.check_client(*_basic(request))
            try:
                payload = json.loads(await request.body() or b"{}")
            except ValueError:
                raise OAuthError("invalid_request", 'Body must be JSON {"token": ...}') from None
            token_value = payload.get("token") if isinstance(payload, dict) else None
            if not isinstance(token_value, str) or not token_value:
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return _oauth_error(exc)
        state.revoke(token_value)  # RFC 7009: an unknown token is not an error
        return Response(b"", status_code=200, headers=_tid_headers())

    async def userinfo(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        grant = state.user_for(value.strip() if scheme.lower() == "bearer" else None)
        if grant is None:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers=_tid_headers() | {"www-authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
            )
        return _json(
            {
                "sub": grant.grant_id,
                "email": "admin@sandbox.example",
                "emailVerified": True,
                "givenName": "Sandbox",
                "familyName": "Admin",
                "realmId": grant.realm_id,
            }
        )

    async def jwks(request: Request) -> Response:
        return _json({"keys": []})

    return [
        Route("/.well-known/openid_configuration", discovery, methods=["GET"]),
        Route("/.well-known/openid_configuration/", discovery, methods=["GET"]),
        # intuit-oauth's "sandbox" environment reads .../openid_sandbox_configuration/ (reference §2.2); Intuit
        # serves the same keys there, so one document answers both
        Route("/.well-known/openid_sandbox_configuration", discovery, methods=["GET"]),
        Route("/.well-known/openid_sandbox_configuration/", discovery, methods=["GET"]),
        Route("/connect/oauth2", authorize, methods=["GET"]),
        Route("/oauth2/v1/tokens/bearer", token, methods=["POST"]),
        Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"]),
        Route("/v1/openid_connect/userinfo", userinfo, methods=["GET"]),
        Route("/op/v1/jwks", jwks, methods=["GET"]),
    ]
