"""The distributions of a policy's synthetic cases: its ``population.yaml``.

A policy folder says what its applicants look like in ``population.yaml``
(format: ``policy/schemas/population.schema.json``; docs/batch.md): the
decision dates, the share of cases that lose a fact, pools of names, and
*scenarios* — each a share of the cases and the facts such a case carries,
written as the case is (``case:`` mirrors facts.yaml), each value a constant
or a draw. Nothing here knows any policy: the programs, facts, enum values,
standards and catalogues named in the file are checked against the loaded
policy, each mistake reported at its file:line:col.

A draw is a mapping with one operator (the others are its options); a string
``$name`` (``$name.field``) reads a variable set by ``let:`` (``$as_of`` is
the decision date, ``$index`` the item number inside ``list``). The operators:

  value: X                      the constant X (also for a string starting with $)
  choice: {A: 45, B: 35}        one of the values, by weight (or [[value, weight], ...])
  one_of: [{weight: W, value: DRAW}, ...]   one of the draws, by weight
  pick: POOL | [DRAW, ...]      one of a pool's values (or of a list), evenly
  chance: P                     true with probability P
  int: [LO, HI]                 a whole number, evenly, bounds included
  add / sub / mul / div / min / max: [DRAW, ...]
  date: DRAW, minus_days:, plus_days:, minus_months:, day:    a date from another
  between: [FROM, UNTIL]        a day, evenly (FROM when UNTIL is earlier)
  year_start: DRAW, minus_years:   1 January of that year;  year_end: DRAW
  if: DRAW, then: DRAW, else: DRAW;  switch: DRAW, cases: {A: DRAW}, default: DRAW
  eq / in / and / or: [DRAW, ...];  not: DRAW;  first: [DRAW, ...] (first not null)
  text: [DRAW, ...]             the parts joined (nulls left out)
  format: NAME, OPTION: DRAW    a valid value of a declared format (interpreter.formats)
  standard: ID, key: DRAW, on: DRAW   the standard's value in force on a day ($as_of)
  row: VIEW, where: {FIELD: DRAW}, else_where: {...}, active: {...}
                                an entry of a catalogue view the rules read
                                (null without catalogues); see docs/batch.md
  record: {FIELD: DRAW}, let: {...}   a record (fields that come out null are left out)
  list: COUNT, item: DRAW, let: {...}, sort_by: FIELD
  use: NAME                     a draw of ``define:``, in the caller's variables
  declared: true                (in ``case:``) any value the fact's declaration allows

A program that no scenario applies for (e.g. one a revision adds) gets a
scenario of its own, ``unlisted_programs.share`` each, whose facts are drawn
from their declarations alone.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from dsl.errors import ErrorList, PolicyFileError, Position
from interpreter.yamlsource import Source, load_yaml

FILE = "population.yaml"

Draw = Callable[["Env"], object]


@dataclasses.dataclass
class Env:
    rng: random.Random
    vars: dict
    catalog: dict


@dataclasses.dataclass
class Scenario:
    id: str
    share: float
    lets: list[tuple[str, Draw]]
    case: Draw


@dataclasses.dataclass
class Population:
    """A compiled population.yaml."""

    source: str
    period: tuple[_dt.date, _dt.date]
    late_share: float
    late_period: tuple[_dt.date, _dt.date] | None
    missing_share: float
    keep: tuple[tuple[str, ...], ...]
    omit: list[tuple[str, float]]
    lets: list[tuple[str, Draw]]
    scenarios: list[Scenario]


class PopulationMissing(PolicyFileError):
    """The policy has no population.yaml: generate cannot make its cases (exit 2).
    (A population.yaml that is wrong is a broken policy file: exit 1.)"""

    exit_code = 2


OPERATORS = {
    "value": (),
    "choice": (),
    "one_of": (),
    "pick": (),
    "chance": (),
    "int": (),
    "add": (),
    "sub": (),
    "mul": (),
    "div": (),
    "min": (),
    "max": (),
    "date": ("minus_days", "plus_days", "minus_months", "day"),
    "between": (),
    "year_start": ("minus_years",),
    "year_end": (),
    "if": ("then", "else"),
    "switch": ("cases", "default"),
    "eq": (),
    "in": (),
    "and": (),
    "or": (),
    "not": (),
    "first": (),
    "text": (),
    "format": None,  # any option: passed to the format's generator
    "standard": ("key", "on"),
    "row": ("where", "else_where", "active"),
    "record": ("let",),
    "list": ("item", "let", "sort_by"),
    "use": (),
    "declared": (),
}
BUILTIN_VARS = ("as_of",)
# the operators whose values may be of the wrong kind at run time
_RISKY = frozenset(
    ("int", "add", "sub", "mul", "div", "min", "max", "date", "between")
    + ("year_start", "year_end", "format", "standard", "list")
)


def _num(v):
    """A JSON-ready number: int when whole, else float (as an officer types it)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _date(v) -> _dt.date | None:
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, str):
        try:
            return _dt.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _fits(field, wanted) -> bool:
    """An entry's field against a where: value: equal; one of a list wanted;
    a list field (e.g. the levels of a course) holding the value."""
    if isinstance(wanted, tuple):
        return any(_fits(field, w) for w in wanted)
    if isinstance(field, (list, tuple)):
        return wanted in field
    return field == wanted


