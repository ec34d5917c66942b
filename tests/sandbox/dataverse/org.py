"""A whole sandbox served on 127.0.0.1 (`run_sandbox`), and a plain httpx client for its Dataverse half.

The conformance suites use this rather than the in-process harness: every request goes over HTTP with the
headers Microsoft's Web API samples send, authenticated with a client-credentials token, and nothing of our
own connectors is involved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from inolink_tui.sandbox.options import SandboxOptions
from inolink_tui.sandbox.server import SandboxHandle, run_sandbox

HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}


def label(text: str) -> dict[str, Any]:
    """A Label as the Learn samples send it."""
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.Label",
        "LocalizedLabels": [
            {"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": 1033}
        ],
    }


@dataclass
class Org:
    handle: SandboxHandle
    http: httpx.AsyncClient
    api: str
    token: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**HEADERS, "Authorization": f"Bearer {self.token}", **(extra or {})}

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.http.get(f"{self.api}/{path}", headers=self.headers(headers))

    async def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.http.post(f"{self.api}/{path}", json=body, headers=self.headers(headers))

    async def patch(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.http.patch(f"{self.api}/{path}", json=body, headers=self.headers(headers))

    async def put(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.http.put(f"{self.api}/{path}", json=body, headers=self.headers(headers))

    async def delete(self, path: str, **headers: str) -> httpx.Response:
        return await self.http.delete(f"{self.api}/{path}", headers=self.headers(headers))

    async def control(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(f"{self.handle.base_url}/_sandbox/{path}", json=body)

    async def first_id(self, entity_set: str, key: str) -> str:
        answer = await self.get(f"{entity_set}?$select={key}&$top=1")
        assert answer.status_code == 200, answer.text
        return str(answer.json()["value"][0][key])

    @staticmethod
    def created_id(response: httpx.Response) -> str:
        assert response.status_code == 204, response.text
        return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


@asynccontextmanager
async def served_org(*, bare: bool, records: int = 6, key_index_seconds: float = 2.0) -> AsyncIterator[Org]:
    options = SandboxOptions(records=records, seed=5, bare_org=bare, dataverse_key_index_seconds=key_index_seconds)
    async with run_sandbox(options) as handle, httpx.AsyncClient(timeout=15) as http:
        info = handle.info()
        answer = await http.post(
            f"{info['aad_authority']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": info["crm_client_id"],
                "client_secret": info["crm_client_secret"],
                "scope": f"{info['crm_url']}/.default",
            },
        )
        assert answer.status_code == 200, answer.text
        yield Org(handle, http, f"{info['crm_url']}/api/data/v9.2", answer.json()["access_token"])
