"""The key footer fits every width: nothing shows past "^p Commands" (issue 12, item 9).

Before: at 81-110 columns (and 60-79, wherever a letter of a binding fell in the last column) a stray
character stood at the right end, e.g. "▏^p CommandsP" at 81 and "▏^p Commandsz" at 100.
"""

from __future__ import annotations

import pytest

from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, fill, make_app, settle
from tests.ui.fakes import FakeEngine
from tests.ui.screen_text import screen_lines


@pytest.mark.timeout(300)
async def test_the_footer_ends_with_the_palette_key_at_every_width_from_60_to_200() -> None:
    app = make_app(fill(MemoryStore(now=NOW)), engine=FakeEngine(NOW), in_process=True, refresh_ms=100_000)
    wrong: dict[int, str] = {}
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot, app)
        for width in range(60, 201):
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            footer = screen_lines(app)[-1]
            if not footer.endswith("▏^p Commands") or len(footer) > width - 1:
                wrong[width] = footer[-24:]
    assert wrong == {}
