"""Catalogues a policy declares (``catalogs.yaml``) and ships as its own data.

A declaration names the catalogue (read in rules as ``catalog.ID``), its
titles, the fields of an entry with their types (as facts.yaml declares
facts), the key, the dated periods and the checks every entry must pass,
written in the rule language over ``entry``. Nothing here knows any
particular catalogue: a new catalogue, or a new field used in a rule, is a
data change.

Entries become plain values for the rule language: records of str, Decimal,
date, bool, nested records and lists of them. An optional field an entry
leaves out takes its declared ``default``, else the empty value of its type
(text "", a list [], false, a record of empties); a date left out is
open-ended (9999-12-31), so a period test needs no special case.

``tables:`` declares derived tables the rules read like catalogues, in
general terms: the union of catalogues of the same fields (``union``, each
row tagged with its catalogue), the items of a list field of each entry with
fields of the entry (``unnest``, ``parent``, ``spread``), one column
(``column``); ``fields`` keeps the ones named, in that order.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from dsl import Environment, ParseError, PolicyError, parse
from dsl import types as T
from dsl.compiler import Context
from dsl.environment import diagnostic_error
from dsl.errors import PolicyFileError, Position
from dsl.records import Record, field

from .yamlsource import Source

if TYPE_CHECKING:
    from .loader import _Loader

# report(path, what was expected): records the problem, gives None
Report = Callable[[tuple, str], None]

OPEN_END = _dt.date(9999, 12, 31)
SCALARS = {
    "string": T.STRING,
    "number": T.NUMBER,
    "money": T.MONEY,
    "boolean": T.BOOLEAN,
    "date": T.DATE,
}


class CatalogueDecl(Record):
    """One catalogue of catalogs.yaml, with its entries once loaded."""

    id: str
    title: str
    title_en: str | None
    description: str | None
    file: str  # the data file as shown (relative to the policy's parent)
    fields: dict  # name → declaration (type, enum, items, label, …)
    key: tuple[str, ...]
    periods: tuple[tuple[str, str, str | None, str | None], ...]
    checks: list  # [{id, expr, message}]
    cite: list
    position: Position
    meta: dict = field(default_factory=dict)  # edition, issued, issuer, sample, note
    entries: list = field(default_factory=list)  # plain values, in file order
    positions: list = field(default_factory=list)  # Position of each entry
    # words the note of an edition holding sample data must contain
    sample_note: list = field(default_factory=list)
    # an entry a revision supplied: its position → (the revision file, the
    # entry's path in it), so that a check points at the entry's own field
    # there, with its line shown, as it does in a data file
    revised: dict = field(default_factory=dict)

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
    if kind == "record":
        return T.RecordType(
            "record", tuple((n, field_type(f, enums)) for n, f in (d.get("fields") or {}).items())
        )
    if kind == "enum":
        values = _enum_values(d, enums)
        return T.EnumType(str(d.get("enum") or "enum"), frozenset(values)) if values else T.STRING
    return SCALARS[kind]


def _enum_values(d: dict, enums: dict) -> list[str] | None:
    """The values of an enum field: its own ``values`` or an enum of facts.yaml."""
    if d.get("values"):
        return list(d["values"])
    e = enums.get(d.get("enum"))
    return list(e.values) if e is not None else None


def entry_type(decl: CatalogueDecl, enums: dict) -> T.Type:
    return T.RecordType(
        f"catalog.{decl.id}[]",
        tuple((name, field_type(d, enums)) for name, d in decl.fields.items()),
    )


def empty(d: dict, enums: dict) -> Any:
    """The value of an optional field left out: its default, else the empty
    value of its type; None when the type has none (a number needs a default)."""
    if "default" in d:
        return _convert(d["default"], d, enums, (), lambda *_a: None)
    kind = d["type"]
    if kind in ("string", "enum"):
        return ""
    if kind == "list":
        return []
    if kind == "boolean":
        return False
    if kind == "date":
        return OPEN_END
    if kind == "record":
        return {n: empty(f, enums) for n, f in (d.get("fields") or {}).items()}
    return None


def _convert(value: Any, d: dict, enums: dict, at: tuple, report: Report) -> Any:
    """The plain value of ``value`` read as declared by ``d``; None after
    ``report(path, expected)`` for what is wrong (the path below ``at``)."""
    kind = d["type"]
    if kind == "list":
        if not isinstance(value, list):
            return report(at, "a list")
        out = []
        items = d.get("items") or {"type": "string"}
        if items["type"] != "record":
            # a list of plain values is shown whole: what it should hold
            def whole(_path: tuple, expected: str) -> None:
                return report(at, f"a list of {expected}")

            for v in value:
                item = _convert(v, items, enums, at, whole)
                if item is None:
                    return None
                out.append(item)
            return out
        for i, v in enumerate(value):
            item = _convert(v, items, enums, at + (i,), report)
            if item is None:
                return None
            out.append(item)
        return out
    if kind == "record":
        if not isinstance(value, dict):
            return report(at, "a mapping of " + "、".join(d.get("fields") or {}))
        fields = d.get("fields") or {}
        record: dict = {}
        for name in value:
            if name not in fields:
                return report(at + (name,), "one of the fields " + "、".join(fields))
        for name, f in fields.items():
            if name not in value or value[name] is None:
                if f.get("optional"):
                    record[name] = empty(f, enums)
                    if record[name] is not None:
                        continue
                return report(at, f"a value for '{name}'")
            item = _convert(value[name], f, enums, at + (name,), report)
            if item is None:
                return None
            record[name] = item
        return record
    if kind in ("string", "enum"):
        if not isinstance(value, str):
            return report(at, "text")
        if kind == "enum":
            values = _enum_values(d, enums)
            if values is not None and value not in values:
                return report(at, "one of " + "、".join(values))
        return value
    if kind in ("number", "money"):
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
            return report(at, "a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return report(at, "a number")
        if kind == "money" and number < 0:
            return report(at, "an amount of money (not negative)")
        return number
    if kind == "boolean":
        return value if isinstance(value, bool) else report(at, "true or false")
    if kind == "date":
        if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            return value
        return report(at, "a date YYYY-MM-DD")
    return report(at, kind)


def _found(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _check_field(src: Source, enums: dict, errors: list, d: Any, path: tuple) -> None:
    """A field of a catalogue declaration, its items' and fields' with it (not
    a closure that calls itself: a reference cycle, see loader._fact_decl)."""
    from .loader import _close

    if d["type"] == "enum" and not d.get("values") and d.get("enum") not in enums:
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
        _check_field(src, enums, errors, d["items"], path + ("items",))
    if d["type"] == "record" and not d.get("fields"):
        errors.append(src.error(path, "a record field needs 'fields'"))
    for name, f in (d.get("fields") or {}).items() if d["type"] == "record" else ():
        _check_field(src, enums, errors, f, path + ("fields", name))
    if d.get("optional") and "default" not in d and d["type"] in ("number", "money"):
        errors.append(src.error(path, "an optional number needs a 'default'"))
    if d.get("labels") is not None:
        values = (_enum_values(d, enums) if d["type"] == "enum" else None) or []
        if not values:
            errors.append(src.error(path + ("labels",), "labels are for an enum's values"))
        for value in d["labels"] if values else ():
            if value not in values:
                errors.append(
                    src.error(
                        path + ("labels", value),
                        f"'{value}' is not a value of this enum",
                        hint=_close(value, values),
                    )
                )


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

        roles: dict = {}

        for name, d in fields.items():
            _check_field(src, enums, errors, d, at + ("fields", name))
            role = d.get("role")
            # how the publication reads the field (catalogs.show): of its type, once
            wanted = {"sample": "boolean", "sample_fields": "list", "source": "record"}
            if role is not None and d["type"] != wanted[role]:
                errors.append(
                    src.error(
                        at + ("fields", name, "role"),
                        f"the field of role {role} must be of type {wanted[role]}",
                    )
                )
            elif role is not None and role in roles:
                errors.append(
                    src.error(
                        at + ("fields", name, "role"),
                        f"the role {role} is already the field '{roles[role]}'s",
                    )
                )
            elif role is not None:
                roles[role] = name
        for j, k in enumerate(c["key"]):
            if k not in fields:
                errors.append(
                    src.error(
                        at + ("key", j), f"the key names no field '{k}'", hint=_close(k, fields)
                    )
                )
        periods = []
        for j, p in enumerate(c.get("periods") or []):
            # a period of the entry's own fields, or of the items of a list field
            owner = fields
            if p.get("list") is not None:
                d = fields.get(p["list"])
                if d is None or d["type"] != "list" or d["items"]["type"] != "record":
                    errors.append(
                        src.error(
                            at + ("periods", j, "list"),
                            f"the period names no list of records '{p['list']}'",
                            hint=_close(p["list"], fields),
                        )
                    )
                    continue
                owner = d["items"]["fields"]
            for end in ("from", "until"):
                name = p[end]
                if name not in owner:
                    errors.append(
                        src.error(
                            at + ("periods", j, end),
                            f"the period names no field '{name}'",
                            hint=_close(name, owner),
                        )
                    )
                elif owner[name]["type"] != "date":
                    errors.append(
                        src.error(
                            at + ("periods", j, end), f"the period's field '{name}' is not a date"
                        )
                    )
            periods.append((p["from"], p["until"], p.get("list"), p.get("label")))
        if len(errors) > n:
            continue
        out.append(
            decl := CatalogueDecl(
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
        decl.sample_note = list(c.get("sample_note") or [])
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
    _check_sample_note(decl, data_src, errors)
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


def _check_sample_note(decl: CatalogueDecl, data_src: Source, errors: list) -> None:
    """An edition holding sample data (the file's ``sample: true``, or an
    entry whose field of role sample or sample_fields says so) must say so in
    its note, in the words the declaration's ``sample_note`` lists."""
    words = getattr(decl, "sample_note", None)
    data = data_src.data
    if not words or not isinstance(data, dict):
        return
    roles = {d.get("role"): n for n, d in decl.fields.items() if d.get("role")}
    entries = [e for e in data.get("entries") or [] if isinstance(e, dict)]
    sample = data.get("sample") is True or any(
        e.get(roles.get("sample", "")) is True or e.get(roles.get("sample_fields", ""))
        for e in entries
    )
    note = str(data.get("note") or "")
    missing = [w for w in words if w not in note]
    if sample and missing:
        errors.append(
            data_src.error(
                ("note",) if "note" in data else (),
                "this edition holds sample data, so its note must say so: it does not say "
                + "、".join(missing),
                context=f"catalogue {decl.id}",
                hint="say in the note that the entries marked 示例 are examples, not official "
                "data (catalogs.yaml: sample_note lists the words)",
            )
        )


