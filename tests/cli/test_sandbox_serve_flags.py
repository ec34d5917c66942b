"""Issue 16 item 5: `sandbox serve --region US|CA|UK|AU` and `--multicurrency` reach the sandbox's options.

The serving loop is replaced by one that builds the sandbox from the options it is given (as the real loop does)
and records what QuickBooks company came out: its country, home currency and multicurrency switch.
"""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner, Result

from inolink_tui.cli.main import cli
from inolink_tui.sandbox.app import build_sandbox
from inolink_tui.sandbox.options import SandboxOptions


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    companies: list[dict[str, Any]] = []

    async def fake_serve(options: SandboxOptions, **_: Any) -> None:
        sandbox = build_sandbox(options, base_url="http://127.0.0.1:1")
        prefs = sandbox.qbo.raw("Preferences", "1") or {}
        companies.append(
            {
                "region": options.qbo_region,
                "country": (sandbox.qbo.raw("CompanyInfo", "1") or {}).get("Country"),
                "home": prefs["CurrencyPrefs"]["HomeCurrency"]["value"],
                "multicurrency": prefs["CurrencyPrefs"]["MultiCurrencyEnabled"],
            }
        )

    monkeypatch.setattr("inolink_tui.sandbox.server.serve_until_signalled", fake_serve)
    return companies


def serve(*args: str) -> Result:
    return CliRunner().invoke(cli, ["sandbox", "serve", "--records", "0", *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("flag", "country", "home"),
    [("US", "US", "USD"), ("CA", "CA", "CAD"), ("uk", "GB", "GBP"), ("AU", "AU", "AUD")],
)
def test_region_picks_the_company_country_and_home_currency(
    served: list[dict[str, Any]], flag: str, country: str, home: str
) -> None:
    result = serve("--region", flag)
    assert result.exit_code == 0, result.output
    assert served == [{"region": flag.upper(), "country": country, "home": home, "multicurrency": False}]


def test_default_is_a_us_company_without_multicurrency(served: list[dict[str, Any]]) -> None:
    assert serve().exit_code == 0
    assert served == [{"region": "US", "country": "US", "home": "USD", "multicurrency": False}]


def test_multicurrency_switches_it_on(served: list[dict[str, Any]]) -> None:
    result = serve("--region", "CA", "--multicurrency")
    assert result.exit_code == 0, result.output
    assert served[0]["multicurrency"] is True and served[0]["home"] == "CAD"


def test_an_unknown_region_is_refused_in_one_line(served: list[dict[str, Any]]) -> None:
    result = serve("--region", "FR")
    assert result.exit_code == 2
    assert "Invalid value for '--region'" in result.output and "'FR' is not one of" in result.output
    assert served == []
