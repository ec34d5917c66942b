"""Name Matching Criteria: how an existing QuickBooks record is recognised before one is created.

Exact
    The names are equal after trimming and case-folding (QuickBooks compares names case-insensitively
    in queries, so "ACME" and "Acme" are already the same name there).

Pattern (InoLink: "a pattern match to cover for any typos", InfoMedia vs IfnoMedia)
    Both names are normalised, then compared:

    1. normalise: Unicode NFKD with accents removed, case-fold, "&" -> "and", punctuation removed,
       trailing legal suffixes removed (Inc, LLC, Ltd, Limited, Corp, Corporation, Co, Company, PLC,
       GmbH, Pty, SA, AG, BV), whitespace collapsed; "Acme, Inc." and "ACME inc" both become "acme";
    2. equal normalised names match;
    3. otherwise the optimal-string-alignment (Damerau-Levenshtein) distance between the normalised
       names, spaces ignored, may be at most 1 for names of 4 to 11 characters and at most 2 for
       longer ones (a swapped pair of letters counts as one edit, so InfoMedia ~ IfnoMedia);
       names shorter than 4 characters must be equal, since one edit there changes the name.

    A fuzzy match never overrides an exact one; when several candidates match equally well the match
    is ambiguous and the job fails with the candidates named, rather than guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inolink_tui.domain.enums import NameMatching

LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "pty",
        "sa",
        "ag",
        "bv",
        "llp",
        "lp",
    }
)
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def exact_key(name: str) -> str:
    """The key under which Exact matching compares names."""
    return _SPACES.sub(" ", name.strip()).casefold()


def normalise_name(name: str) -> str:
    """The documented Pattern normal form (see the module docstring)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = _PUNCT.sub(" ", text).replace("_", " ")
    words = _SPACES.sub(" ", text).strip().split(" ")
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(w for w in words if w)


def osa_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap adjacent).

    With `limit`, stops early and returns limit + 1 once the distance must exceed it, which keeps a
    scan over thousands of names cheap.
    """
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_edits(normalised: str) -> int:
    length = len(normalised.replace(" ", ""))
    if length < 4:
        return 0
    return 1 if length < 12 else 2


def pattern_distance(a: str, b: str) -> int | None:
    """Edits between two names under Pattern rules, or None when they do not match."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return None
    if na == nb:
        return 0
    allowed = min(allowed_edits(na), allowed_edits(nb))
    if allowed == 0:
        return None
    dist = osa_distance(na.replace(" ", ""), nb.replace(" ", ""), allowed)
    return dist if dist <= allowed else None


def names_match(a: str, b: str, mode: NameMatching) -> bool:
    if exact_key(a) == exact_key(b):
        return True
    return mode is NameMatching.PATTERN and pattern_distance(a, b) is not None


@dataclass(frozen=True, slots=True)
class NameMatch:
    """Result of looking a name up among candidates."""

    best: tuple[str, ...]
    """Candidate keys (e.g. QuickBooks Ids) of the best match; more than one means ambiguous."""
    exact: bool

    @property
    def ambiguous(self) -> bool:
        return len(self.best) > 1


def best_matches(name: str, candidates: Iterable[tuple[str, str]], mode: NameMatching) -> NameMatch | None:
    """Pick the candidate(s) `(key, name)` that match `name` best, or None.

    Exact matches win over fuzzy ones; among fuzzy ones the fewest edits win.
    """
    wanted = exact_key(name)
    exact: list[str] = []
    fuzzy: dict[int, list[str]] = {}
    pool: Sequence[tuple[str, str]] = list(candidates)
    for key, cand in pool:
        if exact_key(cand) == wanted:
            exact.append(key)
    if exact:
        return NameMatch(tuple(exact), True)
    if mode is not NameMatching.PATTERN:
        return None
    for key, cand in pool:
        dist = pattern_distance(name, cand)
        if dist is not None:
            fuzzy.setdefault(dist, []).append(key)
    if not fuzzy:
        return None
    return NameMatch(tuple(fuzzy[min(fuzzy)]), False)


class NameIndex:
    """Candidate names of one QuickBooks entity, bucketed so Pattern lookups stay fast at scale.

    A fuzzy match can differ by at most two edits, so candidates are bucketed by the length of the
    space-free normal form and only buckets within two characters are scanned.
    """

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._by_exact: dict[str, set[str]] = {}
        self._by_len: dict[int, set[str]] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def add(self, key: str, name: str) -> None:
        self.remove(key)
        self._by_key[key] = name
        self._by_exact.setdefault(exact_key(name), set()).add(key)
        self._by_len.setdefault(len(normalise_name(name).replace(" ", "")), set()).add(key)

    def remove(self, key: str) -> None:
        old = self._by_key.pop(key, None)
        if old is None:
            return
        self._by_exact.get(exact_key(old), set()).discard(key)
        self._by_len.get(len(normalise_name(old).replace(" ", "")), set()).discard(key)

    def name_of(self, key: str) -> str | None:
        return self._by_key.get(key)

    def lookup(self, name: str, mode: NameMatching) -> NameMatch | None:
        exact = self._by_exact.get(exact_key(name))
        if exact:
            return NameMatch(tuple(sorted(exact)), True)
        if mode is not NameMatching.PATTERN:
            return None
        length = len(normalise_name(name).replace(" ", ""))
        keys = [k for n in range(length - 2, length + 3) for k in self._by_len.get(n, ())]
        return best_matches(name, ((k, self._by_key[k]) for k in sorted(keys)), mode)
