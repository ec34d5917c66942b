"""The engine's side of custom mappings and product units, over the fakes (no sandbox): what it asks the systems'
metadata, what it writes, and the one-line errors when the org or QuickBooks lacks what the config names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.mapping.custom import LocatedMapping, MappingOrigin
from inolink_tui.domain.mapping.tables import Direction, FieldMapping
from inolink_tui.engine.runtime import Engine
from tests.engine.conftest import World


class FakeMetadata:
    def __init__(self, *, units: tuple[str, str] | None = ("g-1", "u-1")) -> None:
        self.units = units
        self.calls: list[str] = []

    async def custom_fields(self, entity: str) -> dict[str, str]:
        self.calls.append(f"fields {entity}")
        return {"Region": "7"} if entity == "Customer" else {}

    async def choice_options(self, entity_type: EntityType, column: str) -> dict[int, str]:
        self.calls.append(f"options {column}")
        return {}

    async def product_units(self, unit_group: str, unit: str) -> tuple[str, str] | None:
        self.calls.append(f"units {unit_group}/{unit}")
        return self.units


def engine(world: World, metadata: FakeMetadata, **overrides: object) -> Engine:
    built = Engine(
        world.store,
        world.crm,
        world.qbo,
        replace(world.engine.options, **overrides),
        clock=world.clock,
        metadata=metadata,
    )
    built.bus.on(world.events.append)
    return built


async def test_a_product_from_quickbooks_gets_the_configured_unit_group_and_unit(world: World) -> None:
    metadata = FakeMetadata()
    running = engine(world, metadata, unit_group="Hours", default_unit="Hour")
    await running.run_once()  # starts the change feed
    world.qbo.add("Item", {"Name": "Consulting", "Type": "Service", "UnitPrice": 150})
    world.qbo.add("Item", {"Name": "Training", "Type": "Service", "UnitPrice": 90})
    await running.run_once()
    products = list(world.crm.tables["products"].values())
    assert len(products) == 2
    assert {(p["_defaultuomscheduleid_value"], p["_defaultuomid_value"]) for p in products} == {("g-1", "u-1")}
    assert metadata.calls.count("units Hours/Hour") == 1  # looked up once per cycle, not per product


async def test_a_unit_group_the_org_lacks_fails_the_product_job_naming_the_keys(world: World) -> None:
    running = engine(world, FakeMetadata(units=None))
    await running.run_once()  # starts the change feed
    world.qbo.add("Item", {"Name": "Consulting", "Type": "Service", "UnitPrice": 150})
    await running.run_once()
    [job] = await world.jobs(source=Source.ACCOUNTING, entity_type=EntityType.PRODUCT)
    assert job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.VALIDATION
    assert "Unit Group 'Default Unit'" in (job.error_description or "")
    assert "[sync] unit_group and default_unit" in (job.error_description or "")
    assert world.crm.tables["products"] == {}


async def test_a_custom_field_quickbooks_lacks_fails_the_push_with_the_config_line(world: World) -> None:
    row = FieldMapping("new_tier", "CustomField:Tier", Direction.TO_QUICKBOOKS, custom=True)
    mapping = LocatedMapping(EntityType.ACCOUNT, row, MappingOrigin(Path("c.toml"), "account", 0, 4))
    world.account("Contoso", new_tier="Gold")
    await engine(world, FakeMetadata(), mappings=(mapping,)).run_once()
    [job] = await world.jobs(source=Source.CRM, entity_type=EntityType.ACCOUNT)
    assert job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.VALIDATION
    assert "QuickBooks has no custom field named 'Tier' on Customer records" in (job.error_description or "")
    assert world.qbo.active("Customer") == []
