"""`[[mapping.<entity>]]`: custom field mappings read with their TOML lines, every bad entry one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from inolink_tui.cli.main import cli
from inolink_tui.config.load import ConfigError, load_config
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.tables import Direction, Transform

GOOD = """\
[sync]
deadlock_win = "QuickBooks"

[[mapping.account]]
crm = "accountnumber"
qbo = "CustomField:Account Number"

[[mapping.account]]
crm = "customertypecode"       # a choice: by value or by label
qbo = "CustomField:Tier"
transform = "value_map"
values = { "1" = "Gold", "Supplier" = "Silver" }

[[mapping.account]]
crm = "websiteurl"
qbo = "WebAddr.URI"
direction = "to_quickbooks"
transform = "lower"

[[mapping.product]]
crm = "new_launch"
qbo = "InvStartDate"
direction = "on_create"
transform = "date"
format = "%Y-%m-%d"

[[mapping.invoice]]
qbo = "CustomField:Channel"
direction = "to_quickbooks"
transform = "constant"
constant = "CRM"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_load_with_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    rows = load_config(path).settings.mapping
    assert [(m.entity_type, m.mapping.crm, m.mapping.qbo) for m in rows] == [
        (EntityType.ACCOUNT, "accountnumber", "CustomField:Account Number"),
        (EntityType.ACCOUNT, "customertypecode", "CustomField:Tier"),
        (EntityType.ACCOUNT, "websiteurl", "WebAddr.URI"),
        (EntityType.PRODUCT, "new_launch", "InvStartDate"),
        (EntityType.INVOICE, None, "CustomField:Channel"),
    ]
    tier = rows[1]
    assert tier.mapping.transform is Transform.VALUE_MAP and tier.mapping.direction is Direction.BOTH
    assert tier.mapping.values == (("1", "Gold"), ("Supplier", "Silver"))
    assert tier.origin.line == 8 and tier.origin.key_lines["values"] == 12 and tier.origin.index == 1
    assert rows[2].replaces and not rows[0].replaces  # websiteurl -> WebAddr.URI is a built-in row, changed
    assert rows[3].mapping.fmt == "%Y-%m-%d" and rows[4].mapping.constant == "CRM"
    assert all(m.mapping.custom for m in rows)
    assert load_config(path).settings.sync.deadlock_win.value == "QuickBooks"  # the rest of the file still read


BAD = [
    ('crm = "accountnumber"\nqbo = "AcctNum"\ncolour = "red"', 3, "colour", "unknown key 'colour'"),
    ('crm = "accountnumber"\nqbo = "AcctNum"\ntransform = "reverse"', 3, "transform", "'reverse': expected one of"),
    ('crm = "x"\nqbo = "CustomField:Tier"\ntransform = "value_map"', None, "values", "value_map needs values"),
    (
        'crm = "name"\nqbo = "Notes"\ntransform = "template"\ndirection = "to_quickbooks"\ntemplate = "hello"',
        5,
        "template",
        "names no CRM column",
    ),
    (
        'crm = "name"\nqbo = "Notes"\ntransform = "template"\ntemplate = "{name}!"',
        None,  # direction left out (both): the entry's line
        "direction",
        "cannot be read back",
    ),
    ('crm = "name"\nqbo = "DisplayName"\ndirection = "to_crm"', 3, "direction", "carries the record's name"),
    ('crm = "accountnumber"\nqbo = "SyncToken"', 2, "qbo", "written by the engine only"),
    ('crm = "ino_accountingid"\nqbo = "Notes"', 1, "crm", "written by the engine only"),
    ('crm = "Account Number"\nqbo = "Notes"', 1, "crm", "is not a CRM column's logical name"),
    ('crm = "accountnumber"\nqbo = "notes"', 2, "qbo", "is not a QuickBooks field path"),
    ('crm = "d"\nqbo = "Notes"\ntransform = "date"\nformat = "YYYY"', 4, "format", "no strftime directive"),
    ('crm = "parentaccountid"\nqbo = "SalesTermRef"\ntransform = "lookup"', 2, "qbo", "a lookup resolves only"),
    ('crm = "x"\nqbo = "Notes"\nconstant = "a"', 3, "constant", "applies only to transform constant"),
    ('crm = "x"\nqbo = "CustomField:Region"\ntransform = "truncate"', 3, "transform", "no documented length"),
    ('qbo = "Notes"', None, None, "crm is required"),
]


