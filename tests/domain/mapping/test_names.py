import pytest
from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.domain.enums import NameMatching
from inolink_tui.domain.mapping.names import (
    NameIndex,
    best_matches,
    names_match,
    normalise_name,
    osa_distance,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME inc", "acme"),
        ("  Smith &  Sons LLC ", "smith and sons"),
        ("Café Müller GmbH", "cafe muller"),
        ("Inc", "inc"),
    ],
)
def test_normalise(raw: str, normal: str) -> None:
    assert normalise_name(raw) == normal


def test_infomedia_typo_matches_only_under_pattern() -> None:
    assert names_match("InfoMedia", "IfnoMedia", NameMatching.PATTERN)
    assert not names_match("InfoMedia", "IfnoMedia", NameMatching.EXACT)
    assert names_match("infomedia", "InfoMedia", NameMatching.EXACT)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Acme Ltd", "ACME Limited", True),
        ("Contoso Pharmaceuticals", "Contoso Pharmaceutcals", True),
        ("Contoso", "Fabrikam", False),
        ("ABC", "ABD", False),
        ("Adventure Works", "Adventure Worlds", True),
        ("Alpine Ski House", "Alpine Ski Houses Group", False),
    ],
)
def test_pattern_examples(a: str, b: str, expected: bool) -> None:
    assert names_match(a, b, NameMatching.PATTERN) is expected


def test_osa_distance_counts_transposition_as_one() -> None:
    assert osa_distance("infomedia", "ifnomedia") == 1
    assert osa_distance("kitten", "sitting") == 3
    assert osa_distance("kitten", "sitting", limit=1) == 2


@given(st.text(max_size=12), st.text(max_size=12))
def test_osa_is_symmetric(a: str, b: str) -> None:
    assert osa_distance(a, b) == osa_distance(b, a)


def test_exact_beats_fuzzy_and_ambiguity_is_reported() -> None:
    cands = [("1", "InfoMedia"), ("2", "IfnoMedia"), ("3", "Infomedia Inc")]
    match = best_matches("InfoMedia", cands, NameMatching.PATTERN)
    assert match is not None and match.exact and match.best == ("1",)
    fuzzy = best_matches(
        "InfoMedia", [("2", "IfnoMedia"), ("4", "InfoMedja"), ("5", "InfoMdiae")], NameMatching.PATTERN
    )
    assert fuzzy is not None and not fuzzy.exact and fuzzy.best == ("2", "4")
    closer = best_matches("InfoMedai", [("2", "IfnoMedia"), ("4", "InfoMedia")], NameMatching.PATTERN)
    assert closer is not None and closer.best == ("4",)


def test_name_index_lookup_and_rename() -> None:
    index = NameIndex()
    index.add("7", "IfnoMedia")
    index.add("8", "Northwind Traders")
    hit = index.lookup("InfoMedia", NameMatching.PATTERN)
    assert hit is not None and hit.best == ("7",)
    assert index.lookup("InfoMedia", NameMatching.EXACT) is None
    index.add("7", "Totally Different")
    assert index.lookup("InfoMedia", NameMatching.PATTERN) is None
    assert index.lookup("northwind traders", NameMatching.EXACT) is not None
    assert len(index) == 2