def read_entry(
    decl: CatalogueDecl, raw: Any, data_src: Source, at: tuple, enums: dict, errors: list
) -> dict | None:
    """One entry as plain values, or None after reporting what is wrong with it
    (a field of the wrong type, unknown or missing; a period out of order or
    overlapping the one before)."""
    from .loader import _close

    if not isinstance(raw, dict):
        errors.append(
            data_src.error(
                at, "an entry is a mapping of its fields", context=f"catalogue {decl.id}"
            )
        )
        return None
    n = len(errors)
    context = f"catalogue {decl.id}"
    if isinstance(raw.get(decl.key[0]), str):
        context += f" {raw[decl.key[0]]}"
    entry = {}
    for name in raw:
        if name not in decl.fields:
            errors.append(
                data_src.error(
                    at + (name,),
                    f"catalogue {decl.id} has no field '{name}'",
                    hint=_close(name, decl.fields),
                    context=context,
                )
            )

    def report(path: tuple, expected: str) -> None:
        value = _at(raw, path[len(at) :])
        name = next((p for p in reversed(path) if isinstance(p, str)), "")
        label = decl.label(name) if name in decl.fields else name
        errors.append(
            data_src.error(
                path,
                f"{label} ({name}): expected {expected}, found {_found(value)}",
                context=context,
            )
        )

    for name, d in decl.fields.items():
        if name not in raw or raw[name] is None:
            value = empty(d, enums) if d.get("optional") else None
            if value is None:
                errors.append(
                    data_src.error(
                        at, f"the entry has no '{name}' ({decl.label(name)})", context=context
                    )
                )
            else:
                entry[name] = value
            continue
        value = _convert(raw[name], d, enums, at + (name,), report)
        if value is not None:
            entry[name] = value
    if len(errors) > n:
        return None
    for start, until, inside, _label in decl.periods:
        if inside is None:
            _check_period(entry, start, until, data_src, at, context, errors)
            continue
        items = entry[inside]
        for i, item in enumerate(items):
            _check_period(item, start, until, data_src, at + (inside, i), context, errors)
        for i in range(1, len(items)):
            prev, cur = items[i - 1], items[i]
            where = data_src.position(at + (inside, i - 1))
            if cur[start] < prev[start]:
                errors.append(
                    data_src.error(
                        at + (inside, i),
                        f"periods out of order: this one starts {cur[start]}, before the "
                        f"previous one (line {where.line}) starts {prev[start]}; list them "
                        "oldest first",
                        context=context,
                    )
                )
            elif prev[until] >= cur[start]:
                ends = "is open-ended" if prev[until] == OPEN_END else f"runs until {prev[until]}"
                errors.append(
                    data_src.error(
                        at + (inside, i),
                        f"the period from {cur[start]} overlaps the period from {prev[start]} "
                        f"(line {where.line}), which {ends}",
                        context=context,
                    )
                )
    return entry if len(errors) == n else None


