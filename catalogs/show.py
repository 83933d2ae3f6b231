"""A declared catalogue's entries as people read them: the columns of its
tables, each value as text, where an entry comes from.

Everything comes from the declaration (catalogs.yaml; interpreter.catalogues):
the field labels, the types (how a value is written, how a column sorts), the
labels of enum values (``labels:``), the dated periods, and the fields that
have a ``role`` in the publication — ``sample`` (the flag of a sample entry),
``sample_fields`` (the fields of an entry that are samples) and ``source``
(the record citing the clause an entry is taken from). Those three are not
columns of their own: together they make the 来源 column. Nothing here knows
any particular catalogue. Used by the site (catalogs.site) and the change
notice (catalogs.diff), so a value reads the same in both.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from interpreter.catalogues import OPEN_END, CatalogueDecl

ROLES = ("sample", "sample_fields", "source")

# the words of the header of a data file (catalog-data.schema.json), in order
META = (("edition", "版次"), ("issued", "发布日期"), ("issuer", "发布单位"), ("basis", "依据"))

ORIGIN = "来源"


@dataclass(frozen=True)
class Column:
    name: str  # the field (ORIGIN for the column made of the role fields)
    label: str
    type: str = "text"  # "text", "number" or "date": how the page sorts, the xlsx types it
    nowrap: bool = False  # short values: kept on one line in the page


def role_field(decl: CatalogueDecl, role: str) -> str | None:
    """The field that has ``role`` in the declaration, if any."""
    return next((n for n, d in decl.fields.items() if d.get("role") == role), None)


def is_sample(decl: CatalogueDecl, entry: dict) -> bool:
    name = role_field(decl, "sample")
    return bool(name and entry.get(name) is True)


def sample_fields(decl: CatalogueDecl, entry: dict) -> list:
    name = role_field(decl, "sample_fields")
    return list(entry.get(name) or []) if name else []


def has_samples(decl: CatalogueDecl) -> bool:
    """The catalogue holds sample data: the file says so, or an entry does."""
    return decl.meta.get("sample") is True or any(
        is_sample(decl, e) or sample_fields(decl, e) for e in decl.entries
    )


def columns(decl: CatalogueDecl) -> list[Column]:
    """The columns of the tables: each field in declaration order, the role
    fields made into one 来源 column at the end."""
    out = []
    for name, d in decl.fields.items():
        if d.get("role") in ROLES:
            continue
        kind = d["type"]
        sort = "number" if kind in ("number", "money") else "date" if kind == "date" else "text"
        short = name in decl.key or kind in ("number", "money", "date", "enum", "boolean")
        out.append(Column(name, decl.label(name), sort, short))
    if any(role_field(decl, r) for r in ROLES):
        out.append(Column(ORIGIN, ORIGIN))
    return out


def cell(decl: CatalogueDecl, column: Column, entry: dict, tables: dict | None = None) -> str:
    """What a table shows of ``entry`` in ``column``; ``tables`` (catalogue or
    table id → rows) names what a field's ``ref`` points at."""
    if column.name == ORIGIN and column.name not in decl.fields:
        return origin(decl, entry)
    return text(decl.fields[column.name], entry.get(column.name), decl, column.name, tables)


def typed(decl: CatalogueDecl, column: Column, entry: dict, tables: dict | None = None) -> Any:
    """The value of a spreadsheet cell: a number or a date as such, else text
    (None for an empty cell)."""
    value = entry.get(column.name)
    if column.type == "number" and isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if column.type == "date" and isinstance(value, _dt.date):
        return None if value == OPEN_END else value
    shown = cell(decl, column, entry, tables)
    return shown if shown != "" else None


