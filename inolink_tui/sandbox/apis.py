"""Which simulated service a request path belongs to, for fault rules, stats and throttles."""

from __future__ import annotations

import re
from typing import Literal

Api = Literal["qbo", "dataverse", "intuit", "entra", "control", "other"]
API_NAMES: tuple[Api, ...] = ("qbo", "dataverse", "intuit", "entra", "control", "other")

_INTUIT_PREFIXES = (
    "/.well-known/openid_configuration",
    "/connect/oauth2",
    "/oauth2/v1/",
    "/v2/oauth2/",
    "/v1/openid_connect/",
    "/op/v1/",
)
_ENTRA = re.compile(r"^/[^/]+/(oauth2/v2\.0/|v2\.0/\.well-known/|oauth2/|\.well-known/|discovery/)")


def api_for_path(path: str) -> Api:
    if path.startswith("/_sandbox"):
        return "control"
    if path.startswith("/v3/company/"):
        return "qbo"
    if path.startswith("/api/data/"):
        return "dataverse"
    if path.startswith(_INTUIT_PREFIXES):
        return "intuit"
    if _ENTRA.match(path) or path.startswith("/common/"):
        return "entra"
    return "other"
