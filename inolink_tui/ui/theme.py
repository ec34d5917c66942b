"""Theme choice. Over SSH the terminal's own palette reads best, so the default is Textual's ANSI theme."""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_THEME = "ansi-dark"


def pick_theme(wanted: str | None, available: Iterable[str]) -> tuple[str, str | None]:
    """The theme to use and, when the wanted one does not exist, a warning naming the choices."""
    names = sorted(available)
    if not wanted or wanted == DEFAULT_THEME:
        return DEFAULT_THEME, None
    if wanted in names:
        return wanted, None
    return DEFAULT_THEME, f"unknown theme {wanted!r}; using {DEFAULT_THEME} (choose from: {', '.join(names)})"
