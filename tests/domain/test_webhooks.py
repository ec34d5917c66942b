"""What a QuickBooks notification names, in both of Intuit's payload shapes."""

from __future__ import annotations

import json

from inolink_tui.domain.webhooks import notified_entities


def test_legacy_event_notifications() -> None:
    body = {
        "eventNotifications": [
            {"realmId": "9130", "dataChangeEvent": {"entities": [{"name": "Customer", "id": "1"}, {"name": "Item"}]}}
        ]
    }
    assert notified_entities(json.dumps(body).encode()) == ({"9130"}, 2)


def test_cloud_events_array() -> None:
    events = [
        {"specversion": "1.0", "type": "qbo.customer.created.v1", "intuitaccountid": "9130", "intuitentityid": "1"},
        {"specversion": "1.0", "type": "qbo.invoice.voided.v1", "intuitaccountid": "9130", "intuitentityid": "7"},
        {"specversion": "1.0", "type": "payroll.employee.updated.v1", "intuitaccountid": "9130"},
        "not an event",
    ]
    assert notified_entities(json.dumps(events).encode()) == ({"9130"}, 2)


def test_unreadable_bodies_name_nothing() -> None:
    assert notified_entities(b"{not json") == (set(), 0)
    assert notified_entities(b'"a string"') == (set(), 0)
