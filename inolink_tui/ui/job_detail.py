"""The kind of screen that shows one Link Job and follows it live (the inspector is one).

A module of its own so the live feed can ask "is a job's detail on top?" without importing the inspector,
which (with the mapping domain it renders) the first frame does not need: it loads when a job is first opened.
"""

from __future__ import annotations

from textual.screen import Screen

from inolink_tui.domain.jobs import LinkJob


class JobDetail(Screen[None]):
    """A screen showing `job`; the live feed calls `show_job` with the fresh row after a change."""

    job: LinkJob

    def show_job(self, job: LinkJob) -> None:
        """Repaint with the newer row (subclasses render it)."""
        self.job = job