def _did_you_mean(word: str, known) -> str | None:
    near = difflib.get_close_matches(str(word), [str(k) for k in known], n=1)
    return f"did you mean '{near[0]}'?" if near else None


class _Compiler:
    def __init__(self, src: Source, policy):
        self.src = src
        self.policy = policy
        self.errors: list[PolicyFileError] = []
        data = src.data if isinstance(src.data, dict) else {}
        self.pools = {k: v for k, v in (data.get("pools") or {}).items() if isinstance(v, list)}
        self.defines = data.get("define") or {}
        self._using: list[str] = []
        self.views: list[tuple[str, tuple]] = []

    # -- errors ----------------------------------------------------------------------
    def err(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.errors.append(self.src.error(path, message, hint=hint))

    # -- draws -----------------------------------------------------------------------
    def draw(self, node, path: tuple, scope: set, decl=None) -> Draw:
        """Compile one value of the file; ``decl``: the fact it fills, if any."""
        if isinstance(node, str) and node.startswith("$"):
            return self.ref(node, path, scope)
        if isinstance(node, list):
            item = decl.items if decl is not None and decl.type == "list" else None
            parts = [self.draw(v, path + (i,), scope, item) for i, v in enumerate(node)]
            return lambda env: [p(env) for p in parts]
        if isinstance(node, dict):
            ops = [k for k in node if k in OPERATORS]
            if len(ops) != 1:
                if not ops:
                    key = next(iter(node), "")
                    self.err(
                        path + ((key,) if key else ()),
                        f"'{key}' is not a draw" if key else "an empty draw",
                        _did_you_mean(key, OPERATORS)
                        or "a draw is a mapping with one "
                        "operator, e.g. {choice: {初级: 45, 中级: 55}} (docs/batch.md)",
                    )
                else:
                    self.err(path, f"one operator per draw, found {', '.join(ops)}")
                return lambda env: None
            op = ops[0]
            allowed = OPERATORS[op]
            if allowed is not None:
                for k in node:
                    if k != op and k not in allowed:
                        self.err(
                            path + (k,),
                            f"'{k}' is not an option of {op}",
                            _did_you_mean(k, allowed)
                            or (f"{op} takes {', '.join(allowed)}" if allowed else None),
                        )
            fn = getattr(self, "op_" + op)(node, path, scope, decl)
            return self.guarded(fn, op, path) if op in _RISKY else fn
        if decl is not None:
            self.constant_fits(node, path, decl)
        value = _num(node)
        return lambda env: value

    def guarded(self, fn: Draw, op: str, path: tuple) -> Draw:
        """A draw that may meet values of the wrong kind (a date where a
        number is needed): the mistake is reported where it is written."""
        src = self.src

        def draw(env):
            try:
                return fn(env)
            except PolicyFileError:
                raise
            except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
                raise src.error(
                    path,
                    f"{op}: cannot draw a value here ({exc})",
                    hint="check the kinds of the values it reads (numbers, dates)",
                ) from None

        return draw

    def constant_fits(self, value, path: tuple, decl) -> None:
        if value is None:
            return
        kind = decl.type
        wrong = (
            (kind in ("record", "list") and not isinstance(value, (dict, list)))
            or (
                kind in ("number", "money")
                and (isinstance(value, bool) or not isinstance(value, (int, float, Decimal)))
            )
            or (kind == "date" and _date(value) is None)
            or (kind == "string" and not isinstance(value, str))
        )
        if wrong:
            self.err(path, f"{decl.path} is a {kind}, found '{value}'")
            return
        if decl.type == "enum" and decl.enum:
            values = self.policy.enums[decl.enum].values
            if str(value) not in values:
                self.err(
                    path,
                    f"'{value}' is not a value of {decl.enum} ({decl.path})",
                    _did_you_mean(value, values) or "one of: " + "、".join(values),
                )
        elif decl.type == "boolean" and not isinstance(value, bool):
            self.err(path, f"{decl.path} is true or false, found '{value}'")

    def ref(self, text: str, path: tuple, scope: set) -> Draw:
        parts = text[1:].split(".")
        name = parts[0]
        if name not in scope:
            self.err(
                path,
                f"no variable '{name}' here",
                _did_you_mean(name, scope)
                or "variables are set by let: above their use ($as_of: the decision date)",
            )
        rest = parts[1:]

        def get(env):
            v = env.vars.get(name)
            for p in rest:
                v = v.get(p) if isinstance(v, dict) else None
            return v

        return get

    def many(self, node, path, scope, n: int | None = None) -> list[Draw]:
        if not isinstance(node, list) or (n is not None and len(node) != n):
            self.err(path, f"expected a list of {n or 'some'} draws")
            return [lambda env: None] * (n or 0)
        return [self.draw(v, path + (i,), scope) for i, v in enumerate(node)]

    def opt(self, node, key, path, scope, default=None, decl=None) -> Draw:
        if key not in node:
            return lambda env: default
        return self.draw(node[key], path + (key,), scope, decl)

    def lets(self, node, path: tuple, scope: set) -> list[tuple[str, Draw]]:
        if node is None:
            return []
        if not isinstance(node, dict):
            self.err(path, "let: is a mapping of names to draws")
            return []
        out = []
        for name, value in node.items():
            out.append((name, self.draw(value, path + (name,), scope)))
            scope.add(name)
        return out

    # -- operators -------------------------------------------------------------------
    def op_value(self, node, path, scope, decl):
        value = _num(node["value"])
        if decl is not None:
            self.constant_fits(value, path + ("value",), decl)
        return lambda env: value

    def op_choice(self, node, path, scope, decl):
        spec = node["choice"]
        pairs: list = []
        if isinstance(spec, dict):
            pairs = list(spec.items())
        elif isinstance(spec, list) and all(isinstance(p, list) and len(p) == 2 for p in spec):
            pairs = [tuple(p) for p in spec]
        else:
            self.err(
                path + ("choice",), "choice: is {VALUE: WEIGHT, ...} or [[VALUE, WEIGHT], ...]"
            )
        values, weights = [], []
        for i, (v, w) in enumerate(pairs):
            at = path + ("choice", v if isinstance(spec, dict) else i)
            if isinstance(w, bool) or not isinstance(w, (int, Decimal)) or w < 0:
                self.err(at, f"the weight of '{v}' is a number of 0 or more")
                w = 0
            if decl is not None:
                self.constant_fits(v, at, decl)
            values.append(_num(v))
            weights.append(float(w))
        total = sum(weights)
        if pairs and not total:
            self.err(path + ("choice",), "the weights add up to 0")

        def choose(env):
            x = env.rng.random() * total
            for v, w in zip(values, weights):
                x -= w
                if x < 0:
                    return v
            return values[-1] if values else None

        return choose

    def op_one_of(self, node, path, scope, decl):
        spec = node["one_of"]
        if not isinstance(spec, list) or not spec:
            self.err(path + ("one_of",), "one_of: is a list of {weight: W, value: DRAW}")
            return lambda env: None
        draws, weights = [], []
        for i, item in enumerate(spec):
            at = path + ("one_of", i)
            if not isinstance(item, dict) or set(item) != {"weight", "value"}:
                self.err(at, "each choice of one_of is {weight: W, value: DRAW}")
                continue
            draws.append(self.draw(item["value"], at + ("value",), scope, decl))
            weights.append(float(item["weight"]))
        total = sum(weights)

        def choose(env):
            x = env.rng.random() * total
            for d, w in zip(draws, weights):
                x -= w
                if x < 0:
                    return d(env)
            return draws[-1](env) if draws else None

        return choose

    def op_pick(self, node, path, scope, decl):
        spec = node["pick"]
        if isinstance(spec, str):
            if spec not in self.pools:
                self.err(
                    path + ("pick",), f"no pool '{spec}' in pools:", _did_you_mean(spec, self.pools)
                )
                return lambda env: None
            values = [_num(v) for v in self.pools[spec]]
            if decl is not None:
                for v in values:
                    self.constant_fits(v, path + ("pick",), decl)
            return lambda env: env.rng.choice(values) if values else None
        draws = self.many(spec, path + ("pick",), scope)
        return lambda env: env.rng.choice(draws)(env) if draws else None

    def op_chance(self, node, path, scope, decl):
        p = node["chance"]
        if isinstance(p, bool) or not isinstance(p, (int, Decimal)) or not 0 <= p <= 1:
            self.err(path + ("chance",), "chance: is a probability from 0 to 1, e.g. 0.92")
            p = 0
        p = float(p)
        return lambda env: env.rng.random() < p

    def op_int(self, node, path, scope, decl):
        lo, hi = self.many(node["int"], path + ("int",), scope, 2)

        def draw(env):
            a, b = lo(env), hi(env)
            if a is None or b is None:
                return None
            return env.rng.randint(int(a), max(int(a), int(b)))

        return draw

    def _arith(self, node, path, scope, op):
        parts = self.many(node[op], path + (op,), scope)

        def draw(env):
            vals = [p(env) for p in parts]
            if not vals or any(v is None for v in vals):
                return None
            if op == "min":
                return min(vals)
            if op == "max":
                return max(vals)
            acc = vals[0]
            for v in vals[1:]:
                if op == "add":
                    acc = acc + v
                elif op == "sub":
                    acc = acc - v
                elif op == "mul":
                    acc = acc * v
                else:
                    acc = acc / v
            return _num(acc)

        return draw

    def op_add(self, node, path, scope, decl):
        return self._arith(node, path, scope, "add")

    def op_sub(self, node, path, scope, decl):
        return self._arith(node, path, scope, "sub")

    def op_mul(self, node, path, scope, decl):
        return self._arith(node, path, scope, "mul")

    def op_div(self, node, path, scope, decl):
        return self._arith(node, path, scope, "div")

    def op_min(self, node, path, scope, decl):
        return self._arith(node, path, scope, "min")

    def op_max(self, node, path, scope, decl):
        return self._arith(node, path, scope, "max")

    def op_date(self, node, path, scope, decl):
        base = self.draw(node["date"], path + ("date",), scope)
        minus = self.opt(node, "minus_days", path, scope, 0)
        plus = self.opt(node, "plus_days", path, scope, 0)
        months = self.opt(node, "minus_months", path, scope, 0)
        day = self.opt(node, "day", path, scope)

        def draw(env):
            d = _date(base(env))
            if d is None:
                return None
            m = months(env) or 0
            if m:
                y, mo = divmod(d.month - 1 - int(m), 12)
                d = d.replace(year=d.year + y, month=mo + 1, day=min(d.day, 28))
            dd = day(env)
            if dd is not None:
                d = d.replace(day=int(dd))
            return d + _dt.timedelta(days=int(plus(env) or 0) - int(minus(env) or 0))

        return draw

    def op_between(self, node, path, scope, decl):
        lo, hi = self.many(node["between"], path + ("between",), scope, 2)

        def draw(env):
            a, b = _date(lo(env)), _date(hi(env))
            if a is None or b is None:
                return None
            return a + _dt.timedelta(days=env.rng.randint(0, max(0, (b - a).days)))

        return draw

    def op_year_start(self, node, path, scope, decl):
        base = self.draw(node["year_start"], path + ("year_start",), scope)
        back = self.opt(node, "minus_years", path, scope, 0)

        def draw(env):
            d = _date(base(env))
            return None if d is None else _dt.date(d.year - int(back(env) or 0), 1, 1)

        return draw

    def op_year_end(self, node, path, scope, decl):
        base = self.draw(node["year_end"], path + ("year_end",), scope)

        def draw(env):
            d = _date(base(env))
            return None if d is None else _dt.date(d.year, 12, 31)

        return draw

    def op_if(self, node, path, scope, decl):
        cond = self.draw(node["if"], path + ("if",), scope)
        then = self.opt(node, "then", path, scope, decl=decl)
        other = self.opt(node, "else", path, scope, decl=decl)
        return lambda env: then(env) if cond(env) else other(env)

    def op_switch(self, node, path, scope, decl):
        on = self.draw(node["switch"], path + ("switch",), scope)
        cases = node.get("cases") or {}
        if not isinstance(cases, dict):
            self.err(path + ("cases",), "cases: is a mapping of values to draws")
            cases = {}
        table = {k: self.draw(v, path + ("cases", k), scope, decl) for k, v in cases.items()}
        default = self.opt(node, "default", path, scope, decl=decl)

        def draw(env):
            v = on(env)
            d = table.get(str(v)) if v is not None else None
            return d(env) if d is not None else default(env)

        return draw

    def op_eq(self, node, path, scope, decl):
        a, b = self.many(node["eq"], path + ("eq",), scope, 2)
        return lambda env: a(env) == b(env)

    def op_in(self, node, path, scope, decl):
        a, b = self.many(node["in"], path + ("in",), scope, 2)

        def draw(env):
            pool = b(env)
            return isinstance(pool, list) and a(env) in pool

        return draw

    def op_and(self, node, path, scope, decl):
        parts = self.many(node["and"], path + ("and",), scope)
        return lambda env: all(p(env) for p in parts)

    def op_or(self, node, path, scope, decl):
        parts = self.many(node["or"], path + ("or",), scope)
        return lambda env: any(p(env) for p in parts)

    def op_not(self, node, path, scope, decl):
        a = self.draw(node["not"], path + ("not",), scope)
        return lambda env: not a(env)

    def op_first(self, node, path, scope, decl):
        parts = [
            self.draw(v, path + ("first", i), scope, decl)
            for i, v in enumerate(node["first"] if isinstance(node["first"], list) else [])
        ]
        if not isinstance(node["first"], list):
            self.err(path + ("first",), "first: is a list of draws")

        def draw(env):
            for p in parts:
                v = p(env)
                if v is not None:
                    return v
            return None

        return draw

    def op_text(self, node, path, scope, decl):
        parts = self.many(node["text"], path + ("text",), scope)

        def draw(env):
            return "".join(str(v) for v in (p(env) for p in parts) if v is not None)

        return draw

    def op_format(self, node, path, scope, decl):
        from interpreter.formats import FORMATS

        name = node["format"]
        if name not in FORMATS:
            self.err(path + ("format",), f"no format '{name}'", _did_you_mean(name, FORMATS))
            return lambda env: None
        gen = FORMATS[name].generate
        options = {k: self.draw(v, path + (k,), scope) for k, v in node.items() if k != "format"}

        def draw(env):
            return gen(env.rng, **{k: d(env) for k, d in options.items()})

        return draw

    def op_standard(self, node, path, scope, decl):
        sid = node["standard"]
        std = self.policy.standards.get(sid)
        if std is None:
            self.err(
                path + ("standard",),
                f"no standard '{sid}' in the policy",
                _did_you_mean(sid, self.policy.standards),
            )
            return lambda env: None
        if std.key and "key" not in node:
            self.err(path, f"standard {sid} is a table by {std.key}: give its key:")
        key = self.opt(node, "key", path, scope)
        on = self.opt(node, "on", path, scope)

        def draw(env):
            day = _date(on(env)) or env.vars.get("as_of")
            version = std.at(day) if day is not None else None
            if version is None:
                return None
            value = version.value
            if isinstance(value, dict):
                value = value.get(key(env))
            return None if value is None else _num(value)

        return draw

    def op_row(self, node, path, scope, decl):
        view = node["row"]
        if not isinstance(view, str):
            self.err(path + ("row",), "row: names a catalogue view the rules read (catalog.NAME)")
            return lambda env: None
        inner = set(scope) | {"row"}
        where = self._filter(node.get("where"), path + ("where",), scope)
        else_where = self._filter(node.get("else_where"), path + ("else_where",), scope)
        active = node.get("active")
        act = None
        if active is not None:
            apath = path + ("active",)
            if not isinstance(active, dict) or "view" not in active or "over" not in active:
                self.err(
                    apath, "active: is {view: V, match: {...}, from: F, until: U, over: [D1, D2]}"
                )
            else:
                act = (
                    active["view"],
                    self._filter(active.get("match"), apath + ("match",), inner),
                    str(active.get("from", "from")),
                    str(active.get("until", "until")),
                    self.many(active["over"], apath + ("over",), scope, 2),
                    self.opt(active, "when", apath, scope, True),
                )
        self.views.append((view, path + ("row",)))
        if act is not None:
            self.views.append((act[0], path + ("active", "view")))

        memo: dict = {}

        def matches(env, rows, flt):
            want = tuple((f, _hashable(d(env))) for f, d in flt)
            key = (id(rows), want)
            hit = memo.get(key)
            if hit is not None and hit[0] is rows:
                return hit[1]
            found = [r for r in rows if all(_fits(r.get(f), v) for f, v in want)]
            if len(memo) > 10000:  # one generate() call holds one catalogue
                memo.clear()
            memo[key] = (rows, found)
            return found

        def draw(env):
            rows = env.catalog.get(view)
            if not rows or not isinstance(rows, list):
                return None
            found = matches(env, rows, where) or (else_where and matches(env, rows, else_where))
            found = found or rows
            if act is not None and act[5](env):
                aview, match, f, u, (d1, d2), _w = act
                start, end = _date(d1(env)), _date(d2(env))
                arows = env.catalog.get(aview) or []
                if start is not None and end is not None:
                    ok = []
                    for r in found:
                        env.vars["row"] = r
                        if any(
                            (a.get(f) or _dt.date.min) <= start
                            and end <= (a.get(u) or _dt.date.max)
                            for a in matches(env, arows, match)
                        ):
                            ok.append(r)
                    env.vars.pop("row", None)
                    found = ok or found
            return env.rng.choice(found)

        return draw

    def _filter(self, node, path, scope) -> list:
        if node is None:
            return []
        if not isinstance(node, dict):
            self.err(path, "a mapping of the entry's fields to the values wanted")
            return []
        return [(str(f), self.draw(v, path + (f,), scope)) for f, v in node.items()]

    def op_record(self, node, path, scope, decl):
        fields = node["record"]
        inner = set(scope)
        lets = self.lets(node.get("let"), path + ("let",), inner)
        if not isinstance(fields, dict):
            self.err(path + ("record",), "record: is a mapping of fields to draws")
            return lambda env: None
        body = self.record(fields, path + ("record",), inner, decl)

        def draw(env):
            saved = dict(env.vars)
            for name, d in lets:
                env.vars[name] = d(env)
            out = body(env)
            env.vars = saved
            return out

        return draw

    def record(self, fields: dict, path: tuple, scope: set, decl) -> Draw:
        """A record of the case: each field a draw, checked against ``decl``."""
        parts = []
        for name, value in fields.items():
            sub = None
            if decl is not None:
                sub = decl.fields.get(name)
                if sub is None:
                    self.err(
                        path + (name,),
                        f"{decl.path} has no field '{name}' in facts.yaml",
                        _did_you_mean(name, decl.fields),
                    )
                    continue
            # a record of the case is written as its fields (a field may be
            # called like an operator: ``date``), a draw of a record otherwise
            if (
                sub is not None
                and sub.type == "record"
                and isinstance(value, dict)
                and (not any(k in OPERATORS for k in value) or any(k in sub.fields for k in value))
            ):
                parts.append((name, self.record(value, path + (name,), scope, sub)))
                continue
            parts.append((name, self.draw(value, path + (name,), scope, sub)))

        def draw(env):
            out = {}
            for name, d in parts:
                v = d(env)
                if v is None or v == {}:
                    continue
                out[name] = v.isoformat() if isinstance(v, _dt.date) else v
            return out

        return draw

    def op_list(self, node, path, scope, decl):
        count = self.draw(node["list"], path + ("list",), scope)
        inner = set(scope) | {"index"}
        lets = self.lets(node.get("let"), path + ("let",), inner)
        item_decl = decl.items if decl is not None and decl.type == "list" else None
        if "item" not in node:
            self.err(path, "list: needs item: (the draw of one item)")
            return lambda env: None
        item = self.draw(node["item"], path + ("item",), inner, item_decl)
        sort_by = node.get("sort_by")

        def draw(env):
            n = int(count(env) or 0)
            saved = dict(env.vars)
            out = []
            for i in range(n):
                env.vars["index"] = i
                for name, d in lets:
                    env.vars[name] = d(env)
                v = item(env)
                out.append(v.isoformat() if isinstance(v, _dt.date) else v)
            env.vars = saved
            if sort_by:
                out.sort(key=lambda r: str(r.get(sort_by, "")) if isinstance(r, dict) else "")
            return out

        return draw

    def op_use(self, node, path, scope, decl):
        name = node["use"]
        if name not in self.defines:
            self.err(path + ("use",), f"no '{name}' in define:", _did_you_mean(name, self.defines))
            return lambda env: None
        if name in self._using:
            self.err(path + ("use",), f"'{name}' uses itself")
            return lambda env: None
        self._using.append(name)
        try:
            return self.draw(self.defines[name], ("define", name), scope, decl)
        finally:
            self._using.pop()

    def op_declared(self, node, path, scope, decl):
        if decl is None:
            self.err(path, "declared: fills a fact of case: from its declaration in facts.yaml")
            return lambda env: None
        return from_declaration(self.policy, decl)

    # -- the file --------------------------------------------------------------------
    def compile(self) -> Population | None:
        data = self.src.data
        doc = self.policy.document
        dd = data.get("decision_date") or {}
        start = dd.get("from") or doc.period_from
        until = dd.get("until") or doc.period_until
        if start is None or until is None:
            self.err(
                ("decision_date",), "give decision_date: {from:, until:} (the policy has no period)"
            )
            return None
        late = dd.get("late") or {}
        late_period = None
        if late:
            late_period = (late.get("from") or until + _dt.timedelta(days=1), late["until"])
        missing = data.get("missing") or {}
        keep = []
        for i, p in enumerate(missing.get("keep") or ()):
            if self.policy.fact(p) is None:
                self.err(("missing", "keep", i), f"no fact {p} in facts.yaml")
            keep.append(tuple(p.split(".")))
        omit = []
        for i, o in enumerate(data.get("omit") or ()):
            if self.policy.fact(o["fact"]) is None:
                self.err(("omit", i, "fact"), f"no fact {o['fact']} in facts.yaml")
            omit.append((o["fact"], float(o["share"])))
        top = set(BUILTIN_VARS)
        lets = self.lets(data.get("let"), ("let",), top)
        scenarios = []
        covered: set[str] = set()
        for i, sc in enumerate(data.get("scenarios") or ()):
            at = ("scenarios", i)
            scope = set(top)
            s_lets = self.lets(sc.get("let"), at + ("let",), scope)
            case = sc.get("case") or {}
            body = self.record(case, at + ("case",), scope, _Roots(self.policy))
            covered |= self._programs(case, at + ("case",))
            scenarios.append(Scenario(str(sc["id"]), float(sc["share"]), s_lets, body))
        unlisted = float((data.get("unlisted_programs") or {}).get("share", 2))
        for pid, program in self.policy.programs.items():
            if pid not in covered and unlisted > 0:
                scenarios.append(Scenario(pid, unlisted, [], declared_case(self.policy, program)))
        if not scenarios:
            self.err(("scenarios",), "no scenario: the population needs at least one")
        return Population(
            source=self.src.name,
            period=(start, until),
            late_share=float(late.get("share", 0)) if late else 0.0,
            late_period=late_period,
            missing_share=float(missing.get("share", 0)),
            keep=tuple(keep),
            omit=omit,
            lets=lets,
            scenarios=scenarios,
        )

    def _programs(self, case: dict, path: tuple) -> set[str]:
        """The programs a scenario applies for (its constant programs list)."""
        rule = self.policy.programs_applied
        if rule is None:
            return set()
        node: Any = case
        for p in rule.text.strip().split("."):
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, list):
            for i, pid in enumerate(node):
                if isinstance(pid, str) and pid not in self.policy.programs:
                    self.err(
                        path + tuple(rule.text.strip().split(".")) + (i,),
                        f"no program '{pid}' in the policy",
                        _did_you_mean(pid, self.policy.programs),
                    )
            return {p for p in node if isinstance(p, str)}
        return set()

    def check_views(self, catalog: dict) -> None:
        """Catalogue views named by row:, when the policy's catalogues are given."""
        if not catalog:
            return
        for view, path in self.views:
            if view not in catalog:
                self.err(
                    path,
                    f"no catalogue view '{view}' (the rules read catalog.NAME)",
                    _did_you_mean(view, catalog) or "views: " + ", ".join(sorted(catalog)),
                )


