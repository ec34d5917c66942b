"""The stock org (`--bare-org`) beside the sandbox's own tooling: seed, simulated users and the control API."""

from __future__ import annotations

from tests.sandbox.dataverse.org import served_org


async def test_seed_fills_the_stock_tables_without_inolink_values() -> None:
    async with served_org(bare=True) as org:
        rows = (await org.get("accounts?$select=name")).json()["value"]
        assert rows and all(set(r) == {"@odata.etag", "name", "accountid"} for r in rows)
        assert (await org.get("products?$select=productnumber")).status_code == 200


async def test_promote_before_setup_is_refused_not_a_crash() -> None:
    async with served_org(bare=True) as org:
        refused = await org.control("promote", {"entity_set": "accounts", "count": 1})
        assert refused.status_code == 400 and "no InoLink columns" in refused.json()["error"]
        events = (await org.control("activity", {"step": 40})).json()["events"]
        promotions = [e for e in events if e["event"] == "crm_promote"]  # seeded: the same events every run
        assert promotions and all("skipped" in e for e in promotions)


async def test_control_api_refuses_unknown_names() -> None:
    async with served_org(bare=True) as org:
        assert (await org.control("crm/privileges", {"entity_set": "nope", "privilege": "Read"})).status_code == 400
        assert (await org.control("crm/privileges", {"entity_set": "accounts", "privilege": "Fly"})).status_code == 400
        assert (await org.control("crm/privileges", {"privilege": "Read"})).status_code == 400
        assert (await org.control("crm/columns/remove", {"entity_set": "accounts", "column": "x"})).status_code == 400
        granted = await org.control("crm/privileges", {"privilege": "prvCreateAttribute", "granted": True})
        assert granted.status_code == 200 and granted.json()["denied_privileges"] == []
