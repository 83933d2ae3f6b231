"""The abstract syntax tree: small frozen records (``dsl.records``).

Each node carries its span in the expression text (``pos``); the span takes no
part in equality, so ``parse(print(ast)) == ast`` compares structure only.
Operators are data (see ``dsl.operators``); the tree names them by symbol.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from decimal import Decimal

from .records import Record, field


class Span(Record, frozen=True):
    """1-based line/column of a node's first and last character (exclusive end)."""

    line: int
    column: int
    end_line: int
    end_column: int


NO_SPAN = Span(1, 1, 1, 1)


class Node(Record, frozen=True):
    pos: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()


class Number(Node, frozen=True):
    value: Decimal
    percent: bool = False  # written as 60% (value is then 0.6)


class String(Node, frozen=True):
    value: str


class Bool(Node, frozen=True):
    value: bool


class Date(Node, frozen=True):
    value: _dt.date


class ListLit(Node, frozen=True):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


class Name(Node, frozen=True):
    id: str


class Attr(Node, frozen=True):
    obj: Node
    name: str

    def children(self) -> tuple[Node, ...]:
        return (self.obj,)


class Index(Node, frozen=True):
    obj: Node
    key: Node

    def children(self) -> tuple[Node, ...]:
        return (self.obj, self.key)


class Lambda(Node, frozen=True):
    param: str
    body: Node

    def children(self) -> tuple[Node, ...]:
        return (self.body,)


class Call(Node, frozen=True):
    func: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


class Unary(Node, frozen=True):
    op: str  # "-" or "not"
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


class Binary(Node, frozen=True):
    op: str  # a symbol of dsl.operators.BINARY: "+", "==", "in", "and", ...
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


class If(Node, frozen=True):
    cond: Node
    then: Node
    else_: Node

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.else_)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


def path_of(node: Node) -> tuple[str, ...] | None:
    """``certificate.level`` → ("certificate", "level"); None if not a plain path."""
    parts = []
    while isinstance(node, Attr):
        parts.append(node.name)
        node = node.obj
    if isinstance(node, Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return None
