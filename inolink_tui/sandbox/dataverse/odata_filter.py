"""The `$filter` language: a tokenizer and recursive-descent parser producing a small AST.

Grammar (OData v4 subset Dataverse supports, reference §9 and §15.15):

    expr       := and_expr ('or' and_expr)*
    and_expr   := unary ('and' unary)*
    unary      := 'not' unary | primary
    primary    := '(' expr ')' | call | qfunc | lambda | operand OP operand
    call       := ('contains' | 'startswith' | 'endswith') '(' operand ',' operand ')'
    qfunc      := 'Microsoft.Dynamics.CRM.' Name '(' param '=' (literal | '[' literal,* ']') ,... ')'
    lambda     := path '/' ('any' | 'all') '(' [ identifier ':' expr ] ')'
    operand    := literal | path
    path       := identifier ('/' identifier)*          e.g. name, primarycontactid/fullname, o/fullname
    @alias     := a parameter alias (`@p1`), replaced by the query option `@p1=<value>` before parsing
    literal    := 'text' (quote doubled: 'O''Bryan') | integer | decimal | true | false | null
                | datetime (2025-01-01T00:00:00Z, unquoted) | date (2025-01-01) | GUID (unquoted)
    OP         := eq ne gt ge lt le

The parser knows nothing about tables: binding names to columns and evaluating rows is `query.py`'s job.
`parse` raises only `ParseError` (the fuzz test holds it to that), whose message matches the OData
library's wording, e.g. "There is an unterminated literal at position 9 in 'name eq 'x'."
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from inolink_tui.sandbox.dataverse.query_functions import PREFIX, SIGNATURES

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("contains", "startswith", "endswith")
LAMBDAS = ("any", "all")
QUERY_FUNCTION_PREFIX = PREFIX
MAX_DEPTH = 100


class ParseError(ValueError):
    """A malformed `$filter`; the message is what the service answers with its 400."""


@dataclass(frozen=True)
class Literal:
    value: Any
    edm: str  # Edm.String, Edm.Int32, Edm.Int64, Edm.Decimal, Edm.Boolean, Edm.DateTimeOffset, Edm.Date, Edm.Guid, null


@dataclass(frozen=True)
class Path:
    segments: tuple[str, ...]


Operand = Literal | Path


@dataclass(frozen=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Call:
    name: str
    target: Operand
    argument: Operand


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class QueryFunction:
    """`Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=["a","b"])` and its siblings.

    `values` holds the `PropertyValues` items, or the single `PropertyValue`, or nothing (`Today`).
    """

    name: str  # without the Microsoft.Dynamics.CRM. prefix
    property_name: str
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Lambda:
    """`contact_customer_accounts/any(c:c/fullname eq 'x')`: `source` names the collection (maybe via a variable).

    Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
    ("Filter using values of related collections"). `any()` has no variable and no body.
    """

    kind: str  # "any" | "all"
    source: Path
    variable: str | None
    body: Node | None


Node = Compare | Call | BoolOp | Not | QueryFunction | Lambda


@dataclass(frozen=True)
class Token:
    kind: str  # "literal" | "name" | "(" | ")" | "," | "/" | "end"
    text: str
    pos: int
    literal: Literal | None = None


_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})"
_DATE = r"\d{4}-\d{2}-\d{2}"
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?"
_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_PATTERNS = [
    ("guid", re.compile(_GUID + r"(?![0-9A-Za-z_])")),
    ("datetime", re.compile(_DATETIME + r"(?![0-9A-Za-z_])")),
    ("date", re.compile(_DATE + r"(?![0-9A-Za-z_:])")),
    ("number", re.compile(_NUMBER + r"(?![0-9A-Za-z_])")),
    ("name", re.compile(_NAME)),
]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char == "@":
            match = re.compile(_NAME).match(text, pos + 1)
            if match is None:
                raise ParseError(f"Syntax error: character '@' is not valid at position {pos} in '{text}'.")
            tokens.append(Token("alias", "@" + match.group(0), pos))
            pos = match.end()
            continue
        if char in "(),/=[]:":
            tokens.append(Token(char, char, pos))
            pos += 1
            continue
        if char == '"':
            tokens.append(_json_string(text, pos))
            pos += len(tokens[-1].text)
            continue
        if char == "'":
            tokens.append(_string(text, pos))
            pos += len(tokens[-1].text)
            continue
        for kind, pattern in _PATTERNS:
            match = pattern.match(text, pos)
            if match is None:
                continue
            word = match.group(0)
            tokens.append(Token("name", word, pos) if kind == "name" else _literal_token(kind, word, pos, text))
            pos = match.end()
            break
        else:
            raise ParseError(f"Syntax error: character '{char}' is not valid at position {pos} in '{text}'.")
    tokens.append(Token("end", "", len(text)))
    return tokens


def _string(text: str, start: int) -> Token:
    pos = start + 1
    chars: list[str] = []
    while pos < len(text):
        if text[pos] == "'":
            if pos + 1 < len(text) and text[pos + 1] == "'":
                chars.append("'")
                pos += 2
                continue
            raw = text[start : pos + 1]
            return Token("literal", raw, start, Literal("".join(chars), "Edm.String"))
        chars.append(text[pos])
        pos += 1
    raise ParseError(f"There is an unterminated literal at position {start} in '{text}'.")


def _json_string(text: str, start: int) -> Token:
    """A JSON double-quoted string, as query functions take inside their PropertyValues arrays."""
    pos = start + 1
    chars: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return Token("json", text[start : pos + 1], start, Literal("".join(chars), "Edm.String"))
        chars.append(char)
        pos += 1
    raise ParseError(f"There is an unterminated literal at position {start} in '{text}'.")


def _literal_token(kind: str, word: str, pos: int, text: str) -> Token:
    value: Any
    try:
        if kind == "guid":
            return Token("literal", word, pos, Literal(word.lower(), "Edm.Guid"))
        if kind == "datetime":
            parsed = datetime.fromisoformat(word.replace("Z", "+00:00"))
            return Token("literal", word, pos, Literal(parsed.astimezone(UTC), "Edm.DateTimeOffset"))
        if kind == "date":
            return Token("literal", word, pos, Literal(date.fromisoformat(word), "Edm.Date"))
        digits = word.rstrip("mMdDfFlL")
        if re.fullmatch(r"-?\d+", digits):
            value = int(digits)
            edm = "Edm.Int32" if -(2**31) <= value < 2**31 else "Edm.Int64"
            return Token("literal", word, pos, Literal(value, edm))
        number = Decimal(digits)
        if not number.is_finite():
            raise InvalidOperation
        return Token("literal", word, pos, Literal(number, "Edm.Decimal"))
    except (ValueError, InvalidOperation, OverflowError) as exc:
        raise ParseError(f"Unrecognized '{kind}' literal '{word}' at '{pos}' in '{text}'.") from exc


def _expand_aliases(text: str, tokens: list[Token], aliases: dict[str, str] | None) -> list[Token]:
    """Replace each `@p` token by the tokens of the query option `@p=<value>` (OData parameter aliases).

    Source: the syntax examples of every query function, e.g.
    https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/lastxdays
    (`Microsoft.Dynamics.CRM.LastXDays(PropertyName=@p1,PropertyValue=@p2)&@p1='name'&@p2=42`).
    An alias with no value is null: Learn "Use OData to query data", "Use parameter aliases with query options"
    (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview): "If the alias isn't
    assigned a value, it's assumed to be null"; its example `$filter=@p1 ne @p3&@p1=revenue` also shows an alias
    standing for a property. `aliases=None` means aliases are not allowed here (inside `$expand`, same section).
    """
    out: list[Token] = []
    for token in tokens:
        if token.kind != "alias":
            out.append(token)
            continue
        if aliases is None:
            raise ParseError(f"Parameter aliases cannot be used inside $expand: '{token.text}' in '{text}'.")
        value = aliases.get(token.text, "null")
        inner = tokenize(value)[:-1]
        if not inner or any(t.kind == "alias" for t in inner):
            raise ParseError(f"The value of the parameter alias '{token.text}' is not valid in '{text}'.")
        out += [Token(t.kind, t.text, token.pos, t.literal) for t in inner]
    return out


class _Parser:
    def __init__(self, text: str, aliases: dict[str, str] | None = None, *, allow_aliases: bool = True) -> None:
        self.text = text
        self.tokens = _expand_aliases(text, tokenize(text), (aliases or {}) if allow_aliases else None)
        self.index = 0
        self.depth = 0
        self.variables: list[str] = []  # lambda variables in scope, innermost last

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def error(self, token: Token | None = None) -> ParseError:
        token = token or self.token
        return ParseError(f"Syntax error at position {token.pos} in '{self.text}'.")

    def keyword(self, word: str) -> bool:
        token = self.token
        if token.kind == "name" and token.text == word:
            self.advance()
            return True
        return False

    def expect(self, kind: str) -> Token:
        if self.token.kind != kind:
            raise self.error()
        return self.advance()

    def parse(self) -> Node:
        node = self.expr()
        if self.token.kind != "end":
            raise self.error()
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"The recursion depth of the filter exceeds the limit of {MAX_DEPTH} in '{self.text}'.")
        node = self.and_expr()
        while self.keyword("or"):
            node = BoolOp("or", node, self.and_expr())
        self.depth -= 1
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = BoolOp("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ParseError(
                    f"The recursion depth of the filter exceeds the limit of {MAX_DEPTH} in '{self.text}'."
                )
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "(":
            self.advance()
            node = self.expr()
            self.expect(")")
            return node
        if (
            token.kind == "name"
            and token.text.startswith(QUERY_FUNCTION_PREFIX)
            and self.tokens[self.index + 1].kind == "("
        ):
            return self.query_function()
        if token.kind == "name" and token.text in FUNCTIONS and self.tokens[self.index + 1].kind == "(":
            self.advance()
            self.advance()
            target = self.value()
            self.expect(",")
            argument = self.value()
            self.expect(")")
            return Call(token.text, target, argument)
        left = self.operand()
        if isinstance(left, Lambda):
            return left
        op = self.token
        if op.kind != "name" or op.text not in COMPARISONS:
            raise self.error(op)
        self.advance()
        return Compare(op.text, left, self.value())

    def value(self) -> Operand:
        """An operand where a lambda (a boolean) cannot stand."""
        start = self.token
        operand = self.operand()
        if isinstance(operand, Lambda):
            raise self.error(start)
        return operand

    def query_function(self) -> QueryFunction:
        token = self.advance()
        name = token.text[len(QUERY_FUNCTION_PREFIX) :]
        signature = SIGNATURES.get(name)
        if signature is None:
            raise ParseError(f"An unknown function with name '{token.text}' was found. in '{self.text}'.")
        self.expect("(")
        params: dict[str, tuple[tuple[Literal, ...], bool]] = {}
        while self.token.kind != ")" or params:  # `f()`, or `name=value` separated by commas (none trailing)
            key = self.expect("name")
            self.expect("=")
            if key.text in params:
                raise ParseError(f"The parameter '{key.text}' is given twice in '{self.text}'.")
            if self.token.kind == "[":
                params[key.text] = (self.array(), True)
            else:
                value = self.advance()
                if value.kind != "literal" or value.literal is None:
                    raise self.error(value)
                params[key.text] = ((value.literal,), False)
            if self.token.kind != ",":
                break
            self.advance()
        self.expect(")")
        return _check_call(token.text, name, params, self.text)

    def array(self) -> tuple[Literal, ...]:
        self.expect("[")
        items: list[Literal] = []
        while self.token.kind != "]":
            item = self.advance()
            if item.literal is None or item.kind not in ("literal", "json"):
                raise self.error(item)
            items.append(item.literal)
            if self.token.kind == ",":
                self.advance()
            elif self.token.kind != "]":
                raise self.error()
        self.advance()
        return tuple(items)

    def lambda_(self, source: Path, kind: str) -> Lambda:
        self.expect("(")
        if self.token.kind == ")":
            self.advance()
            if kind == "all":
                raise ParseError(f"The 'all' operator requires a lambda expression in '{self.text}'.")
            return Lambda(kind, source, None, None)
        variable = self.expect("name")
        self.expect(":")
        if variable.text in self.variables:
            raise ParseError(f"The range variable '{variable.text}' has already been declared in '{self.text}'.")
        self.variables.append(variable.text)
        body = self.expr()
        self.variables.pop()
        self.expect(")")
        return Lambda(kind, source, variable.text, body)

    def operand(self) -> Operand | Lambda:
        token = self.advance()
        if token.kind == "literal" and token.literal is not None:
            return token.literal
        if token.kind != "name":
            raise self.error(token)
        if token.text == "null":
            return Literal(None, "null")
        if token.text in ("true", "false"):
            return Literal(token.text == "true", "Edm.Boolean")
        if self.token.kind == "(":
            raise ParseError(f"An unknown function with name '{token.text}' was found. in '{self.text}'.")
        segments = [token.text]
        while self.token.kind == "/":
            self.advance()
            segment = self.advance()
            if segment.kind != "name":
                raise self.error(segment)
            if segment.text in LAMBDAS and self.token.kind == "(":
                return self.lambda_(Path(tuple(segments)), segment.text)
            segments.append(segment.text)
        return Path(tuple(segments))


def _check_call(full: str, name: str, params: dict[str, tuple[tuple[Literal, ...], bool]], text: str) -> QueryFunction:
    """Check a query function's parameters against its documented signature (query_functions.SIGNATURES).

    The documented rule (filter-rows page): `PropertyName` always, plus `PropertyValue`, `PropertyValues` or
    `PropertyValue1`/`PropertyValue2` where the function has them, which "you must supply". The service's exact
    wording for a wrong or missing parameter is not documented; these messages are the sandbox's own.
    """
    signature = SIGNATURES[name]
    expected = ["PropertyName", *(param for param, _ in signature.params)]
    if sorted(params) != sorted(expected):
        raise ParseError(
            f"The function '{full}' takes the parameters {', '.join(expected)}; "
            f"found {', '.join(params) or 'none'} in '{text}'."
        )
    prop, prop_is_array = params["PropertyName"]
    if prop_is_array or len(prop) != 1 or not isinstance(prop[0].value, str):
        raise ParseError(f"The function '{full}' requires a PropertyName string parameter in '{text}'.")
    values: tuple[Literal, ...] = ()
    for param, edm in signature.params:
        items, is_array = params[param]
        if is_array != edm.startswith("Collection("):
            raise ParseError(f"The parameter '{param}' of the function '{full}' must be of type {edm} in '{text}'.")
        values = items
    if signature.params and not values:
        raise ParseError(f"The function '{full}' requires a non-empty {signature.params[0][0]} in '{text}'.")
    if name in ("Between", "NotBetween") and len(values) != 2:
        raise ParseError(f"The function '{full}' requires exactly two PropertyValues in '{text}'.")
    return QueryFunction(name, prop[0].value, values)


def parse(text: str, aliases: dict[str, str] | None = None, *, allow_aliases: bool = True) -> Node:
    """Parse a `$filter` value; raises ParseError (and only ParseError) on malformed input.

    `aliases` are the request's parameter-alias query options (`{"@p1": "'name'"}`); `allow_aliases=False` (a
    `$filter` inside `$expand`) refuses any alias.
    """
    if not text.strip():
        raise ParseError("The $filter expression is empty.")
    try:
        return _Parser(text, aliases, allow_aliases=allow_aliases).parse()
    except RecursionError as exc:  # pathological nesting of parentheses
        raise ParseError(f"The recursion depth of the filter exceeds the limit in '{text}'.") from exc
