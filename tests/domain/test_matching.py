"""Pairing existing records by Name Matching: unique both ways, ambiguity set apart, scores as documented."""

from __future__ import annotations

from inolink_tui.domain.enums import NameMatching
from inolink_tui.domain.matching import Candidate, pair_records


def test_pairs_are_scored_and_ambiguous_cases_kept_apart() -> None:
    crm = [
        Candidate("c1", "Acme, Inc."),
        Candidate("c2", "InfoMedia"),
        Candidate("c3", "Cobalt Labs"),
        Candidate("c4", "Nobody Here"),
        Candidate("c5", "Twin Co"),
        Candidate("c6", "Twin Company"),
    ]
    qbo = [
        Candidate("q1", "ACME"),
        Candidate("q2", "IfnoMedia"),
        Candidate("q3", "Cobalt Labs Inc"),
        Candidate("q4", "Cobalt Labs LLC"),
        Candidate("q5", "Twin"),
        Candidate("q6", "acme, inc."),
    ]
    result = pair_records(crm, qbo, NameMatching.PATTERN)
    assert [(p.crm.id, p.quickbooks.id, p.score) for p in result.pairs] == [("c1", "q6", 100), ("c2", "q2", 80)]
    reasons = {(tuple(c.id for c in a.crm), tuple(c.id for c in a.quickbooks)): a.reason for a in result.ambiguous}
    assert reasons[(("c3",), ("q3", "q4"))] == "2 QuickBooks records match equally well"
    assert reasons[(("c5", "c6"), ("q5",))] == "2 CRM records match the same QuickBooks record"
    assert [c.id for c in result.unmatched_crm] == ["c4"]


def test_exact_matching_pairs_only_equal_names() -> None:
    result = pair_records([Candidate("c", "InfoMedia")], [Candidate("q", "IfnoMedia")], NameMatching.EXACT)
    assert result.pairs == () and [c.id for c in result.unmatched_crm] == ["c"]
    same = pair_records([Candidate("c", " infomedia ")], [Candidate("q", "InfoMedia")], NameMatching.EXACT)
    assert [(p.crm.id, p.quickbooks.id, p.score) for p in same.pairs] == [("c", "q", 100)]
