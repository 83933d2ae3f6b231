"""One way to walk the syntax tree: a visitor with cached dispatch, and the
questions several rooms ask of a tree.

``Visitor`` (as jmespath's) calls ``visit_<NodeClass>`` for a node; the
method is looked up once per visitor class and node class, then read from a
dict. The checker, the closures, the generated code and the printer are all
visitors.

The helpers answer, each in one place, what used to be asked by a loop of
its own in each room:

- ``mentions(node, names)``: does the tree read one of these names;
- ``names_in(node)``: the names it reads, in the order of the text;
- ``walk_through(node, resolve)``: its nodes and those of the definitions
  (and lets) it uses, each definition once;
- ``cannot_fail(node)``: can computing it never stop with an evaluation
  error (no division, no table or list lookup, no condition over a list,
  only the functions of ``SAFE_FUNCTIONS``);
- ``bound(scope, name, value)``: a lambda's variable bound in a scope for
  the time of its body, the outer binding (if any) restored after.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, MutableMapping
from contextlib import contextmanager
from typing import ClassVar, Generic, TypeVar

from . import ast

R = TypeVar("R")
V = TypeVar("V")


class Visitor(Generic[R]):
    """``visit(node)`` calls ``self.visit_<type(node).__name__>(node)``, or
    ``default_visit`` where there is no such method."""

    _dispatch: ClassVar[dict[type, Callable[..., object]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._dispatch = {}  # each visitor class its own: methods differ

    def visit(self, node: ast.Node) -> R:
        kind = node.__class__
        method = self._dispatch.get(kind)
        if method is None:
            method = getattr(type(self), "visit_" + kind.__name__, None)
            if method is None:
                method = type(self).default_visit
            self._dispatch[kind] = method
        return method(self, node)  # type: ignore[return-value]

    def default_visit(self, node: ast.Node) -> R:
        raise TypeError(f"{type(self).__name__} cannot visit {node!r}")


def names_in(node: ast.Node) -> list[str]:
    """Every name the tree reads (a fact, a definition, a variable, as_of,
    standards, catalog), once each, in the order of the text."""
    return list(dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name)))


def mentions(node: ast.Node, names: str | Collection[str]) -> bool:
    """Whether the tree reads ``names`` (one name, or any of several)."""
    wanted = {names} if isinstance(names, str) else names
    return any(isinstance(n, ast.Name) and n.id in wanted for n in ast.walk(node))


def walk_through(
    node: ast.Node,
    resolve: Callable[[str], ast.Node | None],
    seen: set[str] | None = None,
) -> Iterator[ast.Node]:
    """Every node of the tree, parents first, and after each name that
    ``resolve`` gives a tree for (a definition, a let), that tree's nodes in
    the same way: each name entered once (``seen``, which a caller may share
    across several trees)."""
    seen = set() if seen is None else seen
    for n in ast.walk(node):
        yield n
        if isinstance(n, ast.Name) and n.id not in seen:
            tree = resolve(n.id)
            if tree is not None:
                seen.add(n.id)
                yield from walk_through(tree, resolve, seen)


# the functions that give a value (or unknown, or none) for any arguments of
# their types: no error to raise, so they may be computed early
SAFE_FUNCTIONS = frozenset(
    {"year", "month", "min", "max", "present", "known", "days_between", "months_between"}
)


def cannot_fail(node: ast.Node) -> bool:
    """Whether computing the tree can never raise an evaluation error: it
    divides nothing, looks nothing up in a table or a list, holds no
    condition over a list, and calls only functions of ``SAFE_FUNCTIONS``.
    Names are taken as values: a definition's own tree is asked separately."""
    for n in ast.walk(node):
        if isinstance(n, (ast.Index, ast.Lambda)):
            return False
        if isinstance(n, ast.Call) and n.func not in SAFE_FUNCTIONS:
            return False
        if isinstance(n, ast.Binary) and n.op == "/":
            return False
    return True


_UNBOUND = object()


@contextmanager
def bound(scope: MutableMapping[str, V], name: str, value: V) -> Iterator[None]:
    """``scope[name] = value`` while the block runs (a lambda's body), then
    the name as it was: unbound, or bound by an enclosing lambda."""
    saved = scope.get(name, _UNBOUND)
    scope[name] = value
    try:
        yield
    finally:
        if saved is _UNBOUND:
            del scope[name]
        else:
            scope[name] = saved  # type: ignore[assignment]


__all__ = [
    "SAFE_FUNCTIONS",
    "Visitor",
    "bound",
    "cannot_fail",
    "mentions",
    "names_in",
    "walk_through",
]
