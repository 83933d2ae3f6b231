"""The two ways an expression is run, behind one interface.

``GENERATED`` (``dsl.codegen``) is what production runs: every decision of
the evaluator goes through it. ``CLOSURES`` (``dsl.compiler``) is the
reference interpreter, small enough to read against docs/language.md, and
still what one-off evaluations use (lint, catalogue checks, real-name checks,
the ledger's rules). They must mean the same thing: the conformance suite
(tests/dsl: the compliance files, the docs/language.md examples and the
property tests) runs over every backend in ``BACKENDS``.

A backend compiles a list of nodes (and a program's own ``let`` names, as
nodes) into one function of a ``Context`` returning the nodes' values, in
order, or raising ``EvaluationError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from . import ast
from .compiler import Compiler, Context
from .environment import Environment, memoised

Run = Callable[[Context], tuple[object, ...]]


@dataclass(frozen=True)
class Backend:
    name: str
    compile: Callable[[Environment, Sequence[ast.Node], Mapping[str, ast.Node] | None], Run]

    def __str__(self) -> str:
        return self.name


def _closures(
    env: Environment, nodes: Sequence[ast.Node], lets: Mapping[str, ast.Node] | None = None
) -> Run:
    local: dict[str, Callable[[Context], object]] = {}
    compiler = Compiler(env, local)
    # a let may read another: each is compiled on first use, and computed
    # once per case as the generated code does
    for name, node in (lets or {}).items():
        local[name] = _lazy(compiler, ("let", name), node)
    fns = [compiler.compile(n) for n in nodes]

    def run(ctx: Context) -> tuple[object, ...]:
        return tuple(f(ctx) for f in fns)

    return run


def _lazy(compiler: Compiler, key: tuple[str, str], node: ast.Node) -> Callable[[Context], object]:
    compiled: list[Callable[[Context], object]] = []

    def let(ctx: Context) -> object:
        if not compiled:
            compiled.append(memoised(key, compiler.compile(node)))
        return compiled[0](ctx)

    return let


def _generated(
    env: Environment, nodes: Sequence[ast.Node], lets: Mapping[str, ast.Node] | None = None
) -> Run:
    from .codegen import generate_function

    fn, _source = generate_function(env, list(nodes), dict(lets) if lets else None)

    def run(ctx: Context) -> tuple[object, ...]:
        return tuple(fn(ctx.facts, ctx.as_of, ctx.standards, ctx.catalogs, ctx.trace))

    return run


CLOSURES = Backend("closures", _closures)
GENERATED = Backend("generated", _generated)
BACKENDS: tuple[Backend, ...] = (GENERATED, CLOSURES)

__all__ = ["BACKENDS", "CLOSURES", "GENERATED", "Backend", "Run"]
