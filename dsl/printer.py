"""AST → canonical text. ``parse(to_text(tree)) == tree`` for every tree.

Parentheses are added only where precedence requires them, numbers keep the
exact digits of their Decimal, percentages stay percentages.
"""

from __future__ import annotations

from decimal import Decimal

from . import ast
from .operators import BINARY, PREC_ATOM, PREC_IF, PREC_NOT, PREC_POSTFIX, PREC_UNARY
from .visitor import Visitor


def to_text(node: ast.Node) -> str:
    return _print(node)


def format_expression(text: str) -> str:
    """Canonical form of an expression's text (what `policy fmt` writes)."""
    from .parser import parse

    return to_text(parse(text))


def _prec(node: ast.Node) -> int:
    if isinstance(node, ast.If):
        return PREC_IF
    if isinstance(node, ast.Binary):
        return BINARY[node.op][0]
    if isinstance(node, ast.Unary):
        return PREC_NOT if node.op == "not" else PREC_UNARY
    if isinstance(node, (ast.Attr, ast.Index)):
        return PREC_POSTFIX
    if isinstance(node, ast.Lambda):
        return PREC_IF
    if isinstance(node, ast.Number) and node.value < 0:
        return PREC_UNARY
    return PREC_ATOM


def _wrap(node: ast.Node, min_prec: int) -> str:
    text = _print(node)
    return f"({text})" if _prec(node) < min_prec else text


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text


class Printer(Visitor[str]):
    """Each node's canonical text (dispatched by dsl.visitor.Visitor)."""

    def visit_Number(self, node: ast.Number) -> str:
        if node.percent:
            return _decimal((node.value * 100).normalize()) + "%" if node.value else "0%"
        return _decimal(node.value)

    def visit_String(self, node: ast.String) -> str:
        body = node.value.replace("\\", "\\\\").replace('"', '\\"')
        body = body.replace("\n", "\\n").replace("\t", "\\t")
        return f'"{body}"'

    def visit_Bool(self, node: ast.Bool) -> str:
        return "true" if node.value else "false"

    def visit_Date(self, node: ast.Date) -> str:
        return node.value.isoformat()

    def visit_ListLit(self, node: ast.ListLit) -> str:
        return "[" + ", ".join(self.visit(i) for i in node.items) + "]"

    def visit_Name(self, node: ast.Name) -> str:
        return node.id

    def visit_Attr(self, node: ast.Attr) -> str:
        return f"{_wrap(node.obj, PREC_POSTFIX)}.{node.name}"

    def visit_Index(self, node: ast.Index) -> str:
        return f"{_wrap(node.obj, PREC_POSTFIX)}[{self.visit(node.key)}]"

    def visit_Call(self, node: ast.Call) -> str:
        return f"{node.func}(" + ", ".join(self.visit(a) for a in node.args) + ")"

    def visit_Lambda(self, node: ast.Lambda) -> str:
        return f"{node.param} -> {self.visit(node.body)}"

    def visit_Unary(self, node: ast.Unary) -> str:
        if node.op == "not":
            return f"not {_wrap(node.operand, PREC_NOT)}"
        return f"-{_wrap(node.operand, PREC_UNARY)}"

    def visit_Binary(self, node: ast.Binary) -> str:
        prec, assoc = BINARY[node.op]
        # left-associative: a - (b - c) keeps its parentheses, (a - b) - c drops them;
        # non-associative comparisons need parentheses on both sides.
        left_min = prec if assoc == "left" else prec + 1
        right_min = prec + 1
        left, right = _wrap(node.left, left_min), _wrap(node.right, right_min)
        if node.op == "or":
            # `a and b or c` parses as intended, but reads ambiguously to a
            # person: the canonical form keeps the parentheses
            if isinstance(node.left, ast.Binary) and node.left.op == "and":
                left = f"({left})"
            if isinstance(node.right, ast.Binary) and node.right.op == "and":
                right = f"({right})"
        return f"{left} {node.op} {right}"

    def visit_If(self, node: ast.If) -> str:
        # the condition and the then-branch are delimited by keywords, but an
        # if inside the condition reads badly: parenthesise it.
        return (
            f"if {_wrap(node.cond, PREC_IF + 1)} then {self.visit(node.then)} "
            f"else {self.visit(node.else_)}"
        )

    def default_visit(self, node: ast.Node) -> str:
        raise TypeError(f"not an AST node: {node!r}")


_PRINTER = Printer()


def _print(node: ast.Node) -> str:
    if not isinstance(node, ast.Node):
        raise TypeError(f"not an AST node: {node!r}")
    return _PRINTER.visit(node)
