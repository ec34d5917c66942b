"""Lambda operators `any` / `all` over collection-valued navigation properties in `$filter`.

Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
("Filter using values of related collections"):
- `any`: true if the expression is true for any member of the collection; `any()` without an argument is
  true if the collection isn't empty;
- `all`: true if the expression is true for all members (an empty collection satisfies `all`: OData's rule,
  the Dataverse page does not say);
- syntax `<collection>/[any | all](o:<expression>)`; inside, `o/<property or collection>` names the item;
- conditions on several collections and on nested collections are allowed (`c/opportunity_customer_contacts/any(...)`);
- a collection reached through a lookup (`primarycontactid/new_contact_account/any(...)`) "isn't supported":
  the page names no error, so the sandbox answers 400 with its own message.
Inside a body, a path without a variable refers to the row being filtered (`$it`), as OData defines; a query
function's `PropertyName` names a column of the lambda's item (see predicates._compile_query_function).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.odata_filter import Lambda, Node
from inolink_tui.sandbox.dataverse.state import Row

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.predicates import Env, Scope, Test

Compile = Callable[["Scope", Node], "Test"]


def compile_lambda(scope: Scope, node: Lambda, compile_test: Compile) -> Test:
    """Bind `source/any(v: body)` or `source/all(v: body)` in `scope`."""
    base, table, rest = scope.base(node.source)
    text = "/".join(node.source.segments)
    if len(rest) != 1:
        if rest and table.navigation(rest[0]) is not None:
            raise errors.bad_request(
                f"Conditions on a collection-valued navigation property nested in a lookup navigation property "
                f"are not supported: '{text}/{node.kind}'.",
                errors.URL_NOT_PARSED,
            )
        raise errors.bad_request(f"'{text}' is not a collection-valued navigation property.", errors.URL_NOT_PARSED)
    collection = table.collections.get(rest[0])
    if collection is None:
        if table.navigation(rest[0]) is not None or table.column(rest[0]) is not None:
            raise errors.bad_request(
                f"The '{node.kind}' operator needs a collection-valued navigation property; '{rest[0]}' is not one.",
                errors.URL_NOT_PARSED,
            )
        raise errors.unknown_property(table.logical_name, rest[0])
    target = scope.state.table(collection.entity_set)
    rows = scope.state.row_map(collection.entity_set)
    lookup, key = collection.lookup, table.primary_key
    children: dict[str, list[Row]] | None = None

    def members(env: Env) -> list[Row]:
        nonlocal children
        if children is None:  # index the related rows once per query, not once per filtered row
            children = {}
            for row in rows.values():
                parent = row.get(lookup)
                if parent:
                    children.setdefault(str(parent), []).append(row)
        return children.get(str(env[base].get(key)), [])

    if node.variable is None or node.body is None:
        return lambda env: bool(members(env))
    variable = node.variable
    inner = type(scope)(scope.state, scope.table, {**scope.variables, variable: target}, scope.now, variable)
    body = compile_test(inner, node.body)
    if node.kind == "any":
        return lambda env: any(body({**env, variable: child}) for child in members(env))
    return lambda env: all(body({**env, variable: child}) for child in members(env))
