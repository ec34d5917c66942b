"""`inolink-tui auth`: connect QuickBooks (authorization-code flow) and check both connections.

`auth quickbooks` is written for someone on SSH: it prints the URL to open anywhere, listens on the
redirect URI when that is a local address (useful with `ssh -L`), and at the same time accepts the
redirect URL pasted from the browser's address bar (the page itself may fail to load; the URL is
all we need). `auth check` exits 0 only when both services answer, else 2.
"""

from __future__ import annotations

import asyncio
import json
import queue
import secrets
import sys
import threading
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import click

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.numbers import FiniteRange

if TYPE_CHECKING:
    from inolink_tui.connectors.qbo_auth import TokenStorage

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
EXIT_FAILED = 2


def _token_store(path: Path) -> TokenStorage:
    from inolink_tui.store.tokens import TokenStore

    store: TokenStorage = TokenStore(path)
    return store


def _when(value: datetime | None) -> str:
    if value is None:
        return "unknown"
    from inolink_tui.domain.jobs import utcnow

    left = value - utcnow()
    seconds = int(left.total_seconds())
    if seconds <= 0:
        return f"{value.isoformat(timespec='seconds')} (expired)"
    if seconds < 3600:
        span = f"{seconds // 60} min"
    elif seconds < 2 * 86400:
        span = f"{seconds // 3600} h {seconds % 3600 // 60} min"
    else:
        span = f"{seconds // 86400} days"
    return f"{value.isoformat(timespec='seconds')} (in {span})"


@click.group()
def auth() -> None:
    """Connect QuickBooks and check the connections to both services."""


# --------------------------------------------------------------------------- auth quickbooks


class RedirectError(click.ClickException):
    exit_code = EXIT_FAILED


def parse_redirect(url: str, expected_state: str) -> tuple[str, str | None]:
    """(code, realmId) from the redirect URL; refuses a wrong state (another login's or a forged redirect)."""
    params = parse_qs(urlsplit(url.strip()).query)

    def one(name: str) -> str | None:
        values = params.get(name)
        return values[0] if values else None

    if one("error") and one("state") == expected_state:
        reason = f"you declined access ({one('error')})" if one("error") == "access_denied" else one("error")
        detail = one("error_description") or ""
        raise RedirectError(f"QuickBooks was not connected: {reason} {detail}".strip() + "; run the command again")
    code = one("code")
    if not code:
        raise RedirectError("that URL holds no authorization code (copy the whole address after the redirect)")
    if one("state") != expected_state:
        raise RedirectError("the state in that URL does not match this login (open the URL printed above)")
    return code, one("realmId")


def judge_callback(query: str, expected_state: str) -> tuple[int, str, bool]:
    """(HTTP status, page text, whether this request ends the login) for one hit on the redirect URI.

    Only Intuit's redirect for this login ends it: the right `state` (a forged or stale link, another login's
    redirect, a port scanner or a browser's favicon request all lack it) and either a `code` with its `realmId`
    (success) or an `error` (the user declined: the login ends and says so). Anything else gets an error page,
    HTTP 400, and the login keeps waiting. https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
    """
    params = parse_qs(query)

    def one(name: str) -> str:
        values = params.get(name)
        return values[0] if values else ""

    if not one("state"):
        return 400, "This is not a QuickBooks authorization redirect (no state): the login is still waiting.", False
    if not secrets.compare_digest(one("state").encode(), expected_state.encode()):
        return 400, "This redirect belongs to another login (its state does not match): still waiting.", False
    if one("error"):
        return 200, f"QuickBooks was not connected ({one('error')}): return to the terminal.", True
    if not one("code") or not one("realmId"):
        return 400, "This redirect carries no authorization code or company id: the login is still waiting.", False
    return 200, "QuickBooks is connected: you can close this page and return to the terminal.", True


