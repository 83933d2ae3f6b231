"""A case read from its JSON text in one pass (issue 21): the text decoded
and typed in C by msgspec, against types generated from ``facts.yaml``, then
what C does not do finished by Python generated from the same declarations.

It is a short cut, never a judge: ``text_reader(reader)(text)`` gives the
facts exactly as ``CaseReader.convert(parse_json_text(text))`` would (the
text given as a str, or as the UTF-8 bytes a batch reads: msgspec refuses
bytes that are not UTF-8), or
``SLOW`` when the text is anything but the common case, and then the usual
path reads it again and says what, if anything, is wrong (every message is
that path's). What msgspec is asked to check and what is left to Python:

- msgspec: the JSON itself (strict: no NaN, no control character in a
  string, no lone surrogate, nothing nested deeper than it can recurse),
  that a record is an object of declared fields,
  a boolean a boolean, an enum one of its values, text at most 1000
  characters, a date ``YYYY-MM-DD`` that exists, a list a list of its items,
  as many as the declaration allows; a null anywhere is refused (the usual
  path reads it as missing), so is ``{"none": true}`` (a record stated
  none) and any note (``_`` or ``$``);
- Python: a number is kept as its JSON text (``msgspec.Raw``) and made a
  Decimal as the case decoder makes it (the same checks of its text), then
  checked as the case reader checks it (finite, bounds, whole, money to the
  fen); a declared format (a resident ID) normalised; a record's
  constraints; and the keys counted. msgspec drops a key a record does not
  declare and keeps the last of a key given twice; both are refused by the
  usual path. Every key of the text is followed by a colon, so when the
  text has exactly as many colons as the decoded case has keys, no key was
  dropped or given twice (a colon inside a text value makes the count
  differ: that case too goes the usual way).

``tests/interpreter/test_fast_reader.py`` compares it with the checking path
over generated cases, the examples, the bad inputs and altered cases.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict, cast

from .formats import get_format
from .readers import SLOW, _generated_hold, _leaf, compiled_code

if TYPE_CHECKING:
    from .cases import CaseReader
    from .model import FactDecl

# the JSON text of a case (or its UTF-8 bytes) -> its facts, or SLOW
ReadText = Callable[[str | bytes], Any]


class _Unsupported(Exception):
    """A declaration this reader does not take (the usual path reads every case)."""


def text_reader(reader: CaseReader) -> ReadText | None:
    """The reader of a case's JSON text for ``reader`` (a CaseReader), or
    None when msgspec is not installed, numbers are read as text, or a
    declaration is of a kind it does not take."""
    if reader.numbers_as_text:
        return None
    try:
        import msgspec
    except ImportError:  # pragma: no cover - a dependency; the usual path still reads
        return None
    try:
        return _Builder(reader, msgspec).build()
    except _Unsupported:
        return None


class _Builder:
    def __init__(self, reader: CaseReader, msgspec: Any):
        self.reader, self.msgspec = reader, msgspec
        self.names: dict[str, Any] = {"SLOW": SLOW}
        self.src: list[str] = []
        self.count = 0

    def const(self, value: Any) -> str:
        name = f"_k{len(self.names)}"
        self.names[name] = value
        return name

    def build(self) -> ReadText:
        from .cases import MAX_CASE_DEPTH
        from .readers import _depth

        facts = self.reader.policy.facts
        if _depth(facts) > MAX_CASE_DEPTH:
            raise _Unsupported
        case_type = self.record_type(facts, "case")
        decode = self.msgspec.json.Decoder(case_type).decode
        self.src += [
            "def read(text):",
            "    try:",
            f"        case = {self.const(decode)}(text)",
            # a lone surrogate in the text itself cannot be encoded (ValueError);
            # msgspec skips a key no record declares recursively, so objects
            # nested some thousands deep under one raise RecursionError
            f"    except ({self.const(self.msgspec.DecodeError)}, ValueError, RecursionError):",
            "        return SLOW  # the usual path says what it is",
            "    n = len(case)",
            *self.record_post(facts, None, "case", "    "),
            # the text as read (UTF-8 bytes: msgspec checks them) or as text
            "    if n != (text.count(b':') if text.__class__ is bytes else text.count(':')):",
            "        return SLOW",
            "    return case",
        ]
        code = compiled_code(
            "\n".join(self.src) + "\n", "<case text reader>", self.reader.policy.compiled
        )
        exec(code, self.names)
        return self.names["read"]

    # -- the types msgspec decodes to ----------------------------------------------------
    def type_of(self, decl: FactDecl) -> Any:
        ms = self.msgspec
        t = decl.type
        if t == "boolean":
            return bool
        if t == "enum" and decl.enum is not None:
            values = tuple(self.reader.policy.enums[decl.enum].values)
            if not values or not all(isinstance(v, str) for v in values):
                raise _Unsupported
            return Literal.__getitem__(values)
        if t == "string":
            return Annotated[str, ms.Meta(max_length=1000)]
        if t == "date":
            return _dt.date
        if t in ("number", "money"):
            return ms.Raw  # its text: made a Decimal as the case decoder does
        if t == "list" and decl.items is not None:
            from .cases import MAX_LIST_ITEMS

            low = decl.min_items if decl.min_items is not None else 0
            high = min(
                MAX_LIST_ITEMS, decl.max_items if decl.max_items is not None else MAX_LIST_ITEMS
            )
            if low > high:
                raise _Unsupported
            items: Any = self.type_of(decl.items)
            return Annotated[list[items], ms.Meta(min_length=low, max_length=high)]
        if t == "record":
            return self.record_type(decl.fields, decl.path)
        raise _Unsupported

    def record_type(self, fields: dict[str, FactDecl], path: str) -> Any:
        self.count += 1
        name = f"Record{self.count}"
        return TypedDict(name, {k: self.type_of(d) for k, d in fields.items()}, total=False)  # type: ignore[operator]

    # -- what Python finishes: numbers, formats, constraints, the keys counted -------
    # One function for the whole case, each record's lines written in place
    # (no call per record): they finish the decoded record ``d`` in place,
    # add the keys of the records in it to ``n`` (its own were added where it
    # was met) and ``return SLOW`` when it is not the common case.
    def var(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def record_post(
        self, fields: dict[str, FactDecl], decl: FactDecl | None, d: str, pad: str
    ) -> list[str]:
        out: list[str] = []
        for name, f in fields.items():
            v = self.var("v")
            lines = self.field_post(f, v, f"{d}[{name!r}]")
            if lines:
                out += [f"{pad}{v} = {d}.get({name!r})", f"{pad}if {v} is not None:"]
                out += [pad + "    " + line for line in lines]
        constraints = list(decl.constraints) if decl is not None else []
        if constraints:
            out += [pad + line for line in self.constraints_post(constraints, fields, d)]
        return out

    def constraints_post(self, constraints: list, fields: dict[str, FactDecl], d: str) -> list[str]:
        """A record's constraints checked by the case reader's own generated
        function, called in place (without the memo: the values of a
        training seldom recur in a batch)."""
        from dsl.errors import EvaluationError

        from .readers import NO_STANDARDS, constraints_function

        fn = constraints_function(constraints, self.reader, fields)
        if fn is None:  # the closures check them
            hold = _generated_hold(constraints, self.reader, fields)
            return [f"if not {self.const(hold)}({d}):", "    return SLOW"]
        g = self.var("g")
        return [
            "try:",
            f"    {g} = {self.const(fn)}({d}, None, {self.const(NO_STANDARDS)}, None)",
            f"except {self.const(EvaluationError)}:",
            "    return SLOW",
            # all true: one comparison; else each looked at, as the check does
            f"if {g} != {self.const((True,) * len(constraints))}:",
            f"    for ok in {g}:",
            "        if ok is False:",
            "            return SLOW",
        ]

    def field_post(self, decl: FactDecl, v: str, target: str) -> list[str]:
        """Lines that finish the decoded value ``v`` of ``decl``, held at
        ``target`` (``d[name]``, a list's item)."""
        t = decl.type
        if t in ("number", "money"):
            return self.number_post(decl, v, target)
        if t == "string" and decl.format is not None:
            leaf = self.const(_leaf(self.reader, decl))
            fmt = get_format(decl.format)
            full = [f"x = {leaf}({v})", "if x is SLOW:", "    return SLOW", f"{target} = x"]
            if fmt.canonical is None:
                return full
            # the canonical form, valid, is kept as it is; anything else is
            # normalised (or refused) as the case reader does
            return [f"if {self.const(fmt.canonical)}({v}) is None:", *("    " + x for x in full)]
        if t == "record":
            r = self.var("r")
            return [f"n += len({v})", f"{r} = {v}", *self.record_post(decl.fields, decl, r, "")]
        if t == "list" and decl.items is not None:
            items, i, y = self.var("l"), self.var("i"), self.var("y")
            inner = self.field_post(decl.items, y, f"{items}[{i}]")
            if not inner:
                return []
            sets = decl.items.type != "record"  # a record is finished in place
            head = f"for {i}, {y} in enumerate({items}):" if sets else f"for {y} in {items}:"
            return [f"{items} = {v}", head, *("    " + x for x in inner)]
        return []

    def number_post(self, decl: FactDecl, v: str, target: str) -> list[str]:
        """A number: its JSON text (msgspec.Raw) made a Decimal and checked as
        the case reader does (``_number``); a text of digits alone (a whole
        number of at most 12 digits, within the bounds) without a call, as
        its int made a Decimal, which is the Decimal of the same text. The
        Decimal of a text this field took before is taken from the field's
        own table (days, months and amounts recur across cases; a Decimal
        is immutable, so one may serve many cases), as dates are."""
        number = self.const(_number(self.reader, decl))
        known = self.const({})
        low = decl.minimum if decl.minimum is not None else None
        high = decl.maximum
        s, i = self.var("s"), self.var("i")
        test = [f"{s}.isdigit()", f"len({s}) <= 12"]
        if low is not None or high is not None:
            bounds = f"({i} := int({s}))"
            if low is not None:
                bounds = f"{self.const(_int_or(low))} <= {bounds}"
            if high is not None:
                bounds += f" <= {self.const(_int_or(high))}"
            test.append(bounds)
            made = f"{self.const(Decimal)}({i})"
        else:
            made = f"{self.const(Decimal)}(int({s}))"
        return [
            f"{s} = bytes({v})",
            f"x = {known}.get({s})",
            "if x is None:",
            f"    if {' and '.join(test)}:",
            f"        x = {made}",
            "    else:",
            f"        x = {number}({v})",
            "        if x is SLOW:",
            "            return SLOW",
            f"    if len({known}) < {KNOWN_NUMBERS}:",
            f"        {known}[{s}] = x",
            f"{target} = x",
        ]


KNOWN_NUMBERS = 4096  # the texts of one field's numbers remembered with their Decimals


def _int_or(bound: Decimal) -> int | Decimal:
    """A bound as an int when it is whole (an int compares with an int
    faster than with a Decimal, and exactly), else as it is."""
    return int(bound) if bound == bound.to_integral_value() else bound


def _number(reader: CaseReader, decl: FactDecl) -> Callable[[Any], Any]:
    """A number of the case from its JSON text (msgspec.Raw): made a Decimal
    as the case decoder makes one (cases._int_from_text, decimal_from_text:
    the same tests of its text), then checked as the case reader checks it
    (readers._leaf: finite, within bounds, whole, money to the fen), in one
    call. SLOW for anything else."""
    from .cases import ABS_LIMIT, MAX_NUMBER_CHARS, number_problem

    t = decl.type
    low = decl.minimum if decl.minimum is not None else (_ZERO if t == "money" else None)
    high, integer = decl.maximum, decl.integer
    places = -reader._places
    money = t == "money"

    def number(raw: Any) -> Any:
        text = bytes(raw)
        if not text or text[0] not in _NUMBER_START:
            return SLOW  # text, a list, true, null: the usual path says what it is
        s = text.decode("ascii")
        if "." in s or "e" in s or "E" in s:
            if number_problem(s) is not None:
                return SLOW
        elif len(s) > MAX_NUMBER_CHARS:
            return SLOW
        v = Decimal(s)
        if (
            v.is_finite()
            and v.copy_abs() <= ABS_LIMIT
            and (low is None or v >= low)
            and (high is None or v <= high)
            and (not integer or v == v.to_integral_value())
            # finite: its exponent is a number
            and (not money or cast(int, v.as_tuple().exponent) >= places)
        ):
            return v
        return SLOW

    return number


_ZERO = Decimal(0)
_NUMBER_START = frozenset(b"-0123456789")