def _at(raw: Any, path: tuple) -> Any:
    for p in path:
        try:
            raw = raw[p]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _check_period(
    rec: dict, start: str, until: str, data_src: Source, at: tuple, context: str, errors: list
) -> None:
    if rec[until] < rec[start]:
        errors.append(
            data_src.error(
                at + (until,),
                f"the period ends ({rec[until]}) before it starts ({rec[start]})",
                context=context,
            )
        )


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
    parse_expr: Callable[[str], Any] = parse,
) -> None:
    """Each declared check over each entry; a failing entry is reported at
    its own line with the check's message. A check with ``each: FIELD`` runs
    once per item of that list field (the item is ``item``) and reports the
    item's line; ``at: NAME`` points at that field of the entry (of the item
    with ``each``). ``parse_expr``: the loader's parse, which keeps the trees
    in its cache (a warm load parses nothing)."""
    for _i, decl in enumerate(decls):
        if not decl.checks:
            continue
        etype = entry_type(decl, enums)
        at = ("catalogs", _index(cat_src, decl.id))
        data_src = data_srcs[decl.id]
        raw_index = _raw_index(data_src)
        for j, chk in enumerate(decl.checks):
            path = at + ("checks", j, "expr")
            locate = cat_src.expression_locator(path)
            context = f"check {decl.id}.{chk['id']}"
            each = chk.get("each")
            facts = {"entry": etype}
            if each is not None:
                d = decl.fields.get(each)
                if d is None or d["type"] != "list":
                    from .loader import _close

                    errors.append(
                        cat_src.error(
                            at + ("checks", j, "each"),
                            f"'{each}' is not a list field of {decl.id}",
                            hint=_close(each, decl.fields),
                            context=context,
                        )
                    )
                    continue
                facts["item"] = field_type(d["items"], enums)
            env = Environment(facts=facts, catalogs=types)
            try:
                node = parse_expr(chk["expr"])
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
            for entry, pos in zip(decl.entries, decl.positions):
                items = list(enumerate(entry[each])) if each is not None else [(None, None)]
                for k, item in items:
                    bound = {"entry": entry} if each is None else {"entry": entry, "item": item}
                    if fn(Context(bound, catalogs=values)) is True:
                        continue
                    # the item's (the field's) own line, in the entry's file
                    # (the data file, or the revision that supplied the entry)
                    where, shown_from = pos, data_src
                    i = raw_index.get((pos.source, pos.line, pos.column))
                    origin = decl.revised.get((pos.source, pos.line, pos.column))
                    if i is not None or origin is not None:
                        sub: tuple = ((each, k) if each is not None else ()) + (
                            (chk["at"],) if chk.get("at") is not None else ()
                        )
                        if origin is None:
                            where = data_src.position(("entries", i, *sub))
                        else:
                            shown_from, entry_at = origin
                            where = shown_from.position(entry_at + sub)
                    errors.append(
                        PolicyFileError(
                            f"{chk['message']} (check {chk['id']}: {chk['expr']})",
                            position=where,
                            context=f"catalogue {decl.id} {_key_text(decl, decl.key_of(entry))}",
                            snippet=(
                                shown_from.line_text(where.line)
                                if where.source == shown_from.name
                                else None
                            ),
                        )
                    )


