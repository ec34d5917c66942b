"""Pairing records that already exist on both sides, by the configured Name Matching.

`match` and the first import both ask: which unlinked CRM record is which unlinked QuickBooks record?
Each CRM name is looked up among the QuickBooks names with the same rules the engine uses before it
creates anything (domain/mapping/names.py). A pair is offered only when it is unique both ways: a CRM
name with several equally good QuickBooks candidates, or a QuickBooks record that more than one CRM
record would take, is set apart as ambiguous for a person to decide, never guessed.

Score (shown beside each pair, higher is surer): 100 for an Exact match (equal after trimming and
case-folding); under Pattern, 90 when the normalised names are equal ("Acme, Inc." ~ "ACME") and 10 less
for each edit the typo tolerance needed (80 for one, 70 for two).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inolink_tui.domain.enums import NameMatching
from inolink_tui.domain.mapping.names import NameIndex, pattern_distance

EXACT_SCORE = 100
PATTERN_SCORE = 90
PER_EDIT = 10


@dataclass(frozen=True, slots=True)
class Candidate:
    """One record on either side: its id and the name matching compares."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Pair:
    crm: Candidate
    quickbooks: Candidate
    score: int


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A CRM record with several candidates, or several CRM records wanting one QuickBooks record."""

    crm: tuple[Candidate, ...]
    quickbooks: tuple[Candidate, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    pairs: tuple[Pair, ...]
    ambiguous: tuple[Ambiguous, ...]
    unmatched_crm: tuple[Candidate, ...]


def score(crm_name: str, qbo_name: str, exact: bool) -> int:
    if exact:
        return EXACT_SCORE
    distance = pattern_distance(crm_name, qbo_name)
    return PATTERN_SCORE - PER_EDIT * (distance or 0)


def pair_records(crm: Iterable[Candidate], quickbooks: Iterable[Candidate], mode: NameMatching) -> MatchResult:
    """Pairs unique both ways, the ambiguous cases apart, and the CRM records nothing matched."""
    index = NameIndex()
    by_id: dict[str, Candidate] = {}
    for cand in quickbooks:
        index.add(cand.id, cand.name)
        by_id[cand.id] = cand
    proposed: dict[str, list[tuple[Candidate, int]]] = {}
    ambiguous: list[Ambiguous] = []
    unmatched: list[Candidate] = []
    for record in crm:
        found = index.lookup(record.name, mode)
        if found is None:
            unmatched.append(record)
            continue
        if found.ambiguous:
            options = tuple(by_id[k] for k in found.best)
            ambiguous.append(Ambiguous((record,), options, f"{len(options)} QuickBooks records match equally well"))
            continue
        qbo = by_id[found.best[0]]
        proposed.setdefault(qbo.id, []).append((record, score(record.name, qbo.name, found.exact)))
    pairs: list[Pair] = []
    for qbo_id, claims in proposed.items():
        qbo = by_id[qbo_id]
        if len(claims) == 1:
            record, points = claims[0]
            pairs.append(Pair(record, qbo, points))
        else:
            crm_side = tuple(c for c, _ in claims)
            ambiguous.append(
                Ambiguous(crm_side, (qbo,), f"{len(crm_side)} CRM records match the same QuickBooks record")
            )
    pairs.sort(key=lambda p: (-p.score, p.crm.name.casefold(), p.crm.id))
    return MatchResult(tuple(pairs), tuple(ambiguous), tuple(unmatched))
