"""AST → Python source → one function per program: the evaluation path.

The evaluator runs every decision through code generated here, with
explanations too (the standards and facts read are traced into ``T`` when it
is a list). Each node is computed on a line of its own, so an evaluation
error is located from the traceback (``failed_node``). The source is
generated *from the AST only*: names are resolved at compile time to fact
paths, standards, catalogues, lambda variables or inlined definitions, and
every string and number of the officer's text is a module-level constant
(``_k0``, ``_k1``, ...), never source text. It is compiled once with
``compile``.

What makes it fast, each for a reason measured in ``benchmarks/``:

- facts are looked up once, before the clauses; definitions used once are
  written in place, cheap and safe ones computed once, others remembered per
  case;
- a program's function computes its clauses and, only when all hold, its
  amount (``gate``), sharing the facts and definitions;
- ``any(catalog.X, x -> x.f == key and ...)`` looks the keys up in an index
  (``dsl.indexing.Site``); the common cases (one matching item, a result
  remembered for conditions that read only the item and the keys, set
  membership in a catalogue list) are tested in place, without a call;
- three-valued logic tests a side for unknown only when it may be unknown,
  and calls ``merge`` only when both sides are.

Unknown values follow the same three-valued logic as the reference closures
(``dsl.compiler``); both are backends of ``dsl.backends``, and the
conformance suite of tests/dsl (compliance files, docs/language.md examples,
property tests) runs over both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, MutableMapping
from decimal import Decimal
from types import CodeType
from typing import TYPE_CHECKING, Any, cast

from . import ast
from . import types as T
from .errors import EvaluationError, PolicyError
from .functions import FUNCTIONS, TAKES_NONE
from .indexing import Probe, Site, equality_probes, split_condition
from .runtime import _DATE_PARTS, NAMESPACE, Members
from .values import Unknown
from .visitor import SAFE_FUNCTIONS, Visitor, bound, cannot_fail, mentions, names_in

if TYPE_CHECKING:
    from .environment import Environment

FAILED = object()  # in place of a node computed after the decision whose evaluation failed
_Literal = ast.Number | ast.String | ast.Bool | ast.Date

MAX_INLINE_DEPTH = 64  # above the loader's limit on definitions nesting (interpreter.sizes)
# the longest code written twice (Kleene and/or): nested duplicates stay bounded
_DUPLICATE_LIMIT = 600
# the longest code of a definition written again at each use; a longer one is
# one local function, called where it is used: the generated code grows with
# the policy, never with how often a definition is used (a chain of
# definitions each using the one before twice once doubled it at every link)
_REPEAT_LIMIT = 600


class _Gen(Visitor[str]):
    def __init__(
        self,
        env: Environment,
        local_nodes: dict[str, ast.Node] | None = None,
        uses: dict[str, int] | None = None,
    ) -> None:
        self.env = env
        # how often each definition is expanded (a first pass counts): one
        # used once, outside any x -> ..., is inlined as it is, without a memo
        self.uses = uses
        self.counted: dict[str, int] = {}
        self.in_lambda = 0
        # lambda variable (python name) -> its items come from the case or
        # the catalogues (data: never an unknown inside a list)
        self.data_items: dict[str, bool] = {}
        self.toplevel: list[str] = []  # module-level code (lambdas made once)
        self.key_subst: dict[int, str] = {}  # id(key node) -> its value, in a made-once lambda
        self.local_nodes = local_nodes or {}
        self.consts: list[Any] = []
        self.const_index: dict[tuple[type, Any], str] = {}
        self.tmp = 0
        self.vars: dict[str, tuple[str, str]] = {}  # lambda param → (python name, label)
        self.inlining: list[str] = []
        # each fact of the case is looked up once, at the top of the function
        self.hoisted: dict[tuple[Any, ...], tuple[str, str]] = {}
        self.in_index_target = False
        self.uses_memo = False
        # each definition's code, generated once (it does not depend on where
        # it is used: a definition sees no lambda variable of its caller)
        self.def_code: dict[str, str] = {}
        self.def_safe: dict[str, bool] = {}
        self.def_scalar: dict[str, bool] = {}

    # -- helpers -----------------------------------------------------------------------
    def const(self, value: Any) -> str:
        """A Python value as a name in the generated module's constants."""
        key = (type(value), value) if _hashable(value) else None
        if key is not None and key in self.const_index:
            return self.const_index[key]
        # a module-level name: one LOAD_GLOBAL where K[i] would take three
        name = f"_k{len(self.consts)}"
        self.consts.append(value)
        if key is not None:
            self.const_index[key] = name
        return name

    def fresh(self) -> str:
        self.tmp += 1
        return f"t{self.tmp}"

    def gen(self, node: ast.Node) -> str:
        if self.key_subst and id(node) in self.key_subst:
            return self.key_subst[id(node)]
        if self.vars and isinstance(node, ast.Call) and _invariant_call(node, self.vars):
            # inside x -> ..., a call that does not depend on x (year(as_of)) is
            # computed once per case, not once per item; only calls that cannot
            # fail are moved, so an empty list still raises nothing
            key = ("call", node)
            if key not in self.hoisted:
                saved, self.vars = self.vars, {}
                try:
                    code = self.visit_Call(node)
                finally:
                    self.vars = saved
                self.hoisted[key] = (f"i{len(self.hoisted)}", code)
            return self.hoisted[key][0]
        return self.visit(node)

    # -- literals ------------------------------------------------------------------------
    def visit_Number(self, node: ast.Number) -> str:
        return self.const(node.value)

    def visit_String(self, node: ast.String) -> str:
        return self.const(node.value)

    def visit_Bool(self, node: ast.Bool) -> str:
        return "True" if node.value else "False"

    def visit_Date(self, node: ast.Date) -> str:
        return self.const(node.value)

    def visit_ListLit(self, node: ast.ListLit) -> str:
        # a list value is a Python list, as in the closures: a tuple would be
        # unequal to the same items in a list of the case (``ns == [1, 2]``)
        if _constant_list(node):
            # a fresh copy of one constant: no caller can change the policy's list
            return f"[*{self._constant_items(node)}]"
        return "[" + ", ".join(self.gen(i) for i in node.items) + "]"

    def _constant_items(self, node: ast.ListLit) -> str:
        """The items of a list of literals, as one tuple constant (read only:
        the right side of ``in``)."""
        # literals only (_constant_list)
        return self.const(tuple(cast(_Literal, i).value for i in node.items))

    # -- names -----------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> str:
        name = node.id
        if name in self.vars:
            return self.vars[name][0]
        if name in self.local_nodes:
            return self.inline(name, self.local_nodes[name])
        if name in self.env.definitions:
            return self.inline(name, self.env.definitions[name])
        if name in self.env.facts:
            return self.fact_path((name,))
        if name == "as_of":
            return "as_of"
        if name == "standards":
            return "S"
        if name == "catalog":
            return "C"
        raise EvaluationError(f"unknown name '{name}'")

    def inline(self, name: str, node: ast.Node) -> str:
        code = self.def_code.get(name)
        if code is None:
            if name in self.inlining:
                raise EvaluationError(f"definition '{name}' refers to itself")
            if len(self.inlining) > MAX_INLINE_DEPTH:
                raise EvaluationError(
                    f"definitions nest more than {MAX_INLINE_DEPTH} deep at '{name}'"
                )
            self.inlining.append(name)
            saved, saved_subst = self.vars, self.key_subst
            # a definition does not see the caller's lambda variables
            self.vars, self.key_subst = {}, {}
            try:
                code = self.gen(node)
            finally:
                self.vars, self.key_subst = saved, saved_subst
                self.inlining.pop()
            self.def_code[name] = code
        if isinstance(node, (ast.Number, ast.String, ast.Bool, ast.Date, ast.Name, ast.Attr)):
            return "(" + code + ")"
        # a definition met inside x -> ... would run once per item: count it twice
        self.counted[name] = self.counted.get(name, 0) + (2 if self.in_lambda else 1)
        if self.uses is not None and self.uses.get(name, 2) < 2:
            return "(" + code + ")"  # used once: in place, as lazily as written
        if self._safe(node, name=name):
            # cheap and cannot fail: computed once, before the clauses
            key = ("def", name)
            if key not in self.hoisted:
                self.hoisted[key] = (f"d{len(self.hoisted)}", code)
            return self.hoisted[key][0]
        # computed once per case however often it is used (inside a condition
        # over a list it would otherwise be computed for every item), and only
        # when first needed, so nothing is evaluated that the rule would not
        memo = self.const(name)
        self.uses_memo = True
        if len(code) > _REPEAT_LIMIT:
            # long: written once, as a local function, not again at each use
            fn = ("def", name, "fn")
            if fn not in self.hoisted:
                self.hoisted[fn] = (f"D{len(self.hoisted)}", f"lambda: {code}")
            code = self.hoisted[fn][0] + "()"
        return f"(M[{memo}] if {memo} in M else M.setdefault({memo}, {code}))"

    def _safe(self, node: ast.Node, depth: int = 0, name: str | None = None) -> bool:
        """Whether a definition is cheap and can neither fail nor read a
        standard (an explanation lists the standards read): facts, literals,
        conditions, comparisons and the functions that cannot fail. Judged
        once per definition (``name``), not again at every use."""
        if name is not None:
            got = self.def_safe.get(name)
            if got is None:
                got = self.def_safe[name] = self._safe(node, depth)
            return got
        if depth > 20 or not cannot_fail(node):
            return False
        for name in names_in(node):
            if name in ("standards", "catalog") and self._plain_name(name):
                return False
            d = self.local_nodes.get(name) or self.env.definitions.get(name)
            if d is not None and not self._safe(d, depth + 1, name=name):
                return False
        return True

    def fact_path(
        self, path: tuple[str, ...], base: str = "facts", label: str | None = None
    ) -> str:
        if base == "facts":
            # keyed by kind first: a fact named record, call or def is a fact
            key = ("fact", path)
            if key not in self.hoisted:
                name = f"f{len(self.hoisted)}"
                self.hoisted[key] = (name, self._lookup(path, base, label))
            return self.hoisted[key][0]
        return self._lookup(path, base, label)

    def _lookup(self, path: tuple[str, ...], base: str, label: str | None) -> str:
        missing = self.const(Unknown((label or ".".join(path),)))
        if len(path) > 3:
            return f"_path({base}, {self.const(path)}, {missing})"
        # inline dict lookups: the common case costs no function call
        expr = base
        if base == "facts" and len(path) > 1:
            # a record of the case (training, certificate...) is fetched once
            root = ("record", path[0])
            if root not in self.hoisted:
                # anything but an object counts as an empty one: its fields are missing
                t = self.fresh()
                self.hoisted[root] = (
                    f"r{len(self.hoisted)}",
                    (
                        f"({t} if ({t} := facts.get({self.const(path[0])}))"
                        f".__class__ is dict else _NOREC)"
                    ),
                )
            expr, path = self.hoisted[root][0], path[1:]
            base = "record"
        for i, p in enumerate(path):
            t = self.fresh()
            if i == 0 and base in ("facts", "record"):
                expr = f"{expr}.get({self.const(p)})"  # the case and its records are dicts
            else:
                # the condition of `x if c else y` runs first: it does the assignment
                expr = f"({t}.get({self.const(p)}) if ({t} := {expr}).__class__ is dict else None)"
        v = self.fresh()
        return f"({missing} if ({v} := {expr}) is None else {v})"

    def visit_Attr(self, node: ast.Attr) -> str:
        path = ast.path_of(node)
        if path is not None:
            root = path[0]
            if root in self.vars:
                var, label = self.vars[root]
                return self.fact_path(path[1:], base=var, label=label + "." + ".".join(path[1:]))
            if (
                root not in self.local_nodes
                and root not in self.env.definitions
                and root in self.env.facts
            ):
                return self.fact_path(path)
            if root == "standards" and len(path) == 2:
                missing = self.const(Unknown((f"standards.{path[1]}",)))
                sid = self.const(path[1])
                if self.in_index_target:
                    return f"S.get({sid}, {missing})"  # the lookup itself is traced
                # traced only when asked: one test of T when it is not
                return f"(S.get({sid}, {missing}) if T is None else _std(S, {sid}, {missing}, T))"
            if root == "catalog" and len(path) == 2:
                missing = self.const(Unknown((f"catalog.{path[1]}",)))
                return f"C.get({self.const(path[1])}, {missing})"
        obj = self.gen(node.obj)
        return f"_attr({obj}, {self.const(node.name)})"

    def visit_Index(self, node: ast.Index) -> str:
        path = ast.path_of(node.obj)
        sid = path[1] if path and path[0] == "standards" and len(path) == 2 else None
        self.in_index_target = sid is not None
        try:
            obj = self.gen(node.obj)
        finally:
            self.in_index_target = False
        return f"_index({obj}, {self.gen(node.key)}, {self.const(sid)}, as_of, T)"

    # -- operators ------------------------------------------------------------------------
    def visit_Unary(self, node: ast.Unary) -> str:
        t = self.fresh()
        inner = self.gen(node.operand)
        if node.op == "not":
            return f"({t} if ({t} := {inner}).__class__ is U else not {t})"
        return f"({t} if ({t} := {inner}).__class__ is U else -{t})"

    def _hold(self, code: str) -> tuple[str, str]:
        """(name, code that evaluates and names it): a local name (a fact
        looked up before the clauses, an item) is used as it is."""
        if code.isidentifier():
            return code, code
        t = self.fresh()
        return t, f"({t} := {code})"

    @staticmethod
    def _unknown(a: str, b: str) -> str:
        """The unknown of two values of which one at least is unknown: the
        unknown one, or both merged (a call only when both are)."""
        return f"({a} if {b}.__class__ is not U else {b} if {a}.__class__ is not U else _merge({a}, {b}))"

    def visit_Binary(self, node: ast.Binary) -> str:
        op = node.op
        if op in ("and", "or"):
            # Kleene: false and x = false, true or x = true; true and x = x,
            # false or x = x; otherwise unknown, naming what both sides miss
            stop, neutral = ("False", "True") if op == "and" else ("True", "False")
            left, right = self.gen(node.left), self.gen(node.right)
            a, hold_a = self._hold(left)
            b = self.fresh()
            if len(right) <= _DUPLICATE_LIMIT:
                # the right side is written twice (for a neutral and for an
                # unknown left side): the commonest path tests the left once
                return (
                    f"({right} if {hold_a} is {neutral} else {stop} if {a} is {stop} else "
                    f"({stop} if ({b} := {right}) is {stop} else "
                    f"({a} if {b} is {neutral} else _merge({a}, {b}))))"
                )
            return (
                f"({stop} if {hold_a} is {stop} else "
                f"({stop} if ({b} := {right}) is {stop} else "
                f"({b} if {a} is {neutral} else {a} if {b} is {neutral} else _merge({a}, {b}))))"
            )
        left, right = self.gen(node.left), self.gen(node.right)
        if op in ("in", "not in"):
            test = "in" if op == "in" else "not in"
            if isinstance(node.right, ast.ListLit) and _constant_list(node.right):
                # the items as they are, no copy: membership only reads them
                t, hold = self._hold(left)
                items = self._constant_items(node.right)
                return f"({t} if {hold}.__class__ is U else {t} {test} {items})"
            path = ast.path_of(node.right)
            t, hold_t = self._hold(left)
            u, hold_u = self._hold(right)
            either = f"({hold_t}.__class__ is U) | ({hold_u}.__class__ is U)"
            if path and path[0] == "catalog" and len(path) == 2 and self._is_catalog_root():
                # a catalogue list is the same for every case and holds no
                # unknown: membership is a set lookup (built once per list)
                site = self.const(Members())
                fn = "has" if op == "in" else "lacks"
                if self._scalar(node.left):
                    s = site
                    return (
                        f"({self._unknown(t, u)} if {either} else "
                        f"({t} {test} {s}.members if {u} is {s}.items else {s}.{fn}({t}, {u})))"
                    )
                return f"({self._unknown(t, u)} if {either} else {site}.{fn}({t}, {u}))"
            if self._data_list(node.right):
                # a list of the case or of a catalogue item holds no unknown
                return f"({self._unknown(t, u)} if {either} else {t} {test} {u})"
            fn = "_in" if op == "in" else "_not_in"
            return f"{fn}({left}, {right})"
        if op in ("==", "!=") and any(
            isinstance(n, ast.ListLit) and not _constant_list(n) for n in (node.left, node.right)
        ):
            # a list literal may hold an unknown item: the comparison is then unknown
            return f"{'_eq' if op == '==' else '_ne'}({left}, {right})"
        pyop = {
            "==": "==",
            "!=": "!=",
            "<": "<",
            "<=": "<=",
            ">": ">",
            ">=": ">=",
            "+": "+",
            "-": "-",
            "*": "*",
        }.get(op)
        # a literal side is used as it is; a side that may be unknown is held
        # in a temporary and tested
        checks = []
        sides = []
        for node_side, text in ((node.left, left), (node.right, right)):
            if _never_unknown(node_side):
                sides.append(text)
            else:
                t, hold = self._hold(text)
                checks.append(f"({hold}.__class__ is U)")
                sides.append(t)
        a, b = sides
        expr = f"_div({a}, {b})" if op == "/" else f"{a} {pyop} {b}"
        if not checks:
            return f"({expr})"
        if len(checks) == 1:
            # the other side is a literal: the unknown is this side's
            u = a if _never_unknown(node.right) else b
            return f"({u} if {checks[0]} else {expr})"
        return f"({self._unknown(a, b)} if {checks[0]} | {checks[1]} else {expr})"

    def _data_list(self, node: ast.Node) -> bool:
        """Whether a list value is data (a fact of the case, a catalogue, a field
        of their items), whose items are never unknown; a list literal or a
        definition may hold unknowns."""
        path = ast.path_of(node)
        if not path:
            return False
        root = path[0]
        if root in self.vars:
            return self.data_items.get(self.vars[root][0], False)
        if root in self.local_nodes or root in self.env.definitions:
            return False
        return root in self.env.facts or (root == "catalog" and self._is_catalog_root())

    def _is_catalog_root(self) -> bool:
        return (
            "catalog" not in self.vars
            and "catalog" not in self.local_nodes
            and "catalog" not in self.env.definitions
            and "catalog" not in self.env.facts
        )

    def visit_If(self, node: ast.If) -> str:
        c = self.fresh()
        cond, then, else_ = self.gen(node.cond), self.gen(node.then), self.gen(node.else_)
        return f"({then} if ({c} := {cond}) is True else ({else_} if {c} is False else {c}))"

    def visit_Lambda(self, node: ast.Lambda) -> str:
        raise EvaluationError("'x -> ...' outside count/sum/any/all")

    # -- functions ------------------------------------------------------------------------
    def _in_lambda(
        self,
        lam: ast.Lambda,
        var: str,
        label: str,
        node: ast.Node,
        subst: dict[int, str] | None = None,
    ) -> str:
        """The code of ``node`` inside ``lam``, its parameter bound to ``var``;
        ``subst``: id(node) -> code for the values passed in (made-once lambdas)."""
        saved_subst = self.key_subst
        self.in_lambda += 1
        if subst is not None:
            self.key_subst = subst
        try:
            with bound(self.vars, lam.param, (var, label)):
                return self.gen(node)
        finally:
            self.key_subst = saved_subst
            self.in_lambda -= 1

    def _catalog_any(
        self,
        lam: ast.Lambda,
        items: str,
        var: str,
        label: str,
        probes: list[Probe],
        rest: list[ast.Node],
    ) -> str:
        """any() over a catalogue: the index gives the items whose fields equal
        the keys; for them only the other conjuncts are checked.

        When the condition reads, besides the item, nothing but facts of the
        case (and the decision date), its lambdas are made once at module level
        (the keys passed as kk, those facts as ex); when it reads the item and
        the keys only, its result depends on the keys alone and is remembered
        per site."""
        fields = tuple(f for f, _k in probes)
        site = self.const(Site(fields))
        keys = "(" + "".join(self.gen(k) + ", " for _f, k in probes) + ")"
        cond = None
        if rest:
            cond = rest[0]
            for r in rest[1:]:
                cond = ast.Binary("and", cond, r)
        free = self._free_values(lam, {id(k) for _f, k in probes})
        if free is None:
            rest_code = (
                "None"
                if cond is None
                else f"lambda {var}: {self._in_lambda(lam, var, label, cond)}"
            )
            body = self._in_lambda(lam, var, label, lam.body)
            return f"{site}.any({items}, {keys}, {rest_code}, lambda {var}: {body}, _any_of)"
        values = list(dict.fromkeys(free.values()))  # distinct, in order
        subst = {i: f"ex[{values.index(n)}]" for i, n in free.items()}
        subst.update({id(k): f"kk[{i}]" for i, (_f, k) in enumerate(probes)})
        ex = "(" + "".join(self.gen(n) + ", " for n in values) + ")"
        n = len(self.toplevel)
        rest_code = (
            "None"
            if cond is None
            else f"lambda {var}, kk, ex: {self._in_lambda(lam, var, label, cond, subst)}"
        )
        full = self._in_lambda(lam, var, label, lam.body, subst)
        self.toplevel.append(f"_R{n} = {rest_code}\n_F{n} = lambda {var}, kk, ex: {full}\n")
        if not all(self._scalar(k) for _f, k in probes):
            if values:
                return f"{site}.any_ex({items}, {keys}, {ex}, _R{n}, _F{n}, _any_of)"
            return f"{site}.any_memo({items}, {keys}, _R{n}, _F{n}, _any_of)"
        # keys of plain values (hashable): the common case is tested in place,
        # the site's method called only for the others
        s = site
        it, k = self.fresh(), self.fresh()
        if values:
            # exactly one item has the keys: the condition is the other conjuncts on it
            found = "True" if cond is None else self._in_lambda(lam, var, label, cond)
            return (
                f"({found} if (({it} := {items}) is {s}.items) & "
                f"(({var} := {s}.one.get({k} := {keys})) is not None) "
                f"else {s}.any_ex({it}, {k}, {ex}, _R{n}, _F{n}, _any_of))"
            )
        m = self.fresh()
        return (
            f"({m} if (({it} := {items}) is {s}.items) & "
            f"(({m} := {s}.memo.get({k} := {keys})) is not None) "
            f"else {s}.any_memo({it}, {k}, _R{n}, _F{n}, _any_of))"
        )

    def _scalar(self, node: ast.Node, depth: int = 0) -> bool:
        """Whether a value is a plain one (text, number, date, boolean or
        unknown: hashable), judged from the tree and the declared fact types."""
        if isinstance(node, (ast.Number, ast.String, ast.Bool, ast.Date)):
            return True
        if depth > 20:
            return False
        if isinstance(node, ast.If):
            return self._scalar(node.then, depth + 1) and self._scalar(node.else_, depth + 1)
        if isinstance(node, ast.Name) and node.id not in self.vars:
            d = self.local_nodes.get(node.id) or self.env.definitions.get(node.id)
            if d is not None:
                got = self.def_scalar.get(node.id)  # judged once per definition
                if got is None:
                    got = self.def_scalar[node.id] = self._scalar(d, depth + 1)
                return got
        path = ast.path_of(node)
        if not path or not self._plain_name(path[0]) or path[0] not in self.env.facts:
            return False
        typ: T.Type | None = self.env.facts[path[0]]
        for name in path[1:]:
            typ = typ.field(name) if isinstance(typ, T.RecordType) else None
            if typ is None:
                return False
        return isinstance(typ, T.EnumType) or typ in (
            T.STRING,
            T.NUMBER,
            T.MONEY,
            T.BOOLEAN,
            T.DATE,
        )

    def _free_values(self, lam: ast.Lambda, keys: set[int]) -> dict[int, ast.Node] | None:
        """id(node) -> node for the largest parts of the condition that do not
        mention its item (the probes' keys left out): None unless each is a
        fact of the case, a field of an enclosing item, or the decision date
        (cheap, and never an error when computed before the items are seen)."""
        out: dict[int, ast.Node] = {}

        def visit(n: ast.Node) -> bool:
            if id(n) in keys or isinstance(n, (ast.Number, ast.String, ast.Bool, ast.Date)):
                return True
            if not mentions(n, lam.param):
                if isinstance(n, ast.Name) and n.id == "as_of" and self._plain_name("as_of"):
                    out[id(n)] = n
                    return True
                p = ast.path_of(n)
                if p and (p[0] in self.vars or (self._plain_name(p[0]) and p[0] in self.env.facts)):
                    out[id(n)] = n
                    return True
                return False
            if isinstance(n, ast.Lambda):
                return False
            return all(visit(c) for c in n.children())

        return out if visit(lam.body) else None

    def _plain_name(self, name: str) -> bool:
        """Not shadowed by a lambda variable or a definition."""
        return (
            name not in self.vars
            and name not in self.local_nodes
            and name not in self.env.definitions
        )

    def visit_Call(self, node: ast.Call) -> str:
        fn = FUNCTIONS[node.func]
        if fn.reads_presence:
            t = self.fresh()
            return f"(({t} := {self.gen(node.args[0])}).__class__ is not U)"
        if fn.lambda_arg is not None:
            items = self.gen(node.args[0])
            if len(node.args) == 1:
                return f"_count_all({items})"
            lam = cast(ast.Lambda, node.args[1])  # the checker saw to it
            path = ast.path_of(node.args[0])
            label = (".".join(path) if path else "item") + "[]"
            var = f"v{len(self.vars)}_{self.fresh()}"
            self.data_items[var] = self._data_list(node.args[0])
            on_catalog = path is not None and path[0] == "catalog" and self._is_catalog_root()
            probes, rest = split_condition(lam) if node.func == "any" else ([], [])
            if probes and on_catalog:
                return self._catalog_any(lam, items, var, label, probes, rest)
            body = self._in_lambda(lam, var, label, lam.body)
            probes = equality_probes(lam) if node.func == "count" else []
            if probes and on_catalog:
                # a catalogue is the same for every case: look the matching
                # items up by the equalities of the condition instead of scanning
                fields = tuple(f for f, _k in probes)
                keys = "(" + "".join(self.gen(k) + ", " for _f, k in probes) + ")"
                return (
                    f"_{node.func}_of(_candidates({items}, {self.const(fields)}, {keys}), "
                    f"lambda {var}: {body})"
                )
            t = self.fresh()
            # an empty list (a case with no history) needs no call
            empty = {"any": "False", "all": "True"}.get(node.func) or self.const(Decimal(0))
            return (
                f"({t} if ({t} := {items}).__class__ is U else "
                f"_{node.func}_of({t}, lambda {var}: {body}) if {t} else {empty})"
            )
        if len(node.args) == 1:
            t = self.fresh()
            if fn.true_when_known:
                # known(): true for any value it is given (a stated none too:
                # it takes none), unknown for an unknown one; no call
                return f"({t} if ({t} := {self.gen(node.args[0])}).__class__ is U else True)"
            guard = f"_guard({self.const(fn.name)}, {self.const(fn.impl)}, {t})"
            if fn.name in _DATE_PARTS:
                # the commonest calls over a list's dates: no call at all
                guard = f"(_INTS[{t}.{fn.name}] if {t}.__class__ is _date else {guard})"
            return f"({t} if ({t} := {self.gen(node.args[0])}).__class__ is U else {guard})"
        # the arguments' unknowns tested in place (_call, which merges them,
        # called only when one is unknown); a function that cannot fail
        # (visitor.SAFE_FUNCTIONS: days_between, min ...) called itself once
        # none of its arguments is a stated none, the others through _guard,
        # which says what could not be computed
        ts = [self.fresh() for _a in node.args]
        unknown = " | ".join(
            f"(({t} := {self.gen(a)}).__class__ is U)" for t, a in zip(ts, node.args)
        )
        name, impl = self.const(fn.name), self.const(fn.impl)
        listed = ", ".join(ts)
        if fn.name in SAFE_FUNCTIONS and fn.name not in TAKES_NONE:
            stated = " | ".join(f"({t} is _NONE)" for t in ts)
            call = f"(_NONE if {stated} else {impl}({listed}))"
        else:
            call = f"_guard({name}, {impl}, {listed})"
        return f"(_call({name}, {impl}, ({listed},)) if {unknown} else {call})"