@pytest.mark.parametrize(("body", "key_line", "key", "message"), BAD)
def test_a_bad_entry_is_one_line_with_file_line_and_key(
    tmp_path: Path, body: str, key_line: int | None, key: str | None, message: str
) -> None:
    header = '[sync]\nworkers = 2\n\n[[mapping.account]]\ncrm = "accountnumber"\nqbo = "CustomField:A"\n\n'
    path = _write(tmp_path, header + "[[mapping.account]]\n" + body + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    line = 8 + key_line if key_line is not None else 8  # a key that is missing: the entry's header, line 8
    dotted = "mapping.account[1]" + (f".{key}" if key else "")
    assert text.startswith(f"{path}:{line}: {dotted}: "), text
    assert message in text and "\n" not in text


def test_two_entries_writing_one_field_and_an_unknown_entity(tmp_path: Path) -> None:
    twice = '[[mapping.account]]\ncrm = "a"\nqbo = "Notes"\n\n[[mapping.account]]\ncrm = "b"\nqbo = "Notes"\n'
    with pytest.raises(
        ConfigError,
        match=r":7: mapping.account\[1\].qbo: QuickBooks Notes is already written by "
        r"mapping.account\[0\]",
    ):
        load_config(_write(tmp_path, twice))
    with pytest.raises(ConfigError, match=r":1: mapping.ledger: unknown Entity Type \(known: account, contact"):
        load_config(_write(tmp_path, '[[mapping.ledger]]\ncrm = "a"\nqbo = "Notes"\n'))


def test_every_command_exits_2_on_a_bad_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[mapping.account]]\ncrm = "a"\nqbo = "Notes"\ntransform = "eval"\n')
    for args in (["config", "check"], ["mapping", "show", "account"], ["jobs", "list"]):
        result = CliRunner().invoke(cli, ["--config", str(path), *args])
        assert result.exit_code == 2, (args, result.output)
        assert f"{path}:4: mapping.account[0].transform: 'eval': expected one of" in result.output


def test_config_check_accepts_the_mapping_section_and_counts_the_rows(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(_write(tmp_path, GOOD)), "config", "check"])
    assert result.exit_code == 0, result.output
    assert "mappings:    built-in + 5 custom rows (account 3, product 1, invoice 1)" in result.output


def test_the_model_refuses_a_raw_mapping_value() -> None:
    from pydantic import ValidationError

    from inolink_tui.config.model import Settings

    with pytest.raises(ValidationError):
        Settings.model_validate({"mapping": {"account": []}})


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_loads_as_documented(tmp_path: Path) -> None:
    import re

    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- mapping example -->\n```toml\n(.*?)```\n<!-- /mapping example -->", text, re.S)
    assert block, "README: the custom mapping example is missing"
    rows = load_config(_write(tmp_path, block.group(1))).settings.mapping
    assert [(m.mapping.crm, m.mapping.qbo, m.mapping.transform) for m in rows] == [
        ("accountnumber", "CustomField:Account Number", Transform.COPY),
        ("creditlimit", "CustomField:Credit Limit", Transform.MONEY),
        ("new_customertier", "CustomField:Tier", Transform.VALUE_MAP),
        ("new_region", "CustomField:Region", Transform.COPY),
        ("name", "Notes", Transform.TEMPLATE),
        ("new_reorderpoint", "ReorderPoint", Transform.COPY),
    ]
    assert rows[2].mapping.values == (("Gold", "A"), ("Silver", "B"), ("Bronze", "C"))
