"""Reading a Deadlock Win conflict from a job's payload, and the Link Job that re-applies it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inolink_tui.domain.conflicts import ReapplyRefused, conflict_of, reapply_job, reapply_of
from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, Source
from inolink_tui.domain.jobs import LinkJob

T = datetime(2026, 12, 1, tzinfo=UTC)


def job(payload: dict[str, object] | None, **overrides: object) -> LinkJob:
    fields: dict[str, object] = dict(
        id=7,
        entity_type=EntityType.ACCOUNT,
        link_status=LinkStatus.SUCCESS,
        source=Source.ACCOUNTING,
        submitted_by="sync",
        submitted_at=T,
        processed_at=T,
        accounting_id="58",
        processed_count=1,
        error_description=None,
        company="9130",
        crm_record_id="rec-1",
        record_name="Northwind",
        qbo_entity="Customer",
        operation=Operation.UPDATE,
        payload=payload,
    )
    fields.update(overrides)
    return LinkJob(**fields)  # type: ignore[arg-type]


def test_fields_pair_loser_and_winner_and_mark_unrecorded_winners() -> None:
    conflict = conflict_of(
        {"conflict": {"winner": "QuickBooks", "losing_side": "CRM", "losing_values": {"b": 1, "a": 2}}}
    )
    assert conflict is not None and conflict.winner == "QuickBooks"
    assert [(f.field, f.losing, f.winning_known) for f in conflict.fields] == [("a", 2, False), ("b", 1, False)]
    conflict = conflict_of(
        {"conflict": {"losing_side": "QuickBooks", "losing_values": {"a": 1}, "winning_values": {"a": 3}}}
    )
    assert conflict is not None and conflict.winner == "CRM"
    assert [(f.losing, f.winning, f.winning_known) for f in conflict.fields] == [(1, 3, True)]


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"conflict": "x"}, {"conflict": {"losing_side": "Other", "losing_values": {}}}, {"before": {}}],
)
def test_payloads_without_a_conflict_have_none(payload: dict[str, object] | None) -> None:
    assert conflict_of(payload) is None


def test_reapply_job_goes_to_the_losing_side_and_round_trips() -> None:
    crm_lost = job({"conflict": {"winner": "QuickBooks", "losing_side": "CRM", "losing_values": {"name": "A"}}})
    new = reapply_job(crm_lost, "me")
    assert (new.source, new.operation, new.qbo_id, new.submitted_by) == (
        Source.ACCOUNTING,
        Operation.UPDATE,
        "58",
        "me",
    )
    queued = job(new.payload, id=8, link_status=LinkStatus.QUEUED)
    request = reapply_of(queued)
    assert request is not None and (request.losing_side, dict(request.values), request.from_job) == (
        "CRM",
        {"name": "A"},
        7,
    )
    qbo_lost = job({"conflict": {"winner": "CRM", "losing_side": "QuickBooks", "losing_values": {"DisplayName": "B"}}})
    assert reapply_job(qbo_lost, "me").source is Source.CRM
    assert reapply_of(crm_lost) is None


def test_reapply_refuses_what_cannot_be_reapplied() -> None:
    with pytest.raises(ReapplyRefused, match="no Deadlock Win conflict"):
        reapply_job(job(None), "me")
    empty = {"conflict": {"winner": "QuickBooks", "losing_side": "CRM", "losing_values": {}}}
    with pytest.raises(ReapplyRefused, match="nothing to re-apply"):
        reapply_job(job(empty), "me")
    full = {"conflict": {"winner": "QuickBooks", "losing_side": "CRM", "losing_values": {"a": 1}}}
    with pytest.raises(ReapplyRefused, match="no linked record"):
        reapply_job(job(full, accounting_id=None), "me")