def _raw_index(data_src: Source) -> dict:
    """(file, line, column) of each entry of a data file → its index there."""
    raw = data_src.data.get("entries") if isinstance(data_src.data, dict) else None
    out = {}
    for i in range(len(raw) if isinstance(raw, list) else 0):
        p = data_src.position(("entries", i))
        out[(p.source, p.line, p.column)] = i
    return out


def derive(
    cat_src: Source,
    decls: list[CatalogueDecl],
    enums: dict,
    types: dict,
    values: dict,
    errors: list,
) -> None:
    """The derived tables of ``tables:`` into ``types`` and ``values``, each
    from catalogues or tables declared before it."""
    from .loader import _close

    fields = {d.id: dict(d.fields) for d in decls}
    for i, t in enumerate(cat_src.data.get("tables") or []):
        at = ("tables", i)
        tid = t["id"]
        if tid in fields:
            errors.append(cat_src.error(at + ("id",), f"'{tid}' is already a catalogue or table"))
            continue

        def known(name: str, path: tuple) -> bool:
            if name in fields:
                return True
            errors.append(
                cat_src.error(
                    path,
                    f"no catalogue or table '{name}' before this one",
                    hint=_close(name, fields),
                )
            )
            return False

        if "union" in t:
            sources = t["union"]
            if not all(known(n, at + ("union", j)) for j, n in enumerate(sources)):
                continue
            shape = dict(fields[sources[0]])

            def types_of(name: str) -> dict:
                return {n: field_type(d, enums) for n, d in fields[name].items()}

            if any(types_of(n) != types_of(sources[0]) for n in sources[1:]):
                errors.append(
                    cat_src.error(
                        at + ("union",), "the catalogues of a union must declare the same fields"
                    )
                )
                continue
            tag = t.get("tag")
            if tag:
                shape[tag] = {"type": "string", "label": t.get("tag_label", tag)}
            rows: list[dict] = [
                {**r, **({tag: n} if tag else {})} for n in sources for r in values[n]
            ]
        elif "unnest" in t:
            src_id, inside = t["from"], t["unnest"]
            if not known(src_id, at + ("from",)):
                continue
            d = fields[src_id].get(inside)
            if d is None or d["type"] != "list" or d["items"]["type"] != "record":
                errors.append(
                    cat_src.error(
                        at + ("unnest",),
                        f"'{inside}' is not a list of records of {src_id}",
                        hint=_close(inside, fields[src_id]),
                    )
                )
                continue
            parent = t.get("parent") or {}
            bad = [f for f in parent.values() if f not in fields[src_id]]
            if bad:
                errors.append(cat_src.error(at + ("parent",), f"{src_id} has no field '{bad[0]}'"))
                continue
            shape = {new: fields[src_id][old] for new, old in parent.items()}
            shape.update(d["items"]["fields"])
            rows = [
                {**{new: e[old] for new, old in parent.items()}, **item}
                for e in values[src_id]
                for item in e[inside]
            ]
            broken = False
            for lst, one in (t.get("spread") or {}).items():
                # one row per item of the list field ``lst``, as the field ``one``
                ld = shape.get(lst)
                if ld is None or ld["type"] != "list":
                    errors.append(
                        cat_src.error(at + ("spread", lst), f"'{lst}' is not a list field here")
                    )
                    broken = True
                    break
                shape = {
                    (one if n == lst else n): (ld["items"] if n == lst else f)
                    for n, f in shape.items()
                }
                rows = [
                    {(one if n == lst else n): v for n, v in r.items()} | {one: x}
                    for r in rows
                    for x in r[lst]
                ]
            if broken:
                continue
        elif "column" in t:
            src_id = t["from"]
            if not known(src_id, at + ("from",)):
                continue
            col = t["column"]
            if col not in fields[src_id]:
                errors.append(
                    cat_src.error(
                        at + ("column",),
                        f"{src_id} has no field '{col}'",
                        hint=_close(col, fields[src_id]),
                    )
                )
                continue
            fields[tid] = {}
            types[tid] = T.ListType("list", field_type(fields[src_id][col], enums))
            values[tid] = [r[col] for r in values[src_id]]
            continue
        else:  # pragma: no cover - the schema requires one of the three
            continue
        keep = t.get("fields")
        if keep:
            missing = [f for f in keep if f not in shape]
            if missing:
                errors.append(
                    cat_src.error(
                        at + ("fields",),
                        f"the table has no field '{missing[0]}'",
                        hint=_close(missing[0], shape),
                    )
                )
                continue
            shape = {f: shape[f] for f in keep}
            rows = [{f: r[f] for f in keep} for r in rows]
        fields[tid] = shape
        types[tid] = T.ListType(
            "list",
            T.RecordType(
                f"catalog.{tid}[]", tuple((n, field_type(f, enums)) for n, f in shape.items())
            ),
        )
        values[tid] = rows
    _check_refs(cat_src, decls, fields, errors)


