"""`/_sandbox/...`: JSON endpoints for tests and the demo to steer the sandbox and read what happened.

Never faulted, never throttled, never authenticated: it is a test hook on loopback, not a service.

    GET  /_sandbox/info                  the connection line (URLs, credentials, current refresh token)
    GET  /_sandbox/stats?since=N&api=A   request counts per API, 429s, statuses, per-request log
    POST /_sandbox/stats/reset
    GET  /_sandbox/faults                profile, rules, how often each kind fired
    POST /_sandbox/faults                {"profile": "flaky"} | {"clear": true} | {"rules": [FaultRule, ...]}
    GET  /_sandbox/clock, POST /_sandbox/clock/advance {"seconds": 3600}
    POST /_sandbox/qbo/limits            any QboLimits field, e.g. {"requests_per_minute": 20, "retry_after": true}
    POST /_sandbox/dataverse/limits      any DataverseLimits field, e.g. {"requests_per_window": 50}
    GET  /_sandbox/qbo/records/{entity}  every record of a type, inactive ones included
    POST /_sandbox/qbo/create|edit|delete {"entity": "Customer", "body": {...}} (edit is sparse, no SyncToken needed)
    POST /_sandbox/qbo/custom-fields     {"label": "Region", "dataType": "STRING", "entities": ["Customer"]}: a Custom
                                         Fields API definition, as appFoundationsCreateCustomFieldDefinition makes
    POST /_sandbox/intuit/revoke         disconnect the app (the engine's next call gets 401, refresh invalid_grant)
    POST /_sandbox/intuit/expire-access  expire every access token now
    POST /_sandbox/intuit/consent        a fresh grant: {"refresh_token", "access_token"}
    POST /_sandbox/crm/create            {"entity_set": "accounts", "row": {...}}
    POST /_sandbox/crm/update            {"entity_set": "accounts", "id": "...", "changes": {...}}
    POST /_sandbox/crm/privileges        {"entity_set": "accounts", "privilege": "Write", "granted": false} or
                                         {"privilege": "prvCreateAttribute", "granted": false}: revoke / grant
    POST /_sandbox/crm/columns/remove    {"entity_set": "accounts", "column": "ino_linkstatus"}: drop a column
    POST /_sandbox/crm/change-tracking   {"entity_set": "accounts", "enabled": false}
    POST /_sandbox/promote               {"entity_set": "accounts", "count": 3} or {"ids": [...]}: To be Linked
    POST /_sandbox/activity              {"rate": 30} and/or {"step": 5} (run five user events now)
    POST /_sandbox/save                  write --state now
    GET  /_sandbox/webhooks, POST {"url": "http://127.0.0.1:PORT/quickbooks/webhooks"} (null: stop; optional
         "format": "legacy" | "cloudevents", the payload Intuit sends, quickbooks/webhooks.py): where signed
                                         QuickBooks notifications go; GET also lists each delivery's HTTP status

Bad input answers 400 {"error": "..."} (or the QBO fault a QuickBooks rule raised) and changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from inolink_tui.sandbox import jsonfmt
from inolink_tui.sandbox.faults import FaultRule
from inolink_tui.sandbox.options import QboLimits
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.seed_region import enable_multicurrency

if TYPE_CHECKING:
    from inolink_tui.sandbox.app import Sandbox


class ControlError(Exception):
    pass


def _answer(body: Any, status: int = 200) -> Response:
    return Response(jsonfmt.dumps(body), status_code=status, media_type="application/json")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ControlError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def connection_info(sandbox: Sandbox, base_url: str) -> dict[str, str]:
    """The keys of the JSON line `sandbox serve` prints: everything a client needs to connect."""
    base = base_url.rstrip("/")
    identity = sandbox.identity
    return {
        "crm_url": base,
        "aad_authority": f"{base}/{identity.crm_tenant}",
        "crm_tenant": identity.crm_tenant,
        "crm_client_id": identity.crm_client_id,
        "crm_client_secret": identity.crm_client_secret,
        "qbo_base_url": base,
        "intuit_discovery_url": f"{base}/.well-known/openid_configuration",
        "qbo_client_id": identity.qbo_client_id,
        "qbo_client_secret": identity.qbo_client_secret,
        "realm_id": sandbox.realm_id,
        "qbo_refresh_token": sandbox.current_refresh_token(),
        "qbo_webhook_verifier_token": identity.qbo_webhook_verifier_token,
    }


def control_routes(sandbox: Sandbox) -> list[BaseRoute]:
    def guarded(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            try:
                result = await handler(request)
            except (ControlError, ValueError, TypeError, KeyError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except QboFault as fault:
                return _answer({"Fault": fault.fault_json()}, 400)
            return result if isinstance(result, Response) else _answer(result)

        return wrapped

    async def info(request: Request) -> Any:
        return connection_info(sandbox, str(request.base_url))

    async def stats(request: Request) -> Any:
        api = request.query_params.get("api")
        since = int(request.query_params.get("since", "0"))
        return sandbox.stats.to_json(since=since, api=api)

    async def stats_reset(request: Request) -> Any:
        sandbox.stats.reset()
        return {"ok": True}

    async def faults_get(request: Request) -> Any:
        return sandbox.faults.to_json()

    async def faults_set(request: Request) -> Any:
        body = await _body(request)
        rules = [FaultRule.from_json(r) for r in body.get("rules", [])]
        if body.get("clear"):
            sandbox.faults.clear()
        if "profile" in body:
            sandbox.faults.set_profile(str(body["profile"]))
        for rule in rules:
            sandbox.faults.add(rule)
        return sandbox.faults.to_json()

    async def clock_get(request: Request) -> Any:
        clock = sandbox.clock
        return {"now": clock.now().isoformat(), "time_scale": clock.time_scale, "monotonic": clock.monotonic()}

    async def clock_advance(request: Request) -> Any:
        body = await _body(request)
        seconds = float(body.get("seconds", 0))
        if seconds < 0:
            raise ControlError("seconds must not be negative")
        sandbox.clock.advance(seconds)
        return await clock_get(request)

    async def qbo_limits(request: Request) -> Any:
        body = await _body(request)
        fields = {f.name for f in dataclasses.fields(QboLimits)}
        unknown = set(body) - fields
        if unknown:
            raise ControlError(f"unknown limits: {', '.join(sorted(unknown))}")
        limits = dataclasses.replace(sandbox.qbo_api.limits, **body)
        sandbox.qbo_api.limits = limits
        sandbox.qbo_api.throttle.limits = limits
        sandbox.faults.qbo_json_429 = limits.throttle_body == "json"
        return dataclasses.asdict(limits)

    async def dataverse_limits(request: Request) -> Any:
        body = await _body(request)
        limits = sandbox.dataverse_limits
        if limits is None:
            raise ControlError("the Dataverse sandbox is not installed")
        known = {f.name for f in dataclasses.fields(limits)}
        unknown = set(body) - known
        if unknown:
            raise ControlError(f"unknown limits: {', '.join(sorted(unknown))}")
        for name, value in body.items():
            setattr(limits, name, type(getattr(limits, name))(value))  # the throttle reads them per request
        return dataclasses.asdict(limits)

    async def qbo_list(request: Request) -> Any:
        return {"records": sandbox.qbo.all(request.path_params["entity"])}

    async def qbo_create(request: Request) -> Any:
        body = await _body(request)
        return sandbox.qbo.create(str(body["entity"]), dict(body["body"]))

    async def qbo_edit(request: Request) -> Any:
        body = await _body(request)
        return sandbox.qbo.update(str(body["entity"]), dict(body["body"]), sparse=True)

    async def qbo_delete(request: Request) -> Any:
        body = await _body(request)
        return sandbox.qbo.delete(str(body["entity"]), dict(body["body"]))

    async def qbo_multicurrency(request: Request) -> Any:
        """The company's multicurrency switch, which only the QuickBooks UI can turn on (and never off)."""
        enable_multicurrency(sandbox.qbo)
        return {"MultiCurrencyEnabled": True}

    async def intuit_revoke(request: Request) -> Any:
        for grant in sandbox.intuit.grants.values():
            grant.revoked = True
        return {"revoked": len(sandbox.intuit.grants)}

    async def intuit_expire(request: Request) -> Any:
        now = sandbox.clock.monotonic()
        for token in sandbox.intuit.access_tokens.values():
            token.expires_at = min(token.expires_at, now)
        return {"expired": len(sandbox.intuit.access_tokens)}

    async def intuit_consent(request: Request) -> Any:
        issue = sandbox.intuit.consent()
        return {"refresh_token": issue.refresh_token, "access_token": issue.access_token}

    async def crm_create(request: Request) -> Any:
        body = await _body(request)
        if sandbox.dataverse is None:
            raise ControlError("the Dataverse sandbox is not installed")
        row: dict[str, Any] = sandbox.dataverse.create_row(str(body["entity_set"]), dict(body["row"]))
        return row

    async def crm_update(request: Request) -> Any:
        body = await _body(request)
        if sandbox.dataverse is None:
            raise ControlError("the Dataverse sandbox is not installed")
        row: dict[str, Any] = sandbox.dataverse.update_row(
            str(body["entity_set"]), str(body["id"]), dict(body["changes"])
        )
        return row

    def dataverse() -> Any:
        if sandbox.dataverse is None:
            raise ControlError("the Dataverse sandbox is not installed")
        return sandbox.dataverse

    def entity_set_of(dv: Any, body: dict[str, Any]) -> str:
        name = str(body.get("entity_set", ""))
        if name not in dv.tables:
            raise ControlError(f"unknown entity set {name!r}")
        return name

    async def crm_privileges(request: Request) -> Any:
        """Revoke or grant one privilege of the API callers (what `doctor` must notice)."""
        body = await _body(request)
        dv = dataverse()
        privilege = str(body.get("privilege", ""))
        granted = bool(body.get("granted", False))
        if "entity_set" in body:
            entity_set = entity_set_of(dv, body)
            if granted:
                dv.allow(entity_set, privilege)
            else:
                dv.deny(entity_set, privilege)
        elif privilege.startswith("prv"):
            (dv.denied_privileges.discard if granted else dv.denied_privileges.add)(privilege)
        else:
            raise ControlError('give "entity_set" with a verb (Read, Write, ...) or a privilege name "prv..."')
        return {
            "denied": {name: sorted(p) for name, p in dv.denied.items() if p},
            "denied_privileges": sorted(dv.denied_privileges),
        }

    async def crm_remove_column(request: Request) -> Any:
        body = await _body(request)
        dv = dataverse()
        table = dv.tables[entity_set_of(dv, body)]
        name = str(body["column"])
        column = table.columns.get(name) or table.columns.get(f"_{name}_value")
        if column is None or column.name == table.primary_key:
            raise ControlError(f"{table.entity_set} has no removable column {name!r}")
        dv.customizations.apply(dv, {"op": "drop_column", "entity_set": table.entity_set, "key": column.key})
        return {"removed": column.name, "entity_set": table.entity_set}

    async def crm_change_tracking(request: Request) -> Any:
        body = await _body(request)
        dv = dataverse()
        dv.set_change_tracking(entity_set_of(dv, body), bool(body["enabled"]))
        return {"entity_set": str(body["entity_set"]), "enabled": bool(body["enabled"])}

    async def promote(request: Request) -> Any:
        from inolink_tui.sandbox.activity import promote_records

        body = await _body(request)
        ids = body.get("ids")
        promoted = promote_records(
            sandbox,
            str(body.get("entity_set", "accounts")),
            ids=[str(i) for i in ids] if ids is not None else None,
            count=int(body.get("count", 1)),
        )
        return {"promoted": promoted}

    async def activity(request: Request) -> Any:
        body = await _body(request)
        runner = sandbox.extra.get("activity")
        if runner is None:
            raise ControlError("no activity runner: the sandbox is not being served")
        if "rate" in body:
            runner.set_rate(float(body["rate"]))
        if body.get("step"):
            return {"events": [runner.step() for _ in range(int(body["step"]))]}
        return {"rate": runner.rate}

    async def qbo_custom_field(request: Request) -> Any:
        from inolink_tui.sandbox.quickbooks.custom_fields import API_ENTITIES, declare

        body = await _body(request)
        entities = body.get("entities", list(API_ENTITIES))
        if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
            raise ControlError("entities must be a list of entity names")
        try:
            definition_id = declare(
                sandbox.qbo, str(body.get("label", "")), str(body.get("dataType", "STRING")), tuple(entities)
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return {"DefinitionId": definition_id}

    async def save(request: Request) -> Any:
        from inolink_tui.sandbox.persist import save_state

        if sandbox.options.state_path is None:
            raise ControlError("the sandbox was started without --state")
        save_state(sandbox, sandbox.options.state_path)
        return {"saved": str(sandbox.options.state_path)}

    async def webhooks(request: Request) -> Any:
        notifier = sandbox.extra["webhooks"]
        if request.method == "POST":
            body = await _body(request)
            url = body.get("url")
            if url is not None and not str(url).startswith(("http://", "https://")):
                raise ControlError("url must be an http(s) URL, or null to stop")
            payload_format = body.get("format", notifier.payload_format)
            if payload_format not in ("legacy", "cloudevents"):
                raise ControlError("format must be legacy or cloudevents (Intuit's switch on the subscription page)")
            notifier.url = str(url) if url else None
            notifier.payload_format = payload_format
        return {"url": notifier.url, "format": notifier.payload_format, "delivered": list(notifier.delivered)}

    table: list[tuple[str, Any, str]] = [
        ("/_sandbox/info", info, "GET"),
        ("/_sandbox/stats", stats, "GET"),
        ("/_sandbox/stats/reset", stats_reset, "POST"),
        ("/_sandbox/faults", faults_get, "GET"),
        ("/_sandbox/faults", faults_set, "POST"),
        ("/_sandbox/clock", clock_get, "GET"),
        ("/_sandbox/clock/advance", clock_advance, "POST"),
        ("/_sandbox/qbo/limits", qbo_limits, "POST"),
        ("/_sandbox/dataverse/limits", dataverse_limits, "POST"),
        ("/_sandbox/qbo/records/{entity}", qbo_list, "GET"),
        ("/_sandbox/qbo/create", qbo_create, "POST"),
        ("/_sandbox/qbo/edit", qbo_edit, "POST"),
        ("/_sandbox/qbo/delete", qbo_delete, "POST"),
        ("/_sandbox/qbo/multicurrency", qbo_multicurrency, "POST"),
        ("/_sandbox/qbo/custom-fields", qbo_custom_field, "POST"),
        ("/_sandbox/intuit/revoke", intuit_revoke, "POST"),
        ("/_sandbox/intuit/expire-access", intuit_expire, "POST"),
        ("/_sandbox/intuit/consent", intuit_consent, "POST"),
        ("/_sandbox/crm/create", crm_create, "POST"),
        ("/_sandbox/crm/update", crm_update, "POST"),
        ("/_sandbox/crm/privileges", crm_privileges, "POST"),
        ("/_sandbox/crm/columns/remove", crm_remove_column, "POST"),
        ("/_sandbox/crm/change-tracking", crm_change_tracking, "POST"),
        ("/_sandbox/promote", promote, "POST"),
        ("/_sandbox/activity", activity, "POST"),
        ("/_sandbox/save", save, "POST"),
        ("/_sandbox/webhooks", webhooks, "GET"),
        ("/_sandbox/webhooks", webhooks, "POST"),
    ]
    return [Route(path, guarded(handler), methods=[method]) for path, handler, method in table]
