"""The static types of the rule language, as the checker sees them.

A fact, a standard or a catalogue is declared in the policy with one of these
types; the checker infers the type of every expression from them.
"""

from __future__ import annotations

from .records import Record, field


class Type(Record, frozen=True):
    name: str | None  # None: an enum of literals (EnumType), a record or set unnamed

    def __str__(self) -> str:
        return str(self.name)


STRING = Type("string")
NUMBER = Type("number")
MONEY = Type("money")
BOOLEAN = Type("boolean")
DATE = Type("date")
ANY = Type("any")  # after an error, so one mistake is reported once


class EnumType(Type, frozen=True):
    """A string restricted to ``values``. ``name`` is None for the type of a
    string literal or of an if-expression choosing between literals."""

    values: frozenset[str] = frozenset()

    def __str__(self) -> str:
        if self.name:
            return f"enum {self.name}"
        return "one of " + ", ".join(f'"{v}"' for v in sorted(self.values))


class ListType(Type, frozen=True):
    item: Type = ANY

    def __str__(self) -> str:
        return f"list of {self.item}"


class RecordType(Type, frozen=True):
    fields: tuple[tuple[str, Type], ...] = ()  # a tuple so the type is hashable

    def field(self, name: str) -> Type | None:
        for key, typ in self.fields:
            if key == name:
                return typ
        return None

    def field_names(self) -> list[str]:
        return [k for k, _ in self.fields]

    def __str__(self) -> str:
        return f"record {self.name}" if self.name else "record"


class TableType(Type, frozen=True):
    """A standard keyed by an enum: ``standards.NAME["KEY"]``."""

    key: EnumType | None = None
    value: Type = ANY

    def __str__(self) -> str:
        return f"table of {self.value} by {self.key}"


class SetType(Type, frozen=True):
    """A set of codes (a catalogue): supports only ``x in set``."""

    item: Type = STRING

    def __str__(self) -> str:
        return f"set {self.name}" if self.name else "set"


class FunctionType(Type, frozen=True):
    param: str = "x"
    item: Type = ANY
    body: Type = ANY


NUMERIC = (NUMBER, MONEY)


def is_numeric(t: Type) -> bool:
    return t in NUMERIC or t is ANY


def is_stringlike(t: Type) -> bool:
    return t == STRING or isinstance(t, EnumType)


def compatible(a: Type, b: Type) -> bool:
    """May values of a and b be compared for equality?"""
    if a == ANY or b == ANY:
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    if is_stringlike(a) and is_stringlike(b):
        return True
    if isinstance(a, ListType) and isinstance(b, ListType):
        return compatible(a.item, b.item)
    return a == b


def unify(a: Type, b: Type) -> Type | None:
    """The type of ``if c then a else b``, or None when a and b do not mix."""
    if a == ANY:
        return b
    if b == ANY:
        return a
    if a == b:
        return a
    if is_numeric(a) and is_numeric(b):
        return MONEY
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        # a literal joining a named enum keeps the name when it is one of its
        # values, so a later typo against the result is still caught
        for named, other in ((a, b), (b, a)):
            if named.name and other.name is None and other.values <= named.values:
                return named
        return EnumType(a.name if a.name == b.name else None, a.values | b.values)
    if is_stringlike(a) and is_stringlike(b):
        return STRING
    if isinstance(a, ListType) and isinstance(b, ListType):
        item = unify(a.item, b.item)
        return ListType("list", item) if item is not None else None
    return None


def literal_enum(value: str) -> EnumType:
    return EnumType(None, frozenset({value}))


def parse_declared(name: str) -> Type:
    return {"string": STRING, "number": NUMBER, "money": MONEY, "boolean": BOOLEAN, "date": DATE}[
        name
    ]


__all__ = [
    "ANY",
    "BOOLEAN",
    "DATE",
    "MONEY",
    "NUMBER",
    "STRING",
    "EnumType",
    "FunctionType",
    "ListType",
    "RecordType",
    "SetType",
    "TableType",
    "Type",
    "compatible",
    "field",
    "is_numeric",
    "is_stringlike",
    "literal_enum",
    "parse_declared",
    "unify",
]
