"""The inspector's Mapped fields section: CRM value -> QuickBooks value (<- for a pull) and the transform."""

from __future__ import annotations

from inolink_tui.domain.enums import Source
from inolink_tui.domain.mapping.applied import TO_CRM, AppliedField, with_applied
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, make_job, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_inspector import open_job

PUSHED = [
    AppliedField("name", "DisplayName", "Acme Rentals", "Acme Rentals", "name"),
    AppliedField("new_region", "CustomField:Region", "North", "North", "copy", custom=True),
    AppliedField("new_customertier", "CustomField:Tier", 100000000, "G", "value_map", custom=True),
    AppliedField("telephone1", "PrimaryPhone.FreeFormNumber", None, None, "copy"),
]
PULLED = [AppliedField("creditlimit", "Balance", 1250.0, "1250.00", "money", TO_CRM, custom=True)]


async def test_mapped_fields_of_a_push_and_a_pull(store: MemoryStore) -> None:
    store.put(make_job(118, source=Source.CRM, payload=with_applied(None, PUSHED)))
    store.put(make_job(117, source=Source.ACCOUNTING, payload=with_applied({"truncated": []}, PULLED)))
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await open_job(app, pilot, 118)
        lines = screen_text(app).splitlines()
        row = next(line for line in lines if "new_customertier" in line)
        assert row.split() == ["new_customertier", "100000000", "->", "CustomField:Tier", "G", "value_map", "(custom)"]
        row = next(line for line in lines if "new_region" in line)
        assert row.split() == ["new_region", "North", "->", "CustomField:Region", "North", "copy", "(custom)"]
        row = next(line for line in lines if "telephone1" in line)
        assert row.split() == ["telephone1", "—", "->", "PrimaryPhone.FreeFormNumber", "—", "copy"]
        assert '"fields"' not in screen_text(app)  # not repeated in the raw payload
        await pilot.press("escape")
        await settle(pilot, app)
        await open_job(app, pilot, 117)
        row = next(line for line in screen_text(app).splitlines() if "creditlimit" in line)
        assert row.split() == ["creditlimit", "1250.0", "<-", "Balance", "1250.00", "money", "(custom)"]
        await pilot.press("escape")
        await settle(pilot, app)
        await open_job(app, pilot, 119)
        assert "No mapped fields recorded for this job." in screen_text(app)
