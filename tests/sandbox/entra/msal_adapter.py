"""The `http_client` msal needs to talk to the sandbox: httpx with timeouts, https://127.0.0.1 mapped to http.

msal insists on https authorities and endpoints while the sandbox listens on plain http, so this
adapter rewrites `https://127.0.0.1:PORT` (and `https://localhost:PORT`) to `http://...` and hands
msal objects with `.status_code`, `.text`, `.headers` (httpx responses have all three). It is a test
helper; the connectors package carries the production one.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

_LOCAL_HTTPS = re.compile(r"^https://(127\.0\.0\.1|localhost)(:\d+)?(?=/|$)")


class SandboxHttpClient:
    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout, trust_env=False)
        self.requests: list[tuple[str, str]] = []

    @staticmethod
    def rewrite(url: str) -> str:
        return _LOCAL_HTTPS.sub(lambda m: f"http://{m.group(1)}{m.group(2) or ''}", url)

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> httpx.Response:
        target = self.rewrite(url)
        self.requests.append(("GET", target))
        return self._client.get(target, params=params, headers=headers)

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        target = self.rewrite(url)
        self.requests.append(("POST", target))
        if isinstance(data, dict):
            return self._client.post(target, params=params, data=data, headers=headers)
        return self._client.post(target, params=params, content=data, headers=headers)

    def close(self) -> None:
        self._client.close()
