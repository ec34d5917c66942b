"""Untrusted text made safe for a terminal, and measured and fitted in terminal cells.

Record names, error messages and user names come from CRM, QuickBooks and their APIs: any of them may
hold an escape sequence that moves the cursor or recolours the screen, or a bidi control that makes a
row read backwards. `clean` is the one rule for both the CLI and the console.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from rich.cells import cell_len, set_cell_size

Align = Literal["left", "right"]

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Arabic letter mark, LRM/RLM, the embeddings and overrides (LRE..RLO) and the isolates (LRI..PDI)."""

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""C0 and C1 controls and DEL (Cc), lone surrogates (cannot be encoded for the terminal), and the
Unicode line and paragraph separators (some terminals break the line there)."""


def is_unsafe(ch: str) -> bool:
    """True for a character that must never reach a terminal as is."""
    return ch in BIDI_CONTROLS or unicodedata.category(ch) in _UNSAFE_CATEGORIES


_ZWJ = "\u200d"
_EMOJI_TAILS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")
"""Emoji presentation selector and skin-tone modifiers: may sit between a pictograph and a joiner."""


def _joins_pictographs(text: str, index: int) -> bool:
    """Whether the ZWJ at `index` joins two pictographs, as in an emoji sequence such as a family."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    picture = before and (unicodedata.category(before) == "So" or before in _EMOJI_TAILS)
    return bool(picture) and bool(after) and unicodedata.category(after) == "So"


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """Make untrusted text safe to print on a terminal.

    Tabs and line breaks become spaces (a table cell is one line; `keep_newlines` keeps "\\n" for
    multi-line text). Every other unsafe character is shown as a `\\xNN` / `\\uNNNN` escape rather than
    removed, so the operator still sees that something odd is there.

    A zero-width joiner is kept only inside an emoji sequence. Anywhere else it is dropped: the width
    measure joins it to whatever follows (a letter, the padding, the next column), so a stray joiner
    would make a row one cell off; dropped, it changes nothing visible.
    """
    out: list[str] = []
    for index, ch in enumerate(text):
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        elif is_unsafe(ch):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        elif ch == _ZWJ and not _joins_pictographs(text, index):
            continue
        else:
            out.append(ch)
    return "".join(out)


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide (CJK, emoji) count 2, combining and zero-width marks 0.

    Rich's measure, grapheme-aware (an emoji joined with ZWJ is one glyph): it is what Textual paints
    the console with, so the CLI and the console agree on every width.
    """
    return cell_len(text)


def fit(text: str, width: int, align: Align = "left") -> str:
    """Pad or cut `text` to exactly `width` cells, marking a cut with an ellipsis.

    A wide character that would straddle the edge is dropped whole (and padded), never split.
    """
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width) if align == "left" else " " * (width - cell_len(text)) + text