class _Roots:
    """The facts of facts.yaml as the fields of one record (the case)."""

    path = "the case"
    type = "record"

    def __init__(self, policy):
        self.fields = policy.facts


# -- from the declarations alone --------------------------------------------------------


def from_declaration(policy, decl) -> Draw:
    """Any value the declaration of a fact allows (the facts of a program that
    population.yaml does not describe)."""
    from interpreter.formats import FORMATS

    t = decl.type
    if t == "record":
        parts = [(k, from_declaration(policy, d)) for k, d in decl.fields.items()]
        return lambda env: {k: v for k, p in parts if (v := p(env)) is not None}
    if t == "list":
        item = from_declaration(policy, decl.items) if decl.items is not None else None
        lo = decl.min_items or 0
        return lambda env: [item(env) for _ in range(env.rng.randint(lo, lo + 2))] if item else []
    if t == "enum":
        values = policy.enums[decl.enum].values if decl.enum in policy.enums else ()
        return lambda env: env.rng.choice(values) if values else None
    if t == "boolean":
        return lambda env: env.rng.random() < 0.5
    if t == "date":

        def day(env):
            as_of = env.vars["as_of"]
            return (as_of - _dt.timedelta(days=env.rng.randint(0, 60))).isoformat()

        return day
    if t in ("number", "money"):
        lo = int(decl.minimum) if decl.minimum is not None else 0
        hi = int(decl.maximum) if decl.maximum is not None else lo + 100
        hi = min(hi, lo + 10000)
        return lambda env: env.rng.randint(lo, hi)
    if decl.format in FORMATS:
        gen = FORMATS[decl.format].generate
        return lambda env: gen(env.rng)
    example = decl.example
    return lambda env: example if example is not None else None


