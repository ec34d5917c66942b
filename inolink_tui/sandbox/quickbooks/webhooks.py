"""Webhook notifications from the sandbox's QuickBooks company to a configured URL, signed as Intuit signs them.

From Intuit's "Managing webhooks notifications"
(https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/managing-webhooks-notifications):

- the notification is a POST with a JSON body `{"eventNotifications": [{"realmId": ..., "dataChangeEvent":
  {"entities": [{"name", "id", "operation", "lastUpdated"}]}}]}`, one notification per realm;
- the `intuit-signature` header is the base64 HMAC-SHA256 of the body keyed by the app's verifier token;
- for sandbox companies webhooks fire "near real time" (production aggregates 1, 3 or 5 minutes, as configured).
  The docs give no exact delay: changes here are gathered for `delay_seconds` of wall time (half a second by
  default) and sent in one notification.
- Which entities notify: the page's table (Customer, Item, Invoice, Payment, CreditMemo, Estimate, SalesReceipt and
  more); here, every entity the sandbox serves through CDC, which covers the ones the engine syncs.
- Operations: Create, Update, Delete, and Void for a voided invoice, payment or sales receipt (the page's
  operations per entity; Merge is not raised: the sandbox has no merge).

The verifier token is derived from the seed (identity.py) and handed out in the connection line. A failed delivery
is counted and dropped: Intuit retries, but the engine's polls catch the change anyway, so tests see no difference.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


def sign(body: bytes, verifier_token: str) -> str:
    """The `intuit-signature` value of `body`."""
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class WebhookNotifier:
    realm_id: str
    verifier_token: str
    url: str | None = None
    delay_seconds: float = 0.5
    pending: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    """HTTP status of each delivery (0: the URL could not be reached)."""
    _flush: asyncio.Task[None] | None = None

    def changed(self, entity: str, record_id: str, operation: str, last_updated: str) -> None:
        """Called by the company state on every change; does nothing until a URL is configured."""
        if not self.url:
            return
        self.pending.append({"name": entity, "id": record_id, "operation": operation, "lastUpdated": last_updated})
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a script seeding offline): the next change in a served sandbox sends these too
        if self._flush is None or self._flush.done():
            self._flush = loop.create_task(self._send_later(), name="sandbox-webhook")

    def body(self, entities: list[dict[str, Any]]) -> bytes:
        document = {"eventNotifications": [{"realmId": self.realm_id, "dataChangeEvent": {"entities": entities}}]}
        return json.dumps(document, separators=(",", ":")).encode()

    async def _send_later(self) -> None:
        import httpx

        await asyncio.sleep(self.delay_seconds)
        entities, self.pending = self.pending, []
        if not entities or not self.url:
            return
        body = self.body(entities)
        headers = {"Content-Type": "application/json", "intuit-signature": sign(body, self.verifier_token)}
        try:
            async with httpx.AsyncClient(timeout=3.0) as client:
                response = await client.post(self.url, content=body, headers=headers)
            self.delivered.append(response.status_code)
        except httpx.HTTPError as exc:
            self.delivered.append(0)
            log.info("webhook to %s not delivered: %s", self.url, exc)
