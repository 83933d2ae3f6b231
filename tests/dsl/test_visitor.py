"""One visitor for the syntax tree (dsl.visitor) and the helpers every room
asks its questions with: mentions a name, cannot fail, binds a variable."""

from __future__ import annotations

import inspect
import re

import pytest

from dsl import ast, parse
from dsl.checker import Checker
from dsl.codegen import _Gen
from dsl.compiler import Compiler
from dsl.printer import Printer
from dsl.visitor import Visitor, bound, cannot_fail, mentions, names_in, walk_through
from tests.helpers import ROOT

NODE_CLASSES = [
    c
    for c in vars(ast).values()
    if inspect.isclass(c) and issubclass(c, ast.Node) and c is not ast.Node
]


@pytest.mark.parametrize("visitor", [Checker, Compiler, _Gen, Printer], ids=lambda c: c.__name__)
def test_the_four_walks_of_the_tree_are_visitors_of_every_node(visitor):
    assert issubclass(visitor, Visitor)
    missing = [c.__name__ for c in NODE_CLASSES if not hasattr(visitor, "visit_" + c.__name__)]
    assert not missing, missing


def test_no_module_dispatches_on_node_class_names_of_its_own():
    """The dispatch by a node's class name is written once, in dsl/visitor.py."""
    pattern = re.compile(r"getattr\(self,\s*[\"'][a-z_]+[\"']\s*\+\s*type\(node\)")
    for path in (ROOT / "dsl").glob("*.py"):
        if path.name != "visitor.py":
            assert not pattern.search(path.read_text(encoding="utf-8")), path.name


class Count(Visitor[int]):
    def visit_Number(self, node: ast.Number) -> int:
        return 1

    def visit_Binary(self, node: ast.Binary) -> int:
        return self.visit(node.left) + self.visit(node.right)


class Leaves(Visitor[int]):
    def visit_Number(self, node: ast.Number) -> int:
        return 10

    def default_visit(self, node: ast.Node) -> int:
        return sum(self.visit(c) for c in node.children())


def test_dispatch_is_cached_per_visitor_class():
    tree = parse("1 + 2 + 3")
    assert Count().visit(tree) == 3
    assert Leaves().visit(tree) == 30  # its own methods, not Count's
    assert Count._dispatch == {ast.Number: Count.visit_Number, ast.Binary: Count.visit_Binary}
    assert Leaves._dispatch[ast.Binary] is Leaves.default_visit
    assert ast.Binary not in Visitor._dispatch


def test_a_node_without_a_method_is_refused_in_plain_words():
    with pytest.raises(TypeError, match="Count cannot visit"):
        Count().visit(parse("x"))


@pytest.mark.parametrize(
    "text, names",
    [
        ("a + b.c * a", ["a", "b"]),
        ("count(h, x -> x.d > as_of)", ["h", "x", "as_of"]),
        ("standards.t[lv] + 1", ["standards", "lv"]),
        ("1 + 2", []),
    ],
)
def test_names_in_and_mentions(text, names):
    tree = parse(text)
    assert names_in(tree) == names
    for n in names:
        assert mentions(tree, n)
    assert mentions(tree, set(names) | {"zz"}) == bool(names)
    assert not mentions(tree, "zz")
    assert not mentions(tree, [])


@pytest.mark.parametrize(
    "text, safe",
    [
        ("a + b * 2 >= year(as_of)", True),
        ("if present(a) then min(a, b) else months_between(d, as_of)", True),
        ("a / b", False),  # division by zero
        ("standards.t[lv]", False),  # a table with no such row
        ("ns[2]", False),  # a list too short
        ("any(h, x -> x.a > 1)", False),  # a condition over a list
        ("round(a)", False),  # a function that can fail
        ("a and (b or c)", True),
    ],
)
def test_cannot_fail(text, safe):
    assert cannot_fail(parse(text)) is safe


def test_bound_binds_for_the_block_and_restores_the_outer_binding():
    scope: dict[str, object] = {"y": 1}
    with bound(scope, "x", 2):
        assert scope == {"y": 1, "x": 2}
        with bound(scope, "x", 3):
            assert scope["x"] == 3
        assert scope["x"] == 2
    assert scope == {"y": 1}
    with pytest.raises(ZeroDivisionError), bound(scope, "y", 5):
        assert scope["y"] == 5
        raise ZeroDivisionError
    assert scope == {"y": 1}


def test_walk_through_enters_each_definition_once_where_it_is_used():
    definitions = {"x": parse("y + 1"), "y": parse("z * 2"), "z": parse("x + w")}
    tree = parse("x + y")
    nodes = list(walk_through(tree, definitions.get))
    names = [n.id for n in nodes if isinstance(n, ast.Name)]
    # x, then x's tree (y, then y's tree (z, then z's tree (x seen, w))), then y (seen)
    assert names == ["x", "y", "z", "x", "w", "y"]
    assert sum(isinstance(n, ast.Number) for n in nodes) == 2  # 1 and 2, once each
    seen: set[str] = set()
    assert len(list(walk_through(parse("z"), definitions.get, seen))) > 1
    assert seen == {"x", "y", "z"}
    # shared: a second tree does not enter them again
    assert list(walk_through(parse("x"), definitions.get, seen)) == [parse("x")]
