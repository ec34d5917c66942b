"""Read what a headless app shows, as plain text lines (for assertions that do not need colours)."""

from __future__ import annotations

from textual.app import App


def screen_lines(app: App[object]) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip).rstrip() for strip in strips]


def screen_text(app: App[object]) -> str:
    return "\n".join(screen_lines(app))
