"""The QuickBooks query language, one entity per query.

`SELECT * | COUNT(*) FROM E [WHERE a AND b] [ORDERBY p] [STARTPOSITION n] [MAXRESULTS n]`:

Keywords are case-insensitive, strings use single quotes with backslash escapes (`'Amy\\'s'`), and
there is no OR, JOIN or column list (a trailing `, Sku` after `*` is tolerated, as the service does).
Syntax errors raise fault 4000 with a JavaCC-style "Encountered ... at line 1, column N" detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from inolink_tui.sandbox.quickbooks.errors import QboFault

Literal = str | Decimal | bool


class CurrentDate:
    """The bare `CURRENT_DATE` keyword, resolved when the query runs."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CurrentDate)

    def __hash__(self) -> int:
        return hash("CURRENT_DATE")


Value = Literal | CurrentDate

KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "orderby",
    "asc",
    "desc",
    "startposition",
    "maxresults",
    "in",
    "like",
    "count",
    "true",
    "false",
    "current_date",
}
OPERATORS = ("<=", ">=", "=", "<", ">")


@dataclass(frozen=True)
class Token:
    kind: str  # IDENTIFIER, STRING, NUMBER, OP, PUNCT, KEYWORD, EOF
    text: str
    column: int
    value: Value | None = None


@dataclass
class Condition:
    prop: str
    op: str  # = < > <= >= IN LIKE
    values: list[Value]


@dataclass
class ParsedQuery:
    entity: str
    count: bool
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    """(property, descending) pairs."""
    start_position: int = 1
    max_results: int | None = None


def parser_error(token: Token, expecting: str) -> QboFault:
    kind = {"KEYWORD": f'"{token.text.lower()}"', "EOF": "<EOF>"}.get(token.kind, f"<{token.kind}>")
    shown = "" if token.kind == "EOF" else f' "{token.text} "'
    return QboFault(
        "4000",
        "Error parsing query",
        f'QueryParserError: Encountered " {kind}{shown}" at line 1, column {token.column}.\n'
        f"Was expecting:\n    {expecting} ...",
    )


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        column = i + 1
        if ch.isspace():
            i += 1
            continue
        if ch == "'":
            out: list[str] = []
            j = i + 1
            while j < len(text) and text[j] != "'":
                if text[j] == "\\" and j + 1 < len(text):
                    out.append(text[j + 1])
                    j += 2
                    continue
                out.append(text[j])
                j += 1
            if j >= len(text):
                raise QboFault(
                    "4000",
                    "Error parsing query",
                    f"QueryParserError: Lexical error at line 1, column {len(text) + 1}.  "
                    'Encountered: <EOF> after : "' + text[i:] + '"',
                )
            literal = "".join(out)
            tokens.append(Token("STRING", text[i : j + 1], column, literal))
            i = j + 1
            continue
        for op in OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("OP", op, column))
                i += len(op)
                break
        else:
            if ch in "(),*":
                tokens.append(Token("PUNCT", ch, column))
                i += 1
                continue
            number = _NUMBER.match(text, i)
            if number and (ch.isdigit() or ch == "-"):
                tokens.append(Token("NUMBER", number.group(), column, Decimal(number.group())))
                i = number.end()
                continue
            ident = _IDENT.match(text, i)
            if ident:
                word = ident.group()
                kind = "KEYWORD" if word.lower() in KEYWORDS else "IDENTIFIER"
                tokens.append(Token(kind, word, column))
                i = ident.end()
                continue
            raise QboFault(
                "4000",
                "Error parsing query",
                f'QueryParserError: Lexical error at line 1, column {column}.  Encountered: "{ch}"',
            )
    tokens.append(Token("EOF", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "EOF":
            self.pos += 1
        return token

    def is_keyword(self, word: str) -> bool:
        return self.current.kind == "KEYWORD" and self.current.text.lower() == word

    def expect_keyword(self, word: str) -> None:
        if not self.is_keyword(word):
            raise parser_error(self.current, f'"{word}"')
        self.advance()

    def expect_punct(self, ch: str) -> None:
        if not (self.current.kind == "PUNCT" and self.current.text == ch):
            raise parser_error(self.current, f'"{ch}"')
        self.advance()

    def identifier(self) -> str:
        if self.current.kind != "IDENTIFIER":
            raise parser_error(self.current, "<IDENTIFIER>")
        return self.advance().text

    def integer(self) -> int:
        token = self.current
        if token.kind == "STRING" and isinstance(token.value, str) and token.value.isdigit():
            self.advance()
            return int(token.value)
        if token.kind != "NUMBER" or not isinstance(token.value, Decimal) or token.value != int(token.value):
            raise parser_error(token, "<INTEGER>")
        self.advance()
        return int(token.value)

    def value(self) -> Value:
        token = self.current
        if token.kind in ("STRING", "NUMBER"):
            self.advance()
            assert token.value is not None
            return token.value
        if token.kind == "KEYWORD" and token.text.lower() in ("true", "false"):
            self.advance()
            return token.text.lower() == "true"
        if token.kind == "KEYWORD" and token.text.lower() == "current_date":
            self.advance()
            return CurrentDate()
        raise parser_error(token, "<STRING>")

    def parse(self) -> ParsedQuery:
        self.expect_keyword("select")
        count = False
        if self.is_keyword("count"):
            self.advance()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            self.expect_punct("*")
            while self.current.kind == "PUNCT" and self.current.text == ",":
                self.advance()
                self.identifier()
        self.expect_keyword("from")
        query = ParsedQuery(entity=self.identifier(), count=count)
        if self.is_keyword("where"):
            self.advance()
            query.where.append(self.condition())
            while self.is_keyword("and"):
                self.advance()
                query.where.append(self.condition())
        if self.is_keyword("orderby"):
            self.advance()
            query.order.append(self.order_item())
            while self.current.kind == "PUNCT" and self.current.text == ",":
                self.advance()
                query.order.append(self.order_item())
        seen: set[str] = set()
        while self.current.kind == "KEYWORD" and self.current.text.lower() in ("startposition", "maxresults"):
            word = self.advance().text.lower()
            if word in seen:
                raise parser_error(self.tokens[self.pos - 1], "<EOF>")
            seen.add(word)
            number = self.integer()
            if word == "startposition":
                query.start_position = number
            else:
                query.max_results = number
        if self.current.kind != "EOF":
            raise parser_error(self.current, "<EOF>")
        return query

    def order_item(self) -> tuple[str, bool]:
        prop = self.identifier()
        descending = False
        if self.is_keyword("asc") or self.is_keyword("desc"):
            descending = self.advance().text.lower() == "desc"
        return prop, descending

    def condition(self) -> Condition:
        prop = self.identifier()
        token = self.current
        if token.kind == "OP":
            self.advance()
            return Condition(prop, token.text, [self.value()])
        if self.is_keyword("in"):
            self.advance()
            self.expect_punct("(")
            values = [self.value()]
            while self.current.kind == "PUNCT" and self.current.text == ",":
                self.advance()
                values.append(self.value())
            self.expect_punct(")")
            return Condition(prop, "IN", values)
        if self.is_keyword("like"):
            self.advance()
            if self.current.kind != "STRING":
                raise parser_error(self.current, "<STRING>")
            value = self.advance().value
            assert isinstance(value, str)
            return Condition(prop, "LIKE", [value])
        raise parser_error(token, '"=" | "<" | ">" | "<=" | ">=" | "in" | "like"')


def parse_query(text: str) -> ParsedQuery:
    return _Parser(text.strip()).parse()
