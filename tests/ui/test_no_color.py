"""NO_COLOR (https://no-color.org): the console stays readable in greys (issue 12, item 9).

What a terminal shows is the compositor's lines passed through the app's line filters (Textual adds its
Monochrome filter when NO_COLOR is set), so the test reads exactly that and measures, for every visible
character, the contrast between its foreground and background.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from inolink_tui.ui.app import InolinkApp
from tests.ui.conftest import NOW, fill, make_app, settle
from tests.ui.fakes import FakeEngine
from tests.ui.memory_store import MemoryStore

MIN_CONTRAST = 3.0
"""WCAG's minimum contrast ratio for large or bold text; body text here is far above it (about 17:1)."""


def _rgb(color: Any, fallback: Color) -> Color:
    if color is None or color.is_default:
        return fallback
    return Color.from_rich_color(color)


def _contrast(a: Color, b: Color) -> float:
    la, lb = sorted((a.brightness, b.brightness), reverse=True)
    # brightness is perceived luminance in 0..1; the ratio follows WCAG's (L1 + 0.05) / (L2 + 0.05)
    return (la + 0.05) / (lb + 0.05)


def shown_cells(app: InolinkApp) -> list[tuple[str, Color, Color]]:
    """(text, foreground, background) of every visible run of characters, as the terminal gets them."""
    background = app.screen.styles.background
    out = []
    for strip in app.screen._compositor.render_strips():
        segments: list[Segment] = list(strip)
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, background)
        for text, style, _ in segments:
            if not text.strip():
                continue
            style = style or Style()
            fg = _rgb(style.color, Color(255, 255, 255))
            bg = _rgb(style.bgcolor, Color(0, 0, 0))
            if style.reverse:
                fg, bg = bg, fg
            out.append((text, fg, bg))
    return out


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_no_color_is_readable_everywhere_on_the_main_screen(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """Before: every character came out black on black (Textual's filter turned the ANSI theme's colours black)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(fill(MemoryStore(now=NOW)), engine=FakeEngine(NOW), in_process=True, refresh_ms=100_000)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        app._flush_slow()
        await app._refresh_engine_state()
        await pilot.press("down", "space")  # a cursor row and a marked row
        await settle(pilot, app)
        assert app.no_color
        cells = shown_cells(app)
        assert sum(len(t) for t, _, _ in cells) > size[0] * 5  # the screen is full of text
        unreadable = [(t, fg.hex, bg.hex) for t, fg, bg in cells if _contrast(fg, bg) < MIN_CONTRAST]
        assert unreadable == []
        colours = {c.hex for _, fg, bg in cells for c in (fg, bg)}
        assert all(len({c[1:3], c[3:5], c[5:7]}) == 1 for c in colours)  # greys only: no colour left


async def test_without_no_color_the_terminal_palette_theme_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(fill(MemoryStore(now=NOW)), engine=FakeEngine(NOW), in_process=True, refresh_ms=100_000)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.theme == "ansi-dark"
