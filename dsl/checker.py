"""Static checking: every unknown name, type mismatch, wrong arity and enum
typo in an expression, all reported at once.

The checker infers a type for every node from the declarations in an
``Environment`` and records what the expression reads (facts, standards,
catalogues, definitions) so explanations and lint can use it later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import ast
from . import types as T
from .functions import FUNCTIONS
from .operators import ARITHMETIC, EQUALITY, LOGICAL, MEMBERSHIP, ORDERING
from .records import Record, field
from .visitor import Visitor, bound

if TYPE_CHECKING:
    from .environment import Environment


class Diagnostic(Record, frozen=True):
    severity: str  # "error" or "warning"
    message: str
    span: ast.Span
    hint: str | None = None
    code: str = "type"  # a short stable code for tools: name, type, arity, enum, ...


class CheckResult(Record):
    type: T.Type
    diagnostics: list[Diagnostic] = field(default_factory=list)
    facts: set[str] = field(default_factory=set)  # dotted fact paths read
    standards: set[str] = field(default_factory=set)
    catalogs: set[str] = field(default_factory=set)
    definitions: set[str] = field(default_factory=set)  # definitions and let names used
    # (enum name, value) used (Type.name is None for an enum of literals)
    enum_literals: set[tuple[str | None, str]] = field(default_factory=set)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def _suggest(name: str, options: Iterable[str]) -> str | None:
    import difflib  # only for a mistake's hint: a start-up does not pay for it

    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else None


class Checker(Visitor[T.Type]):
    """Type-checks one expression against an environment.

    ``local_types`` are the program's own ``let`` names; ``definition_type``
    is asked for the type of a shared definition (the environment caches it
    and detects cycles).
    """

    def __init__(self, env: Environment, local_types: dict[str, T.Type] | None = None) -> None:
        self.env = env
        self.locals = local_types or {}
        self.result = CheckResult(T.ANY)
        self.vars: dict[str, tuple[T.Type, str]] = {}

    # -- reporting --------------------------------------------------------
    def error(
        self, node: ast.Node, message: str, hint: str | None = None, code: str = "type"
    ) -> T.Type:
        self.result.diagnostics.append(Diagnostic("error", message, node.pos, hint, code))
        return T.ANY

    def warning(
        self, node: ast.Node, message: str, hint: str | None = None, code: str = "type"
    ) -> None:
        self.result.diagnostics.append(Diagnostic("warning", message, node.pos, hint, code))

    def check(self, node: ast.Node) -> CheckResult:
        self.result.type = self.visit(node)
        # in the order of the text, not of discovery (an operator's own
        # complaint comes after its operands' ones otherwise)
        self.result.diagnostics.sort(key=lambda d: (d.span.line, d.span.column))
        return self.result

    # -- the nodes (dispatched by dsl.visitor.Visitor) --------------------------
    def visit_Number(self, node: ast.Number) -> T.Type:
        return T.NUMBER

    def visit_String(self, node: ast.String) -> T.Type:
        return T.literal_enum(node.value)

    def visit_Bool(self, node: ast.Bool) -> T.Type:
        return T.BOOLEAN

    def visit_Date(self, node: ast.Date) -> T.Type:
        return T.DATE

    def visit_ListLit(self, node: ast.ListLit) -> T.Type:
        item: T.Type = T.ANY
        for child in node.items:
            t = self.visit(child)
            u = T.unify(item, t)
            if u is None:
                self.error(child, f"a list holds values of one kind: {t} does not mix with {item}")
            else:
                item = u
        return T.ListType("list", item)

    def visit_Lambda(self, node: ast.Lambda) -> T.Type:
        return self.error(
            node, "'x -> ...' is only allowed as an argument of count, sum, any or all"
        )

    # -- names and paths --------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> T.Type:
        name = node.id
        if name in self.vars:
            return self.vars[name][0]
        if name in self.locals:
            self.result.definitions.add(name)
            return self.locals[name]
        if name in self.env.definitions:
            self.result.definitions.add(name)
            return self.env.definition_type(name)
        if name in self.env.facts:
            self.result.facts.add(name)
            return self.env.facts[name]
        if name == "standards":
            return self.env.standards_type
        if name == "catalog":
            return self.env.catalogs_type
        if name == "as_of":
            return T.DATE
        options = (
            list(self.vars)
            + list(self.locals)
            + list(self.env.definitions)
            + list(self.env.facts)
            + ["standards", "catalog", "as_of"]
        )
        return self.error(node, f"unknown name '{name}'", _suggest(name, options), code="name")

    def visit_Attr(self, node: ast.Attr) -> T.Type:
        path = ast.path_of(node)
        base = self.visit(node.obj)
        if base == T.ANY:
            return T.ANY
        if isinstance(base, T.RecordType):
            t = base.field(node.name)
            if t is None:
                what = {"standards": "standard", "catalog": "catalogue"}.get(
                    base.name or "", "field"
                )
                owner = ".".join(path[:-1]) if path else str(base)
                return self.error(
                    node,
                    f"unknown {what} '{node.name}' of {owner}",
                    _suggest(node.name, base.field_names())
                    or "known: " + ", ".join(base.field_names()[:12]),
                    code="name",
                )
            if path and path[0] == "standards" and len(path) == 2:
                self.result.standards.add(path[1])
            elif path and path[0] == "catalog" and len(path) == 2:
                self.result.catalogs.add(path[1])
            elif path and path[0] in self.vars:
                self.result.facts.add(self.vars[path[0]][1] + "." + ".".join(path[1:]))
            elif path and path[0] in self.env.facts and path[0] not in self.locals:
                self.result.facts.discard(".".join(path[:-1]))
                self.result.facts.add(".".join(path))
            return t
        return self.error(
            node, f"'.{node.name}' cannot be read from {base}; only a record has fields"
        )

    def visit_Index(self, node: ast.Index) -> T.Type:
        base = self.visit(node.obj)
        key = self.visit(node.key)
        if base == T.ANY:
            return T.ANY
        if isinstance(base, T.TableType):
            if base.key is None:
                return self.error(
                    node, "this standard is a single value, not a table: remove the [ ... ]"
                )
            if key != T.ANY and not T.is_stringlike(key):
                return self.error(
                    node.key, f"a table of standards is looked up by {base.key}, not by {key}"
                )
            if isinstance(key, T.EnumType):
                missing = key.values - base.key.values
                if missing:
                    shown = ", ".join(f'"{m}"' for m in sorted(missing))
                    if isinstance(node.key, ast.String):
                        self.error(
                            node.key,
                            f'the table has no row "{node.key.value}"',
                            _suggest(node.key.value, base.key.values)
                            or "rows: " + ", ".join(sorted(base.key.values)),
                            code="enum",
                        )
                    else:
                        self.result.diagnostics.append(
                            Diagnostic(
                                "note",
                                f"the table has no row for {shown}: a case with that "
                                "value stops with an error unless a clause excludes it",
                                node.key.pos,
                                None,
                                "table-key",
                            )
                        )
                self._record_literals(key, base.key)
            return base.value
        if isinstance(base, T.ListType):
            if not T.is_numeric(key):
                return self.error(node.key, f"a list is indexed by a number, not {key}")
            return base.item
        return self.error(node, f"{base} cannot be indexed with [ ... ]")

    # -- operators --------------------------------------------------------------
    def visit_Unary(self, node: ast.Unary) -> T.Type:
        t = self.visit(node.operand)
        if node.op == "not":
            if t not in (T.BOOLEAN, T.ANY):
                return self.error(node.operand, f"'not' needs true or false, found {t}")
            return T.BOOLEAN
        if not T.is_numeric(t):
            return self.error(node.operand, f"'-' needs a number, found {t}")
        return t

    def visit_Binary(self, node: ast.Binary) -> T.Type:
        op = node.op
        left = self.visit(node.left)
        right = self.visit(node.right)
        if op in LOGICAL:
            for side, t in ((node.left, left), (node.right, right)):
                if t not in (T.BOOLEAN, T.ANY):
                    self.error(side, f"'{op}' joins conditions (true or false), found {t}")
            return T.BOOLEAN
        if op in ARITHMETIC:
            return self._arithmetic(node, op, left, right)
        if op in ORDERING:
            if left == T.ANY or right == T.ANY:
                return T.BOOLEAN
            if (T.is_numeric(left) and T.is_numeric(right)) or (left == right == T.DATE):
                return T.BOOLEAN

            # point at the side that is neither a number nor a date
            def orderable(t: T.Type) -> bool:
                return T.is_numeric(t) or t == T.DATE

            culprit = (
                node.right
                if orderable(left) and not orderable(right)
                else node.left
                if orderable(right) and not orderable(left)
                else node
            )
            return self.error(
                culprit, f"'{op}' compares two numbers or two dates, not {left} and {right}"
            )
        if op in EQUALITY:
            if not T.compatible(left, right):
                return self.error(
                    node, f"'{op}' compares values of the same kind, not {left} and {right}"
                )
            self._enum_literal(node.left, left, node.right, right)
            self._enum_literal(node.right, right, node.left, left)
            return T.BOOLEAN
        if op in MEMBERSHIP:
            return self._membership(node, left, right)
        raise AssertionError(op)  # the grammar has no other operator

    def _arithmetic(self, node: ast.Binary, op: str, left: T.Type, right: T.Type) -> T.Type:
        if left == T.ANY or right == T.ANY:
            return (
                T.ANY
                if not (left in T.NUMERIC or right in T.NUMERIC)
                else (T.MONEY if T.MONEY in (left, right) else T.NUMBER)
            )
        for side, t in ((node.left, left), (node.right, right)):
            if not T.is_numeric(t):
                return self.error(
                    side,
                    f"'{op}' needs numbers, found {t}",
                    "text (a level, a name) is not a number" if T.is_stringlike(t) else None,
                )
        if op == "*":
            if left == T.MONEY and right == T.MONEY:
                return self.error(node, "two amounts of money cannot be multiplied")
            return T.MONEY if T.MONEY in (left, right) else T.NUMBER
        if op == "/":
            if left == T.MONEY and right == T.MONEY:
                return T.NUMBER
            if right == T.MONEY:
                return self.error(node, "a number cannot be divided by an amount of money")
            return left
        return T.MONEY if T.MONEY in (left, right) else T.NUMBER

    def _membership(self, node: ast.Binary, left: T.Type, right: T.Type) -> T.Type:
        op = node.op
        if right == T.ANY:
            return T.BOOLEAN
        if isinstance(right, T.ListType):
            item = right.item
        elif isinstance(right, T.TableType) and right.key is not None:
            item = right.key
        elif isinstance(right, T.SetType):
            item = right.item
        else:
            return self.error(
                node.right,
                f"'{op}' needs a list, a catalogue or a table on its right, found {right}",
            )
        if not T.compatible(left, item):
            return self.error(node, f"'{op}': {left} cannot be among {item} values")
        if isinstance(left, T.EnumType) and left.name and isinstance(node.right, ast.ListLit):
            for child in node.right.items:
                if isinstance(child, ast.String):
                    self._check_literal(child, left)
        elif isinstance(item, T.EnumType) and item.name and isinstance(node.left, ast.String):
            self._check_literal(node.left, item)
        return T.BOOLEAN

    def _enum_literal(
        self, lit_node: ast.Node, lit_type: T.Type, other_node: ast.Node, other_type: T.Type
    ) -> None:
        if (
            isinstance(lit_node, ast.String)
            and isinstance(other_type, T.EnumType)
            and other_type.name
        ):
            self._check_literal(lit_node, other_type)

    def _check_literal(self, lit: ast.String, enum: T.EnumType) -> None:
        if lit.value not in enum.values:
            self.error(
                lit,
                f'"{lit.value}" is not a value of {enum}',
                _suggest(lit.value, enum.values) or "values: " + ", ".join(sorted(enum.values)),
                code="enum",
            )
        else:
            self.result.enum_literals.add((enum.name, lit.value))

    def _record_literals(self, key: T.EnumType, enum: T.EnumType) -> None:
        for v in key.values & enum.values:
            self.result.enum_literals.add((enum.name, v))

    def visit_If(self, node: ast.If) -> T.Type:
        cond = self.visit(node.cond)
        if cond not in (T.BOOLEAN, T.ANY):
            self.error(node.cond, f"the condition after 'if' must be true or false, found {cond}")
        a = self.visit(node.then)
        b = self.visit(node.else_)
        u = T.unify(a, b)
        if u is None:
            return self.error(
                node,
                f"both branches must give the same kind of value: "
                f"{a} after 'then', {b} after 'else'",
            )
        return u

    # -- functions ----------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> T.Type:
        fn = FUNCTIONS.get(node.func)
        if fn is None:
            for a in node.args:
                if not isinstance(a, ast.Lambda):
                    self.visit(a)
            return self.error(
                node,
                f"unknown function '{node.func}'",
                _suggest(node.func, FUNCTIONS) or "functions: " + ", ".join(sorted(FUNCTIONS)),
                code="name",
            )
        n = len(node.args)
        if n < fn.min_args or (fn.max_args is not None and n > fn.max_args):
            if fn.max_args is None:
                want = f"at least {fn.min_args}"
            elif fn.min_args == fn.max_args:
                want = str(fn.min_args)
            else:
                want = f"{fn.min_args} to {fn.max_args}"
            for a in node.args:  # report what is wrong inside the arguments too
                if not isinstance(a, ast.Lambda):
                    self.visit(a)
            return self.error(
                node,
                f"{fn.name} takes {want} argument(s), given {n}",
                f"use {fn.signature}",
                code="arity",
            )
        if fn.reads_presence:
            arg = node.args[0]
            path = ast.path_of(arg)
            if path is None or path[0] in ("standards", "catalog", "as_of"):
                return self.error(
                    arg,
                    "present(...) asks about a fact of the case, such as present(certificate.date)",
                )
            self.visit(arg)
            return T.BOOLEAN
        types: list[T.Type] = []
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Lambda):
                if i != fn.lambda_arg:
                    types.append(self.error(arg, f"{fn.name} takes no 'x -> ...' here"))
                    continue
                types.append(self._lambda(arg, types[0] if types else T.ANY, node.args[0]))
            elif i == fn.lambda_arg:
                types.append(
                    self.error(
                        arg,
                        f"the argument {i + 1} of {fn.name} is a condition written 'x -> ...'",
                        f"use {fn.signature}",
                    )
                )
            else:
                types.append(self.visit(arg))
        errors: list[tuple[int, str]] = []
        if fn.literal is not None and len(node.args) > fn.literal[0]:
            i, problem_of = fn.literal
            arg = node.args[i]
            if not isinstance(arg, ast.String):
                errors.append((i, "write it here as quoted text"))
            else:
                problem = problem_of(arg.value)
                if problem is not None:
                    errors.append((i, problem))
        result = fn.type_rule(types, lambda i, msg: errors.append((i, msg)))
        for i, msg in errors:
            self.error(node.args[i], f"{fn.name}: {msg}", f"use {fn.signature}")
        return T.ANY if errors else result

    def _lambda(self, lam: ast.Lambda, list_type: T.Type, list_node: ast.Node) -> T.Type:
        item = list_type.item if isinstance(list_type, T.ListType) else T.ANY
        path = ast.path_of(list_node)
        label = (".".join(path) if path else "item") + "[]"
        with bound(self.vars, lam.param, (item, label)):
            body = self.visit(lam.body)
        return T.FunctionType("function", lam.param, item, body)
