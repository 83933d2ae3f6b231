"""The compliance harness of the rule language: a compliance file's
declarations as an Environment, its given values as runtime values.

Shared by the compliance suite (tests/dsl/test_compliance.py, which says what
a file holds) and the docs/language.md examples (tests/dsl/test_docs.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dsl import Environment, parse
from dsl import types as T
from dsl.values import NONE

FILE_KEYS = {
    "description",
    "enums",
    "declarations",
    "given",
    "as_of",
    "standards",
    "catalogs",
    "cases",
}


class DataError(Exception):
    """The compliance file itself is wrong (not the language)."""


# --- declarations -------------------------------------------------------------


def declared_type(spec, enums: dict[str, T.EnumType], where: str) -> T.Type:
    if isinstance(spec, dict):
        return T.RecordType(
            where, tuple((k, declared_type(v, enums, f"{where}.{k}")) for k, v in spec.items())
        )
    if isinstance(spec, list):
        if len(spec) != 1:
            raise DataError(f"{where}: a list type is a one-element array")
        return T.ListType("list", declared_type(spec[0], enums, f"{where}[]"))
    if not isinstance(spec, str):
        raise DataError(f"{where}: cannot read type {spec!r}")
    if spec.startswith("enum:"):
        name = spec[5:]
        if name not in enums:
            raise DataError(f"{where}: no enum {name!r} in 'enums'")
        return enums[name]
    if spec.startswith("table:"):
        _, key, value = spec.split(":")
        if key not in enums:
            raise DataError(f"{where}: no enum {key!r} in 'enums'")
        return T.TableType(where, enums[key], T.parse_declared(value))
    if spec == "set":
        return T.SetType(where)
    try:
        return T.parse_declared(spec)
    except KeyError:
        raise DataError(f"{where}: unknown type {spec!r}") from None


def runtime_value(value, typ: T.Type, where: str):
    """A JSON value as the runtime value of a declared type; ``{"none": true}``
    is a fact stated known none (dsl.values.NONE)."""
    if value is None:
        return None
    if value == {"none": True}:
        return NONE
    if isinstance(typ, T.RecordType):
        if not isinstance(value, dict):
            raise DataError(f"{where}: a record is a JSON object")
        out = {}
        for k, v in value.items():
            ft = typ.field(k)
            if ft is None:
                raise DataError(f"{where}: field {k!r} is not declared")
            if v is not None:
                out[k] = runtime_value(v, ft, f"{where}.{k}")
        return out
    if isinstance(typ, T.ListType):
        if not isinstance(value, list):
            raise DataError(f"{where}: a list is a JSON array")
        return [runtime_value(v, typ.item, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(typ, T.TableType):
        if not isinstance(value, dict):
            raise DataError(f"{where}: a table is a JSON object")
        for k in value:
            if k not in typ.key.values:
                raise DataError(f"{where}: row {k!r} is not a value of {typ.key}")
        return {k: runtime_value(v, typ.value, f"{where}[{k}]") for k, v in value.items()}
    if isinstance(typ, T.SetType):
        return frozenset(value)
    if isinstance(typ, T.EnumType):
        if value not in typ.values:
            raise DataError(f"{where}: {value!r} is not a value of {typ}")
        return value
    if typ in (T.NUMBER, T.MONEY):
        return decimal_of(value, where)
    if typ == T.DATE:
        return dt.date.fromisoformat(value)
    if typ == T.BOOLEAN:
        if not isinstance(value, bool):
            raise DataError(f"{where}: a boolean is true or false")
        return value
    if typ == T.STRING:
        if not isinstance(value, str):
            raise DataError(f"{where}: a string is a JSON string")
        return value
    raise DataError(f"{where}: cannot build a value of {typ}")


def decimal_of(value, where: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise DataError(f"{where}: write numbers as strings (or integers), not {value!r}")
    if isinstance(value, (int, str)):
        return Decimal(str(value))
    raise DataError(f"{where}: not a number: {value!r}")


def build(data: dict):
    """(environment, fact types, standards values, catalogue values) of a file."""
    extra = set(data) - FILE_KEYS
    if extra:
        raise DataError(f"unknown keys {sorted(extra)}")
    enums = {
        name: T.EnumType(name, frozenset(values))
        for name, values in (data.get("enums") or {}).items()
    }
    decl = data.get("declarations") or {}
    extra = set(decl) - {"facts", "standards", "catalogs", "definitions"}
    if extra:
        raise DataError(f"unknown declaration keys {sorted(extra)}")
    facts = {k: declared_type(v, enums, k) for k, v in (decl.get("facts") or {}).items()}
    standards = {
        k: declared_type(v, enums, f"standards.{k}")
        for k, v in (decl.get("standards") or {}).items()
    }
    catalogs = {
        k: declared_type(v, enums, f"catalog.{k}") for k, v in (decl.get("catalogs") or {}).items()
    }
    env = Environment(facts=facts, standards=standards, catalogs=catalogs)
    for name, text in (decl.get("definitions") or {}).items():
        env.define(name, parse(text, f"definition {name}"))
    std_values = {}
    for k, v in (data.get("standards") or {}).items():
        if k not in standards:
            raise DataError(f"standard {k!r} has a value but no declaration")
        std_values[k] = runtime_value(v, standards[k], f"standards.{k}")
    cat_values = {}
    for k, v in (data.get("catalogs") or {}).items():
        if k not in catalogs:
            raise DataError(f"catalogue {k!r} has a value but no declaration")
        cat_values[k] = runtime_value(v, catalogs[k], f"catalog.{k}")
    return env, facts, std_values, cat_values


def given_facts(given: dict, facts: dict[str, T.Type]) -> dict:
    out = {}
    for k, v in (given or {}).items():
        if k not in facts:
            raise DataError(f"given fact {k!r} is not declared")
        if v is not None:
            out[k] = runtime_value(v, facts[k], k)
    return out


# --- comparing results -------------------------------------------------------