def _check_ref(cat_src: Source, fields: dict, errors: list, d: dict, path: tuple) -> None:
    """The ``ref`` of a field, its items' and fields' with it (not a closure
    that calls itself: a reference cycle, see loader._fact_decl)."""
    from .loader import _close

    ref = d.get("ref")
    if ref is not None:
        table = fields.get(ref["table"])
        if table is None:
            errors.append(
                cat_src.error(
                    path + ("ref", "table"),
                    f"no catalogue or table '{ref['table']}'",
                    hint=_close(ref["table"], fields),
                )
            )
        else:
            for part in ("key", "show"):
                if ref[part] not in table:
                    errors.append(
                        cat_src.error(
                            path + ("ref", part),
                            f"{ref['table']} has no field '{ref[part]}'",
                            hint=_close(ref[part], table),
                        )
                    )
    if d.get("items"):
        _check_ref(cat_src, fields, errors, d["items"], path + ("items",))
    for name, f in (d.get("fields") or {}).items() if d.get("type") == "record" else ():
        _check_ref(cat_src, fields, errors, f, path + ("fields", name))


def _check_refs(cat_src: Source, decls: list[CatalogueDecl], fields: dict, errors: list) -> None:
    """A field's ``ref: {table, key, show}`` (what the published pages show
    beside a code) names a catalogue or table and two of its fields."""

    for decl in decls:
        at = ("catalogs", _index(cat_src, decl.id), "fields")
        for name, d in decl.fields.items():
            _check_ref(cat_src, fields, errors, d, at + (name,))


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
        derive(cat_src, decls, enums, types, values, ld.errors)
    if not ld.errors and not ld.checked_before:  # else: these files passed them before
        run_checks(decls, cat_src, data_srcs, enums, types, values, ld.errors, ld.parse)
    return decls, types, values


__all__ = ["OPEN_END", "CatalogueDecl", "PolicyError", "entry_type", "field_type", "load"]
