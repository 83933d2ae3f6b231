"""Cases: read a case file, check it against the declared facts, and turn its
JSON values into runtime values (Decimal, date); and generate the case JSON
Schema from the same declarations, so there is one source of truth.

Decisions for the format, documented in the README:
- a fact that is absent or null is *missing*: not an error, it makes the
  decisions that need it undetermined;
- a field the policy does not declare is an error (a typo must not silently
  leave a fact missing), except keys starting with "_" or "$", kept as notes;
- numbers must be finite and within the declared minimum/maximum (and
  within ±10^12 when none is declared); NaN, Infinity and 1e400 are refused.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, cast

from dsl.dates import date_problem
from dsl.errors import CaseError, Position
from dsl.values import NONE, to_json

from .formats import FormatError, get_format
from .model import FactDecl, Policy
from .readers import SLOW as _SLOW_CASE
from .readers import case_reader

MAX_CASE_BYTES = 1024 * 1024
MAX_CASE_DEPTH = 20
MAX_LIST_ITEMS = 10000
ABS_LIMIT = Decimal(10) ** 12
# a number is checked as text before it becomes a Decimal, so no arithmetic
# ever meets 1E9999999999999999999 (which Decimal cannot hold: exit 3 once) or
# 1e-99999999 (which printed as 100 MB of digits): docs/limits.md
MAX_NUMBER_CHARS = 64  # characters of one number as written
MAX_FRACTION_DIGITS = 12  # digits after the decimal point (value as written)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Constant(ValueError):
    pass


class _Duplicate(ValueError):
    pass


class _BadNumber(ValueError):
    pass


_NUMBER = re.compile(r"[-+]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?")


def number_problem(text: str) -> str | None:
    """Why the number written ``text`` is not one a case may contain (too long,
    an exponent out of range, more than MAX_FRACTION_DIGITS digits after the
    point), or None. Looks at the text only: no arithmetic is done on it."""
    if len(text) > MAX_NUMBER_CHARS:
        return (
            f"{text[:30]}… ({len(text)} characters) is not a usable number (a case's "
            f"numbers are written in at most {MAX_NUMBER_CHARS} characters)"
        )
    m = _NUMBER.fullmatch(text.strip())
    if m is None:
        return None  # not a number at all: Decimal() says so
    whole, frac, exp = m.group(1) or "", m.group(2) or "", m.group(3)
    e = int(exp) if exp else 0
    if abs(e) > 10**6:
        return (
            f"{text.strip()} is not a usable number (a case's numbers are finite and "
            f"within ±{ABS_LIMIT:f}, with at most {MAX_FRACTION_DIGITS} digits after the "
            "point)"
        )
    digits = (whole + frac).lstrip("0")
    if not digits.rstrip("0"):
        return None  # zero, however written
    # digits after the point of the value: those written, less the exponent,
    # not counting trailing zeros
    after = (
        len(frac.rstrip("0")) - e
        if frac.rstrip("0")
        else -e - (len(whole) - len(whole.rstrip("0")))
    )
    if after > MAX_FRACTION_DIGITS:
        shown = text.strip() if len(text.strip()) <= 30 else text.strip()[:30] + "…"
        return (
            f"{shown} has {after} digits after the decimal point; a case's numbers have "
            f"at most {MAX_FRACTION_DIGITS}"
        )
    return None


def decimal_from_text(text: str) -> Decimal:
    """A number of a case, from its text (JSON, a CSV cell, a stored decision):
    refused (ValueError) before it is a Decimal when number_problem says so."""
    problem = number_problem(text)
    if problem is not None:
        raise _BadNumber(problem)
    return Decimal(text)


def _int_from_text(text: str) -> Decimal:
    """A whole number of a case (JSON's -?(0|[1-9][0-9]*)): it has no point
    and no exponent, so number_problem can only find it too long."""
    if len(text) > MAX_NUMBER_CHARS:
        return decimal_from_text(text)
    return Decimal(text)


def _reject_constant(name: str) -> NoReturn:
    raise _Constant(f"{name} is not a number a case may contain")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # a key given twice: name the first
        seen = set()
        for k, _v in pairs:
            if k in seen:
                raise _Duplicate(f'the key "{_brief(k)}" is given twice')
            seen.add(k)
    return out


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|[{}\[\],:]|-?[0-9][0-9.eE+-]*')


def _locate(text: str, kind: type) -> tuple[int | None, int | None, str | None]:
    """Line, column and field path of the first duplicate key, NaN/Infinity or
    unusable number in ``text`` (which json.loads has just refused for that
    reason)."""
    stack: list[list] = []  # [keys seen, current key] for objects, [index] for lists
    expect_key = False
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok == "{":
            stack.append([set(), None])
            expect_key = True
        elif tok == "[":
            stack.append([0])
            expect_key = False
        elif tok in "}]":
            stack.pop() if stack else None
            expect_key = False
        elif tok == ",":
            if stack and len(stack[-1]) == 1:
                stack[-1][0] += 1
            expect_key = bool(stack) and len(stack[-1]) == 2
        elif tok == ":":
            expect_key = False
        else:
            at = None
            if tok.startswith('"') and expect_key and stack:
                key = json.loads(tok)
                stack[-1][1] = key
                if key in stack[-1][0] and kind is _Duplicate:
                    at = m.start()
                stack[-1][0].add(key)
            elif (not tok.startswith('"') and kind is _Constant and tok[-1:] in "yN") or (
                not tok.startswith('"') and kind is _BadNumber and number_problem(tok)
            ):
                at = m.start()
            if at is not None:
                line = text.count("\n", 0, at) + 1
                col = at - (text.rfind("\n", 0, at) + 1) + 1
                path = ""
                for entry in stack:
                    if len(entry) == 1:
                        path += f"[{entry[0]}]"
                    elif entry[1] is not None:
                        path += ("." if path else "") + _brief(entry[1])
                return line, col, path or None
    return None, None, None


# built once: json.loads with arguments builds a decoder per call (a batch reads
# millions of lines)
_DECODER = json.JSONDecoder(
    parse_float=decimal_from_text,
    parse_int=_int_from_text,
    parse_constant=_reject_constant,
    object_pairs_hook=_pairs,
)


def parse_json_text(text: str, name: str) -> object:
    try:
        if text.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        msg = exc.msg.removesuffix(" at")  # json's "Invalid control character at"
        raise CaseError(
            f"not valid JSON: {msg}", position=Position(name, exc.lineno, exc.colno)
        ) from None
    except (_Constant, _Duplicate, _BadNumber) as exc:
        try:
            line, col, path = _locate(text, type(exc))
        except RecursionError:  # pragma: no cover - the scan is not recursive
            line = col = path = None
        raise CaseError(
            str(exc), position=Position(name, line, col), context=f"field {path}" if path else None
        ) from None
    except ValueError as exc:
        raise CaseError(str(exc), position=Position(name)) from None
    except RecursionError:
        raise CaseError("the JSON nests too deeply", position=Position(name)) from None


def read_case_file(path: str | Path) -> tuple[Any, bytes]:
    """The parsed JSON of a case file and its bytes (for the audit hash)."""
    path = Path(path)
    name = str(path)
    try:
        if str(path) == "-":
            import sys

            raw = sys.stdin.buffer.read(MAX_CASE_BYTES + 1)
            name = "<stdin>"
        else:
            # never more than the limit into memory (a huge file, /dev/zero)
            with path.open("rb") as f:
                raw = f.read(MAX_CASE_BYTES + 1)
                size = os.fstat(f.fileno()).st_size
    except OSError as exc:
        raise CaseError(
            f"cannot read the case file: {exc.strerror}", position=Position(name)
        ) from None
    if len(raw) > MAX_CASE_BYTES:
        known = size if str(path) != "-" and size > MAX_CASE_BYTES else None
        raise CaseError(
            f"the case file is {known} bytes; the limit is {MAX_CASE_BYTES}"
            if known
            else f"the case file is larger than the limit of {MAX_CASE_BYTES} bytes",
            position=Position(name),
        )
    return parse_case_bytes(raw, name), raw


def parse_case_bytes(raw: bytes, name: str) -> Any:
    """The parsed JSON of a case given as bytes (a file's, or a request's body
    in `policy serve`: the same messages for both)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CaseError(
            f"the case file is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            position=Position(name, line),
        ) from None
    if not text.strip():
        raise CaseError("the case file is empty", position=Position(name))
    return parse_json_text(text, name)


_UNBUILT = object()  # the fast reader is not built yet
FAST_AFTER = 2  # the case a reader converts first with its fast reader


class CaseReader:
    """Checks a JSON case against the policy's fact declarations."""

    def __init__(self, policy: Policy, numbers_as_text: bool = False):
        self.policy = policy
        # a stored decision writes numbers as exact decimal text ("1234.50");
        # replaying it reads them back
        self.numbers_as_text = numbers_as_text
        self._enum_values = {name: frozenset(e.values) for name, e in policy.enums.items()}
        # money is given no finer than it is paid (document.yaml money.places)
        self._places = policy.document.money.places
        self._fen = Decimal(1).scaleb(-self._places)
        self._dates: dict[str, _dt.date] = {}  # the same dates recur across cases
        # valid cases in one walk (interpreter/readers.py), anything else
        # through the checking path. Generating the fast reader costs a few
        # milliseconds, more than the checking path takes for a case: it is
        # built for the FAST_AFTER-th case a reader converts, so a command
        # that reads one case (policy eval, a replay) never pays for it.
        self._read_fast: Any = _UNBUILT
        self._read_text: Any = _UNBUILT
        self._converted = 0
        self._texts = 0  # texts read by read_text: its reader too is built for the FAST_AFTER-th

    def fast_reader(self) -> Any:
        """The fast reader, built now if it is not yet (None: there is none,
        the declarations nest too deeply, or numbers are read as text)."""
        if self._read_fast is _UNBUILT:
            self._read_fast = (
                None
                if self.numbers_as_text
                else case_reader(self, self.policy.facts, MAX_CASE_DEPTH)
            )
        return self._read_fast

    def text_reader(self) -> Any:
        """The reader of a case's JSON text (interpreter/jsonreader.py), built
        now if it is not yet: the facts as ``convert(parse_json_text(text))``
        gives them, or SLOW, for a batch line; None when there is none."""
        if self._read_text is _UNBUILT:
            from .jsonreader import text_reader

            self._read_text = text_reader(self)
        return self._read_text

    def read_text(self, text: str | bytes, source: str = "<case>") -> dict:
        """The facts of a case given as its JSON text: a str, or the bytes of
        a file or a request (UTF-8, a byte order mark allowed, as
        ``parse_case_bytes`` reads them). The same facts, and the same
        refusals and messages, as ``convert(parse_json_text(text, source),
        source)`` (``parse_case_bytes`` for bytes), which reads any text the
        text reader (interpreter/jsonreader.py) does not take; that one
        reads the common case in one pass, in about half the time. It is
        generated for the FAST_AFTER-th text, as the fast reader is, so that
        a command that reads one case does not pay for it."""
        read = self._read_text
        if read is _UNBUILT:
            self._texts += 1
            read = self.text_reader() if self._texts >= FAST_AFTER else None
        if read is not None:
            facts = read(text)
            if facts is not _SLOW_CASE:
                return facts
        if isinstance(text, str):
            return self.convert(parse_json_text(text, source), source)
        return self.convert(parse_case_bytes(text, source), source)

    def convert(self, data: Any, source: str = "<case>") -> dict:
        fast = self._read_fast
        if fast is _UNBUILT:
            self._converted += 1
            fast = self.fast_reader() if self._converted >= FAST_AFTER else None
        if fast is not None and not self.numbers_as_text:
            out = fast(data)
            if out is not _SLOW_CASE:
                return out
        if not isinstance(data, dict):
            raise CaseError(
                f"a case is a JSON object: {{ ... }}, found {_show(data)}",
                position=Position(source),
            )
        self._nones: list[tuple] = []
        out = self._record(data, self.policy.facts, "", source, 0)
        if self._nones:
            # the records stated none, for the facts as read (facts_json)
            out[NONE_PATHS] = tuple(self._nones)
        return out

    def _record(
        self,
        data: dict,
        fields: dict[str, FactDecl],
        prefix: str,
        source: str,
        depth: int,
        record: FactDecl | None = None,
    ) -> dict:
        if depth > MAX_CASE_DEPTH:
            raise CaseError(
                "the case nests too deeply", position=Position(source), context=f"field {prefix}"
            )
        out = {}
        for key, value in data.items():
            decl = fields.get(key)
            if decl is not None and value is not None:
                # the common case first: a valid leaf of a declared type, no path built
                fast = self._fast(value, decl)
                if fast is not _SLOW:
                    out[key] = fast
                    continue
            if key[:1] in ("_", "$"):
                continue
            path = f"{prefix}.{key}" if prefix else key
            if decl is None:
                import difflib

                path = _brief(path)
                close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else ("fields here: " + ", ".join(fields) if fields else None)
                )
                raise CaseError(
                    f"the policy declares no fact '{path}'",
                    position=Position(source),
                    context=f"field {path}",
                    hint=hint,
                )
            if value is None:
                continue
            out[key] = self._value(value, decl, path, source, depth)
        if record is not None and record.constraints:
            self._constrain(record, out, prefix, source)
        return out

    def _stated_none(
        self, value: dict, decl: FactDecl, path: str, bad: Callable[..., CaseError]
    ) -> Any:
        """``{"none": true}``: the fact is known not to exist or not to apply,
        where facts.yaml declares what that means for it."""
        others = [k for k in value if k != "none" and k[:1] not in ("_", "$")]
        if value["none"] is not True:
            raise bad(f'"none" is written {{"none": true}}, found {_show(value["none"])}')
        if others:
            raise bad(
                'a fact stated none has no fields of its own: give {"none": true} '
                f"or the fields, not both (found '{_brief(others[0])}')"
            )
        if decl.none is None:
            instead = {
                "boolean": "write false when it is not so",
                "number": "write 0 when there is nothing to count",
                "money": "write 0 when there is no amount",
                "list": "write [] when there is nothing in it",
            }.get(decl.type)
            raise bad(
                "the policy does not let this fact be stated as none (facts.yaml "
                "declares no 'none' for it)",
                (instead + "; " if instead else "") + "leave it out when it is not known",
            )
        return self._none_value(decl, _path_parts(path))

    def _none_value(self, decl: FactDecl, parts: tuple) -> Any:
        """The value of a fact stated none: a record's fields are none too (its
        booleans false, its lists empty); any other fact is NONE."""
        t = decl.type
        if t == "record":
            self._nones.append(parts)
            return {k: self._none_value(f, parts + (k,)) for k, f in decl.fields.items()}
        if t == "list":
            return []
        if t == "boolean":
            return False
        return NONE

    def _constrain(self, record: FactDecl, values: dict, prefix: str, source: str) -> None:
        """The record's declared constraints (facts.yaml): a false one refuses
        the case, naming the field and showing the values it compared; one
        that a missing field leaves unknown is not checked."""
        from dsl import Context, EvaluationError

        for c in record.constraints:
            try:
                ok = c.rule.expression.fn(Context(values))
            except EvaluationError:
                ok = False
            if ok is False:
                shown = ", ".join(f"{prefix}.{f} = {_show_value(values.get(f))}" for f in c.reads)
                raise CaseError(
                    f"{c.message.zh} ({c.message.en}): {shown}",
                    position=Position(source),
                    context=f"field {prefix}.{c.field}",
                )

    def _fast(self, value: Any, decl: FactDecl) -> Any:
        """A valid leaf value converted, or _SLOW to take the checking path
        (which gives the message for anything out of the ordinary)."""
        t = decl.type
        cls = value.__class__
        if t == "boolean":
            return value if cls is bool else _SLOW
        if t == "enum":
            # an enum fact names its enum (the schema requires it)
            return (
                value if cls is str and value in self._enum_values[cast(str, decl.enum)] else _SLOW
            )
        if t == "date":
            if cls is str:
                got = self._dates.get(value)
                if got is not None:
                    return got
            return _SLOW
        if t == "string":
            if cls is not str or len(value) > 1000 or _SURROGATE.search(value):
                return _SLOW
            if decl.format is None:
                return value
            try:
                return get_format(decl.format).normalise(value)
            except FormatError:
                return _SLOW
        if t in ("number", "money") and cls is Decimal and value.is_finite():
            low = decl.minimum if decl.minimum is not None else (_ZERO if t == "money" else None)
            if (
                value.copy_abs() <= ABS_LIMIT
                and (low is None or value >= low)
                and (decl.maximum is None or value <= decl.maximum)
                and (not decl.integer or value == value.to_integral_value())
                and (t != "money" or value.as_tuple().exponent >= -self._places)
            ):
                return value
        return _SLOW

    def _value(self, value: Any, decl: FactDecl, path: str, source: str, depth: int) -> Any:
        def bad(message: str, hint: str | None = None) -> CaseError:
            return CaseError(message, position=Position(source), context=f"field {path}", hint=hint)

        t = decl.type
        if (
            value.__class__ is dict
            and "none" in value
            and (t != "record" or "none" not in decl.fields)
        ):
            return self._stated_none(value, decl, path, bad)
        if t == "record":
            if not isinstance(value, dict):
                raise bad(f"expected an object {{...}}, found {_show(value)}")
            return self._record(value, decl.fields, path, source, depth + 1, decl)
        if t == "list":
            if not isinstance(value, list):
                raise bad(f"expected a list [...], found {_show(value)}")
            if len(value) > MAX_LIST_ITEMS:
                raise bad(f"the list has {len(value)} items; the limit is {MAX_LIST_ITEMS}")
            if decl.min_items is not None and len(value) < decl.min_items:
                raise bad(
                    "the list is empty; give at least "
                    f"{decl.min_items} item(s), or leave the field out"
                    if not value
                    else f"the list has {len(value)} item(s); give at least {decl.min_items}"
                )
            if decl.max_items is not None and len(value) > decl.max_items:
                raise bad(f"the list has {len(value)} items; at most {decl.max_items} allowed")
            items = []
            for i, item in enumerate(value):
                if item is None:
                    raise bad(f"item {i} is null")
                # a list fact declares its items (the schema requires them)
                items.append(
                    self._value(item, cast(FactDecl, decl.items), f"{path}[{i}]", source, depth + 1)
                )
            return items
        if t == "boolean":
            if not isinstance(value, bool):
                raise bad(f"expected true or false, found {_show(value)}")
            return value
        if t in ("number", "money"):
            if isinstance(value, str) and number_problem(value) is not None:
                # a CSV cell, a stored decision (the problem was found just above)
                raise bad(cast(str, number_problem(value)))
            if self.numbers_as_text and isinstance(value, str):
                with contextlib.suppress(InvalidOperation):
                    value = Decimal(value)
            if isinstance(value, bool) or not isinstance(value, Decimal):
                raise bad(
                    f"expected a number, found {_show(value)}",
                    "write numbers without quotes, e.g. 1500" if isinstance(value, str) else None,
                )
            try:
                finite = value.is_finite()
            except InvalidOperation:
                finite = False
            # copy_abs, not abs(): abs() rounds, and overflows for 1e999999999
            if not finite or value.copy_abs() > ABS_LIMIT:
                raise bad(
                    f"{_show(value)} is not a usable number (a case's numbers are finite "
                    f"and within ±{ABS_LIMIT:f})"
                )
            low = (
                decl.minimum if decl.minimum is not None else (Decimal(0) if t == "money" else None)
            )
            if low is not None and value < low:
                raise bad(f"{_show(value)} is below the smallest allowed value {low}")
            if decl.maximum is not None and value > decl.maximum:
                raise bad(f"{_show(value)} is above the largest allowed value {decl.maximum}")
            if decl.integer and value != value.to_integral_value():
                raise bad(
                    f"expected a whole number, found {_show(value)}",
                    "write a whole number, without a decimal point",
                )
            problem = number_problem(str(value))
            if problem is not None:  # a Decimal that did not come from our parser
                raise bad(problem)
            if t == "money" and value != value.quantize(self._fen, rounding=ROUND_DOWN):
                raise bad(
                    f"{_show(value)} is finer than money is paid: at most "
                    f"{self._places} decimal places",
                    f"give the amount as paid, e.g. {value.quantize(self._fen, ROUND_HALF_UP)}",
                )
            return value
        if t == "date":
            if not isinstance(value, str):
                raise bad(f'expected a date "YYYY-MM-DD", found {_show(value)}')
            try:
                # only YYYY-MM-DD: fromisoformat alone also takes "2020-W01-1"
                if not _DATE.fullmatch(value):
                    raise ValueError
                day = _dt.date.fromisoformat(value)
                if len(self._dates) < 20000:
                    self._dates[value] = day
                return day
            except ValueError:
                raise bad(*date_problem(value, _show(value))) from None
        if t == "enum":
            values = self.policy.enums[cast(str, decl.enum)].values
            if not isinstance(value, str) or value not in values:
                import difflib

                close = difflib.get_close_matches(str(value), values, n=1, cutoff=0.5)
                raise bad(
                    f"{_show(value)} is not one of: " + "、".join(values),
                    f'did you mean "{close[0]}"?' if close else None,
                )
            return value
        if t == "string":
            if not isinstance(value, str):
                raise bad(f"expected text in quotes, found {_show(value)}")
            if len(value) > 1000:
                raise bad("the text is longer than 1000 characters")
            if _SURROGATE.search(value):
                raise bad(
                    "the text contains an invalid character (a lone \\u escape "
                    "between \\ud800 and \\udfff, which is not a character)"
                )
            if decl.format is not None:
                # the canonical form: two spellings of one person are one value
                fmt = get_format(decl.format)
                try:
                    return fmt.normalise(value)
                except FormatError as exc:
                    raise bad(
                        f"{_show(value)} is not a valid {fmt.label}: {exc.message}", exc.hint
                    ) from None
            return value
        raise bad(f"the policy declares an unknown type '{t}'")  # pragma: no cover


