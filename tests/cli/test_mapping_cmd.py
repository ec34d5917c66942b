"""`inolink-tui mapping show ENTITY [--format table|toml]` and the README block it generates."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inolink_tui.cli.main import cli
from inolink_tui.config.load import load_config
from inolink_tui.config.mapping import DIRECTION_NAMES
from inolink_tui.domain.enums import SYNCED_ENTITY_TYPES, EntityType
from inolink_tui.domain.mapping.tables import DEFAULT_MAPPINGS

DIRECTION_TOML = {direction: name for name, direction in DIRECTION_NAMES.items()}
README = Path(__file__).resolve().parents[2] / "README.md"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("entity_type", list(SYNCED_ENTITY_TYPES))
def test_the_table_has_a_line_per_row(entity_type: EntityType) -> None:
    result = invoke("mapping", "show", entity_type.value.lower())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[:2] == ["CRM", "column"]
    body = lines[2:]
    rows = DEFAULT_MAPPINGS[entity_type]
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        assert line.split()[:2] == [row.crm or "-", row.qbo]
        assert row.direction.value in line
        assert line == line.rstrip()


def test_the_account_table_shows_both_limits() -> None:
    out = invoke("mapping", "show", "Account").output
    name = next(line for line in out.splitlines() if line.split()[:2] == ["name", "DisplayName"])
    assert re.search(r"both\s+name\s+160 refuse\s+500 refuse", name), name
    phone2 = next(line for line in out.splitlines() if line.startswith("telephone2 "))
    assert re.search(r"to QuickBooks\s+copy\s+30 truncate", phone2), phone2


@pytest.mark.parametrize("entity_type", list(SYNCED_ENTITY_TYPES))
def test_the_toml_parses_to_the_table(entity_type: EntityType) -> None:
    result = invoke("mapping", "show", entity_type.value.upper(), "--format", "toml")
    assert result.exit_code == 0, result.output
    entries = tomllib.loads(result.output)["mapping"][entity_type.value.lower().replace(" ", "_")]
    expected = [
        {
            **({"crm": row.crm} if row.crm else {}),
            "qbo": row.qbo,
            "direction": DIRECTION_TOML[row.direction],
            "transform": row.transform.value.replace(" ", "_"),
        }
        for row in DEFAULT_MAPPINGS[entity_type]
    ]
    assert entries == expected


@pytest.mark.parametrize("entity_type", list(SYNCED_ENTITY_TYPES))
def test_the_built_in_toml_reads_back_as_the_built_in_mapping(tmp_path: Path, entity_type: EntityType) -> None:
    snippet = invoke("mapping", "show", entity_type.value, "--format", "toml").output
    config = tmp_path / "config.toml"
    config.write_text(snippet, encoding="utf-8")
    assert load_config(config).settings.mapping == ()  # every entry is a built-in row as it is: nothing custom
    assert invoke("--config", str(config), "config", "check").exit_code == 0
    again = invoke("--config", str(config), "mapping", "show", entity_type.value, "--format", "toml").output
    assert again == snippet


CUSTOM = """\
[[mapping.account]]
crm = "accountnumber"
qbo = "CustomField:Account Number"

[[mapping.account]]
crm = "customertypecode"
qbo = "CustomField:Tier"
transform = "value_map"
values = { "1" = "Gold", "Supplier \\"A\\"" = "Silver" }

[[mapping.account]]
crm = "telephone2"
qbo = "AlternatePhone.FreeFormNumber"
direction = "both"

[[mapping.account]]
qbo = "Notes"
direction = "to_quickbooks"
transform = "template"
template = "{name} ({accountnumber})"

[[mapping.account]]
crm = "creditlimit"
qbo = "CustomField:Credit Limit"
transform = "money"
format = "2"
"""


def test_custom_rows_are_shown_marked_and_their_toml_reads_back_equal(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CUSTOM, encoding="utf-8")
    table = invoke("--config", str(config), "mapping", "show", "account").output
    lines = table.splitlines()
    assert lines[0] == "Account <-> QuickBooks Customer (built-in + 5 custom rows)"
    custom = [line for line in lines if "custom (config.toml:" in line]
    assert len(custom) == 5
    assert custom[0].split()[:2] == ["accountnumber", "CustomField:Account"]
    assert 'custom (config.toml:5): 1 = Gold, Supplier "A" = Silver' in custom[1]
    # telephone2 -> AlternatePhone is built in (to QuickBooks); the custom row replaces it (both ways)
    phone2 = [line for line in lines if line.startswith("telephone2 ")]
    assert len(phone2) == 1 and "both" in phone2[0] and "custom (config.toml:11)" in phone2[0]
    snippet = invoke("--config", str(config), "mapping", "show", "account", "--format", "toml").output
    again = tmp_path / "again.toml"
    again.write_text(snippet, encoding="utf-8")
    first = [m.mapping for m in load_config(config).settings.mapping]
    assert [m.mapping for m in load_config(again).settings.mapping] == first
    assert len(first) == 5


@pytest.mark.parametrize("args", [["ledger"], ["account", "--format", "yaml"], []])
def test_a_bad_entity_or_format_is_a_one_line_error(args: list[str]) -> None:
    result = invoke("mapping", "show", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr


@pytest.mark.parametrize("entity", ["account", "invoice"])
def test_the_readme_shows_the_command_output(entity: str) -> None:
    text = README.read_text(encoding="utf-8")
    pattern = rf"<!-- mapping show {entity} -->\n```text\n(.*?)\n```\n<!-- /mapping show {entity} -->"
    block = re.search(pattern, text, re.S)
    assert block, f"README: the Field mappings block of {entity} is missing"
    assert block.group(1) + "\n" == invoke("mapping", "show", entity).output


def test_every_readme_mapping_block_is_tested() -> None:
    shown = re.findall(r"<!-- mapping show (\w+) -->", README.read_text(encoding="utf-8"))
    assert sorted(shown) == ["account", "invoice"]


def test_the_product_table_shows_the_price_range() -> None:
    out = invoke("mapping", "show", "product").output
    price = next(line for line in out.splitlines() if line.startswith("price "))
    assert "at most 99999999999 refuse" in price, price


def test_payment_has_no_mapping_and_says_so() -> None:
    result = CliRunner().invoke(cli, ["mapping", "show", "payment"])
    assert result.exit_code == 2
    assert "Payment has no field mapping" in result.output
