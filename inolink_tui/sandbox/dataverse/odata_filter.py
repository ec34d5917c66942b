"""The `$filter` language: a tokenizer and recursive-descent parser producing a small AST.

Grammar (OData v4 subset Dataverse supports, reference §9 and §15.15):

    expr       := and_expr ('or' and_expr)*
    and_expr   := unary ('and' unary)*
    unary      := 'not' unary | primary
    primary    := '(' expr ')' | call | operand OP operand
    call       := ('contains' | 'startswith' | 'endswith') '(' operand ',' operand ')'
    operand    := literal | path
    path       := identifier ('/' identifier)?          e.g. name, _parentcustomerid_value, primarycontactid/fullname
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

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("contains", "startswith", "endswith")
QUERY_FUNCTION_PREFIX = "Microsoft.Dynamics.CRM."
QUERY_FUNCTIONS = {"In": 2, "NotIn": 2, "Between": 2, "NotBetween": 2, "Null": 1, "NotNull": 1}
"""The Dataverse query functions the sandbox evaluates, with how many parameters each takes."""
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
    """`Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=["a","b"])` and its siblings."""

    name: str  # without the Microsoft.Dynamics.CRM. prefix
    property_name: str
    values: tuple[Literal, ...]


Node = Compare | Call | BoolOp | Not | QueryFunction


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
        if char in "(),/=[]":
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


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

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
            target = self.operand()
            self.expect(",")
            argument = self.operand()
            self.expect(")")
            return Call(token.text, target, argument)
        left = self.operand()
        op = self.token
        if op.kind != "name" or op.text not in COMPARISONS:
            raise self.error(op)
        self.advance()
        return Compare(op.text, left, self.operand())

    def query_function(self) -> QueryFunction:
        token = self.advance()
        name = token.text[len(QUERY_FUNCTION_PREFIX) :]
        if name not in QUERY_FUNCTIONS:
            raise ParseError(f"An unknown function with name '{token.text}' was found. in '{self.text}'.")
        self.expect("(")
        params: dict[str, tuple[Literal, ...]] = {}
        while True:
            key = self.expect("name")
            self.expect("=")
            if self.token.kind == "[":
                self.advance()
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
                params[key.text] = tuple(items)
            else:
                value = self.advance()
                if value.kind != "literal" or value.literal is None:
                    raise self.error(value)
                params[key.text] = (value.literal,)
            if self.token.kind == ",":
                self.advance()
                continue
            self.expect(")")
            break
        prop = params.get("PropertyName")
        if prop is None or len(prop) != 1 or not isinstance(prop[0].value, str):
            raise ParseError(f"The function '{token.text}' requires a PropertyName string parameter in '{self.text}'.")
        values = params.get("PropertyValues", ())
        if QUERY_FUNCTIONS[name] == 2 and not values:
            raise ParseError(f"The function '{token.text}' requires a PropertyValues parameter in '{self.text}'.")
        if name in ("Between", "NotBetween") and len(values) != 2:
            raise ParseError(f"The function '{token.text}' requires exactly two PropertyValues in '{self.text}'.")
        return QueryFunction(name, prop[0].value, values)

    def operand(self) -> Operand:
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
            segments.append(segment.text)
        return Path(tuple(segments))


def parse(text: str) -> Node:
    """Parse a `$filter` value; raises ParseError (and only ParseError) on malformed input."""
    if not text.strip():
        raise ParseError("The $filter expression is empty.")
    try:
        return _Parser(text).parse()
    except RecursionError as exc:  # pathological nesting of parentheses
        raise ParseError(f"The recursion depth of the filter exceeds the limit in '{text}'.") from exc
