"""Syntax trees, types and values as plain JSON data, and back: what the
on-disk cache keeps.

A cache must never hold anything that runs when it is read (a pickle does),
so everything is written as lists, objects, strings, numbers and booleans:

- a tree as ``[kind, [line, column, end_line, end_column], field, ...]``;
- a type as ``[kind, name, ...]``;
- a value with a Decimal as ``{"$d": "exact text"}``, a date as
  ``{"$t": "YYYY-MM-DD"}``, an object whose keys start with ``$`` as
  ``{"$o": {...}}``.

Reading builds only the node and type classes named here; anything else is
refused (``ValueError``), so a damaged entry is thrown away, never trusted.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from . import ast, records
from . import types as T

# every node class, by name; the field kinds come from the annotations, so a
# new node class is covered without touching this module (a test round-trips
# every kind)
KINDS: dict[str, type[ast.Node]] = {
    cls.__name__: cls
    for cls in vars(ast).values()
    if isinstance(cls, type) and issubclass(cls, ast.Node) and cls is not ast.Node
}

_FIELD_KINDS = {
    "Decimal": "decimal",
    "_dt.date": "date",
    "str": "str",
    "bool": "bool",
    "Node": "node",
    "tuple[Node, ...]": "nodes",
}


def _fields(cls: type[ast.Node]) -> tuple[tuple[str, str], ...]:
    out = []
    for f in records.fields(cls):
        if f.name == "pos":
            continue
        kind = _FIELD_KINDS.get(
            f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        )
        if kind is None:
            raise TypeError(f"dsl.astjson: no JSON form for {cls.__name__}.{f.name}: {f.type}")
        out.append((f.name, kind))
    return tuple(out)


_LAYOUT = {name: _fields(cls) for name, cls in KINDS.items()}


def to_data(node: ast.Node) -> list[Any]:
    name = type(node).__name__
    p = node.pos
    out: list[Any] = [name, [p.line, p.column, p.end_line, p.end_column]]
    for field, kind in _LAYOUT[name]:
        v = getattr(node, field)
        if kind == "node":
            out.append(to_data(v))
        elif kind == "nodes":
            out.append([to_data(x) for x in v])
        elif kind == "decimal":
            out.append(str(v))
        elif kind == "date":
            out.append(v.isoformat())
        else:
            out.append(v)
    return out


def from_data(data: Any, depth: int = 0) -> ast.Node:
    """The tree written by ``to_data``; ValueError for anything else."""
    if depth > 200 or not isinstance(data, list) or len(data) < 2:
        raise ValueError("not a syntax tree")
    name = data[0]
    layout = _LAYOUT.get(name) if isinstance(name, str) else None
    if layout is None or len(data) != 2 + len(layout):
        raise ValueError("not a syntax tree")
    span = data[1]
    if not (isinstance(span, list) and len(span) == 4 and all(type(x) is int for x in span)):
        raise ValueError("not a syntax tree")
    args: list[Any] = []  # the node's fields, in order
    for (_field, kind), v in zip(layout, data[2:]):
        if kind == "node":
            args.append(from_data(v, depth + 1))
        elif kind == "nodes":
            if not isinstance(v, list):
                raise ValueError("not a syntax tree")
            args.append(tuple(from_data(x, depth + 1) for x in v))
        elif kind == "decimal":
            if not isinstance(v, str):
                raise ValueError("not a syntax tree")
            args.append(Decimal(v))
        elif kind == "date":
            args.append(_dt.date.fromisoformat(v))
        elif kind == "bool":
            if not isinstance(v, bool):
                raise ValueError("not a syntax tree")
            args.append(v)
        else:
            if not isinstance(v, str):
                raise ValueError("not a syntax tree")
            args.append(v)
    return KINDS[name](*args, pos=ast.Span(*span))


# -- types -------------------------------------------------------------------------------

_SIMPLE_TYPES = {t.name: t for t in (T.STRING, T.NUMBER, T.MONEY, T.BOOLEAN, T.DATE, T.ANY)}


def type_to_data(t: T.Type) -> list[Any]:
    if isinstance(t, T.EnumType):
        return ["enum", t.name, sorted(t.values)]
    if isinstance(t, T.ListType):
        return ["list", t.name, type_to_data(t.item)]
    if isinstance(t, T.RecordType):
        return ["record", t.name, [[k, type_to_data(v)] for k, v in t.fields]]
    if isinstance(t, T.TableType):
        return [
            "table",
            t.name,
            type_to_data(t.key) if t.key is not None else None,
            type_to_data(t.value),
        ]
    if isinstance(t, T.SetType):
        return ["set", t.name, type_to_data(t.item)]
    if isinstance(t, T.FunctionType):
        return ["function", t.name, t.param, type_to_data(t.item), type_to_data(t.body)]
    if type(t) is T.Type and t.name in _SIMPLE_TYPES:
        return ["simple", t.name]
    raise TypeError(f"dsl.serial: no JSON form for the type {t!r}")


def type_from_data(data: Any, depth: int = 0) -> T.Type:
    if depth > 100 or not isinstance(data, list) or len(data) < 2:
        raise ValueError("not a type")
    kind, name = data[0], data[1]
    if name is not None and not isinstance(name, str):
        raise ValueError("not a type")
    if kind == "simple" and len(data) == 2 and name in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[name]
    if (
        kind == "enum"
        and len(data) == 3
        and isinstance(data[2], list)
        and all(isinstance(v, str) for v in data[2])
    ):
        return T.EnumType(name, frozenset(data[2]))
    if kind == "list" and len(data) == 3:
        return T.ListType(name, type_from_data(data[2], depth + 1))
    if kind == "record" and len(data) == 3 and isinstance(data[2], list):
        fields = []
        for f in data[2]:
            if not (isinstance(f, list) and len(f) == 2 and isinstance(f[0], str)):
                raise ValueError("not a type")
            fields.append((f[0], type_from_data(f[1], depth + 1)))
        return T.RecordType(name, tuple(fields))
    if kind == "table" and len(data) == 4:
        key = None if data[2] is None else type_from_data(data[2], depth + 1)
        if key is not None and not isinstance(key, T.EnumType):
            raise ValueError("not a type")
        return T.TableType(name, key, type_from_data(data[3], depth + 1))
    if kind == "set" and len(data) == 3:
        return T.SetType(name, type_from_data(data[2], depth + 1))
    if kind == "function" and len(data) == 5 and isinstance(data[2], str):
        return T.FunctionType(
            name, data[2], type_from_data(data[3], depth + 1), type_from_data(data[4], depth + 1)
        )
    raise ValueError("not a type")


# -- values ------------------------------------------------------------------------------


def value_to_data(v: Any) -> Any:
    """Plain data (dicts, lists, text, numbers, booleans, None, Decimal, date)
    as JSON data."""
    if v is None or isinstance(v, (bool, str, int)):
        return v
    if isinstance(v, Decimal):
        return {"$d": str(v)}
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return {"$t": v.isoformat()}
    if isinstance(v, (list, tuple)):
        return [value_to_data(x) for x in v]
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            raise TypeError("dsl.serial: object keys must be text")
        body = {k: value_to_data(x) for k, x in v.items()}
        return {"$o": body} if any(k.startswith("$") for k in v) else body
    raise TypeError(f"dsl.serial: no JSON form for {type(v).__name__}")


def value_from_data(data: Any, depth: int = 0) -> Any:
    if depth > 100:
        raise ValueError("nested too deeply")
    if data is None or isinstance(data, (bool, str, int)):
        return data
    if isinstance(data, list):
        return [value_from_data(x, depth + 1) for x in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((k, x),) = data.items()
            if k == "$d" and isinstance(x, str):
                return Decimal(x)
            if k == "$t" and isinstance(x, str):
                return _dt.date.fromisoformat(x)
            if k == "$o" and isinstance(x, dict):
                return {kk: value_from_data(xx, depth + 1) for kk, xx in x.items()}
        if any(k.startswith("$") for k in data):
            raise ValueError("not a value")
        return {k: value_from_data(x, depth + 1) for k, x in data.items()}
    raise ValueError("not a value")
