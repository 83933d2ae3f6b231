"""The abstract syntax tree: small frozen dataclasses.

Each node carries its span in the expression text (``pos``); the span takes no
part in equality, so ``parse(print(ast)) == ast`` compares structure only.
Operators are data (see ``dsl.operators``); the tree names them by symbol.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Span:
    """1-based line/column of a node's first and last character (exclusive end)."""

    line: int
    column: int
    end_line: int
    end_column: int


NO_SPAN = Span(1, 1, 1, 1)


@dataclass(frozen=True)
class Node:
    pos: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class Number(Node):
    value: Decimal
    percent: bool = False  # written as 60% (value is then 0.6)


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Date(Node):
    value: _dt.date


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Attr(Node):
    obj: Node
    name: str

    def children(self) -> tuple[Node, ...]:
        return (self.obj,)


@dataclass(frozen=True)
class Index(Node):
    obj: Node
    key: Node

    def children(self) -> tuple[Node, ...]:
        return (self.obj, self.key)


@dataclass(frozen=True)
class Lambda(Node):
    param: str
    body: Node

    def children(self) -> tuple[Node, ...]:
        return (self.body,)


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Binary(Node):
    op: str  # a symbol of dsl.operators.BINARY: "+", "==", "in", "and", ...
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class If(Node):
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
