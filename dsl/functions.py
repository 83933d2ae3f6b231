"""The registered functions: the only functions an expression can call.

Each entry declares its arity, the type rule the checker applies, and its
implementation. Arity and argument types are checked in one place
(``dsl.checker``); nothing outside this table can be called.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

from . import types as T
from .errors import EvaluationError
from .records import Record

ROUNDING_MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
}


class Function(Record, frozen=True):
    name: str
    min_args: int
    max_args: int | None  # None: any number
    signature: str  # as shown in messages and docs
    doc: str
    type_rule: TypeRule
    impl: Callable[..., Any] | None = None  # plain function over known values
    lambda_arg: int | None = None  # index of the argument that is `x -> ...`
    reads_presence: bool = False  # present(): sees unknown instead of propagating it
    # known(): true for every value it is given, none too (the generated
    # code writes True for it, without a call)
    true_when_known: bool = False
    # (index, check): the argument that must be written in the rule as quoted
    # text, and what is wrong with that text (None: nothing); matches()' pattern
    literal: tuple[int, Callable[[str], str | None]] | None = None


class Report:
    """What a type rule uses to complain about argument i."""

    def __init__(self, error: Callable[[int, str], object]) -> None:
        self._error = error

    def __call__(self, index: int, message: str) -> None:
        self._error(index, message)


# report(i, message): what is wrong with argument i
Reporter = Callable[[int, str], object]
# (argument types, report) -> the result's type
TypeRule = Callable[[list[T.Type], Reporter], T.Type]


# --- type rules ----------------------------------------------------------------


def _numeric_args(types: list[T.Type], report: Reporter) -> T.Type:
    result = T.NUMBER
    for i, t in enumerate(types):
        if not T.is_numeric(t):
            report(i, f"expected a number or an amount of money, found {t}")
        elif t == T.MONEY:
            result = T.MONEY
    return result


def _round_rule(types: list[T.Type], report: Reporter) -> T.Type:
    result = _numeric_args(types[:1], report)
    if len(types) > 1 and not T.is_numeric(types[1]):
        report(1, f"the number of decimal places must be a number, found {types[1]}")
    if len(types) > 2 and not T.is_stringlike(types[2]) and types[2] != T.ANY:
        report(2, "the rounding mode must be one of " + ", ".join(f'"{m}"' for m in ROUNDING_MODES))
    elif len(types) > 2 and isinstance(types[2], T.EnumType):
        bad = types[2].values - set(ROUNDING_MODES)
        if bad:
            report(
                2,
                f'unknown rounding mode "{sorted(bad)[0]}"; use one of '
                + ", ".join(f'"{m}"' for m in ROUNDING_MODES),
            )
    return result


def _list_rule(result: T.Type | str, body_type: str | None = None) -> TypeRule:
    """``result``: the result's type, or "body" for the type the lambda gives."""

    def rule(types: list[T.Type], report: Reporter) -> T.Type:
        if types and not isinstance(types[0], T.ListType) and types[0] != T.ANY:
            report(0, f"expected a list, found {types[0]}")
        if len(types) > 1 and body_type is not None:
            body = types[1].body if isinstance(types[1], T.FunctionType) else T.ANY
            if body_type == "boolean" and body not in (T.BOOLEAN, T.ANY):
                report(1, f"the condition must be true or false, found {body}")
            if body_type == "numeric" and not T.is_numeric(body):
                report(1, f"the value summed must be a number, found {body}")
            if result == "body":
                return body if T.is_numeric(body) else T.NUMBER
        return result if isinstance(result, T.Type) else T.NUMBER  # "body": no lambda

    return rule


def _date_rule(result: T.Type, count: int) -> TypeRule:
    def rule(types: list[T.Type], report: Reporter) -> T.Type:
        for i, t in enumerate(types[:count]):
            if t not in (T.DATE, T.ANY):
                report(i, f"expected a date, found {t}")
        return result

    return rule


def _present_rule(types: list[T.Type], report: Reporter) -> T.Type:
    return T.BOOLEAN


def _matches_rule(types: list[T.Type], report: Reporter) -> T.Type:
    for i, t in enumerate(types[:2]):
        if not T.is_stringlike(t) and t != T.ANY:
            report(i, f"expected text, found {t}")
    return T.BOOLEAN


# matches(text, pattern): bounds that keep a match cheap whatever the text
# (Python's re backtracks): a short pattern, no repeated group (the cause of
# exponential backtracking), no back-reference or look-around, a short text
PATTERN_MAX = 100
TEXT_MAX = 1000
_REPEATED_GROUP = re.compile(r"\)(?:[*+?]|\{)")
_UNSAFE = re.compile(r"\\[1-9]|\(\?[=!<P]")