def origin(decl: CatalogueDecl, entry: dict) -> str:
    """Where an entry comes from: a sample, or the clause it cites, with the
    fields that are samples."""
    if is_sample(decl, entry):
        return "示例"
    out = ""
    src = role_field(decl, "source")
    if src is not None:
        first = _first_text(decl.fields[src], entry.get(src))
        out = f"原文 {first}" if first else ""
    fields = sample_fields(decl, entry)
    if fields:
        out += ("；" if out else "") + "示例字段：" + "、".join(decl.label(f) for f in fields)
    return out


def _first_text(d: dict, value: Any) -> str:
    if isinstance(value, dict):
        for name, f in (d.get("fields") or {}).items():
            shown = text(f, value.get(name))
            if shown:
                return shown
        return ""
    return text(d, value)


def text(
    d: dict,
    value: Any,
    decl: CatalogueDecl | None = None,
    name: str = "",
    tables: dict | None = None,
) -> str:
    """A value of a field declared ``d`` as one line of text; with ``ref``
    ({table, key, show}) and ``tables``, followed by what it refers to (a
    course code by the course's name)."""
    if value is None:
        return ""
    kind = d.get("type")
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, _dt.date):
        return "" if value == OPEN_END else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        items = d.get("items") or {"type": "string"}
        if items.get("type") == "record":
            period = _period_of(decl, name)
            return "；".join(_record(items, v, period, tables) for v in value)
        return "、".join(text(items, v, tables=tables) for v in value)
    if isinstance(value, dict):
        return _record(d, value, None, tables)
    shown = str((d.get("labels") or {}).get(value, value)) if kind == "enum" else str(value)
    shown = " ".join(shown.split())
    named = _referred(d.get("ref"), value, tables)
    return f"{shown} {named}" if named else shown


def _referred(ref: dict | None, value: Any, tables: dict | None) -> str:
    """The ``show`` field of the row of ``ref['table']`` whose ``key`` is ``value``."""
    if not ref or not tables:
        return ""
    for row in tables.get(ref["table"]) or ():
        if isinstance(row, dict) and row.get(ref["key"]) == value:
            return " ".join(str(row.get(ref["show"], "")).split())
    return ""


def _period_of(decl: CatalogueDecl | None, name: str) -> tuple[str, str] | None:
    for start, until, inside, _label in decl.periods if decl is not None else ():
        if inside == name:
            return start, until
    return None


def _record(
    d: dict, value: dict, period: tuple[str, str] | None, tables: dict | None = None
) -> str:
    """A record as ``first（the rest）``; a period's two dates as one
    ``from至until`` (``from起`` when open-ended)."""
    parts = []
    for name, f in (d.get("fields") or {}).items():
        if period is not None and name == period[1]:
            continue
        if period is not None and name == period[0]:
            start, end = value.get(period[0]), value.get(period[1])
            shown = text(f, start)
            end_text = text(d["fields"][period[1]], end)
            parts.append(f"{shown}至{end_text}" if end_text else f"{shown}起")
            continue
        shown = text(f, value.get(name), tables=tables)
        if shown:
            parts.append(shown)
    if not parts:
        return ""
    return parts[0] + (f"（{'，'.join(parts[1:])}）" if parts[1:] else "")


def title(decl: CatalogueDecl) -> str:
    """The title of the edition (its data file's), else the declared one."""
    return str(decl.meta.get("title") or decl.title)


def meta(decl: CatalogueDecl) -> list[tuple[str, str]]:
    """The header lines of an edition shown to people, those it gives."""
    out = []
    for key, label in META:
        value = decl.meta.get(key)
        if value:
            out.append((label, str(value)))
    return out


def name_of(decl: CatalogueDecl, entry: dict) -> str:
    """What names an entry beside its key: its first text field not in the key."""
    for name, d in decl.fields.items():
        if name not in decl.key and d["type"] == "string" and d.get("role") not in ROLES:
            return text(d, entry.get(name))
    return ""


def key_text(decl: CatalogueDecl, entry: dict) -> str:
    return " ".join(text(decl.fields[k], entry.get(k)) for k in decl.key)
