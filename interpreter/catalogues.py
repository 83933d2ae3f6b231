"""Catalogues a policy declares (``catalogs.yaml``) and ships as its own data.

A declaration names the catalogue (read in rules as ``catalog.ID``), its
titles, the fields of an entry with their types (as facts.yaml declares
facts), the key, the dated periods and the checks every entry must pass,
written in the rule language over ``entry``. Nothing here knows any
particular catalogue: a new catalogue, or a new field used in a rule, is a
data change.

Entries become plain values for the rule language: records of str, Decimal,
date, bool and lists of them. An optional field an entry leaves out takes its
declared ``default``; the ``until`` of a period left out is open-ended
(9999-12-31), so a period test needs no special case.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from dsl import Environment, ParseError, PolicyError, parse
from dsl import types as T
from dsl.compiler import Context
from dsl.environment import diagnostic_error
from dsl.errors import PolicyFileError, Position

from .yamlsource import Source

if TYPE_CHECKING:
    from .loader import _Loader

OPEN_END = _dt.date(9999, 12, 31)
SCALARS = {
    "string": T.STRING,
    "number": T.NUMBER,
    "money": T.MONEY,
    "boolean": T.BOOLEAN,
    "date": T.DATE,
}


@dataclass
class CatalogueDecl:
    """One catalogue of catalogs.yaml, with its entries once loaded."""

    id: str
    title: str
    title_en: str | None
    description: str | None
    file: str  # the data file as shown (relative to the policy's parent)
    fields: dict  # name → declaration (type, enum, items, label, …)
    key: tuple[str, ...]
    periods: tuple[tuple[str, str], ...]
    checks: list  # [{id, expr, message}]
    cite: list
    position: Position
    meta: dict = field(default_factory=dict)  # edition, issued, issuer, sample, note
    entries: list = field(default_factory=list)  # plain values, in file order
    positions: list = field(default_factory=list)  # Position of each entry

    def key_of(self, entry: dict) -> tuple:
        return tuple(entry.get(k) for k in self.key)

    def label(self, name: str, lang: str = "zh") -> str:
        d = self.fields.get(name) or {}
        if lang == "en":
            return d.get("label_en") or d.get("label") or name
        return d.get("label") or d.get("label_en") or name


def field_type(d: dict, enums: dict) -> T.Type:
    """The rule-language type of a declared field."""
    kind = d["type"]
    if kind == "list":
        return T.ListType("list", field_type(d["items"], enums) if d.get("items") else T.STRING)
    if kind == "enum":
        e = enums.get(d.get("enum"))
        # found: the field names a declared enum
        return T.EnumType(d["enum"], frozenset(e.values)) if e else T.STRING
    return SCALARS[kind]


def entry_type(decl: CatalogueDecl, enums: dict) -> T.Type:
    return T.RecordType(
        f"catalog.{decl.id}[]",
        tuple((name, field_type(d, enums)) for name, d in decl.fields.items()),
    )


def _convert(value: Any, d: dict, enums: dict) -> Any:
    """(plain value, None) or (None, what was expected)."""
    kind = d["type"]
    if kind == "list":
        if not isinstance(value, list):
            return None, "a list"
        out = []
        for v in value:
            item, problem = _convert(v, d.get("items") or {"type": "string"}, enums)
            if problem:
                return None, f"a list of {problem}"
            out.append(item)
        return out, None
    if kind in ("string", "enum"):
        if not isinstance(value, str):
            return None, "text"
        if kind == "enum":
            e = enums.get(d.get("enum"))
            if e is not None and value not in e.values:
                return None, "one of " + "、".join(e.values)
        return value, None
    if kind in ("number", "money"):
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
            return None, "a number"
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None, "a number"
        if kind == "money" and number < 0:
            return None, "an amount of money (not negative)"
        return number, None
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "true or false")
    if kind == "date":
        if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            return value, None
        return None, "a date YYYY-MM-DD"
    return None, kind


def _found(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def declare(src: Source, enums: dict, errors: list) -> list[CatalogueDecl]:
    """The declarations of catalogs.yaml (``src``), with their own errors:
    unknown enums, keys and periods naming no field."""
    from .loader import _close

    out = []
    seen = set()
    for i, c in enumerate(src.data["catalogs"]):
        at = ("catalogs", i)
        if c["id"] in seen:
            errors.append(src.error(at + ("id",), f"catalogue id '{c['id']}' is used twice"))
            continue
        seen.add(c["id"])
        n = len(errors)
        fields = c["fields"]

        def check_field(d: Any, path: tuple) -> None:
            if d["type"] == "enum" and d.get("enum") not in enums:
                errors.append(
                    src.error(
                        path + ("enum",),
                        f"no enum '{d.get('enum')}' in facts.yaml",
                        hint=_close(d.get("enum"), enums),
                    )
                )
            if d["type"] == "list" and "items" not in d:
                errors.append(src.error(path, "a list field needs 'items'"))
            if d["type"] == "list" and "items" in d:
                check_field(d["items"], path + ("items",))

        for name, d in fields.items():
            check_field(d, at + ("fields", name))
        for j, k in enumerate(c["key"]):
            if k not in fields:
                errors.append(
                    src.error(
                        at + ("key", j), f"the key names no field '{k}'", hint=_close(k, fields)
                    )
                )
        periods = []
        for j, p in enumerate(c.get("periods") or []):
            for end in ("from", "until"):
                name = p[end]
                if name not in fields:
                    errors.append(
                        src.error(
                            at + ("periods", j, end),
                            f"the period names no field '{name}'",
                            hint=_close(name, fields),
                        )
                    )
                elif fields[name]["type"] != "date":
                    errors.append(
                        src.error(
                            at + ("periods", j, end), f"the period's field '{name}' is not a date"
                        )
                    )
            periods.append((p["from"], p["until"]))
        if len(errors) > n:
            continue
        out.append(
            CatalogueDecl(
                c["id"],
                c["title"],
                c.get("title_en"),
                c.get("description"),
                c["file"],
                fields,
                tuple(c["key"]),
                tuple(periods),
                list(c.get("checks") or []),
                list(c.get("cite") or []),
                src.position(at),
            )
        )
    return out


def fill(decl: CatalogueDecl, data_src: Source, enums: dict, errors: list) -> None:
    """Read and check the entries of ``data_src`` into ``decl``: every field
    declared and of its type, none unknown, keys unique, periods in order."""
    data = data_src.data
    decl.meta = {
        k: (v.isoformat() if isinstance(v, _dt.date) else v)
        for k, v in data.items()
        if k != "entries"
    }
    if data.get("catalogue") not in (None, decl.id):
        errors.append(
            data_src.error(
                ("catalogue",),
                f"this file holds catalogue '{data['catalogue']}', declared as '{decl.id}'",
            )
        )
    seen: dict = {}
    for i, raw in enumerate(data.get("entries") or []):
        at = ("entries", i)
        entry = read_entry(decl, raw, data_src, at, enums, errors)
        if entry is None:
            continue
        key = decl.key_of(entry)
        if key in seen:
            errors.append(
                data_src.error(
                    at,
                    f"the key {_key_text(decl, key)} is used twice (also at line {seen[key].line})",
                    context=f"catalogue {decl.id}",
                )
            )
            continue
        seen[key] = data_src.position(at)
        decl.entries.append(entry)
        decl.positions.append(data_src.position(at))


def read_entry(
    decl: CatalogueDecl, raw: Any, data_src: Source, at: tuple, enums: dict, errors: list
) -> dict | None:
    """One entry as plain values, or None after reporting what is wrong with it
    (a field of the wrong type, unknown or missing; a period out of order)."""
    from .loader import _close

    if not isinstance(raw, dict):
        errors.append(
            data_src.error(
                at, "an entry is a mapping of its fields", context=f"catalogue {decl.id}"
            )
        )
        return None
    until_fields = {u for _f, u in decl.periods}
    n = len(errors)
    entry = {}
    for name in raw:
        if name not in decl.fields:
            errors.append(
                data_src.error(
                    at + (name,),
                    f"catalogue {decl.id} has no field '{name}'",
                    hint=_close(name, decl.fields),
                )
            )
    for name, d in decl.fields.items():
        if name not in raw or raw[name] is None:
            if name in until_fields:
                entry[name] = OPEN_END
            elif d.get("optional") and "default" in d:
                entry[name], _p = _convert(d["default"], d, enums)
            else:
                errors.append(
                    data_src.error(
                        at,
                        f"the entry has no '{name}' ({decl.label(name)})",
                        context=f"catalogue {decl.id}",
                    )
                )
            continue
        value, problem = _convert(raw[name], d, enums)
        if problem:
            errors.append(
                data_src.error(
                    at + (name,),
                    f"{decl.label(name)} ({name}): expected {problem}, found {_found(raw[name])}",
                    context=f"catalogue {decl.id}",
                )
            )
            continue
        entry[name] = value
    if len(errors) > n:
        return None
    for start, until in decl.periods:
        if entry[until] < entry[start]:
            errors.append(
                data_src.error(
                    at + (until,),
                    f"the period ends ({entry[until]}) before it starts ({entry[start]})",
                    context=f"catalogue {decl.id}",
                )
            )
    return entry if len(errors) == n else None


def _key_text(decl: CatalogueDecl, key: tuple) -> str:
    return ", ".join(f"{k}={v}" for k, v in zip(decl.key, key))


def run_checks(
    decls: list[CatalogueDecl],
    cat_src: Source,
    data_srcs: dict,
    enums: dict,
    types: dict,
    values: dict,
    errors: list,
) -> None:
    """Each declared check over each entry; a failing entry is reported at
    its own line with the check's message."""
    for _i, decl in enumerate(decls):
        if not decl.checks:
            continue
        env = Environment(facts={"entry": entry_type(decl, enums)}, catalogs=types)
        at = ("catalogs", _index(cat_src, decl.id))
        for j, chk in enumerate(decl.checks):
            path = at + ("checks", j, "expr")
            locate = cat_src.expression_locator(path)
            context = f"check {decl.id}.{chk['id']}"
            try:
                node = parse(chk["expr"])
            except ParseError as exc:
                line, col = exc.position.line or 1, exc.position.column or 1
                exc.position = Position(cat_src.name, *locate(line, col))
                exc.context = context
                errors.append(exc)
                continue
            result = env.check(node)
            bad = [d for d in result.diagnostics if d.severity == "error"]
            for d in bad:
                errors.append(diagnostic_error(d, chk["expr"], cat_src.name, locate, context))
            if bad:
                continue
            if result.type not in (T.BOOLEAN, T.ANY):
                errors.append(
                    cat_src.error(path, "a check must give true or false", context=context)
                )
                continue
            fn = env.compile_node(node)
            data_src = data_srcs[decl.id]
            for entry, pos in zip(decl.entries, decl.positions):
                ok = fn(Context({"entry": entry}, catalogs=values))
                if ok is not True:
                    errors.append(
                        PolicyFileError(
                            f"{chk['message']} (check {chk['id']}: {chk['expr']})",
                            position=pos,
                            context=f"catalogue {decl.id} {_key_text(decl, decl.key_of(entry))}",
                            snippet=data_src.line_text(pos.line),
                        )
                    )


