"""Hostile record text through both outputs: the CLI's `jobs list` / `jobs show` and the console's table.

Whatever CRM or QuickBooks sends as a record name, user name, Accounting ID or error, nothing that can
move the cursor, recolour the screen, retitle the terminal or reverse a row may reach the terminal, and
every table line must be exactly as wide as the table (a wrong width shifts every column after it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from textual.strip import Strip

from inolink_tui.cli.job_render import job_text, layout, table_header, table_row
from inolink_tui.domain.enums import AttemptOutcome, LinkStatus
from inolink_tui.domain.jobs import Attempt, Lease, LinkJob
from inolink_tui.present.text import cell_width
from inolink_tui.ui.inspector import InspectorScreen
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, make_app, make_job, settle

HOSTILE = [
    "\u202eevil\u202c override",
    "\u061carabic letter mark\u200e\u200f",
    "\u2066isolate\u2069 \u2067rtl\u2069 \u2068first\u2069 \u202a\u202b\u202d",
    "\x1b[2J\x1b[H\x1b[31mred\x1b[0m CSI",
    "\x1b]0;new title\x07 OSC",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ hyperlink",
    "\x9b31m C1 CSI \x9d0;t\x9c \x90dcs\x9c",
    "\x00nul\x01\x07bell\x08back\x7fdel\x0bvt\x0cff",
    "tab\there\nnew\rline",
    "\u2028line\u2029para",
    "漢字テスト全角カタカナ",
    "emoji 👍🏽 🇫🇷 ✅",
    "👨\u200d👩\u200d👧 family \u200d",
    "zero\u200bwidth\u200cnon\u200djoin\ufeff",
    "e\u0301\u0301 combining",
]
"""Bidi controls (U+061C, LRM/RLM, embeddings, overrides, isolates), ANSI CSI / OSC / OSC 8, C1 controls,
C0 controls and DEL, line breaks, Unicode line separators, wide CJK and emoji, ZWJ and zero-width marks."""

FORBIDDEN = (
    {chr(c) for c in range(0x20)}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
)
"""Written out here, independently of the kernel's rule: C0, DEL, C1, every bidi control, U+2028/2029."""


def assert_safe(line: str) -> None:
    leaked = sorted({f"U+{ord(ch):04X}" for ch in line if ch in FORBIDDEN})
    assert not leaked, f"{leaked} reached the terminal in {line!r}"


def hostile_job(index: int, text: str) -> LinkJob:
    long = " ".join([text] * 12)  # long enough to overflow every column, so each row fills the width
    return make_job(
        index,
        record_name=long,
        submitted_by=text,
        accounting_id=text,
        link_status=LinkStatus.ERROR,
        # The table shows the error's first line: keep it long, whatever line breaks `text` holds.
        error_description=f"{' '.join(long.splitlines())}\nsecond line {text}",
        error_code=text,
        company=text,
        crm_record_id=text,
        request_id=text,
        lease=Lease(text, NOW + timedelta(seconds=30)),
    )


def hostile_attempt(index: int, text: str) -> Attempt:
    return Attempt(index, 1, NOW, 12, AttemptOutcome.ERROR, 400, text, f"{text}\n{text}", worker=text)


@pytest.mark.parametrize("width", [61, 80, 120, 200])
def test_cli_jobs_list_lets_nothing_through_and_fills_the_width(width: int) -> None:
    columns = layout(width)
    assert_safe(table_header(columns))
    for index, text in enumerate(HOSTILE, start=1):
        row = table_row(hostile_job(index, text), columns)
        assert_safe(row)
        assert cell_width(row) == width, (text, row)


def test_cli_jobs_show_lets_nothing_through() -> None:
    for index, text in enumerate(HOSTILE, start=1):
        job = hostile_job(index, text)
        lines = job_text(job, [hostile_attempt(index, text)])
        for line in lines:
            assert_safe(line)
        assert lines[0] == f"Link Job {index}"
        assert any(line.startswith("  #1 ") for line in lines), "the attempt stays on one line"


def console_store() -> MemoryStore:
    store = MemoryStore(now=NOW)
    for index, text in enumerate(HOSTILE, start=1):
        store.put(hostile_job(index, text))
    return store


def strip_text(strip: Strip) -> str:
    return "".join(segment.text for segment in strip)


@pytest.mark.parametrize("size", [(80, 24), (160, 30)])
async def test_console_rows_let_nothing_through_and_keep_the_width(size: tuple[int, int]) -> None:
    app = make_app(console_store())
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        table = app.table
        assert table.total == len(HOSTILE)
        for y in range(len(HOSTILE) + 1):  # the header and every row
            strip = table.render_line(y)
            assert_safe(strip_text(strip))
            assert strip.cell_length == table.size.width
        for strip in app.screen._compositor.render_strips():  # the whole screen as it is painted
            assert_safe(strip_text(strip))
            assert strip.cell_length == size[0]


async def test_console_inspector_lets_nothing_through() -> None:
    """The inspector shows every field in full (error, attempts, payload): each one cleaned too."""
    store = console_store()
    for index, text in enumerate(HOSTILE, start=1):
        job = store.jobs[index]
        store.jobs[index] = replace(
            job, attempts=(hostile_attempt(index, text),), payload={"before": {text: text}, "after": {text: "x"}}
        )
    app = make_app(store)
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot, app)
        for _ in HOSTILE:
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, InspectorScreen)
            for strip in app.screen._compositor.render_strips():
                assert_safe(strip_text(strip))
                assert strip.cell_length == 100
            await pilot.press("escape", "down")
            await pilot.pause()
