"""End to end over real HTTP: msal token, then raw httpx requests shaped like Microsoft's Web API samples."""

from __future__ import annotations

import asyncio

import httpx
import msal
import pytest

from tests.sandbox.dataverse.harness import MS_HEADERS, served
from tests.sandbox.entra.msal_adapter import SandboxHttpClient

pytestmark = pytest.mark.timeout(60)


async def test_sample_shaped_session() -> None:
    async with served() as (base, _clock, state, entra):
        http = SandboxHttpClient()

        def token() -> dict[str, object]:
            app = msal.ConfidentialClientApplication(
                entra.client_id,
                client_credential=entra.client_secret,
                authority=base.replace("http://", "https://") + f"/{entra.tenant_id}",
                http_client=http,
                instance_discovery=False,
            )
            return app.acquire_token_for_client(scopes=[f"{base}/.default"])  # type: ignore[no-any-return]

        result = await asyncio.to_thread(token)
        headers = {**MS_HEADERS, "Authorization": f"Bearer {result['access_token']}"}
        api = f"{base}/api/data/v9.2"
        async with httpx.AsyncClient(timeout=10, headers=headers) as client:
            created = await client.post(
                f"{api}/accounts",
                json={"name": "Sample Account", "creditlimit": 50000, "ino_linkstatus": 100000000},
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            assert created.status_code == 204
            entity = created.headers["OData-EntityId"]
            assert entity.startswith(f"{api}/accounts(")
            page = await client.get(
                f"{api}/accounts",
                params={"$select": "name,ino_linkstatus", "$filter": "ino_linkstatus eq 100000000"},
                headers={"Prefer": 'odata.maxpagesize=10,odata.include-annotations="*"'},
            )
            assert page.status_code == 200
            assert page.headers["Preference-Applied"] == 'odata.maxpagesize=10,odata.include-annotations="*"'
            row = page.json()["value"][0]
            assert row["ino_linkstatus@OData.Community.Display.V1.FormattedValue"] == "To be Linked"
            updated = await client.patch(
                entity,
                json={"ino_linkstatus": 100000001, "ino_accountingid": "58"},
                headers={"If-Match": row["@odata.etag"]},
            )
            assert updated.status_code == 204
            assert state.get_row("accounts", row["accountid"])["ino_accountingid"] == "58"  # type: ignore[index]
        http.close()
