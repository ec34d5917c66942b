"""An `http_client` for msal: timeouts on every call, and the local sandbox reachable over plain http.

msal uses `requests` without timeouts unless given its own client, and refuses any authority that is
not https. For the sandbox (authority `http://127.0.0.1:PORT/<tenant>`) we hand msal the https form
and map it back to http here, so msal's own checks stay on and nothing is patched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_local_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS


def msal_authority(authority: str) -> str:
    """The authority msal is given: a local http authority becomes https (mapped back by `MsalHttpClient`)."""
    if is_local_http(authority):
        parts = urlsplit(authority)
        return urlunsplit(("https", parts.netloc, parts.path, parts.query, parts.fragment))
    return authority


class MsalResponse:
    """The subset of a `requests.Response` msal reads."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.text = response.text
        self.headers: Mapping[str, str] = response.headers
        self._response = response

    def raise_for_status(self) -> None:
        self._response.raise_for_status()


class MsalHttpClient:
    """Synchronous httpx client with timeouts, rewriting https://<local> back to http://<local>."""

    def __init__(self, *, timeout: float, local_netlocs: frozenset[str] = frozenset()) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)
        self._local = local_netlocs

    @classmethod
    def for_authority(cls, authority: str, *, timeout: float) -> MsalHttpClient:
        netlocs = frozenset({urlsplit(authority).netloc}) if is_local_http(authority) else frozenset()
        return cls(timeout=timeout, local_netlocs=netlocs)

    def _map(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.netloc in self._local:
            return urlunsplit(("http", parts.netloc, parts.path, parts.query, parts.fragment))
        return url

    def get(self, url: str, params: Any = None, headers: Mapping[str, str] | None = None, **_: Any) -> MsalResponse:
        return MsalResponse(self._client.get(self._map(url), params=params, headers=headers))

    def post(
        self,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> MsalResponse:
        return MsalResponse(self._client.post(self._map(url), params=params, data=data, headers=headers))

    def close(self) -> None:
        self._client.close()
