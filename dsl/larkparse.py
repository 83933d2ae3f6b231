"""Lark's LALR parser of the rule language (``grammar.lark``): the tree
builder and the words of a parse failure. Imported by ``parser.parse`` only
when an expression is not in the policy cache.

The parser is made once per process by ``lalr.parser()``: from the LALR
tables shipped with the package when they were generated from this grammar
(a few ms), else built from the grammar (about 40 ms). Lark's own on-disk
cache is not used: it is a pickle in the shared temporary folder, which any
local user could plant (docs/security.md). A typical clause parses in well
under a millisecond.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import cast

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    VisitError,
)
from lark.tree import Meta

from . import ast, lalr
from .errors import ParseError, Position
from .operators import BINARY_RULES
from .parser import _line


def _span(meta: Meta) -> ast.Span:
    if getattr(meta, "empty", True):
        return ast.NO_SPAN
    return ast.Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(tok: Token) -> ast.Span:
    # a token from the lexer has its place (Lark types it as possibly unset)
    return ast.Span(
        cast(int, tok.line),
        cast(int, tok.column),
        cast(int, tok.end_line),
        cast(int, tok.end_column),
    )


@v_args(meta=True, inline=True)
class _Builder(Transformer[Token, ast.Node]):
    """One method per grammar rule; binary operators come from the table."""

    def start(self, meta: Meta, expr: ast.Node) -> ast.Node:
        return expr

    def if_expr(self, meta: Meta, cond: ast.Node, then: ast.Node, else_: ast.Node) -> ast.Node:
        return ast.If(cond, then, else_, pos=_span(meta))

    def not_op(self, meta: Meta, operand: ast.Node) -> ast.Node:
        return ast.Unary("not", operand, pos=_span(meta))

    def neg(self, meta: Meta, operand: ast.Node) -> ast.Node:
        return ast.Unary("-", operand, pos=_span(meta))

    def attr(self, meta: Meta, obj: ast.Node, name: Token) -> ast.Node:
        return ast.Attr(obj, str(name), pos=_span(meta))

    def index(self, meta: Meta, obj: ast.Node, key: ast.Node) -> ast.Node:
        return ast.Index(obj, key, pos=_span(meta))

    def date(self, meta: Meta, tok: Token) -> ast.Node:
        try:
            value = _dt.date.fromisoformat(str(tok))
        except ValueError:
            raise ParseError(
                f"'{tok}' is not a real date", position=Position(None, tok.line, tok.column)
            ) from None
        return ast.Date(value, pos=_span(meta))

    def percent(self, meta: Meta, tok: Token) -> ast.Node:
        return ast.Number(Decimal(str(tok)[:-1]) / 100, percent=True, pos=_span(meta))

    def number(self, meta: Meta, tok: Token) -> ast.Node:
        return ast.Number(Decimal(str(tok)), pos=_span(meta))

    def string(self, meta: Meta, tok: Token) -> ast.Node:
        return ast.String(_unescape(str(tok)[1:-1]), pos=_span(meta))

    def true(self, meta: Meta) -> ast.Node:
        return ast.Bool(True, pos=_span(meta))

    def false(self, meta: Meta) -> ast.Node:
        return ast.Bool(False, pos=_span(meta))

    def list(self, meta: Meta, *items: ast.Node | None) -> ast.Node:
        return ast.ListLit(tuple(i for i in items if i is not None), pos=_span(meta))

    def call(self, meta: Meta, name: Token, *args: ast.Node | None) -> ast.Node:
        return ast.Call(str(name), tuple(a for a in args if a is not None), pos=_span(meta))

    def name(self, meta: Meta, tok: Token) -> ast.Node:
        return ast.Name(str(tok), pos=_span(meta))

    def lambda_(self, meta: Meta, param: Token, body: ast.Node) -> ast.Node:
        return ast.Lambda(str(param), body, pos=_span(meta))


def _binary(symbol: str) -> Callable[[_Builder, Meta, ast.Node, ast.Node], ast.Node]:
    def build(self: _Builder, meta: Meta, left: ast.Node, right: ast.Node) -> ast.Node:
        return ast.Binary(symbol, left, right, pos=_span(meta))

    return build


for _rule, (_sym, _prec, _assoc) in BINARY_RULES.items():
    setattr(_Builder, _rule, v_args(meta=True, inline=True)(_binary(_sym)))


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return lalr.parser()


_BUILDER = _Builder()


@lru_cache(maxsize=1)
def _terminal_words() -> dict[str, str]:
    """Terminal name → how an officer would call it."""
    named = {
        "NUMBER": "a number",
        "PERCENT": "a percentage",
        "STRING": 'a "string"',
        "DATE": "a date",
        "NAME": "a name",
        "$END": "the end of the expression",
    }
    words = {}
    for term in _parser().terminals:
        if term.name in named:
            words[term.name] = named[term.name]
        elif term.pattern.type == "str":
            words[term.name] = f"'{term.pattern.value}'"
    words.update({k: v for k, v in named.items() if k not in words})
    return words


_VALUE_START = {
    "NUMBER",
    "PERCENT",
    "STRING",
    "DATE",
    "NAME",
    "LPAR",
    "LSQB",
    "MINUS",
    "TRUE",
    "FALSE",
    "NOT",
    "IF",
}


def _describe_expected(expected: set[str]) -> str:
    words = _terminal_words()
    if {"NUMBER", "NAME"} <= expected:
        return "a value"
    names = sorted({words.get(t, t.lower()) for t in expected})
    if len(names) > 6:
        return "an operator or the end of the expression"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def tree_of(text: str, source: str | None) -> ast.Node:
    """The syntax tree of ``text`` (already checked for length and nesting),
    or ParseError in plain words."""
    try:
        return _BUILDER.transform(_parser().parse(text))
    except VisitError as exc:
        if isinstance(exc.orig_exc, ParseError):
            err = exc.orig_exc
            err.position = Position(source, err.position.line, err.position.column)
            err.snippet = _line(text, err.position.line)
            raise err from None
        raise
    except UnexpectedInput as exc:
        raise _friendly(exc, text, source) from None
    except LarkError as exc:  # pragma: no cover - any other Lark failure
        raise ParseError(
            f"cannot read the expression: {exc}", position=Position(source, 1, 1)
        ) from None
    except RecursionError:
        raise ParseError(
            "the expression nests too deeply", position=Position(source, 1, 1)
        ) from None


def _friendly(exc: UnexpectedInput, text: str, source: str | None) -> ParseError:
    line, col = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        at = cast(int, exc.pos_in_stream)  # where the character is (Lark types it optional)
        ch = text[at] if at < len(text) else ""
        if ch == '"':
            msg = "this string is not closed: add the closing '\"'"
        elif ch == "=":
            msg = "'=' alone is not an operator: write '==' to compare"
        else:
            msg = f"'{ch}' is not allowed here"
            if ch == "'":
                return ParseError(
                    msg + '; text is written in double quotes, e.g. "初级"',
                    position=Position(source, line, col),
                    snippet=_line(text, line),
                )
            if ch.isdigit() and not ch.isascii():
                # Decimal() would read it (1৪ as 14): an expression has ASCII digits only
                import unicodedata

                msg = (
                    f"'{ch}' is not one of the digits 0-9 (it is "
                    f"{unicodedata.name(ch, 'a digit of another script')}); "
                    "write numbers with the digits 0-9"
                )
            elif ch in "，（）“”：；":
                msg += ' (a full-width Chinese punctuation mark; use , ( ) " : instead)'
            else:
                expected = _expected_at(text, at)
                if expected is None:
                    expected = set(exc.allowed or ())
                msg += f"; expected {_describe_expected(expected)}"
        return ParseError(msg, position=Position(source, line, col), snippet=_line(text, line))
    expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or ())
    token = getattr(exc, "token", None)
    at_end = isinstance(exc, UnexpectedEOF) or (token is not None and token.type == "$END")
    prev = _previous_token(text, exc)
    if at_end:
        lines = text.rstrip().splitlines() or [""]  # the caret goes after the last word
        line = len(lines)
        col = len(lines[-1].rstrip()) + 1
        if expected & _VALUE_START or {"NUMBER", "NAME"} <= expected:
            msg = f"expected a value after '{prev}'" if prev else "expected a value"
        elif "RPAR" in expected:
            msg = "expected ')' to close the '('"
        elif "RSQB" in expected:
            msg = "expected ']' to close the '['"
        else:
            msg = f"the expression ends too early; expected {_describe_expected(expected)}"
        return ParseError(msg, position=Position(source, line, col), snippet=_line(text, line))
    shown = str(token) if token is not None else "?"
    if {"NUMBER", "NAME"} <= expected:
        msg = (
            f"expected a value after '{prev}', found '{shown}'"
            if prev
            else f"expected a value, found '{shown}'"
        )
    elif (token is not None and token.type in ("EQUAL", "LESSTHAN", "MORETHAN")) or shown in (
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
    ):
        msg = (
            f"'{shown}' cannot follow a comparison: comparisons do not chain; join them with 'and'"
        )
    else:
        msg = f"unexpected '{shown}'; expected {_describe_expected(expected)}"
    return ParseError(msg, position=Position(source, line, col), snippet=_line(text, line))


def _expected_at(text: str, pos: int) -> set[str] | None:
    """What the parser accepts after text[:pos] (the basic lexer's own
    ``allowed`` lists every terminal, so it cannot tell 'a value' from 'an
    operator')."""
    try:
        interactive = _parser().parse_interactive(text[:pos])
        interactive.exhaust_lexer()
        # Lark leaves accepts() unannotated
        return set(interactive.accepts())  # type: ignore[no-untyped-call]
    except LarkError:
        return None


def _previous_token(text: str, exc: UnexpectedInput) -> str | None:
    """The last token before the failure, as written (for 'after >=')."""
    pos = getattr(exc, "pos_in_stream", None)
    token = getattr(exc, "token", None)
    if token is not None and token.type != "$END" and getattr(token, "start_pos", None) is not None:
        pos = token.start_pos
    elif token is not None and token.type == "$END":
        pos = len(text)
    if pos is None:
        pos = len(text)
    head = text[:pos].rstrip()
    if not head:
        return None
    try:
        toks = list(_parser().lex(head))
    except LarkError:
        return head.split()[-1]
    if not toks:
        return None
    last = toks[-1]
    if len(toks) >= 2 and str(toks[-2]) == "not" and str(last) == "in":
        return "not in"
    return str(last)