_SLOW = object()
# the key, among the facts as read, of the paths of the records a case stated
# none (a key no fact can have: "$" starts a note in a case)
NONE_PATHS = "$none"


def _path_parts(path: str) -> tuple:
    """ "history[0].level" → ("history", 0, "level")."""
    out: list = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        out.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            out.append(int(index))
            rest = rest.lstrip("[")
    return tuple(out)


def facts_json(facts: dict) -> dict:
    """The facts as read, as JSON a case would carry (a stated-none record
    as {"none": true}, as the case wrote it), for the audit record and a
    replay."""
    out = to_json({k: v for k, v in facts.items() if k != NONE_PATHS})
    for parts in sorted(facts.get(NONE_PATHS, ()), key=len, reverse=True):
        node = out
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = {"none": True}
    return out


_ZERO = Decimal(0)


def _brief(text: str, limit: int = 60) -> str:
    """Text for a message: a long key or value cut short."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _show_value(value: Any) -> str:
    """A converted value (a date, a Decimal) as a case writes it."""
    if isinstance(value, _dt.date):
        return f'"{value.isoformat()}"'
    return _show(value)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        plain = value.is_finite() and -30 < value.adjusted() < 30
        return _brief(format(value, "f") if plain else str(value))
    if isinstance(value, str):
        return _brief(json.dumps(value, ensure_ascii=bool(_SURROGATE.search(value))))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return str(value)


# -- the case JSON Schema, generated from the declarations ----------------------------


def case_schema(policy: Policy) -> dict:
    props = {name: _schema(d, policy) for name, d in policy.facts.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:policy:{policy.document.id}:case",
        "title": f"Case for {policy.document.number} {policy.document.title}",
        "description": "Generated from facts.yaml. Every fact is optional: a missing fact "
        "makes the decisions that need it undetermined. Keys starting with "
        "'_' or '$' are notes and are ignored.",
        "type": "object",
        "properties": props,
        "patternProperties": {"^[_$]": {}},
        "additionalProperties": False,
    }


def _schema(d: FactDecl, policy: Policy) -> dict:
    s: dict = {}
    title = " / ".join(x for x in (d.label, d.label_en) if x)
    if title:
        s["title"] = title
    desc = " ".join(x for x in (d.description, d.description_en) if x)
    if desc:
        s["description"] = desc
    if d.type == "record":
        s.update(
            type=["object", "null"],
            properties={k: _schema(v, policy) for k, v in d.fields.items()},
            patternProperties={"^[_$]": {}},
            additionalProperties=False,
        )
        if d.constraints:
            # JSON Schema cannot compare two fields: an annotation the reader
            # (and the officer's form) enforces, and words in the description
            s["x-constraints"] = [
                {
                    "expr": c.rule.text,
                    "field": c.field,
                    "message": {"zh": c.message.zh, "en": c.message.en},
                }
                for c in d.constraints
            ]
            s["description"] = " ".join(
                [s.get("description", "")]
                + [
                    f"约束 / constraint: {c.rule.text} ({c.message.zh} / {c.message.en})"
                    for c in d.constraints
                ]
            ).strip()
    elif d.type == "list":
        s.update(
            type=["array", "null"],
            items=_schema(d.items, policy) if d.items else {},
            maxItems=min(
                MAX_LIST_ITEMS, d.max_items if d.max_items is not None else MAX_LIST_ITEMS
            ),
        )
        if d.min_items:
            s["minItems"] = d.min_items
        if isinstance(s["items"].get("type"), list):
            s["items"]["type"] = [t for t in s["items"]["type"] if t != "null"]
    elif d.type == "boolean":
        s["type"] = ["boolean", "null"]
    elif d.type in ("number", "money"):
        s["type"] = ["integer" if d.integer else "number", "null"]
        low = d.minimum if d.minimum is not None else (Decimal(0) if d.type == "money" else None)
        if low is not None:
            s["minimum"] = _num(low)
        if d.maximum is not None:
            s["maximum"] = _num(d.maximum)
    elif d.type == "date":
        s.update(type=["string", "null"], format="date", pattern=r"^\d{4}-\d{2}-\d{2}$")
    elif d.type == "enum":
        s["enum"] = list(policy.enums[cast(str, d.enum)].values) + [None]
    else:
        s["type"] = ["string", "null"]
        s["maxLength"] = 1000
        if d.format is not None:
            # an annotation (validators ignore formats they do not know); the
            # description says what the reader accepts and refuses
            fmt = get_format(d.format)
            s["format"] = d.format
            s["description"] = " ".join(x for x in (s.get("description"), fmt.description) if x)
    if d.example is not None:
        s["examples"] = [
            _num(d.example)
            if isinstance(d.example, Decimal)
            else (d.example.isoformat() if isinstance(d.example, _dt.date) else d.example)
        ]
    if d.none is not None:
        # stated known none: {"none": true}, beside the fact's own form
        meta = ("title", "description", "examples")
        body = {k: v for k, v in s.items() if k not in meta}
        s = {k: v for k, v in s.items() if k in meta}
        s["anyOf"] = [
            body,
            {
                "title": f"{d.none.zh} / {d.none.en}",
                "type": "object",
                "properties": {"none": {"const": True}},
                "required": ["none"],
                "additionalProperties": False,
            },
        ]
        s["x-none"] = {"zh": d.none.zh, "en": d.none.en}
    return s


def _num(x: Decimal) -> int | float:
    return int(x) if x == x.to_integral_value() else float(x)
