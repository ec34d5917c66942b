"""One readable log line per engine event."""

from __future__ import annotations

import logging

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.headless.ports import HeadlessEvent


def describe(event: HeadlessEvent) -> tuple[int, str]:
    """A log level and a one-line message for an engine event (the fields carry the details)."""
    f = event.fields
    name = event.name
    if name in ("job_created", "job_changed"):
        status = f.get("link_status", "")
        parts = [
            f"job {f.get('job_id')}",
            str(f.get("entity_type") or ""),
            repr(f["record_name"]) if f.get("record_name") else "",
        ]
        what = " ".join(p for p in parts if p)
        if status == LinkStatus.ERROR.value:
            return logging.WARNING, f"{what} -> Error: {f.get('error_description') or f.get('error_class') or ''}"
        if name == "job_created":
            verb = "queued"
        elif status:
            verb = f"-> {status}"
        else:
            verb = str(f.get("change") or "changed")
        return logging.INFO, f"{what} {verb}"
    if name == "cycle_started":
        return logging.INFO, f"{f.get('service', 'service')} cycle started"
    if name == "cycle_finished":
        ok = "" if f.get("ok", True) else " with a failure"
        return logging.INFO, f"{f.get('service', 'service')} cycle finished{ok}"
    if name == "auth_problem":
        return logging.ERROR, f"authorisation problem with {f.get('service', 'a service')}: {f.get('message', '')}"
    if name == "throttled":
        return logging.WARNING, f"{f.get('service', 'a service')} is throttling us"
    if name in ("service_paused", "service_resumed"):
        return logging.INFO, f"{f.get('service') or 'all services'} {name.split('_')[1]}"
    return logging.INFO, name.replace("_", " ")
