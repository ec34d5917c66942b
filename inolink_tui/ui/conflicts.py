"""The re-apply action of a Deadlock Win conflict: queues the ordinary Link Job domain/conflicts.py describes.

Refused under --read-only, always asked first, and written to the audit log; the inspector shows the conflict
(ui/conflict_section.py) and its `a` key asks the jobs screen to run this.
"""

from __future__ import annotations

from textual import work

from inolink_tui.domain.enums import Source
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store.base import StoreError
from inolink_tui.ui.job_actions import JobActions


class ConflictActions(JobActions):
    """The re-apply action of the jobs screen (the inspector's `a` asks it through InspectorScreen.Action)."""

    def reapply(self, job: LinkJob) -> None:
        if not self._refuse("re-applying conflict values"):
            self._reapply(job)

    @work(group="action", exit_on_error=False)
    async def _reapply(self, job: LinkJob) -> None:
        # On first use: the conflict rules are no part of the first screen (tests/ui/test_lazy_start.py).
        from inolink_tui.domain.conflicts import QUICKBOOKS_SIDE, ReapplyRefused, conflict_of, reapply_job

        try:
            new = reapply_job(job, self.actor)
        except ReapplyRefused as exc:
            self.notify(f"Cannot re-apply: {exc}.", severity="warning")
            return
        conflict = conflict_of(job.payload)
        assert conflict is not None  # reapply_job checked it
        target = "QuickBooks" if conflict.losing_side == QUICKBOOKS_SIDE else "CRM"
        fields = ", ".join(sorted(conflict.losing_values))
        direction = "CRM -> QuickBooks" if new.source is Source.CRM else "QuickBooks -> CRM (direct CRM update)"
        question = f"Re-apply {conflict.losing_side}'s discarded values of job {job.id} ({job.record_name})?"
        detail = (
            f"A {direction} Link Job writes {fields} to {target}; the other side follows on its next sync. "
            "The audit log records it."
        )
        if not await self._confirm(question, detail, always=True):
            return
        try:
            result = await self.store.enqueue([new], now=self.now())
            if not result.created:
                open_id = result.existing[0] if result.existing else "?"
                self.notify(
                    f"Job {open_id} for this record is still open; re-apply once it has run.", severity="warning"
                )
                return
            new_id = result.created[0]
            await self.store.record_audit(
                self.actor, "reapply-conflict", f"job {job.id} -> job {new_id}: {fields} to {target}", 1, now=self.now()
            )
        except StoreError as exc:
            self.notify(f"Re-apply failed: {exc}", severity="error")
            return
        self.notify(f"Queued job {new_id}: {conflict.losing_side}'s values of job {job.id} go to {target}.")
        self._apply_changes()
