"""Microsoft's Dataverse SDK for Python, unchanged, on the sandbox's table definitions (metadata API)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PowerPlatform.Dataverse.client")

from PowerPlatform.Dataverse.client import DataverseClient

from tests.sandbox.dataverse.test_ms_sdk import SandboxCredential, tls_sandbox

pytestmark = pytest.mark.timeout(90)
__all__ = ["tls_sandbox"]  # the TLS fixture, shared with the data tests


async def test_microsoft_sdk_table_definitions(tls_sandbox: tuple[str, Any, Any, Path]) -> None:
    """The SDK's metadata calls (tables.get / add_columns / alternate keys / remove_columns) run unchanged."""
    base, state, entra, cert = tls_sandbox
    credential = SandboxCredential(
        f"{base}/{entra.tenant_id}/oauth2/v2.0/token", entra.client_id, entra.client_secret, cert
    )

    def session() -> dict[str, Any]:
        client = DataverseClient(base, credential)
        info = client.tables.get("account")
        created = client.tables.add_columns("account", {"ino_Region": "string", "ino_Score": "int"})
        client.records.create("account", {"name": "Scored", "ino_region": "West", "ino_score": 3})
        key = client.tables.create_alternate_key("account", "ino_regionkey", ["ino_region"])
        keys_before = client.tables.get_alternate_keys("account")
        state.clock.advance(10)
        keys_after = client.tables.get_alternate_keys("account")
        client.tables.remove_columns("account", ["ino_Score"])
        return {"info": info, "created": created, "key": key, "before": keys_before, "after": keys_after}

    result = await asyncio.to_thread(session)
    assert result["info"] is not None and result["info"]["entity_set_name"] == "accounts"
    assert result["created"] == ["ino_Region", "ino_Score"]
    status = {k.schema_name: k.status for k in result["after"]}
    assert status["ino_regionkey"] == "Active"
    assert {k.schema_name: k.status for k in result["before"]}["ino_regionkey"] in ("Pending", "InProgress")
    assert "ino_score" not in state.tables["accounts"].columns and "ino_region" in state.tables["accounts"].columns
