"""The case reader's fast path: one function per fact declaration, built once
from ``facts.yaml`` (as the rules are compiled once), that converts a valid
case in one walk and gives up — returns ``SLOW`` — at the first thing out of
the ordinary.

``CaseReader.convert`` tries it first; on ``SLOW`` the checking path
(``CaseReader._record``) reads the whole case again and says what is wrong,
so every message, and every value read, is the checking path's. What the
fast path accepts it converts exactly as the checking path does: the leaf
functions are its ``_fast`` and date branches, specialised to one
declaration (no dispatch on the type per value), and a record's fields are
looked up in a dict of their functions. It never builds a field path (the
checking path builds one per value, for its messages); a stated none
(``{"none": true}``), a null in a list, a field the policy does not
declare, a constraint that does not hold: all SLOW.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, MutableMapping
from decimal import Decimal
from types import CodeType
from typing import TYPE_CHECKING, Any, cast

from dsl.compiler import Context
from dsl.errors import EvaluationError

if TYPE_CHECKING:
    from .cases import CaseReader
    from .model import Constraint, FactDecl

Read = Callable[[Any], Any]  # a value as read -> its fact, or SLOW

SLOW = object()  # "not the common case": the checking path decides
_ABSENT = object()  # a field the record does not give
_ZERO = Decimal(0)


def case_reader(reader: CaseReader, facts: dict, max_depth: int) -> Read | None:
    """The fast reader of a whole case for ``reader`` (a CaseReader), or None
    when the declarations nest deeper than a case may (the checking path
    then says so)."""
    if _depth(facts) > max_depth:
        return None
    return _record(reader, facts, None)


def _depth(fields: dict[str, FactDecl], d: int = 0) -> int:
    deepest = d
    for decl in fields.values():
        while decl.type == "list" and decl.items is not None:
            decl, d = decl.items, d + 1
        if decl.type == "record":
            deepest = max(deepest, _depth(decl.fields, d + 1))
        deepest = max(deepest, d)
    return deepest


def _for(reader: CaseReader, decl: FactDecl) -> Read:
    t = decl.type
    if t == "record":
        return _record(reader, decl.fields, decl)
    if t == "list":
        return _list(reader, decl)
    return _leaf(reader, decl)


def _record(reader: CaseReader, fields: dict[str, FactDecl], decl: FactDecl | None) -> Read:
    """The reader of a record: a function generated from its declaration (as
    the rules are), its fields' checks written in place for the plain types
    (boolean, enum, string, date) and called for the others. What it
    accepts and refuses is what the closures of the fields did: a value of
    another class, an enum value the policy does not list, a stated none
    (``{"none": true}``), a field not declared, a constraint that does not
    hold: SLOW."""
    names: dict[str, Any] = {"SLOW": SLOW, "ABSENT": _ABSENT}

    def const(value: Any) -> str:
        name = f"_k{len(names)}"
        names[name] = value
        return name

    # The record's own keys, in their order, copied in C; then each declared
    # field looked up by its name (a get, not a walk of the keys through a
    # chain of comparisons: a record of twelve fields compared each key
    # with six names on average), checked, and replaced by its value as
    # read. The keys met are counted: a record with more keys than that
    # has one not declared (the checking path says so) or a note (dropped).
    src = [
        "def read(value):",
        "    if value.__class__ is not dict:",
        "        return SLOW",
        "    out = value.copy()",
        "    n = 0",
    ]
    for name, d in fields.items():
        src += [
            f"    v = value.get({name!r}, ABSENT)",
            "    if v is not ABSENT:",
            "        n += 1",
            "        if v is None:",
            f"            del out[{name!r}]  # missing",
            "        else:",
        ]
        src += ["            " + line for line in _check(reader, d, const)]
        if not _in_place(reader, d):
            src.append(f"            out[{name!r}] = v")
    declared = const(frozenset(fields))
    src += [
        "    if n != len(value):",
        "        for key in value:",
        f"            if key not in {declared}:",
        "                if key.__class__ is not str or key[:1] not in ('_', '$'):",
        "                    return SLOW  # not declared (or a stated none): the checking path",
        "                del out[key]  # a note",
    ]
    hold = _holds(list(decl.constraints) if decl is not None else [], reader, fields)
    if hold is not None:
        src += [f"    if not {const(hold)}(out):", "        return SLOW"]
    src.append("    return out")
    code = compiled_code(
        "\n".join(src) + "\n",
        f"<case reader {decl.path if decl else 'case'}>",
        reader.policy.compiled,
    )
    exec(code, names)
    return names["read"]


def compiled_code(source: str, name: str, compiled: MutableMapping[str, CodeType]) -> CodeType:
    """The code of a reader's generated source, from the policy's compiled
    code (``Policy.compiled``: the per-user cache, or this process's) by
    the SHA-256 of its name and source, or compiled and put there: a batch
    compiles its readers once per user and policy, as the programs are
    (dsl.codegen.generate_function). A copy of its own to each function
    (``_own_copy``): a code object shared by functions of two namespaces
    would specialise itself again and again."""
    from hashlib import sha256

    from dsl.codegen import _own_copy

    key = sha256(f"{name}\0{source}".encode()).hexdigest()
    code = compiled.get(key)
    if code is not None:
        return _own_copy(code)
    code = compile(source, name, "exec")
    compiled[key] = code
    return code


def _in_place(reader: CaseReader, decl: FactDecl) -> bool:
    """Whether ``_check`` leaves the value as it was given (a boolean, an
    enum value, a plain text): nothing to put back in the record."""
    t = decl.type
    return (
        t == "boolean"
        or (t == "enum" and decl.enum is not None)
        or (t == "string" and decl.format is None)
    )


def _check(reader: CaseReader, decl: FactDecl, const: Callable[[Any], str]) -> list[str]:
    """The lines that check the value ``v`` of one field and leave it
    converted in ``v`` (or return SLOW): the leaf readers' tests, in place."""
    t = decl.type
    if t == "boolean":
        return ["if v.__class__ is not bool:", "    return SLOW"]
    if t == "enum" and decl.enum is not None:
        values = const(reader._enum_values[decl.enum])
        return [f"if v.__class__ is not str or v not in {values}:", "    return SLOW"]
    if t == "string" and decl.format is None:
        from .cases import _SURROGATE

        search = const(_SURROGATE.search)
        # a printable text has no lone surrogate (they are not printable): the
        # search only for the others (a tab, an ideographic space ...)
        return [
            f"if v.__class__ is not str or len(v) > 1000 or (not v.isprintable() and {search}(v)):",
            "    return SLOW",
        ]
    fn = const(_for(reader, decl))
    if t == "date":
        # a date met before, from the reader's shared table, without a call
        known = const(reader._dates.get)
        return [
            f"x = {known}(v) if v.__class__ is str else None",
            "if x is None:",
            f"    x = {fn}(v)",
            "    if x is SLOW:",
            "        return SLOW",
            "v = x",
        ]
    return [f"v = {fn}(v)", "if v is SLOW:", "    return SLOW"]


def _holds(
    constraints: list[Constraint], reader: CaseReader, fields: dict[str, FactDecl]
) -> Callable[[dict], bool] | None:
    """Whether a record's values meet its constraints. The answer is
    remembered by the values they read (dates and numbers of a training
    recur across cases); the others are checked by code generated from the
    constraints (as the rules are), or by their closures when that cannot be."""
    if not constraints:
        return None
    reads = tuple(dict.fromkeys(f for c in constraints for f in c.reads))
    memo: dict = {}
    check = _generated_hold(constraints, reader, fields)

    def hold(values: dict) -> bool:
        key = tuple([values.get(f) for f in reads])
        try:
            got = memo.get(key)
        except TypeError:  # a list among them
            return check(values)
        if got is None:
            got = check(values)
            if len(memo) < MEMO_LIMIT:
                memo[key] = got
        return got

    return hold


def _generated_hold(
    constraints: list[Constraint], reader: CaseReader, fields: dict[str, FactDecl]
) -> Callable[[dict], bool]:
    """The constraints of one record as one generated function over the
    record's values (the environment they were checked in: the record's
    fields by their bare names; no date, standards or catalogues, as the
    closures are called). A constraint that names the decision date, the
    standards or a catalogue keeps the closures, as does one the code
    generator does not take."""

    def by_closures(values: dict) -> bool:
        return _hold(constraints, values)

    fn = constraints_function(constraints, reader, fields)
    if fn is None:
        return by_closures
    no_standards = NO_STANDARDS

    def generated(values: dict) -> bool:
        try:
            got = fn(values, None, no_standards, None)
        except EvaluationError:
            return False
        for ok in got:  # noqa: SIM110 - no generator per record (all() would build one)
            if ok is False:
                return False
        return True

    return generated


def constraints_function(
    constraints: list[Constraint], reader: CaseReader, fields: dict[str, FactDecl]
) -> Callable[..., tuple] | None:
    """The constraints of one record generated as one function
    ``fn(values, None, NO_STANDARDS, None)`` -> their values (True, False,
    unknown), which raises EvaluationError where a closure would; None for
    constraints that name the decision date, the standards or a catalogue,
    or that the code generator does not take (the closures check those)."""
    from dsl.codegen import generate_function
    from dsl.environment import Environment
    from dsl.visitor import names_in

    from .loader import _fact_type

    nodes = [c.rule.expression.node for c in constraints]
    if any(n in ("as_of", "standards", "catalog") for node in nodes for n in names_in(node)):
        return None
    env = Environment(facts={k: _fact_type(v, reader.policy.enums) for k, v in fields.items()})
    try:
        return generate_function(env, nodes, compiled=reader.policy.compiled)[0]
    except Exception:  # noqa: BLE001 - not generated: the closures check it
        return None


NO_STANDARDS: dict = {}  # what a record's constraints see of the standards: none
MEMO_LIMIT = 1 << 16  # remembered answers per record's constraints


def _hold(constraints: list[Constraint], values: dict) -> bool:
    for c in constraints:
        try:
            ok = c.rule.expression.fn(Context(values))
        except EvaluationError:
            return False
        if ok is False:
            return False
    return True


def _list(reader: CaseReader, decl: FactDecl) -> Read:
    from .cases import MAX_LIST_ITEMS

    if decl.items is None:
        return lambda v: SLOW  # the checking path says what is wrong
    item = _for(reader, decl.items)
    low = decl.min_items if decl.min_items is not None else 0
    high = min(MAX_LIST_ITEMS, decl.max_items if decl.max_items is not None else MAX_LIST_ITEMS)

    def read(value: Any) -> Any:
        if value.__class__ is not list or not low <= len(value) <= high:
            return SLOW
        out = []
        for v in value:
            if v is None:
                return SLOW
            x = item(v)
            if x is SLOW:
                return SLOW
            out.append(x)
        return out

    return read


def _leaf(reader: CaseReader, decl: FactDecl) -> Read:
    from .cases import _DATE, _SURROGATE, ABS_LIMIT
    from .formats import FormatError, get_format

    t = decl.type
    if t == "boolean":
        return lambda v: v if v.__class__ is bool else SLOW
    if t == "enum":
        if decl.enum is None:
            return lambda v: SLOW
        values = reader._enum_values[decl.enum]
        return lambda v: v if v.__class__ is str and v in values else SLOW
    if t == "date":
        dates = reader._dates  # shared with the checking path
        fullmatch, fromisoformat = _DATE.fullmatch, _dt.date.fromisoformat

        def read_date(v: Any) -> Any:
            if v.__class__ is not str:
                return SLOW
            got = dates.get(v)
            if got is not None:
                return got
            if not fullmatch(v):
                return SLOW
            try:
                day = fromisoformat(v)
            except ValueError:
                return SLOW
            if len(dates) < 20000:
                dates[v] = day
            return day

        return read_date
    if t == "string":
        search = _SURROGATE.search
        if decl.format is None:
            return lambda v: (
                v
                if v.__class__ is str and len(v) <= 1000 and (v.isprintable() or not search(v))
                else SLOW
            )
        fmt = get_format(decl.format)
        normalise, canonical = fmt.normalise, fmt.canonical

        def read_formatted(v: Any) -> Any:
            if v.__class__ is not str:
                return SLOW
            # already its canonical form, valid (so short and no surrogate):
            # kept as it is, as normalising would keep it
            if canonical is not None and canonical(v) is not None:
                return v
            if len(v) > 1000 or search(v):
                return SLOW
            try:
                return normalise(v)
            except FormatError:
                return SLOW

        return read_formatted
    if t in ("number", "money"):
        low = decl.minimum if decl.minimum is not None else (_ZERO if t == "money" else None)
        high, integer = decl.maximum, decl.integer
        places = -reader._places
        money = t == "money"

        def read_number(v: Any) -> Any:
            if (
                v.__class__ is Decimal
                and v.is_finite()
                and v.copy_abs() <= ABS_LIMIT
                and (low is None or v >= low)
                and (high is None or v <= high)
                and (not integer or v == v.to_integral_value())
                # finite: its exponent is a number
                and (not money or cast(int, v.as_tuple().exponent) >= places)
            ):
                return v
            return SLOW

        return read_number
    return lambda v: SLOW  # a type the checking path reports
