"""The one codec of the engine-state cursors: what the daemon writes, an attached console reads back unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.domain.errors import Service
from inolink_tui.domain.vocabulary import (
    ConnectionState,
    ServiceState,
    SyncService,
    System,
    decode_connections,
    decode_services,
    encode_connections,
    encode_services,
)

_zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])
_times = st.none() | st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=_zones)
_services = st.builds(
    ServiceState,
    name=st.sampled_from([s.value for s in SyncService]) | st.text(min_size=1),
    enabled=st.booleans(),
    paused=st.booleans(),
    running=st.booleans(),
    last_run=_times,
    next_run=_times,
)
_connections = st.builds(
    ConnectionState,
    system=st.sampled_from(System),
    connected=st.booleans(),
    problem=st.none() | st.text(),
    access_expires=_times,
    refresh_expires=_times,
)


@given(st.lists(_services))
def test_services_round_trip(states: list[ServiceState]) -> None:
    assert decode_services(encode_services(states)) == states


@given(st.lists(_connections))
def test_connections_round_trip(states: list[ConnectionState]) -> None:
    assert decode_connections(encode_connections(states)) == states


def test_the_wire_shape_is_the_one_earlier_daemons_wrote() -> None:
    """A console of this release reads what the last release's daemon published, key for key."""
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert json.loads(encode_services([ServiceState("high_priority", paused=True, last_run=at)])) == [
        {
            "name": "high_priority",
            "enabled": True,
            "paused": True,
            "running": False,
            "last_run": at.isoformat(),
            "next_run": None,
        }
    ]
    assert json.loads(encode_connections([ConnectionState(System.QUICKBOOKS, problem="p", refresh_expires=at)])) == [
        {
            "name": "QuickBooks Online",
            "connected": True,
            "problem": "p",
            "access_expires": None,
            "refresh_expires": at.isoformat(),
        }
    ]


@pytest.mark.parametrize(
    "doc",
    [
        "{not json",
        "{}",
        "[1]",
        "[{}]",
        '[{"name": ""}]',
        '[{"name": "high_priority", "paused": "yes"}]',
        '[{"name": "high_priority", "last_run": "2026-12-01T09:30:00"}]',
        '[{"name": "high_priority", "next_run": 5}]',
    ],
)
def test_services_that_are_not_the_shape_are_refused(doc: str) -> None:
    with pytest.raises(ValueError):
        decode_services(doc)


@pytest.mark.parametrize(
    "doc",
    [
        "[{}]",
        '[{"name": "Salesforce"}]',
        '[{"name": "Dynamics 365", "problem": 3}]',
        '[{"name": "Dynamics 365", "connected": 1}]',
    ],
)
def test_connections_that_are_not_the_shape_are_refused(doc: str) -> None:
    with pytest.raises(ValueError):
        decode_connections(doc)


def test_names_said_once() -> None:
    assert [s.short_label for s in SyncService] == ["CRM→QB", "High priority", "Low priority"]
    assert SyncService.named("nightly") is None
    assert [(s.display_name, s.slug) for s in System] == [
        ("Dynamics 365", "crm"),
        ("QuickBooks Online", "quickbooks"),
        ("Sync pair", "pair"),
    ]
    assert System.of(Service.DATAVERSE) is System.CRM and System.of(Service.QUICKBOOKS) is System.QUICKBOOKS
