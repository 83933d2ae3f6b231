"""Text → AST, and parse failures in plain words.

The checks that need no grammar (length, nesting, dates written another way)
are here; the grammar itself — Lark's LALR parser and the words of its
failures — is in ``larkparse``, imported only when an expression is parsed:
a warm start takes every tree from the policy cache and never loads Lark.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import ast
from .dates import iso_form
from .errors import ParseError, Position

GRAMMAR = Path(__file__).with_name("grammar.lark")

MAX_LENGTH = 4000  # characters in one expression
MAX_DEPTH = 60  # nesting of the syntax tree


def parse(text: str, source: str | None = None) -> ast.Node:
    """Parse one expression, or raise ParseError with a caret-ready position."""
    if not isinstance(text, str):
        raise ParseError("an expression must be text", position=Position(source))
    if len(text) > MAX_LENGTH:
        raise ParseError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
            position=Position(source, 1, 1),
        )
    if not text.strip():
        raise ParseError("the expression is empty", position=Position(source, 1, 1))
    depth = _bracket_depth(text)
    if depth > MAX_DEPTH:
        raise ParseError(
            f"the expression nests {depth} levels deep; the limit is {MAX_DEPTH}",
            position=Position(source, 1, 1),
        )
    _refuse_loose_dates(text, source)
    # Lark is imported here, not with this module: a warm start takes every
    # tree from the policy cache and never needs it
    from .larkparse import tree_of

    tree = tree_of(text, source)
    if _tree_depth(tree) > MAX_DEPTH:
        raise ParseError(
            f"the expression nests more than {MAX_DEPTH} levels deep",
            position=Position(source, 1, 1),
        )
    return tree


def _bracket_depth(text: str) -> int:
    depth = best = 0
    in_string = escaped = False
    for ch in text:
        if in_string:  # brackets inside "..." do not nest anything
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch in '"\n':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "([":
            depth += 1
            best = max(best, depth)
        elif ch in ")]":
            depth -= 1
    return best


# 2021/7/1, 2021-7-1, 2021.7.1 written without spaces: a date written another
# way, which would otherwise be read as arithmetic (2021 / 7 / 1 is 288.71…)
_LOOSE_DATE = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|(?<![\w.])[0-9]{4}([/.-])[0-9]{1,2}\1[0-9]{1,2}'
    r"(?![\w.%])"
)


def _refuse_loose_dates(text: str, source: str | None) -> None:
    for m in _LOOSE_DATE.finditer(text):
        if m.group().startswith('"'):
            continue  # inside a string: text, not a date
        word = m.group()
        fixed = iso_form(word)
        if fixed is None or fixed == word:
            continue
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        raise ParseError(
            f"'{word}' is not a real date of the form YYYY-MM-DD",
            hint=f"write {fixed}",
            position=Position(source, line, col),
            snippet=_line(text, line),
        )


def _tree_depth(node: ast.Node) -> int:
    best, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        if d > MAX_DEPTH:
            return d
        stack.extend((c, d + 1) for c in n.children())
    return best


def _line(text: str, line: int | None) -> str | None:
    if line is None:
        return None
    lines = text.splitlines() or [""]
    return lines[line - 1] if 1 <= line <= len(lines) else None