def _invariant_call(node: ast.Call, variables: Collection[str]) -> bool:
    """A call of a function that cannot fail, on arguments free of lambda
    variables and of operations that can fail (division, table rows)."""
    return cannot_fail(node) and not mentions(node, variables)


def _constant_list(node: ast.ListLit) -> bool:
    return all(isinstance(i, (ast.Number, ast.String, ast.Bool, ast.Date)) for i in node.items)


def _never_unknown(node: ast.Node) -> bool:
    return isinstance(node, (ast.Number, ast.String, ast.Bool, ast.Date)) or (
        isinstance(node, ast.ListLit) and all(_never_unknown(i) for i in node.items)
    )


def _hashable(v: object) -> bool:
    try:
        hash(v)
        return True
    except TypeError:
        return False


def generate_function(
    env: Environment,
    nodes: list[ast.Node],
    local_nodes: dict[str, ast.Node] | None = None,
    gate: int | None = None,
    after: int = 0,
    compiled: MutableMapping[str, CodeType] | None = None,
) -> tuple[Callable[..., Any], str]:
    """One Python function ``f(facts, as_of, S, C, T=None) -> tuple`` computing every node.

    ``S``: the standards in force on ``as_of``; ``C``: the catalogues; ``T``: a
    list to record the standards read in (None: record nothing).

    With ``gate=k`` (a program: k clauses, then its amount), the function
    returns ``(clause values, rest)``: ``rest`` is the tuple of the other
    nodes when every clause is true, False when a clause is false, else None;
    the amount is computed only for an eligible case, sharing the facts looked
    up and the definitions computed for the clauses.
    With ``after=n`` too (a batch line: a program's level, the case id), the
    last ``n`` nodes are computed after the decision, whatever its clauses
    gave, sharing the facts it looked up; an error in one of them gives
    ``FAILED`` in its place (the decision stands), and the function returns
    ``(clause values, rest, (those n values))``.
    Returns the function and its source (kept for audit and debugging).

    ``compiled``: code objects by the SHA-256 of the source they were compiled
    from, looked up before compiling and given what is compiled (the policy
    cache keeps them: compiling a program's source is most of what a warm
    `policy eval` spends on its decision). The source is generated either way:
    its constants are this process's.
    """
    if after and gate is None:
        raise ValueError("nodes computed after the decision need a gate")
    first = _Gen(env, local_nodes)
    for n in nodes:
        first.gen(n)
    g = _Gen(env, local_nodes, uses=first.counted)
    exprs = [g.gen(n) for n in nodes]
    hoisted = "".join(f"    {name} = {code}\n" for name, code in g.hoisted.values())
    leaves = [(key[1], name) for key, (name, _code) in g.hoisted.items() if key[0] == "fact"]
    if leaves:
        # when tracing, hand the facts read to the explanation (no second lookup)
        paths = g.const(tuple(".".join(p) for p, _name in leaves))
        names = ", ".join(name for _p, name in leaves)
        hoisted += f"    if T is not None:\n        T.append(('facts', {paths}, ({names},)))\n"
    if g.uses_memo:
        hoisted = "    M = {}\n" + hoisted
    # each node is computed on a line of its own, so an evaluation error is
    # located from the traceback (``failed_node``): which rule failed
    body: list[tuple[str, int | None]] = []
    if gate is None:
        body += [(f"    e{i} = {code}\n", i) for i, code in enumerate(exprs)]
        body.append(("    return (" + "".join(f"e{i}, " for i in range(len(exprs))) + ")\n", None))
    elif not after:
        clauses = [f"e{i}" for i in range(gate)]
        body += [(f"    e{i} = {code}\n", i) for i, code in enumerate(exprs[:gate])]
        values = "(" + "".join(c + ", " for c in clauses) + ")"
        every = " and ".join(f"{c} is True" for c in clauses) or "True"
        some = " or ".join(f"{c} is False" for c in clauses) or "False"
        body.append((f"    if {every}:\n", None))
        body += [(f"        e{i} = {exprs[i]}\n", i) for i in range(gate, len(exprs))]
        rest = "(" + "".join(f"e{i}, " for i in range(gate, len(exprs))) + ")"
        body.append((f"        return {values}, {rest}\n", None))
        body.append((f"    return {values}, (False if {some} else None)\n", None))
    else:
        end = len(exprs) - after
        clauses = [f"e{i}" for i in range(gate)]
        body += [(f"    e{i} = {code}\n", i) for i, code in enumerate(exprs[:gate])]
        values = "(" + "".join(c + ", " for c in clauses) + ")"
        every = " and ".join(f"{c} is True" for c in clauses) or "True"
        some = " or ".join(f"{c} is False" for c in clauses) or "False"
        body.append((f"    if {every}:\n", None))
        body += [(f"        e{i} = {exprs[i]}\n", i) for i in range(gate, end)]
        rest = "(" + "".join(f"e{i}, " for i in range(gate, end)) + ")"
        body.append((f"        R = {rest}\n", None))
        body.append(("    else:\n", None))
        body.append((f"        R = False if {some} else None\n", None))
        for i in range(end, len(exprs)):
            body.append(("    try:\n", None))
            body.append((f"        e{i} = {exprs[i]}\n", i))
            body.append(("    except _PolicyError:\n", None))
            body.append((f"        e{i} = _FAILED\n", None))
        tail = "(" + "".join(f"e{i}, " for i in range(end, len(exprs))) + ")"
        body.append((f"    return {values}, R, {tail}\n", None))
    head = "".join(g.toplevel) + "def rules(facts, as_of, S, C, T=None):\n" + hoisted
    first_line = head.count("\n") + 1
    lines = {first_line + j: i for j, (_text, i) in enumerate(body) if i is not None}
    source = head + "".join(text for text, _i in body)
    namespace: dict[str, Any] = dict(NAMESPACE)
    namespace["__source__"] = source
    namespace["__lines__"] = lines
    namespace["_PolicyError"] = PolicyError
    namespace["_FAILED"] = FAILED
    namespace["K"] = g.consts
    namespace.update((f"_k{i}", v) for i, v in enumerate(g.consts))
    namespace["_sites"] = [k for k in g.consts if k.__class__ is Site]
    code = None
    if compiled is not None:
        key = hashlib.sha256(source.encode("utf-8")).hexdigest()
        code = compiled.get(key)
        if code is not None:
            # two programs of the same shape (the same source, other
            # constants) get one code object each: see _own_copy
            code = _own_copy(code)
    if code is None:
        code = compile(source, "<policy rules>", "exec")
        if compiled is not None:
            compiled[key] = code
    exec(code, namespace)
    return namespace["rules"], source


