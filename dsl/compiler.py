"""AST → Python closures, built once per expression and run for every case.

Officer text never reaches eval/exec: each node becomes a small closure over
its children's closures. Names are resolved at compile time (a fact path, a
standard, a definition, a lambda variable), so evaluation does no lookups by
name. Unknown values propagate; ``and``/``or`` follow three-valued logic and
short-circuit. Tracing is a field of the context: when it is None (the
default) the only cost is one attribute test on standard lookups.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from . import ast
from .errors import EvaluationError
from .functions import FUNCTIONS, TAKES_NONE
from .indexing import candidates, equality_probes
from .values import NONE, Unknown, merge
from .visitor import Visitor, bound

if TYPE_CHECKING:
    from .environment import Environment


class Context:
    """Everything one evaluation reads: the case's facts and the policy's
    values in force on the decision date."""

    __slots__ = ("as_of", "cache", "catalogs", "facts", "standards", "trace", "vars")

    def __init__(
        self,
        facts: dict[str, Any],
        as_of: Any = None,
        standards: dict[str, Any] | None = None,
        catalogs: dict[str, Any] | None = None,
        trace: list[tuple[Any, ...]] | None = None,
    ) -> None:
        self.facts = facts
        self.as_of = as_of if as_of is not None else Unknown({"as_of"})
        self.standards = standards or {}
        self.catalogs = catalogs or {}
        self.trace = trace  # None: record nothing
        self.vars: dict[str, Any] = {}  # lambda variables
        self.cache: dict[Any, Any] = {}  # definitions already computed for this case


_MISSING = object()


def _unknown_path(label: str) -> Unknown:
    return Unknown((label,))


# a compiled expression: its value for a case
Fn = Callable[[Context], Any]


class Compiler(Visitor[Fn]):
    """Compiles expressions of one environment.

    ``definitions``: name → callable(ctx) for shared definitions and let names
    (the environment supplies them, already compiled and memoised per case).
    """

    def __init__(self, env: Environment, local_defs: dict[str, Fn] | None = None) -> None:
        self.env = env
        self.local_defs = local_defs or {}
        self.vars: dict[str, str] = {}  # lambda variable → label for missing facts

    def compile(self, node: ast.Node) -> Fn:
        """The closure computing ``node`` (dispatched by dsl.visitor.Visitor)."""
        return self.visit(node)

    # -- literals -------------------------------------------------------------------
    def visit_Number(self, node: ast.Number) -> Fn:
        value = node.value
        return lambda ctx: value

    visit_String = visit_Bool = visit_Date = visit_Number

    def visit_ListLit(self, node: ast.ListLit) -> Fn:
        items = [self.compile(i) for i in node.items]

        def list_(ctx: Context) -> Any:
            return [f(ctx) for f in items]

        return list_

    # -- names ------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> Fn:
        name = node.id
        if name in self.vars:
            return lambda ctx: ctx.vars[name]
        if name in self.local_defs:
            return self.local_defs[name]
        if name in self.env.definitions:
            return self.env.compiled_definition(name)
        if name in self.env.facts:
            return self._fact_path((name,))
        if name == "as_of":
            return lambda ctx: ctx.as_of
        if name == "standards":
            return lambda ctx: ctx.standards
        if name == "catalog":
            return lambda ctx: ctx.catalogs
        raise EvaluationError(f"unknown name '{name}' (the policy was not checked)")

    def _fact_path(self, path: tuple[str, ...]) -> Fn:
        label = ".".join(path)
        if len(path) == 1:
            (a,) = path

            def fact1(ctx: Context) -> Any:
                v = ctx.facts.get(a)
                return Unknown((label,)) if v is None else v

            return fact1
        if len(path) == 2:
            a, b = path

            def fact2(ctx: Context) -> Any:
                v = ctx.facts.get(a)
                if type(v) is not dict:
                    return Unknown((label,))
                v = v.get(b)
                return Unknown((label,)) if v is None else v

            return fact2

        def factn(ctx: Context) -> Any:
            v: Any = ctx.facts
            for p in path:
                if type(v) is not dict:
                    return Unknown((label,))
                v = v.get(p)
                if v is None:
                    return Unknown((label,))
            return v

        return factn

    def visit_Attr(self, node: ast.Attr) -> Fn:
        path = ast.path_of(node)
        if path is not None:
            root = path[0]
            if root in self.vars:
                return self._var_path(path)
            if (
                root not in self.local_defs
                and root not in self.env.definitions
                and root in self.env.facts
            ):
                return self._fact_path(path)
            if root == "standards" and len(path) == 2:
                return self._standard(path[1])
            if root == "catalog" and len(path) == 2:
                cid = path[1]
                return lambda ctx: ctx.catalogs.get(cid, Unknown((f"catalog.{cid}",)))
        obj = self.compile(node.obj)
        name = node.name

        def attr(ctx: Context) -> Any:
            v = obj(ctx)
            if type(v) is Unknown:
                return v
            got = v.get(name) if type(v) is dict else None
            return Unknown((name,)) if got is None else got

        return attr

    def _var_path(self, path: tuple[str, ...]) -> Fn:
        var, rest = path[0], path[1:]
        label = self.vars[var] + "." + ".".join(rest)

        def var_path(ctx: Context) -> Any:
            v = ctx.vars[var]
            for p in rest:
                if type(v) is not dict:
                    return Unknown((label,))
                v = v.get(p)
                if v is None:
                    return Unknown((label,))
            return v

        return var_path

    def _standard(self, sid: str) -> Fn:
        def standard(ctx: Context) -> Any:
            v = ctx.standards.get(sid, _MISSING)
            if v is _MISSING:
                return Unknown((f"standards.{sid}",))
            if ctx.trace is not None and type(v) is not dict:
                ctx.trace.append(("standard", sid, None, v))
            return v

        return standard

    def visit_Index(self, node: ast.Index) -> Fn:
        obj = self.compile(node.obj)
        key = self.compile(node.key)
        path = ast.path_of(node.obj)
        sid = path[1] if path and path[0] == "standards" and len(path) == 2 else None

        def index(ctx: Context) -> Any:
            table = obj(ctx)
            k = key(ctx)
            if type(table) is Unknown or type(k) is Unknown:
                return merge(table, k)
            if type(table) is dict:
                if k not in table:
                    what = f"standard '{sid}'" if sid else "the table"
                    raise EvaluationError(f'{what} has no value for "{k}" on {ctx.as_of}')
                v = table[k]
                if sid is not None and ctx.trace is not None:
                    ctx.trace.append(("standard", sid, k, v))
                return v
            try:
                if k != k.to_integral_value() or k < 0:
                    raise IndexError
                return table[int(k)]
            except (IndexError, ValueError, TypeError):
                raise EvaluationError(f"no item {k} in a list of {len(table)}") from None

        return index

    # -- operators ----------------------------------------------------------------------
    def visit_Unary(self, node: ast.Unary) -> Fn:
        f = self.compile(node.operand)
        if node.op == "not":

            def not_(ctx: Context) -> Any:
                v = f(ctx)
                return v if type(v) is Unknown else not v

            return not_

        def neg(ctx: Context) -> Any:
            v = f(ctx)
            return v if type(v) is Unknown else -v

        return neg

    def visit_Binary(self, node: ast.Binary) -> Fn:
        op = node.op
        left = self.compile(node.left)
        right = self.compile(node.right)
        if op == "and":

            def and_(ctx: Context) -> Any:
                a = left(ctx)
                if a is False:
                    return False
                b = right(ctx)
                if b is False:
                    return False
                if a is True and b is True:
                    return True
                return merge(a, b)

            return and_
        if op == "or":

            def or_(ctx: Context) -> Any:
                a = left(ctx)
                if a is True:
                    return True
                b = right(ctx)
                if b is True:
                    return True
                if a is False and b is False:
                    return False
                return merge(a, b)

            return or_
        if op in ("in", "not in"):
            negate = op == "not in"

            def member(ctx: Context) -> Any:
                a = left(ctx)
                b = right(ctx)
                if type(a) is Unknown or type(b) is Unknown:
                    return merge(a, b)
                found = a in b
                if not found and type(b) is list:
                    unknown = [x for x in b if type(x) is Unknown]
                    if unknown:
                        return merge(*unknown)
                return (not found) if negate else found

            return member
        fn = _BINARY_IMPL[op]
        if op == "/":

            def div(ctx: Context) -> Any:
                a = left(ctx)
                b = right(ctx)
                if type(a) is Unknown or type(b) is Unknown:
                    return merge(a, b)
                if a is NONE or b is NONE:
                    return NONE
                if not b:
                    raise EvaluationError("division by zero")
                return a / b

            return div

        def binary(ctx: Context) -> Any:
            a = left(ctx)
            b = right(ctx)
            if type(a) is Unknown or type(b) is Unknown:
                return merge(a, b)
            return fn(a, b)

        if op in ("==", "!="):

            def compare(ctx: Context) -> Any:
                a = left(ctx)
                b = right(ctx)
                if type(a) is Unknown or type(b) is Unknown:
                    return merge(a, b)
                if type(a) is list or type(b) is list:
                    # a list literal may hold an unknown item: then so is the answer
                    pending = [
                        x
                        for side in (a, b)
                        if type(side) is list
                        for x in side
                        if type(x) is Unknown
                    ]
                    if pending:
                        return merge(*pending)
                return fn(a, b)

            return compare
        return binary

    def visit_If(self, node: ast.If) -> Fn:
        cond = self.compile(node.cond)
        then = self.compile(node.then)
        else_ = self.compile(node.else_)

        def if_(ctx: Context) -> Any:
            c = cond(ctx)
            if c is True:
                return then(ctx)
            if c is False:
                return else_(ctx)
            return c

        return if_

    def visit_Lambda(self, node: ast.Lambda) -> Fn:  # only reached through a function call
        raise EvaluationError("'x -> ...' outside count/sum/any/all")

    # -- functions ------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> Fn:
        fn = FUNCTIONS[node.func]
        if fn.reads_presence:
            inner = self.compile(node.args[0])
            return lambda ctx: type(inner(ctx)) is not Unknown
        if fn.lambda_arg is not None:
            return self._higher_order(node)
        args = [self.compile(a) for a in node.args]
        impl = cast("Callable[..., Any]", fn.impl)  # every function but the list forms has one
        name = fn.name
        if len(args) == 1:
            (a0,) = args

            def call1(ctx: Context) -> Any:
                v = a0(ctx)
                if type(v) is Unknown:
                    return v
                return _guard(name, impl, v)

            return call1

        def call(ctx: Context) -> Any:
            values = [a(ctx) for a in args]
            for v in values:
                if type(v) is Unknown:
                    return merge(*values)
            return _guard(name, impl, *values)

        return call

    def _higher_order(self, node: ast.Call) -> Fn:
        name = node.func
        items_f = self.compile(node.args[0])
        if len(node.args) == 1:  # count(list)

            def count_all(ctx: Context) -> Any:
                items = items_f(ctx)
                return items if type(items) is Unknown else Decimal(len(items))

            return count_all
        lam = cast(ast.Lambda, node.args[1])  # the checker saw to it
        path = ast.path_of(node.args[0])
        label = (".".join(path) if path else "item") + "[]"
        with bound(self.vars, lam.param, label):
            body = self.compile(lam.body)
        param = lam.param
        probes = equality_probes(lam) if name in ("any", "count") else []
        if probes and path and path[0] == "catalog":
            # the same catalogue for every case: look candidates up (dsl.indexing)
            fields = tuple(f for f, _k in probes)
            key_fns = [self.compile(k) for _f, k in probes]  # outer variables allowed
            all_items = items_f

            def items_f(ctx: Context) -> Any:
                return candidates(all_items(ctx), fields, tuple(k(ctx) for k in key_fns))

        # (the list when it is unknown, else None; the body's value for each item)
        def run(ctx: Context) -> tuple[Unknown | None, Any]:
            items = items_f(ctx)
            if type(items) is Unknown:
                return items, None
            saved_var = ctx.vars.get(param, _MISSING)
            try:
                out = []
                for item in items:
                    ctx.vars[param] = item
                    out.append(body(ctx))
            finally:
                if saved_var is _MISSING:
                    ctx.vars.pop(param, None)
                else:
                    ctx.vars[param] = saved_var
            return None, out

        def each(ctx: Context, items: Iterable[Any]) -> Iterator[Any]:
            """Yield the condition's value for each item, the variable bound."""
            saved_var = ctx.vars.get(param, _MISSING)
            try:
                for item in items:
                    ctx.vars[param] = item
                    yield body(ctx)
            finally:
                if saved_var is _MISSING:
                    ctx.vars.pop(param, None)
                else:
                    ctx.vars[param] = saved_var

        if name in ("any", "all"):
            decisive = name == "any"  # the first item giving this decides
            neutral = not decisive

            def quantified(ctx: Context) -> Any:
                items = items_f(ctx)
                if type(items) is Unknown:
                    return items
                pending = []
                for v in each(ctx, items):
                    if v is decisive:
                        return decisive
                    if v is not neutral:
                        pending.append(v)
                return merge(*pending) if pending else neutral

            return quantified
        if name == "count":

            def count(ctx: Context) -> Any:
                unknown, out = run(ctx)
                if unknown is not None:
                    return unknown
                pending = [v for v in out if type(v) is Unknown]
                if pending:
                    return merge(*pending)
                return Decimal(sum(1 for v in out if v is True))

            return count
        if name == "sum":

            def sum_(ctx: Context) -> Any:
                unknown, out = run(ctx)
                if unknown is not None:
                    return unknown
                pending = [v for v in out if type(v) is Unknown]
                if pending:
                    return merge(*pending)
                return sum(out, Decimal(0))

            return sum_
        raise EvaluationError(f"function '{name}' has no list form")


def _guard(name: str, impl: Callable[..., Any], *values: Any) -> Any:
    for v in values:
        if v is NONE and name not in TAKES_NONE:
            return NONE  # a function of a fact stated none is none
    try:
        return impl(*values)
    except EvaluationError:
        raise
    except (
        ArithmeticError,
        InvalidOperation,
        DivisionByZero,
        ValueError,
        TypeError,
        OverflowError,
    ) as exc:
        raise EvaluationError(
            f"{name}: cannot compute with "
            + ", ".join(str(v) for v in values)
            + f" ({type(exc).__name__})"
        ) from None


_BINARY_IMPL = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

__all__ = ["Compiler", "Context"]