def _listen(redirect_uri: str, results: queue.Queue[str], state: str) -> HTTPServer | None:
    """Serve the redirect URI's path on its local port; the redirect that ends the login posts its URL to `results`."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or (parts.hostname or "") not in LOCAL_HOSTS:
        return None
    path = parts.path or "/"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = urlsplit(self.path)
            if target.path != path:
                self.send_error(404)
                return
            status, text, ends = judge_callback(target.query, state)
            if ends:
                results.put(f"{parts.scheme}://{parts.netloc}{self.path}")
            body = f"{text}\n".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    try:
        server = HTTPServer((parts.hostname or "127.0.0.1", parts.port or 80), Handler)
    except OSError as exc:
        click.echo(f"Cannot listen on {redirect_uri} ({exc}); paste the redirect URL instead.", err=True)
        return None
    threading.Thread(target=server.serve_forever, name="auth-redirect", daemon=True).start()
    return server


def _read_pasted(results: queue.Queue[str]) -> None:
    for line in sys.stdin:
        if line.strip():
            results.put(line.strip())
            return


@auth.command("quickbooks")
@click.option("--no-listen", is_flag=True, help="Do not listen on the redirect URI; only accept a pasted URL.")
@click.option(
    "--timeout",
    "wait_seconds",
    type=FiniteRange(min=1, max=86_400),
    default=600,
    show_default=True,
    help="Seconds to wait (1 to 86400).",
)
@pass_cli
def auth_quickbooks(cli: CliContext, no_listen: bool, wait_seconds: float) -> None:
    """Authorize access to a QuickBooks company and save its tokens."""
    from inolink_tui.connectors.errors import ConnectorError
    from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider
    from inolink_tui.connectors.settings import DEFAULT_REDIRECT_URI, NotConfigured, quickbooks_settings_from

    section = cli.settings().quickbooks
    pending_realm = section.realm_id or "unknown"
    try:
        settings = quickbooks_settings_from(section.model_copy(update={"realm_id": pending_realm}))
    except NotConfigured as exc:
        raise RedirectError(str(exc)) from exc
    redirect_uri = section.redirect_uri or DEFAULT_REDIRECT_URI
    store = _token_store(settings.token_file or Path("tokens.json"))
    provider = QuickBooksTokenProvider(settings, store)
    state = secrets.token_urlsafe(24)
    try:
        url = provider.authorization_url(state)
    except ConnectorError as exc:
        raise RedirectError(f"cannot reach Intuit's discovery document: {exc.hint}") from exc
    click.echo("Open this URL in a browser (on any machine) and approve access:\n")
    click.echo(f"  {url}\n")
    results: queue.Queue[str] = queue.Queue()
    server = None if no_listen else _listen(redirect_uri, results, state)
    if server is not None:
        click.echo(f"Waiting for the redirect to {redirect_uri} ...")
    click.echo("Or paste the address the browser was sent to (it starts with the redirect URI) and press Enter:")
    threading.Thread(target=_read_pasted, args=(results,), name="auth-paste", daemon=True).start()
    try:
        redirected = results.get(timeout=wait_seconds)
    except queue.Empty:
        raise RedirectError(f"no redirect within {wait_seconds:.0f} s; run the command again") from None
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    code, realm = parse_redirect(redirected, state)
    realm = realm or section.realm_id
    if not realm:
        raise RedirectError("the redirect carried no realmId; set [quickbooks] realm_id and try again")
    if section.realm_id and realm != section.realm_id:
        raise RedirectError(
            f"you authorized company {realm}, but [quickbooks] realm_id is {section.realm_id}: "
            "set realm_id to the company you mean and run this again"
        )
    settings = replace(settings, realm_id=realm)
    provider = QuickBooksTokenProvider(settings, store)
    try:
        tokens = asyncio.run(provider.exchange_code(code, realm))
    except ConnectorError as exc:
        raise RedirectError(f"the code exchange failed: {exc.hint}") from exc
    finally:
        provider.close()
    click.echo(
        f"Saved the QuickBooks tokens for company {realm} to {settings.token_file} (key {settings.token_key!r})."
    )
    click.echo(f"  access token valid until  {_when(tokens.access_expires_at)}")
    click.echo(f"  refresh token valid until {_when(tokens.refresh_expires_at)}")
    if not section.realm_id:
        click.echo(f'Add realm_id = "{realm}" to the [quickbooks] section of your config.')


# --------------------------------------------------------------------------- auth check


async def _check_dataverse(cli: CliContext) -> dict[str, Any]:
    from inolink_tui.connectors.dataverse import DataverseClient
    from inolink_tui.connectors.dataverse_auth import DataverseTokenProvider
    from inolink_tui.connectors.errors import ConnectorError
    from inolink_tui.connectors.settings import NotConfigured, dataverse_settings_from

    try:
        settings = dataverse_settings_from(cli.settings().crm)
    except NotConfigured as exc:
        return {"service": "Dynamics 365", "ok": False, "error": str(exc)}
    async with DataverseClient(settings) as client:
        try:
            who = await client.who_am_i()
        except ConnectorError as exc:
            return {"service": "Dynamics 365", "ok": False, "error": exc.hint, "detail": str(exc)}
        provider = client.token_provider
        expires = provider.expires_at if isinstance(provider, DataverseTokenProvider) else None
        return {
            "service": "Dynamics 365",
            "ok": True,
            "url": settings.org_url,
            "user_id": who.get("UserId"),
            "organization_id": who.get("OrganizationId"),
            "access_expires_at": expires.isoformat() if expires else None,
            "_access": expires,
        }


async def _check_quickbooks(cli: CliContext) -> dict[str, Any]:
    from inolink_tui.connectors.errors import ConnectorError
    from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider
    from inolink_tui.connectors.quickbooks import QuickBooksClient
    from inolink_tui.connectors.settings import NotConfigured, quickbooks_settings_from

    try:
        settings = quickbooks_settings_from(cli.settings().quickbooks)
    except NotConfigured as exc:
        return {"service": "QuickBooks", "ok": False, "error": str(exc)}
    provider = QuickBooksTokenProvider(settings, _token_store(settings.token_file or Path("tokens.json")))
    try:
        async with QuickBooksClient(settings, tokens=provider) as client:
            try:
                info = await client.company_info()
            except ConnectorError as exc:
                return {"service": "QuickBooks", "ok": False, "error": exc.hint, "detail": str(exc)}
    finally:
        provider.close()
    return {
        "service": "QuickBooks",
        "ok": True,
        "realm_id": settings.realm_id,
        "company": info.get("CompanyName"),
        "access_expires_at": provider.access_expires_at.isoformat() if provider.access_expires_at else None,
        "refresh_expires_at": provider.refresh_expires_at.isoformat() if provider.refresh_expires_at else None,
        "token_file": str(settings.token_file),
        "_access": provider.access_expires_at,
        "_refresh": provider.refresh_expires_at,
        "_hard": provider.tokens.refresh_hard_expires_at if provider.tokens else None,
    }


async def _check_both(cli: CliContext) -> list[dict[str, Any]]:
    return list(await asyncio.gather(_check_dataverse(cli), _check_quickbooks(cli)))


@auth.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@pass_cli
def auth_check(cli: CliContext, as_json: bool) -> None:
    """Verify both connections (WhoAmI, CompanyInfo) and print token expiries; exit 0 if both work, else 2."""
    cli.settings()  # a bad config ends here with its own message and status 2
    results = asyncio.run(_check_both(cli))
    if as_json:
        click.echo(json.dumps({r["service"]: {k: v for k, v in r.items() if not k.startswith("_")} for r in results}))
    else:
        for result in results:
            if not result["ok"]:
                click.echo(f"{result['service']}: FAILED: {result['error']}")
                continue
            if result["service"] == "Dynamics 365":
                click.echo(f"Dynamics 365: OK ({result['url']}, application user {result['user_id']})")
                click.echo(f"  access token valid until  {_when(result['_access'])}")
            else:
                click.echo(f"QuickBooks: OK (company {result['company']!s}, realm {result['realm_id']})")
                click.echo(f"  access token valid until  {_when(result['_access'])}")
                click.echo(f"  refresh token valid until {_when(result['_refresh'])}")
                if result.get("_hard") is not None:
                    click.echo(f"  consent ends (hard limit)  {_when(result['_hard'])}")
    if not all(r["ok"] for r in results):
        sys.exit(EXIT_FAILED)
