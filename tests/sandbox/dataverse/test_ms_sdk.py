"""Microsoft's Dataverse SDK for Python (PowerPlatform-Dataverse-Client), unchanged, against the sandbox.

The SDK refuses plain-http base URLs, so this test serves the sandbox over TLS on 127.0.0.1 with a
throw-away self-signed certificate (SAN IP 127.0.0.1) and lets `requests` trust it through
REQUESTS_CA_BUNDLE. Its credential is a minimal azure-core TokenCredential that fetches the token
from the sandbox's own Entra token endpoint over the same TLS listener.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

pytest.importorskip("PowerPlatform.Dataverse.client")

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PowerPlatform.Dataverse.client import DataverseClient
from PowerPlatform.Dataverse.models.upsert import UpsertItem

from tests.sandbox.dataverse.harness import build, free_port

pytestmark = pytest.mark.timeout(90)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class SandboxCredential:
    """An azure-core TokenCredential backed by the sandbox's client-credentials endpoint."""

    def __init__(self, token_url: str, client_id: str, secret: str, ca: Path) -> None:
        self.token_url, self.client_id, self.secret, self.ca = token_url, client_id, secret, ca
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        response = httpx.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.secret,
                "scope": " ".join(scopes),
            },
            verify=ssl.create_default_context(cafile=str(self.ca)),
            timeout=10,
        )
        body = response.json()
        assert "access_token" in body, body
        return AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))


@pytest.fixture
async def tls_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Any, Any, Path]]:
    cert, key = _certificate(tmp_path)
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    _clock, state, entra, _limits, app = build(org_url=base)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    try:
        yield base, state, entra, cert
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_microsoft_sdk_crud_and_query(tls_sandbox: tuple[str, Any, Any, Path]) -> None:
    base, state, entra, cert = tls_sandbox
    credential = SandboxCredential(
        f"{base}/{entra.tenant_id}/oauth2/v2.0/token", entra.client_id, entra.client_secret, cert
    )

    def session() -> dict[str, Any]:
        client = DataverseClient(base, credential)
        account_id = client.records.create("account", {"name": "SDK Account", "ino_linkstatus": "To be Linked"})
        client.records.update("account", account_id, {"telephone1": "555-0100"})
        fetched = client.records.retrieve("account", account_id, select=["name", "telephone1", "ino_linkstatus"])
        assert fetched is not None
        pages = list(
            client.records.list_pages(
                "account", filter="startswith(name,'sdk')", select=["name"], orderby=["name desc"], page_size=1
            )
        )
        client.records.delete("account", account_id)
        missing = client.records.retrieve("account", account_id)
        for name in ("Keyed", "Keyed again"):  # the second PATCH to the same alternate key updates the row
            client.records.upsert(
                "account", [UpsertItem(alternate_key={"accountnumber": "K-1"}, record={"name": name})]
            )
        keyed = client.records.list(
            "account",
            filter="accountnumber eq 'K-1'",
            select=["name", "ino_linkstatus"],
            include_annotations="OData.Community.Display.V1.FormattedValue",
        )
        return {
            "id": account_id,
            "fetched": dict(fetched),
            "pages": [[dict(r) for r in page] for page in pages],
            "missing": missing,
            "keyed": [dict(r) for r in keyed],
        }

    for i in range(2):
        state.create_row("accounts", {"name": f"SDK other {i}"})
    result = await asyncio.to_thread(session)
    assert result["fetched"]["name"] == "SDK Account"
    assert result["fetched"]["telephone1"] == "555-0100"
    assert result["fetched"]["ino_linkstatus"] == 100000000  # the SDK turned the label into the option value
    assert len(result["pages"]) == 3 and all(len(p) == 1 for p in result["pages"])  # followed two nextLinks
    assert [p[0]["name"] for p in result["pages"]] == ["SDK other 1", "SDK other 0", "SDK Account"]
    assert [r["name"] for r in result["keyed"]] == ["Keyed again"]
    assert result["missing"] is None  # the SDK read our 404 0x80040217 as "not found"
    assert state.get_row("accounts", result["id"]) is None
    assert credential.calls >= 1


async def test_microsoft_sdk_batch_with_changeset_and_failure(tls_sandbox: tuple[str, Any, Any, Path]) -> None:
    base, state, entra, cert = tls_sandbox
    credential = SandboxCredential(
        f"{base}/{entra.tenant_id}/oauth2/v2.0/token", entra.client_id, entra.client_secret, cert
    )

    def session() -> tuple[Any, Any]:
        client = DataverseClient(base, credential)
        batch = client.batch.new()
        batch.records.create("account", {"name": "Batch Parent"})
        with batch.changeset() as changeset:
            ref = changeset.records.create("contact", {"lastname": "Child"})
            changeset.records.update("contact", ref, {"jobtitle": "Buyer"})
        ok = batch.execute()
        failing = client.batch.new()
        failing.records.create("account", {"name": "Before"})
        failing.records.create("account", {"name": "Bad", "nonsense": 1})
        failing.records.create("account", {"name": "After"})
        failed = failing.execute(continue_on_error=True)
        return ok, failed

    ok, failed = await asyncio.to_thread(session)
    assert not ok.has_errors
    assert [r.status_code for r in ok.responses] == [204, 204, 204]
    contact = state.rows("contacts")[0]
    assert (contact["lastname"], contact["jobtitle"]) == ("Child", "Buyer")
    assert [r.status_code for r in failed.responses] == [204, 400, 204]
    bad = failed.failed[0]
    assert bad.error_code == "0x80048d19" and "nonsense" in (bad.error_message or "")
    assert sorted(r["name"] for r in state.rows("accounts")) == ["After", "Batch Parent", "Before"]