def _own_copy(code: CodeType) -> CodeType:
    """A copy of ``code`` and of the code it holds (the lambdas, the rules
    function), compiled already, that no other function runs.

    CPython (3.11+) specialises a code object's instructions in place for
    what it meets: a global read remembers the one namespace it was found in.
    One code object shared by the functions of several programs — the same
    source, each with its own namespace of constants — sees another namespace
    at almost every call, so its global reads miss, fall back and specialise
    again, over and over: in a policy of 70 programs, each of the 7 copied ten
    times, a case's generated functions cost about 12x the 7's, 10x once
    each function had its own code (issue 21, point 4). A copy costs a few
    microseconds, once per program and process; the cache keeps one entry."""
    return code.replace(
        co_consts=tuple(_own_copy(c) if c.__class__ is CodeType else c for c in code.co_consts)
    )


def failed_node(fn: Callable[..., Any], exc: BaseException) -> int | None:
    """Which node of ``generate_function(env, nodes, ...)`` the generated
    function ``fn`` was computing when ``exc`` was raised (an index into
    ``nodes``), read from the traceback: the line of ``fn``'s own frame.
    None if ``exc`` did not come from ``fn``."""
    lines = fn.__globals__.get("__lines__", {})
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is fn.__code__:
            found = lines.get(tb.tb_lineno)
        tb = tb.tb_next
    return found


def forget(fn: Callable[..., Any]) -> None:
    """Empty the results a generated function remembers across cases (its
    catalogue sites' memos): a benchmark times each pass from cold."""
    for site in fn.__globals__.get("_sites", ()):
        site.memo = {}