def _rules_of(program) -> list:
    """Every rule of a program: its clauses, lets, amount, cap, installments."""
    from interpreter.model import Rule

    out = [c.rule for c in program.clauses] + [d.rule for d in program.lets]
    amount = program.amount
    out += [amount.rule, getattr(amount, "cap", None), getattr(amount, "floor", None)]
    for inst in getattr(amount, "installments", None) or ():
        out += [inst.share, inst.amount, inst.when]
    out.append(program.level)
    return [r for r in out if isinstance(r, Rule)]


def paths_read(policy, program) -> list[tuple[str, ...]]:
    """The fact paths a program's rules read, through the definitions they use."""
    from dsl import ast

    found: dict[tuple[str, ...], None] = {}
    seen: set[str] = set()

    def visit(node):
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id not in seen:
                d = policy.definitions.get(n.id)
                if d is not None:
                    seen.add(n.id)
                    visit(d.rule.expression.node)
            if isinstance(n, (ast.Attr, ast.Name)):
                path = ast.path_of(n)
                if path and path[0] in policy.facts:
                    found[path] = None

    for rule in _rules_of(program):
        visit(rule.expression.node)
    # a path read whole (``certificate``) covers its fields
    paths = sorted(found)
    return [p for p in paths if not any(q != p and p[: len(q)] == q for q in paths)]


