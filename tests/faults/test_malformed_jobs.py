"""Issue 12 item 4 end to end: under the sandbox's malformed-JSON and slow-body faults, jobs end Success after
retries, never Error with class `unknown` ("not JSON") after one attempt as 37 of 414 did under the chaos profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.domain.enums import ErrorClass, LinkStatus
from tests.connectors.sandbox_support import control
from tests.engine.test_sandbox_e2e import HAVE_STACK, stack

pytestmark = [
    pytest.mark.skipif(not HAVE_STACK, reason="the connectors or the sandbox are not merged yet"),
    pytest.mark.timeout(180),
]

SEEDED_PROBLEMS = (ErrorClass.DUPLICATE, ErrorClass.REFERENCE, ErrorClass.VALIDATION)
"""The seed plants these on purpose (a vendor's name, unlinked products); they are not faults."""


async def test_jobs_end_success_under_malformed_bodies_and_slow_bodies(tmp_path: Path) -> None:
    async with stack(tmp_path, 20) as s:
        rules = [
            rule
            for api in ("qbo", "dataverse")
            for rule in (
                {"kind": "malformed", "api": api, "probability": 0.15},
                {"kind": "slow_body", "api": api, "delay": 0.05, "probability": 0.1},
            )
        ]
        # A request the connector gave up on (five garbled answers running: about 1 in 13,000 requests at 15 %,
        # so now and then in a run) fails its job once, and the job is retried after a backoff. The product keeps
        # the backoff below the `--once` wait (30 s and 60 s by default), so the retry runs in the same pass; the
        # stack's 5 s wait needs the backoff scaled the same way, or a retry falls after the run has ended.
        engine = await s.engine(backoff_base_seconds=2.5)
        try:
            await control(s.handle, "/_sandbox/faults", {"rules": rules})
            await engine.run_once()
            fired = (await control(s.handle, "/_sandbox/faults"))["fired"]
        finally:
            await engine.stop()
        jobs = await s.jobs()
    assert fired.get("malformed", 0) >= 5, f"the faults barely fired: {fired}"
    unexpected = [
        (j.id, j.error_class, j.error_description)
        for j in jobs
        if j.link_status is LinkStatus.ERROR and j.error_class not in SEEDED_PROBLEMS
    ]
    assert not unexpected, unexpected
    assert not [j for j in jobs if j.link_status is LinkStatus.QUEUED], "every job ended"
    ok = [j for j in jobs if j.link_status is LinkStatus.SUCCESS]
    assert len(ok) >= 0.7 * len(jobs) and ok
