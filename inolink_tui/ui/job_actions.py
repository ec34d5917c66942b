"""What the jobs screen changes: requeue, mark as Error, marks, sync now, pause / resume, export.

Every change is refused with a reason under --read-only, asked first when it touches many jobs, written to
the audit log, and followed by a live reread of the table.
"""

from __future__ import annotations

from dataclasses import replace

from textual import work

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store.base import StoreError
from inolink_tui.ui.live_feed import LiveFeed


class JobActions(LiveFeed):
    """The jobs screen's actions that change jobs or the engine (JobsScreen binds the keys)."""

    def _refuse(self, what: str) -> bool:
        if self.read_only:
            self.notify(f"Read-only: {what} is disabled (started with --read-only).", severity="warning")
        return self.read_only

    def _selected(self) -> LinkJob | None:
        job = self.table.selected_job
        if job is None:
            self.notify("No job selected.", severity="warning")
        return job

    def action_mark(self) -> None:
        job = self.table.toggle_mark()
        if job is not None:
            self.table.action_cursor_down()
            self._paint_info()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()
        self._paint_info()

    def action_requeue(self) -> None:
        if self._refuse("requeue"):
            return
        job = self._selected()
        if job is not None:
            self._requeue_one(job)

    @work(group="action", exit_on_error=False)
    async def _requeue_one(self, job: LinkJob) -> None:
        if job.link_status is not LinkStatus.ERROR:
            reason = (
                f"Job {job.id} is already Queued (waiting for the service)."
                if job.link_status is LinkStatus.QUEUED
                else f"Job {job.id} succeeded; only Error jobs can be requeued."
            )
            self.notify(reason, severity="warning")
            return
        try:
            result = await self.store.requeue(self.actor, ids=[job.id], now=self.now())
        except StoreError as exc:
            self.notify(f"Requeue failed: {exc}", severity="error")
            return
        if result.changed:
            self.notify(f"Job {job.id} requeued: Error → Queued.")
        else:
            self.notify(result.skipped.get(job.id, f"Job {job.id} was not requeued."), severity="warning")
        self._apply_changes()

    def action_requeue_all(self) -> None:
        if not self._refuse("requeue"):
            self._requeue_many()

    @work(group="action", exit_on_error=False)
    async def _requeue_many(self) -> None:
        table = self.table
        now = self.now()
        try:
            if table.marked:
                from inolink_tui.ui.marks import plan_marked_requeue  # on first use, not on the first screen

                plan = await plan_marked_requeue(self.store, table.marked, self.effective_filter, now)
                if not plan.errors:
                    self.notify("None of the marked jobs is in Error; nothing to requeue.", severity="warning")
                    return
                if not await self._confirm(plan.question, plan.detail, always=bool(plan.outside)):
                    return
                result, tail = await self.store.requeue(self.actor, ids=plan.errors, now=now), plan.done
                table.clear_marks()
            else:
                scope = self.effective_filter
                if scope.statuses and LinkStatus.ERROR not in scope.statuses:
                    self.notify(f"The filter excludes Error jobs ({scope.describe()}); nothing to requeue.")
                    return
                count = await self.store.count(replace(scope, statuses=(LinkStatus.ERROR,)), now=now)
                if count == 0:
                    self.notify(f"No Error jobs match {scope.describe()}; nothing to requeue.")
                    return
                question = f"Requeue {count:,} Error job{'s' if count != 1 else ''} matching: {scope.describe()}?"
                detail = "They go back to Queued and run on the next cycle. The audit log records it."
                if not await self._confirm(question, detail):
                    return
                result, tail = await self.store.requeue(self.actor, filter=scope, now=now), ""
        except StoreError as exc:
            self.notify(f"Requeue failed: {exc}", severity="error")
            return
        message = f"Requeued {len(result.changed):,} job(s){tail}."
        if result.skipped:
            first = next(iter(result.skipped.values()))
            message += f" {len(result.skipped):,} skipped (e.g. {first})."
        self.notify(message)
        self._apply_changes()

    async def _confirm(self, question: str, detail: str = "", *, always: bool = False) -> bool:
        """Ask first; bulk confirmations can be switched off in config ([ui] confirm_bulk)."""
        if not (always or self.options.confirm_bulk):
            return True
        from inolink_tui.ui.confirm import ConfirmScreen  # dialogs load when first shown

        answer: bool | None = await self.app.push_screen_wait(ConfirmScreen(question, detail))
        return bool(answer)

    def action_mark_error(self) -> None:
        if self._refuse("mark as Error"):
            return
        job = self._selected()
        if job is not None:
            self._mark_error(job)

    @work(group="action", exit_on_error=False)
    async def _mark_error(self, job: LinkJob) -> None:
        if job.link_status is not LinkStatus.QUEUED:
            self.notify(
                f"Job {job.id} is {job.link_status.value}; only a stuck Queued job can be marked as Error.",
                severity="warning",
            )
            return
        question = f"Mark job {job.id} ({job.record_name}) as Error?"
        detail = "Use this for a job stuck in Queued; it can be requeued later."
        if not await self._confirm(question, detail, always=True):
            return
        try:
            result = await self.store.mark_error(self.actor, [job.id], now=self.now())
        except StoreError as exc:
            self.notify(f"Mark as Error failed: {exc}", severity="error")
            return
        if result.changed:
            self.notify(f"Job {job.id} marked as Error.")
        else:
            self.notify(result.skipped.get(job.id, f"Job {job.id} was not changed."), severity="warning")
        self._apply_changes()

    def action_sync_now(self) -> None:
        if not self._refuse("sync now"):
            self._sync_now()

    @work(group="action", exit_on_error=False)
    async def _sync_now(self) -> None:
        services = await self.engine.services()
        choices = [(s.name, f"{s.label} ({s.state})") for s in services] + [("*", "All services")]
        from inolink_tui.ui.confirm import ChoiceScreen

        picked = await self.app.push_screen_wait(ChoiceScreen("Sync now: which service?", choices))
        if picked is None:
            return
        names = [s.name for s in services] if picked == "*" else [picked]
        try:
            messages = [await self.engine.run_now(name, actor=self.actor) for name in names]
            await self._audit("sync-now", ",".join(names))
        except Exception as exc:
            self.notify(f"Sync now failed: {exc}", severity="error")
            return
        self.notify("\n".join(messages))
        await self._refresh_engine_state()

    def action_pause(self) -> None:
        if not self._refuse("pause / resume"):
            self._toggle_pause()

    @work(group="action", exit_on_error=False)
    async def _toggle_pause(self) -> None:
        try:
            services = await self.engine.services()
            running = [s for s in services if s.enabled and not s.paused]
            if running or not services:
                message = await self.engine.pause(None, actor=self.actor)
                await self._audit("pause", "all services")
            else:
                message = await self.engine.resume(None, actor=self.actor)
                await self._audit("resume", "all services")
        except Exception as exc:
            self.notify(f"Pause/resume failed: {exc}", severity="error")
            return
        self.notify(message)
        await self._refresh_engine_state()

    async def _audit(self, action: str, detail: str) -> None:
        if not self.engine.records_audit:
            await self.store.record_audit(self.actor, action, detail, 0, now=self.now())

    def action_export(self) -> None:
        self._export()

    @work(group="action", exit_on_error=False)
    async def _export(self) -> None:
        from inolink_tui.ui.export import ExportError, ExportScreen, default_path, export_jobs  # csv, json: on use

        table = self.table
        scope, sort = self.effective_filter, self.sort
        path = await self.app.push_screen_wait(
            ExportScreen(scope.describe(), table.total, default_path(self.now(), self.options.export_dir), now=self.now)
        )
        if path is None:
            return
        self.notify(f"Exporting {table.total:,} jobs to {path}…")
        try:
            written = await export_jobs(self.store, scope, sort, path, now=self.now())
        except (ExportError, StoreError) as exc:
            self.notify(f"Export failed: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Exported {written:,} jobs to {path}.")
