"""QuickBooks webhook notifications: the `intuit-signature` check, and what a notification names.

Intuit signs each notification with the app's verifier token: the `intuit-signature` header is the base64 of the
HMAC-SHA256 of the raw request body keyed by that token ("Validating the notification", Intuit developer docs:
https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/managing-webhooks-notifications). The same
page shows the body (`eventNotifications[].realmId` and `.dataChangeEvent.entities[]` with name, id, operation,
lastUpdated) and notes that Intuit imposes no size limit while servers commonly cap bodies at 2 MB, which is the
cap used here. Since 2026-05-15 Intuit sends CloudEvents instead ("Upcoming change to webhooks payload structure",
https://blogs.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure): a JSON array of events, each
naming its company in `intuitaccountid` and its change in `type` (`qbo.<entity>.<verb>.v1`); both shapes are read.
The engine treats a notification only as a trigger for an immediate CDC read, never as data:
CDC is the one source of what changed, so a forged or replayed notification can cost at most one request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "intuit-signature"
MAX_BODY_BYTES = 2 * 1024 * 1024


def intuit_signature(body: bytes, verifier_token: str) -> str:
    """What Intuit puts in `intuit-signature` for `body`."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """True when `signature` is the body's HMAC under the token (compared in constant time)."""
    if not signature or not verifier_token:
        return False
    return hmac.compare_digest(intuit_signature(body, verifier_token).encode("ascii"), signature.strip().encode())


def notified_entities(body: bytes) -> tuple[set[str], int]:
    """The realm ids and the number of entity changes a notification names (for the log line; empty if unreadable).

    Either shape: the legacy `{"eventNotifications": [...]}` or the CloudEvents array, one event per change."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        return set(), 0
    if isinstance(document, list):
        return _cloud_events(document)
    realms: set[str] = set()
    count = 0
    notifications = document.get("eventNotifications") if isinstance(document, dict) else None
    for note in notifications if isinstance(notifications, list) else []:
        if not isinstance(note, dict):
            continue
        if note.get("realmId") is not None:
            realms.add(str(note["realmId"]))
        change = note.get("dataChangeEvent")
        entities = change.get("entities") if isinstance(change, dict) else None
        count += len(entities) if isinstance(entities, list) else 0
    return realms, count


def _cloud_events(events: list[Any]) -> tuple[set[str], int]:
    """Only events whose `type` is a QuickBooks Online change (`qbo.` prefix) count."""
    realms: set[str] = set()
    count = 0
    for event in events:
        if not isinstance(event, dict) or not str(event.get("type", "")).startswith("qbo."):
            continue
        count += 1
        if event.get("intuitaccountid") is not None:
            realms.add(str(event["intuitaccountid"]))
    return realms, count
