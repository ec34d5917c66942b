"""The suite's --run-slow switch: `slow` tests are skipped (with the reason) unless it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# The inner session runs in-process; the snapshot plugin would tidy away the outer session's temp dir.
ISOLATED = ("-p", "no:cacheprovider", "-p", "no:textual-snapshot", "--strict-markers")
CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
TESTS = """
import pytest

@pytest.mark.slow
def test_long() -> None:
    pass

def test_short() -> None:
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(
        "[pytest]\n"
        "asyncio_default_fixture_loop_scope = function\n"
        "markers =\n    slow: long variants, run with --run-slow\n"
    )
    pytester.makepyfile(test_variants=TESTS)
    return pytester


def test_slow_tests_are_skipped_by_default_with_the_reason(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess("-rs", *ISOLATED)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*test_variants.py*slow long variant: run with --run-slow*"])


def test_run_slow_runs_them(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess("--run-slow", *ISOLATED)
    result.assert_outcomes(passed=2, skipped=0)
