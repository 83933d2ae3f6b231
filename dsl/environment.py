"""The declarations an expression is checked and compiled against.

``Environment(facts=..., standards=..., catalogs=...)`` holds the declared
types; ``define`` adds shared named expressions. ``compile(text)`` parses,
checks and compiles once and returns an ``Expression`` to evaluate against any
number of cases (the cel-python shape: environment → compile → evaluate).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from . import ast
from . import types as T
from .checker import Checker, CheckResult, Diagnostic
from .compiler import Compiler, Context
from .errors import CheckError, ErrorList, Position
from .parser import parse
from .records import Record


def memoised(key: Hashable, fn: Callable[[Context], Any]) -> Callable[[Context], Any]:
    """fn(ctx), computed once per case (per Context)."""

    def cached(ctx: Context) -> Any:
        cache = ctx.cache
        try:
            return cache[key]
        except KeyError:
            value = cache[key] = fn(ctx)
            return value

    return cached


class Expression(Record):
    """A checked, compiled expression."""

    text: str
    node: ast.Node
    check: CheckResult
    fn: Callable[[Context], Any]

    def evaluate(self, ctx: Context) -> Any:
        return self.fn(ctx)

    @property
    def type(self) -> T.Type:
        return self.check.type


class Environment:
    def __init__(
        self,
        facts: dict[str, T.Type] | None = None,
        standards: dict[str, T.Type] | None = None,
        catalogs: dict[str, T.Type] | None = None,
    ):
        self.facts = dict(facts or {})
        self.standards = dict(standards or {})
        self.catalogs = dict(catalogs or {})
        self.standards_type = T.RecordType("standards", tuple(self.standards.items()))
        self.catalogs_type = T.RecordType("catalog", tuple(self.catalogs.items()))
        self.definitions: dict[str, ast.Node] = {}
        self._types: dict[str, T.Type] = {}
        self._compiled: dict[str, Callable[[Context], Any] | None] = {}
        self._in_progress: list[str] = []
        self.cycles: list[tuple[str, list[str]]] = []

    # -- shared definitions ---------------------------------------------------
    def define(self, name: str, node: ast.Node) -> None:
        self.definitions[name] = node

    def definition_type(self, name: str) -> T.Type:
        if name in self._types:
            return self._types[name]
        if name in self._in_progress:
            cycle = self._in_progress[self._in_progress.index(name) :] + [name]
            self.cycles.append((name, cycle))
            return T.ANY
        self._in_progress.append(name)
        try:
            result = Checker(self).check(self.definitions[name])
        finally:
            self._in_progress.pop()
        self._types[name] = result.type
        return result.type

    def compiled_definition(self, name: str) -> Callable[[Context], Any]:
        if name not in self._compiled:
            # a placeholder first, so a (checked-out) cycle cannot recurse here
            self._compiled[name] = None
            try:
                fn = Compiler(self).compile(self.definitions[name])
            except BaseException:
                # a definition with an error of its own: the same error again
                # next time, not "refers to itself"
                del self._compiled[name]
                raise
            self._compiled[name] = memoised(("def", name), fn)
        compiled = self._compiled[name]
        if compiled is None:
            raise CheckError(f"definition '{name}' refers to itself")
        return compiled

    # -- one expression -----------------------------------------------------------
    def check(self, node: ast.Node, local_types: dict[str, T.Type] | None = None) -> CheckResult:
        return Checker(self, local_types).check(node)

    def compile_node(
        self, node: ast.Node, local_defs: dict[str, Any] | None = None
    ) -> Callable[[Context], Any]:
        return Compiler(self, local_defs).compile(node)

    def compile(
        self,
        text: str,
        source: str | None = None,
        local_types: dict[str, T.Type] | None = None,
        local_defs: dict[str, Any] | None = None,
    ) -> Expression:
        """Parse, check and compile; raise every check error at once."""
        node = parse(text, source)
        result = self.check(node, local_types)
        if result.errors:
            raise ErrorList([diagnostic_error(d, text, source) for d in result.errors])
        return Expression(text, node, result, self.compile_node(node, local_defs))


def diagnostic_error(
    d: Diagnostic,
    text: str,
    source: str | None = None,
    locate: Callable[[int, int], tuple[int | None, int | None]] | None = None,
    context: str | None = None,
) -> CheckError:
    """A checker diagnostic as an error with a caret under the expression.

    ``locate(line, col)`` maps a position inside the expression to the file.
    """
    lines = text.splitlines() or [""]
    line, col = d.span.line, d.span.column
    snippet = lines[line - 1] if 1 <= line <= len(lines) else None
    if locate is not None:
        fline, fcol = locate(line, col)
        snippet_pos = Position(source, fline, fcol)
    else:
        snippet_pos = Position(source, line, col)
    err = CheckError(
        d.message,
        position=snippet_pos,
        context=context,
        snippet=snippet,
        hint=d.hint,
        caret_column=col,
    )
    err.severity = d.severity
    err.code = d.code
    return err
