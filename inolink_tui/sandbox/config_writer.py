"""`--write-config PATH`: a ready inolink-tui config pointing at a running sandbox, plus its token file.

The key names follow the config model ([crm], [quickbooks], [services], [store]); the QuickBooks refresh token
goes into a 0600 JSON token file next to the config, never into the config itself. A new config runs in live mode
(`[services] mode = "live"`), as the config example does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import tomli_w

DEFAULT_REDIRECT_URI = "http://localhost:8765/callback"


def write_token_file(path: Path, realm_id: str, refresh_token: str) -> None:
    """Create (or replace) the token store with mode 0600 from the first byte, not chmod-ed afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {f"quickbooks:{realm_id}": {"refresh_token": refresh_token, "realm_id": realm_id}}
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(temp, path)
    os.chmod(path, 0o600)


def config_document(info: dict[str, str], config_path: Path) -> dict[str, Any]:
    folder = config_path.resolve().parent
    return {
        "crm": {
            "url": info["crm_url"],
            "tenant": info["crm_tenant"],
            "client_id": info["crm_client_id"],
            "client_secret": info["crm_client_secret"],
            "authority": info["aad_authority"],
        },
        "quickbooks": {
            "environment": info["intuit_discovery_url"],
            "client_id": info["qbo_client_id"],
            "client_secret": info["qbo_client_secret"],
            "realm_id": info["realm_id"],
            "redirect_uri": DEFAULT_REDIRECT_URI,
            "api_base_url": info["qbo_base_url"],
            "token_file": str(folder / "tokens.json"),
            # A connection line from a sandbox without webhooks has none: the config then simply lacks it.
            **({"webhook_verifier_token": token} if (token := info.get("qbo_webhook_verifier_token")) else {}),
        },
        "services": {"mode": "live"},
        "store": {"path": str(folder / "inolink.db")},
    }


def write_config(config_path: Path, info: dict[str, str]) -> dict[str, Any]:
    document = config_document(info, config_path)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    write_token_file(Path(document["quickbooks"]["token_file"]), info["realm_id"], info["qbo_refresh_token"])
    temp = config_path.with_name(f".{config_path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        tomli_w.dump(document, handle)
    os.replace(temp, config_path)
    return document
