"""`--webhook-port`: Intuit's signature checked on the raw body, the notification only a trigger, answered at once;
and the sandbox's own notifications, signed independently, pass that check."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging

import httpx
import pytest

from inolink_tui.domain.errors import SetupProblem
from inolink_tui.domain.webhooks import intuit_signature, signature_valid
from inolink_tui.headless.webhook import WEBHOOK_PATH, WebhookReceiver

TOKEN = "0e9a4a8a-verifier-token"
CHANGE = {"name": "Customer", "id": "1", "operation": "Create", "lastUpdated": "2015-10-05T14:42:19-0700"}
BODY = json.dumps(
    {"eventNotifications": [{"realmId": "1185883450", "dataChangeEvent": {"entities": [CHANGE]}}]}
).encode()


def test_signature_is_the_base64_hmac_sha256_of_the_raw_body() -> None:
    expected = base64.b64encode(hmac.new(TOKEN.encode(), BODY, hashlib.sha256).digest()).decode()
    assert intuit_signature(BODY, TOKEN) == expected
    assert signature_valid(BODY, expected, TOKEN)
    assert not signature_valid(BODY + b" ", expected, TOKEN), "the raw body, byte for byte"
    assert not signature_valid(BODY, expected, "another-token")
    assert not signature_valid(BODY, None, TOKEN) and not signature_valid(BODY, "", TOKEN)


class Triggers:
    def __init__(self) -> None:
        self.count = 0
        self.ran = asyncio.Event()

    async def __call__(self) -> None:
        self.count += 1
        self.ran.set()


async def _post(receiver: WebhookReceiver, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=receiver.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intuit.test") as client:
        return await client.post(WEBHOOK_PATH, content=body, headers=headers)


async def test_a_valid_notification_is_answered_200_and_triggers_one_cdc_read() -> None:
    triggers = Triggers()
    receiver = WebhookReceiver(TOKEN, triggers)
    response = await _post(receiver, BODY, {"intuit-signature": intuit_signature(BODY, TOKEN)})
    assert response.status_code == 200
    await asyncio.wait_for(triggers.ran.wait(), 2)
    assert triggers.count == 1 and receiver.accepted == 1


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU=", intuit_signature(BODY, "wrong-token")])
async def test_a_missing_or_bad_signature_is_refused_401_and_logged(
    signature: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    triggers = Triggers()
    receiver = WebhookReceiver(TOKEN, triggers)
    headers = {} if signature is None else {"intuit-signature": signature}
    with caplog.at_level(logging.WARNING, logger="inolink_tui.headless"):
        response = await _post(receiver, BODY, headers)
    assert response.status_code == 401
    assert triggers.count == 0 and receiver.rejected == 1
    assert any("intuit-signature" in r.getMessage() for r in caplog.records)


async def test_an_oversized_body_is_refused_413_without_triggering() -> None:
    triggers = Triggers()
    receiver = WebhookReceiver(TOKEN, triggers, max_body=1024)
    big = b"{" + b" " * 2000 + b"}"
    response = await _post(receiver, big, {"intuit-signature": intuit_signature(big, TOKEN)})
    assert response.status_code == 413 and triggers.count == 0


async def test_the_answer_does_not_wait_for_the_cdc_read() -> None:
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    receiver = WebhookReceiver(TOKEN, slow)
    response = await asyncio.wait_for(_post(receiver, BODY, {"intuit-signature": intuit_signature(BODY, TOKEN)}), 1)
    assert response.status_code == 200
    release.set()
    await receiver.stop()


def test_no_verifier_token_is_a_setup_problem() -> None:
    with pytest.raises(SetupProblem, match="webhook_verifier_token"):
        WebhookReceiver("", Triggers())


@pytest.mark.timeout(30)
async def test_the_sandbox_sends_signed_notifications_the_receiver_accepts() -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    triggers = Triggers()
    async with run_sandbox(SandboxOptions(records=2, seed=5)) as handle:
        info = handle.info()
        receiver = WebhookReceiver(info["qbo_webhook_verifier_token"], triggers)
        port = await receiver.start(0)
        try:
            notifier = handle.sandbox.extra["webhooks"]
            notifier.url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
            customer = next(iter(handle.sandbox.qbo.records["Customer"].values()))
            handle.sandbox.qbo.update(
                "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "webhook test"}
            )
            await asyncio.wait_for(triggers.ran.wait(), 10)
        finally:
            await receiver.stop()
        assert notifier.delivered == [200] and receiver.accepted == 1 and receiver.rejected == 0