def pattern_problem(pattern: str) -> str | None:
    """What is wrong with a pattern of matches(), in plain words; None if nothing."""
    if len(pattern) > PATTERN_MAX:
        return f"the pattern is {len(pattern)} characters long; at most {PATTERN_MAX}"
    if _UNSAFE.search(pattern):
        return "the pattern may not use back-references or look-around ((?=, (?!, (?<, \\1)"
    if _REPEATED_GROUP.search(pattern):
        return "the pattern may not repeat a group ((...)*, (...)+, (...)?, (...){n}): repeat its characters instead"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"the pattern is not a regular expression: {exc}"
    return None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    problem = pattern_problem(pattern)
    if problem is not None:
        raise EvaluationError(f"matches: {problem}")
    return re.compile(pattern)


def _matches(text: str, pattern: str) -> bool:
    if len(text) > TEXT_MAX:
        raise EvaluationError(
            f"matches: the text is {len(text)} characters long; at most {TEXT_MAX} are compared"
        )
    return _compiled(pattern).fullmatch(text) is not None


# --- implementations (arguments are known values: the evaluator has already
# turned any unknown argument into an unknown result) ------------------------


def _round(value: Decimal, places: Decimal = Decimal(2), mode: str = "half_up") -> Decimal:
    try:
        exp = Decimal(1).scaleb(-int(places))
        return value.quantize(exp, rounding=ROUNDING_MODES[mode])
    except KeyError:
        raise EvaluationError(f'unknown rounding mode "{mode}"') from None


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    if low > high:
        raise EvaluationError(f"clamp: the lower bound {low} is above the upper bound {high}")
    return min(max(value, low), high)


def _months_between(a: _dt.date, b: _dt.date) -> Decimal:
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if months > 0 and b.day < a.day:
        months -= 1
    elif months < 0 and b.day > a.day:
        months += 1
    return Decimal(months)


def _days_between(a: _dt.date, b: _dt.date) -> Decimal:
    return Decimal((b - a).days)


# functions that see a fact stated none (dsl.values.NONE) as it is; any other
# function of one gives none back
TAKES_NONE = frozenset({"known"})

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function(
            "min",
            1,
            None,
            "min(a, b, ...)",
            "the smallest of its arguments",
            _numeric_args,
            lambda *a: min(a),
        ),
        Function(
            "max",
            1,
            None,
            "max(a, b, ...)",
            "the largest of its arguments",
            _numeric_args,
            lambda *a: max(a),
        ),
        Function(
            "clamp",
            3,
            3,
            "clamp(x, low, high)",
            "x kept between low and high",
            _numeric_args,
            _clamp,
        ),
        Function(
            "round",
            1,
            3,
            'round(x, places = 2, mode = "half_up")',
            'x rounded to `places` decimal places (2: to the fen); modes "half_up", '
            '"half_even", "down", "up"',
            _round_rule,
            _round,
        ),
        Function(
            "count",
            1,
            2,
            "count(list, x -> condition)",
            "how many items of the list meet the condition (all items without one)",
            _list_rule(T.NUMBER, "boolean"),
            lambda_arg=1,
        ),
        Function(
            "sum",
            2,
            2,
            "sum(list, x -> value)",
            "the total of value over the list",
            _list_rule("body", "numeric"),
            lambda_arg=1,
        ),
        Function(
            "any",
            2,
            2,
            "any(list, x -> condition)",
            "true when at least one item meets the condition",
            _list_rule(T.BOOLEAN, "boolean"),
            lambda_arg=1,
        ),
        Function(
            "all",
            2,
            2,
            "all(list, x -> condition)",
            "true when every item meets the condition",
            _list_rule(T.BOOLEAN, "boolean"),
            lambda_arg=1,
        ),
        Function(
            "year",
            1,
            1,
            "year(date)",
            "the calendar year of a date",
            _date_rule(T.NUMBER, 1),
            lambda d: Decimal(d.year),
        ),
        Function(
            "month",
            1,
            1,
            "month(date)",
            "the month (1–12) of a date",
            _date_rule(T.NUMBER, 1),
            lambda d: Decimal(d.month),
        ),
        Function(
            "days_between",
            2,
            2,
            "days_between(a, b)",
            "days from date a to date b",
            _date_rule(T.NUMBER, 2),
            _days_between,
        ),
        Function(
            "months_between",
            2,
            2,
            "months_between(a, b)",
            "whole calendar months from date a to date b",
            _date_rule(T.NUMBER, 2),
            _months_between,
        ),
        Function(
            "known",
            1,
            1,
            "known(x)",
            "true when x can be known; unknown (naming the missing facts) when it cannot; "
            "never false: a condition that needs a fact without testing its value",
            lambda types, report: T.BOOLEAN,
            lambda _v: True,
            true_when_known=True,
        ),
        Function(
            "matches",
            2,
            2,
            'matches(text, "pattern")',
            "true when the whole text matches the pattern, a regular expression written "
            f"in the rule as quoted text (at most {PATTERN_MAX} characters, no repeated group)",
            _matches_rule,
            _matches,
            literal=(1, pattern_problem),
        ),
        Function(
            "present",
            1,
            1,
            "present(fact)",
            "true when the case gives the fact, false when it is missing; never unknown",
            _present_rule,
            reads_presence=True,
        ),
    ]
}