def _index(src: Source, cid: str) -> int:
    for i, c in enumerate(src.data["catalogs"]):
        if c["id"] == cid:
            return i
    return 0


def load(
    ld: _Loader, enums: dict, changes: Sequence = ()
) -> tuple[list[CatalogueDecl], dict, dict] | None:
    """The catalogues the policy folder of loader ``ld`` declares: (declarations
    with their entries, name → type, name → value); None when it declares none.
    Errors go to ``ld.errors``; files join the policy's hash."""
    from .changes import apply_entries, of

    cat_src = ld.load("catalogs.yaml", "catalogs", required=False)
    if cat_src is None:
        apply_entries(
            of(list(changes), "add_catalogue_entry", "replace_catalogue_entry"),
            [],
            enums,
            ld.errors,
            read_entry,
        )
        return None
    decls = declare(cat_src, enums, ld.errors)
    data_srcs = {}
    for _i, decl in enumerate(decls):
        path = (ld.root / decl.file).resolve()
        try:
            path.relative_to(ld.root)
        except ValueError:
            ld.errors.append(
                cat_src.error(
                    ("catalogs", _index(cat_src, decl.id), "file"),
                    "the data file must be inside the policy folder",
                )
            )
            continue
        if not path.is_file():
            ld.errors.append(
                cat_src.error(
                    ("catalogs", _index(cat_src, decl.id), "file"), f"no such file: {decl.file}"
                )
            )
            continue
        data_src = ld.load_path(path, "catalog-data")
        if data_src is None:
            continue
        decl.file = data_src.name
        data_srcs[decl.id] = data_src
        fill(decl, data_src, enums, ld.errors)
    apply_entries(list(changes), decls, enums, ld.errors, read_entry)
    types = {d.id: T.ListType("list", entry_type(d, enums)) for d in decls}
    values = {d.id: d.entries for d in decls}
    if not ld.errors:
        run_checks(decls, cat_src, data_srcs, enums, types, values, ld.errors)
    return decls, types, values


__all__ = ["OPEN_END", "CatalogueDecl", "PolicyError", "entry_type", "field_type", "load"]
