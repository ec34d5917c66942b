"""OAuth 2.0 client authentication at a token endpoint: HTTP Basic or the form, as RFC 6749 §2.3.1 defines.

Both token endpoints the sandbox serves accept both methods because their providers say so: Intuit's
discovery document advertises `"token_endpoint_auth_methods_supported": ["client_secret_post",
"client_secret_basic"]` (https://developer.intuit.com/.well-known/openid_configuration/), and Entra ID's
client-credentials page says that instead of `client_secret` in the body "the Basic auth pattern of
instead providing credentials in the Authorization header, per RFC 6749 is also supported"
(https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
RFC 6749 §2.3.1: in the Basic header, client id and secret are form-url-encoded before base64.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None
    method: str
    """`client_secret_basic` or `client_secret_post`."""


def basic_credentials(authorization: str | None) -> ClientCredentials | None:
    """The client in an `Authorization: Basic` header, or None when there is none or it is malformed."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return ClientCredentials(unquote_plus(client_id), unquote_plus(secret), "client_secret_basic")


def client_credentials(authorization: str | None, form: Mapping[str, str]) -> ClientCredentials | None:
    """Basic first (a confidential client's default), else `client_id` / `client_secret` in the form body."""
    basic = basic_credentials(authorization)
    if basic is not None:
        return basic
    client_id = form.get("client_id")
    if client_id is None:
        return None
    return ClientCredentials(client_id, form.get("client_secret"), "client_secret_post")
