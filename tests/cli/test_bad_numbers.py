"""Issue 12 item 3: a number, duration or id too large for the store is a one-line error and exit 2, never a traceback.

CliRunner runs with catch_exceptions=False, so any exception (OverflowError from SQLite or datetime) fails the test.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inolink_tui.cli.job_filters import JobIdType
from inolink_tui.cli.main import cli
from inolink_tui.domain.enums import EntityType, Operation, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import open_store

pytestmark = pytest.mark.timeout(120)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def _make_store(path: Path) -> None:
    store = await open_store(path)
    try:
        await store.enqueue(
            [
                NewJob(
                    entity_type=EntityType.ACCOUNT,
                    source=Source.CRM,
                    crm_record_id="crm-1",
                    record_name="Contoso",
                    company="9130",
                    submitted_by="admin",
                    operation=Operation.CREATE,
                )
            ]
        )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad-numbers") / "jobs.db"
    asyncio.run(_make_store(path))
    return path


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if "Error" in line or "inolink-tui:" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["jobs", "list", "--filter", "since:99999999d"], "too long"),
        (["jobs", "list", "--search", "12345678901234567890"], None),
        (["jobs", "show", "99999999999999999999999"], "not a job id"),
        (["jobs", "purge", "--older-than", "99999999d", "--dry-run"], "too long"),
        (["jobs", "requeue", "99999999999999999999999"], "not a job id"),
        (["jobs", "mark-error", "99999999999999999999999"], "not a job id"),
        (["jobs", "list", "--filter", "id:99999999999999999999"], "too large"),
        (["jobs", "list", "--limit", "99999999999999999999"], "range"),
    ],
)
def test_the_reported_crashes_are_one_line_errors(db: Path, args: list[str], says: str | None) -> None:
    result = invoke("--db", str(db), *args)
    if says is None:  # a long number is still text to search for: nothing matches, nothing crashes
        assert result.exit_code == 0, result.output
        assert "no jobs match 12345678901234567890" in result.stderr
        return
    assert says in _one_line_error(result)


_NUMBERISH = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet="0123456789", min_size=1, max_size=45),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "-0", "0x10", "1_000", "", " ", "٣"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _cases() -> Iterator[tuple[str, ...]]:
    yield ("jobs", "list", "--limit")
    yield ("jobs", "show")
    yield ("jobs", "requeue")
    yield ("jobs", "mark-error")
    yield ("jobs", "list", "--search")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(list(_cases())), number=_NUMBERISH)
def test_every_numeric_argument_of_the_jobs_commands(db: Path, command: tuple[str, ...], number: str) -> None:
    result = invoke("--db", str(db), "--read-only", *command, number)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(["since", "until", "id"]),
    number=_NUMBERISH,
    unit=st.sampled_from(["", "s", "m", "h", "d", "w"]),
)
def test_every_number_in_the_filter_grammar(db: Path, key: str, number: str, unit: str) -> None:
    result = invoke("--db", str(db), "jobs", "list", "--format", "json", "--filter", f"{key}:{number}{unit}")
    assert result.exit_code in (0, 2), result.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=_NUMBERISH, unit=st.sampled_from(["", "s", "m", "h", "d", "w"]))
def test_purge_older_than_any_number(db: Path, number: str, unit: str) -> None:
    result = invoke("--db", str(db), "jobs", "purge", "--older-than", f"{number}{unit}", "--dry-run")
    assert result.exit_code in (0, 2), result.output


def _numeric_params() -> Iterator[tuple[str, click.Parameter]]:
    """Every option or argument of every command whose type is a number (the whole CLI, found by walking it)."""

    def walk(command: click.Command, path: str) -> Iterator[tuple[str, click.Parameter]]:
        for param in command.params:
            if isinstance(param.type, click.types._NumberParamTypeBase | JobIdType) or param.type is click.INT:
                yield f"{path} {param.name}", param
        if isinstance(command, click.Group):
            with click.Context(command) as ctx:
                for name in command.list_commands(ctx):
                    sub = command.get_command(ctx, name)
                    if sub is not None:
                        yield from walk(sub, f"{path} {name}")

    yield from walk(cli, "inolink-tui")


NUMERIC_PARAMS = dict(_numeric_params())


def test_the_walk_finds_the_numeric_options() -> None:
    assert {
        "inolink-tui jobs list limit",
        "inolink-tui jobs show job_id",
        "inolink-tui jobs requeue job_ids",
        "inolink-tui jobs mark-error job_ids",
        "inolink-tui auth quickbooks wait_seconds",
        "inolink-tui metrics_port",
        "inolink-tui sandbox serve time_scale",
    } <= set(NUMERIC_PARAMS)


@pytest.mark.parametrize("name", sorted(NUMERIC_PARAMS))
@settings(max_examples=80, deadline=None)
@given(number=_NUMBERISH)
def test_every_numeric_option_is_bounded(name: str, number: str) -> None:
    """A numeric option converts to a finite value a machine can use (a 64-bit integer, a finite float) or is
    refused by click with its one-line message; nothing unbounded reaches the code behind it."""
    param = NUMERIC_PARAMS[name]
    try:
        value = param.type.convert(number, param, None)
    except click.BadParameter:
        return
    if isinstance(value, float):
        assert math.isfinite(value) and abs(value) < 10**9, (name, number, value)
    else:
        assert isinstance(value, int) and -(2**63) <= value < 2**63, (name, number, value)
