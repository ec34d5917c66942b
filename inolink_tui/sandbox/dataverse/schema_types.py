"""The schema's building blocks: column kinds, columns, keys, navigations, tables, and their constructors.

`schema.py` lists the tables built from these; the metadata API (`metadata_json.py`) describes them and the
write path (`values.py`, `write_rules.py`) checks values against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """Column types, named after their Edm type where the OData parser reports them."""

    STRING = "Edm.String"
    INT = "Edm.Int32"
    BIGINT = "Edm.Int64"
    DECIMAL = "Edm.Decimal"
    MONEY = "Money"
    BOOL = "Edm.Boolean"
    DATETIME = "Edm.DateTimeOffset"
    CHOICE = "Choice"
    GUID = "Edm.Guid"
    LOOKUP = "Lookup"

    @property
    def edm(self) -> str:
        """The Edm type name used in parser error messages."""
        return {Kind.MONEY: "Edm.Decimal", Kind.CHOICE: "Edm.Int32", Kind.LOOKUP: "Edm.Guid"}.get(self, self.value)

    @property
    def numeric(self) -> bool:
        return self in (Kind.INT, Kind.BIGINT, Kind.DECIMAL, Kind.MONEY, Kind.CHOICE)


@dataclass(frozen=True)
class Column:
    """One attribute. For lookups `name` is the logical name; the row key is `_<name>_value`."""

    name: str
    kind: Kind
    max_length: int = 100
    options: dict[int, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # navigation property -> entity set
    read_only: bool = False
    display: str = ""
    cascade_delete: bool = False
    required: str = "None"
    """RequiredLevel as the metadata reports it: None, Recommended, ApplicationRequired or SystemRequired."""
    format: str = ""
    """FormatName of a string column (Text, Email, Url, Phone, TextArea); empty means Text."""
    memo: bool = False
    """A multiple-lines-of-text column (MemoAttributeMetadata) rather than a single line."""
    schema_name: str = ""
    custom: bool = False
    """Created through the metadata API (or by a solution): IsCustomAttribute."""
    option_set: str = ""
    """The global option set a choice column uses; empty for a local option set."""
    min_value: float | None = None
    max_value: float | None = None
    """Numeric range (MinValue / MaxValue); None means the type's default, see `value_range`."""
    precision: int = 2
    """Precision of a decimal or money column as the metadata reports it."""

    @property
    def key(self) -> str:
        """The attribute's name in row dicts and JSON."""
        return f"_{self.name}_value" if self.kind is Kind.LOOKUP else self.name

    @property
    def label(self) -> str:
        return self.display or self.name.replace("_", " ").title()


@dataclass(frozen=True)
class AlternateKey:
    name: str
    columns: tuple[str, ...]
    display: str


@dataclass(frozen=True)
class CollectionNav:
    """A one-to-many navigation: rows of `entity_set` whose `lookup` column points at this row."""

    name: str
    entity_set: str
    lookup: str


@dataclass
class Table:
    logical_name: str
    entity_set: str
    primary_key: str
    primary_name: str
    columns: dict[str, Column]
    otc: int
    display: str
    alternate_keys: tuple[AlternateKey, ...] = ()
    collections: dict[str, CollectionNav] = field(default_factory=dict)
    change_tracking: bool = True
    schema_name: str = ""
    ownership: str = "UserOwned"
    custom: bool = False
    collection_display: str = ""

    def column(self, key: str) -> Column | None:
        """Find a column by its row key (`_x_value` for lookups, the logical name otherwise)."""
        return self.columns.get(key)

    def navigation(self, nav: str) -> tuple[Column, str] | None:
        """The lookup column and target entity set of a single-valued navigation property (case-sensitive)."""
        for col in self.columns.values():
            if nav in col.targets:
                return col, col.targets[nav]
        return None

    def lookup_by_name(self, name: str) -> Column | None:
        """A lookup column by its logical name (`primarycontactid`), as used in `$filter` path traversal."""
        col = self.columns.get(f"_{name}_value")
        return col if col is not None and col.kind is Kind.LOOKUP else None


DEFAULT_RANGES: dict[Kind, tuple[float, float]] = {
    Kind.MONEY: (-922337203685477.0, 922337203685477.0),
    Kind.DECIMAL: (-100000000000.0, 100000000000.0),
    Kind.INT: (-2147483648.0, 2147483647.0),
}
"""MinValue / MaxValue a column of the type gets when none is set (Microsoft Learn: MoneyAttributeMetadata,
DecimalAttributeMetadata and IntegerAttributeMetadata MinValue / MaxValue)."""


def value_range(column: Column) -> tuple[float, float] | None:
    """The range the platform accepts for a numeric column (None for other types)."""
    default = DEFAULT_RANGES.get(column.kind)
    if default is None:
        return None
    low = default[0] if column.min_value is None else column.min_value
    high = default[1] if column.max_value is None else column.max_value
    return low, high


def _s(name: str, max_length: int = 100, display: str = "", *, fmt: str = "", required: str = "None") -> Column:
    return Column(name, Kind.STRING, max_length=max_length, display=display, format=fmt, required=required)


def _memo(name: str, max_length: int = 2000, display: str = "") -> Column:
    return Column(name, Kind.STRING, max_length=max_length, display=display, memo=True, format="TextArea")


def _m(name: str, low: float | None = None, high: float | None = None) -> Column:
    return Column(name, Kind.MONEY, min_value=low, max_value=high)


def _d(name: str, low: float | None = None, high: float | None = None) -> Column:
    return Column(name, Kind.DECIMAL, min_value=low, max_value=high)


def _dt(name: str, read_only: bool = False) -> Column:
    return Column(name, Kind.DATETIME, read_only=read_only)


def _lookup(name: str, targets: dict[str, str], *, read_only: bool = False, cascade: bool = False) -> Column:
    return Column(name, Kind.LOOKUP, targets=targets, read_only=read_only, cascade_delete=cascade)


def _choice(name: str, options: dict[int, str], display: str = "") -> Column:
    return Column(name, Kind.CHOICE, options=options, display=display)
