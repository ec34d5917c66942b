"""Theme choice. Over SSH the terminal's own palette reads best, so the default is Textual's ANSI theme.

`NO_COLOR` (https://no-color.org): Textual then passes every frame through its Monochrome filter, which turns
each colour into a grey of the same luminance. The ANSI theme's colours are the terminal's "default" ones,
which that filter cannot see through and turns into black: black text on a black background. So when
`NO_COLOR` is set the console uses `MONO_THEME`, a theme of real greys whose luminances are far apart, which
the filter leaves readable (light text on black, the cursor row dark on light), and `MONO_TERMINAL` for the
ANSI colour names the console's own Rich styles use.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.terminal_theme import TerminalTheme
from textual.app import App
from textual.theme import Theme

DEFAULT_THEME = "ansi-dark"

MONO_THEME = Theme(
    name="inolink-mono",
    primary="#c6c6c6",
    secondary="#a8a8a8",
    accent="#ffffff",
    warning="#dadada",
    error="#ffffff",
    success="#bcbcbc",
    foreground="#e4e4e4",
    background="#000000",
    surface="#121212",
    panel="#262626",
    boost="#1c1c1c",
    dark=True,
    variables={
        "block-cursor-background": "#e4e4e4",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "footer-key-foreground": "#ffffff",
        "footer-description-foreground": "#c6c6c6",
        "footer-background": "#262626",
        "input-selection-background": "#585858",
        "border-blurred": "#585858",
        "scrollbar": "#8a8a8a",
        "scrollbar-background": "#121212",
    },
)
"""Greys only, for `NO_COLOR`; dark, like the default."""

MONO_TERMINAL = TerminalTheme(
    (0, 0, 0),
    (228, 228, 228),
    [
        (0, 0, 0),
        (238, 238, 238),
        (208, 208, 208),
        (218, 218, 218),
        (198, 198, 198),
        (208, 208, 208),
        (198, 198, 198),
        (228, 228, 228),
    ],
    [
        (138, 138, 138),
        (255, 255, 255),
        (228, 228, 228),
        (238, 238, 238),
        (218, 218, 218),
        (228, 228, 228),
        (218, 218, 218),
        (255, 255, 255),
    ],
)
"""What the ANSI colour names of Rich styles ("bold red" for the Error count, "green", "cyan") become under
`NO_COLOR`: light greys, told apart by weight and position rather than hue. Textual's own mapping (a
Monokai palette) turns red into a grey too dark to read on black."""


def pick_theme(wanted: str | None, available: Iterable[str], *, no_color: bool = False) -> tuple[str, str | None]:
    """The theme to use and, when the wanted one does not exist, a warning naming the choices.

    With `no_color` (the NO_COLOR environment variable) the monochrome theme wins over any configured one:
    a colour theme through Textual's monochrome filter can come out unreadable.
    """
    if no_color:
        return MONO_THEME.name, None
    names = sorted(available)
    if not wanted or wanted == DEFAULT_THEME:
        return DEFAULT_THEME, None
    if wanted in names:
        return wanted, None
    return DEFAULT_THEME, f"unknown theme {wanted!r}; using {DEFAULT_THEME} (choose from: {', '.join(names)})"


def theme_before_start(app: App[int], name: str) -> None:
    """Make `name` the app's theme before it starts, without Textual's theme-change pass.

    Setting `App.theme` runs `App._watch_theme`, which schedules `refresh_css`: every stylesheet source parsed
    again with the new variables and every widget restyled. Set on mount (as the console did), that pass ran
    between mounting the jobs screen and painting its first rows. Before the app starts no stylesheet has been
    parsed yet, so the new variables only need to be in place: this does the rest of what `_watch_theme` does
    (the theme classes, the ANSI-to-truecolor filter, Textual 8.2's private hook) and nothing else.
    tests/ui/test_theme_start.py checks the result equals Textual's own theme switch.
    """
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    for old in [c for c in app.classes if c.startswith("-theme-")]:
        app.remove_class(old, update=False)
    app.add_class(f"-theme-{theme.name}", update=False)
    app.set_class(theme.dark, "-dark-mode", update=False)
    app.set_class(not theme.dark, "-light-mode", update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())
