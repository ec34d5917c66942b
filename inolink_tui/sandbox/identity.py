"""Credentials and ids derived from the seed, so a restarted sandbox keeps the same tenant and realm.

Secrets are not secret here: the sandbox is a test double on loopback. Deriving them from the seed
lets a config file written by one run keep working against the next run with the same seed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass


def _digest(seed: int, label: str) -> bytes:
    return hashlib.sha256(f"inolink-sandbox:{seed}:{label}".encode()).digest()


def derived_uuid(seed: int, label: str) -> str:
    return str(uuid.UUID(bytes=_digest(seed, label)[:16], version=4))


def derived_secret(seed: int, label: str, length: int = 40) -> str:
    return _digest(seed, label).hex()[:length]


@dataclass(frozen=True)
class SandboxIdentity:
    crm_tenant: str
    crm_client_id: str
    crm_client_secret: str
    qbo_client_id: str
    qbo_client_secret: str
    realm_id: str
    qbo_webhook_verifier_token: str = ""
    """The app's webhook verifier token: the key of the `intuit-signature` HMAC (quickbooks/webhooks.py)."""

    @classmethod
    def from_seed(cls, seed: int) -> SandboxIdentity:
        realm_number = int.from_bytes(_digest(seed, "realm")[:6], "big") % 9_000_000_000_000_000
        return cls(
            crm_tenant=derived_uuid(seed, "tenant"),
            crm_client_id=derived_uuid(seed, "crm-client"),
            crm_client_secret=derived_secret(seed, "crm-secret"),
            qbo_client_id="AB" + derived_secret(seed, "qbo-client", 48),
            qbo_client_secret=derived_secret(seed, "qbo-secret", 40),
            realm_id=str(1_000_000_000_000_000 + realm_number),
            qbo_webhook_verifier_token=derived_uuid(seed, "qbo-webhook-verifier"),
        )
