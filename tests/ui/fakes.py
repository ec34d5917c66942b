"""A fake in-process engine with a fixed, readable state for snapshots and control-action tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from inolink_tui.domain.jobs import utcnow
from inolink_tui.ui.engine_port import ConnectionStatus, ServiceStatus


class FakeEngine:
    """Behaves like the lead's adapter over engine.runtime.Engine: state in memory, no audit of its own."""

    attached_to: str | None = None
    records_audit = False

    def __init__(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        self.now = now
        self.calls: list[tuple[str, str | None, str]] = []
        self._services = {
            "high_priority": ServiceStatus(
                "high_priority", last_run=now - timedelta(minutes=12), next_run=now + timedelta(minutes=18)
            ),
            "low_priority": ServiceStatus(
                "low_priority", last_run=now - timedelta(hours=9), next_run=now + timedelta(hours=15)
            ),
            "crm_to_quickbooks": ServiceStatus(
                "crm_to_quickbooks",
                running=True,
                last_run=now - timedelta(minutes=1),
                next_run=now + timedelta(hours=1),
            ),
        }

    async def services(self) -> Sequence[ServiceStatus]:
        return list(self._services.values())

    async def connections(self) -> Sequence[ConnectionStatus]:
        return [
            ConnectionStatus("Dynamics 365", True, access_expires=self.now + timedelta(minutes=52)),
            ConnectionStatus(
                "QuickBooks",
                True,
                access_expires=self.now + timedelta(minutes=38),
                refresh_expires=self.now + timedelta(days=87),
            ),
        ]

    async def run_now(self, service: str, *, actor: str) -> str:
        self.calls.append(("run_now", service, actor))
        return f"{service} will run now"

    def _set_paused(self, service: str | None, paused: bool) -> None:
        from dataclasses import replace

        for name, status in self._services.items():
            if service in (None, name):
                self._services[name] = replace(status, paused=paused, running=False)

    async def pause(self, service: str | None, *, actor: str) -> str:
        self.calls.append(("pause", service, actor))
        self._set_paused(service, True)
        return "scheduler paused"

    async def resume(self, service: str | None, *, actor: str) -> str:
        self.calls.append(("resume", service, actor))
        self._set_paused(service, False)
        return "scheduler resumed"
