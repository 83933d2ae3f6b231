"""Runtime values: Decimal, str, bool, date, list, dict, and *unknown*.

A fact the case does not give is not an error: reading it yields an
``Unknown`` that remembers which facts were missing. Unknown flows through
arithmetic and comparisons, and the logical operators follow Kleene's
three-valued logic (``false and unknown`` is false, ``true or unknown`` is
true), so a decision can say exactly which missing facts stood in its way.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, NoReturn


class Unknown:
    """A value that cannot be known because facts are missing."""

    __slots__ = ("missing",)

    def __init__(self, missing: Iterable[str] = frozenset()) -> None:
        self.missing: frozenset[str] = frozenset(missing)

    def __bool__(self) -> NoReturn:  # a bug if reached: truthiness of unknown is undefined
        raise TypeError("the truth of an unknown value was asked for")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.missing == self.missing

    def __hash__(self) -> int:
        return hash(self.missing)

    def __repr__(self) -> str:
        return f"Unknown({sorted(self.missing)})"


class KnownNone:
    """A fact the case states is known not to exist or not to apply — no
    certificate, no skill level held (``{"none": true}`` in a case, for a
    fact facts.yaml declares ``none:`` for). Not unknown: a decision that
    reads it is decided.

    It is equal to nothing but itself, in no list, and every ordering
    comparison with it is false (there is no certificate dated before
    2020, nor after); arithmetic and functions over it give it back
    (``known`` and ``present`` excepted: it is known, and the case gives it).
    Python's reflected operators make the generated code and the closures
    behave alike without a test of their own; division is tested.
    There is one instance, ``NONE``."""

    __slots__ = ()
    _instance: KnownNone | None = None

    def __new__(cls) -> KnownNone:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __reduce__(
        self,
    ) -> tuple[type[KnownNone], tuple[()]]:  # one instance, also across processes
        return (KnownNone, ())

    def __eq__(self, other: object) -> bool:
        return other is self

    def __ne__(self, other: object) -> bool:
        return other is not self

    def __hash__(self) -> int:
        return 0x6E6F6E65

    def _false(self, other: object) -> bool:
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false

    def _none(self, *_other: object) -> KnownNone:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _none
    __truediv__ = __rtruediv__ = __neg__ = __pos__ = _none

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, item: object) -> bool:
        return False

    def __repr__(self) -> str:
        return "NONE"


NONE = KnownNone()


def merge(*values: Any) -> Unknown:
    """One Unknown carrying the missing facts of every unknown among values.

    An Unknown is immutable, so when one of them already names every missing
    fact it is returned as it is (the common case: one side unknown)."""
    found: Unknown | None = None
    extra: frozenset[str] | None = None
    for v in values:
        if v.__class__ is Unknown:
            if found is None:
                found = v
            elif not v.missing <= found.missing:
                if found.missing <= v.missing and extra is None:
                    found = v
                else:
                    extra = v.missing if extra is None else extra | v.missing
    if found is None:
        return Unknown()
    if extra is None:
        return found
    return Unknown(found.missing | extra)


def merge2(a: Any, b: Any) -> Unknown:
    """merge(a, b) for two values of which at least one is unknown."""
    if a.__class__ is not Unknown:
        return b if b.__class__ is Unknown else Unknown()
    if b.__class__ is not Unknown or b.missing <= a.missing:
        return a
    if a.missing <= b.missing:
        return b
    return Unknown(a.missing | b.missing)


def is_unknown(value: object) -> bool:
    return type(value) is Unknown


def to_json(value: Any) -> Any:
    """A runtime value as JSON-ready data (money as a string: exact)."""
    if type(value) is Unknown:
        return None
    if value is NONE:
        return {"none": True}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    return str(value)


def show(value: Any) -> str:
    """A runtime value as an officer reads it."""
    if type(value) is Unknown:
        return "unknown"
    if value is NONE:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        if len(value) > 5:
            return f"[{len(value)} items]"
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)
