"""Unit Groups and Units: the product catalog tables a product's Unit Group / Default Unit point at.

Microsoft Learn, "Unit Group (UoMSchedule) table/entity reference"
(https://learn.microsoft.com/en-us/dynamics365/sales/developer/entities/uomschedule): entity set `uomschedules`,
primary key `uomscheduleid`, primary name `name`, OrganizationOwned, writable `BaseUoMName`, `Description`, `Name`;
"Unit (UoM) table/entity reference" (.../entities/uom): entity set `uoms`, `uomid`, `name`, writable `BaseUoM`
(lookup to uom), `Name`, `Quantity`, `UoMScheduleId` (lookup to uomschedule). The product's lookups are on the
product reference (.../entities/product): `defaultuomscheduleid` ("Unit Group", Targets uomschedule) and
`defaultuomid` ("Default Unit", Targets uom), both RequiredLevel ApplicationRequired.

ApplicationRequired is what model-driven forms enforce and the Web API does not (see write_rules.py), so the
sandbox accepts a product created without them, as Dataverse's Web API does; a product without a unit group cannot
be priced or added to a quote in the app, which is why the engine sets them on every product it creates.

Every org here starts with the unit group "Default Unit" whose base unit is "Primary Unit", the pair a new Dynamics
365 Sales org ships with (not stated on the reference pages; chosen because InoLink's setup asks for exactly such a
default group and unit for new products).
"""

from __future__ import annotations

from collections.abc import Callable

from inolink_tui.sandbox.dataverse.schema_types import Column, Kind, Table, _lookup, _memo, _s

DEFAULT_UNIT_GROUP = "Default Unit"
PRIMARY_UNIT = "Primary Unit"


def unit_tables(make: Callable[..., Table]) -> list[Table]:
    """The uomschedule and uom tables, built with schema.py's `_table` (passed in: no cycle)."""
    group = make(
        "uomschedule",
        "uomschedules",
        "name",
        1056,
        [_s("name", 200, required="SystemRequired"), _s("baseuomname", 100), _memo("description")],
        display="Unit Group",
        schema="UoMSchedule",
        ownership="OrganizationOwned",
    )
    unit = make(
        "uom",
        "uoms",
        "name",
        1055,
        [
            _s("name", 100, required="SystemRequired"),
            _lookup("uomscheduleid", {"uomscheduleid": "uomschedules"}),
            _lookup("baseuom", {"baseuom": "uoms"}),
            Column("quantity", Kind.DECIMAL),
        ],
        display="Unit",
        schema="UoM",
        ownership="OrganizationOwned",
    )
    return [group, unit]


def product_unit_columns() -> list[Column]:
    """The product's Unit Group and Default Unit lookups."""
    return [
        _lookup("defaultuomscheduleid", {"defaultuomscheduleid": "uomschedules"}),
        _lookup("defaultuomid", {"defaultuomid": "uoms"}),
    ]
