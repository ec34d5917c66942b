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
from textual.geometry import Region
from textual.screen import ModalScreen

from inolink_tui.ui.app import InolinkApp
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, fill, make_app, settle
from tests.ui.fakes import FakeEngine

MIN_CONTRAST = 4.5
"""WCAG 2's minimum contrast ratio for body text (level AA)."""


BEVEL = "▁▔▎▊"


def _rgb(color: Any, fallback: Color) -> Color:
    if color is None or color.is_default:
        return fallback
    return Color.from_rich_color(color)


def _luminance(c: Color) -> float:
    """WCAG 2's relative luminance (linear-light sRGB)."""

    def linear(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b)


def _contrast(a: Color, b: Color) -> float:
    """WCAG 2's contrast ratio, (L1 + 0.05) / (L2 + 0.05): 1 (none) to 21 (black on white)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def shown_cells(app: InolinkApp, region: Region | None = None) -> list[tuple[str, Color, Color]]:
    """(text, foreground, background) of every visible run of characters, as the terminal gets them
    (within `region` when given)."""
    background = app.screen.styles.background
    out = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        segments: list[Segment] = list(strip)
        for line_filter in app.get_line_filters():
            segments = line_filter.apply(segments, background)
        x = 0
        for text, style, _ in segments:
            start, x = x, x + len(text)
            if not text.strip() or (region is not None and not region.contains(start, y)):
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
        app.jobs._flush_slow()
        await app.jobs._refresh_engine_state()
        await pilot.press("down", "space")  # a cursor row and a marked row
        await settle(pilot, app)
        assert app.no_color
        cells = shown_cells(app)
        assert sum(len(t) for t, _, _ in cells) > size[0] * 5  # the screen is full of text
        unreadable = {(t, fg.hex, bg.hex) for t, fg, bg in cells if _contrast(fg, bg) < MIN_CONTRAST}
        assert not unreadable, sorted(unreadable)
        colours = {c.hex for _, fg, bg in cells for c in (fg, bg)}
        assert all(len({c[1:3], c[3:5], c[5:7]}) == 1 for c in colours)  # greys only: no colour left


async def test_without_no_color_the_terminal_palette_theme_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(fill(MemoryStore(now=NOW)), engine=FakeEngine(NOW), in_process=True, refresh_ms=100_000)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.theme == "ansi-dark"


@pytest.mark.parametrize(
    ("keys", "what"),
    [
        (("down", "enter"), "InspectorScreen"),
        (("question_mark",), "HelpScreen"),
        (("R",), "ConfirmScreen"),
        (("slash", *"since:", "enter"), "JobsScreen"),  # an inline filter error
    ],
)
async def test_no_color_is_readable_on_every_other_screen(
    monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...], what: str
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(fill(MemoryStore(now=NOW)), engine=FakeEngine(NOW), in_process=True, refresh_ms=100_000)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press(*keys)
        await settle(pilot, app)
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == what
        # A dialog dims the screen behind it on purpose: only the dialog itself must read well.
        region = app.screen.children[0].region if isinstance(app.screen, ModalScreen) else None
        cells = shown_cells(app, region)
        assert cells
        # The buttons' bevelled edges (Textual's "tall" border) are shading, not text.
        text = [(t, fg, bg) for t, fg, bg in cells if region is None or set(t) - set(BEVEL)]
        unreadable = {(t, fg.hex, bg.hex) for t, fg, bg in text if _contrast(fg, bg) < MIN_CONTRAST}
        assert not unreadable, sorted(unreadable)