def declared_case(policy, program) -> Draw:
    """A case for ``program`` alone, each fact its rules read drawn from its
    declaration; drawn again (up to 30 times) until the case reader takes it,
    as the declared constraints between fields must hold."""
    from dsl.errors import CaseError
    from interpreter.cases import CaseReader, parse_json_text

    draws: list[tuple[tuple[str, ...], Draw]] = []
    for path in paths_read(policy, program):
        decl = policy.fact(".".join(path))
        if decl is not None:
            draws.append((path, from_declaration(policy, decl)))
    fixed = []
    for rule, value in ((policy.decision_date, "as_of"), (policy.programs_applied, "programs")):
        if rule is not None and policy.fact(rule.text.strip()) is not None:
            fixed.append((tuple(rule.text.strip().split(".")), value))
    reader = CaseReader(policy)

    def put(case: dict, path: tuple, value) -> None:
        node = case
        for p in path[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                return
        node[path[-1]] = value

    def once(env) -> dict:
        case: dict = {}
        for path, d in draws:
            v = d(env)
            if v is not None:
                put(case, path, v.isoformat() if isinstance(v, _dt.date) else v)
        for path, what in fixed:
            put(case, path, env.vars["as_of"].isoformat() if what == "as_of" else [program.id])
        return case

    def draw(env):
        import json

        case = {}
        for _ in range(30):
            case = once(env)
            try:
                reader.convert(parse_json_text(json.dumps(case, ensure_ascii=False), "case"))
                return case
            except CaseError:
                continue
        # the constraints never held: the facts they join are left out (missing)
        out: dict = {}
        for path, what in fixed:
            put(out, path, env.vars["as_of"].isoformat() if what == "as_of" else [program.id])
        return out

    return draw


# -- loading ------------------------------------------------------------------------------


def population_path(policy) -> Path:
    return Path(policy.root) / FILE


def load_population(policy, catalog: dict | None = None) -> Population:
    """The compiled population.yaml of ``policy``; PopulationError (exit 2)
    when it is missing or wrong, every mistake at its file:line:col."""
    from interpreter import schemas

    path = population_path(policy)
    if not path.exists():
        raise PopulationMissing(
            f"policy {policy.document.id} does not describe its population "
            f"(no {FILE}): the synthetic generator cannot make its cases",
            position=Position(str(path)),
            hint=f"write {FILE} in the policy folder (docs/batch.md shows the format), "
            "or write the cases by hand (JSON Lines, as for policy eval)",
        )
    src = load_yaml(path)
    problems = schemas.validate(src, "population")
    if problems:
        raise ErrorList(problems)
    comp = _Compiler(src, policy)
    population = comp.compile()
    comp.check_views(catalog or {})
    if comp.errors or population is None:
        # a mistake in a draw of define: is found once per use: shown once
        unique = {(str(e.position), e.message): e for e in comp.errors}
        raise ErrorList(list(unique.values()))
    return population
