from __future__ import annotations

import pytest

from inolink_tui.connectors import requestid


def test_request_id_is_deterministic_and_distinct() -> None:
    a = requestid.request_id(42, "create-customer")
    assert a == requestid.request_id(42, "create-customer")
    assert a != requestid.request_id(43, "create-customer")
    assert a != requestid.request_id(42, "update-customer")
    assert a != requestid.request_id(42, "create-customer", scope="other-db")
    assert len(a) <= requestid.MAX_LENGTH
    assert requestid.derived(a, "stale-retry") not in (a, requestid.derived(a, "x"))


def test_request_id_needs_a_purpose_and_length_is_checked() -> None:
    with pytest.raises(ValueError):
        requestid.request_id(1, "")
    with pytest.raises(ValueError):
        requestid.check("x" * 51)
    assert requestid.check("x" * 50) == "x" * 50
