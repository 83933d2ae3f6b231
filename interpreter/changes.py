"""The explicit changes of a revision (``changes:`` in revisions/*.yaml).

Each change names what it does to which part of the policy::

    changes:
      - add_standard_value:
          standard: training_subsidy
          from: 2021-01-01
          value: {初级: 1200, 中级: 1800}
          cite: [{clause: 示例1号-一, quote: 初级工1200元/人}]
      - replace_clause:
          program: upgrade
          clause: {id: insured_12_months, expr: ..., cite: [...], explain: {...}}

An ``add_…`` of something that already exists, or a ``replace_…`` of
something that does not, is an error at the change's file:line:col with a
"did you mean": a misspelt id never silently adds a second thing nor changes
nothing. The loader applies the changes part by part (facts, standards,
catalogue entries, definitions, programs, clauses, real-name checks, targets,
the decision date), in the order of the revisions' issue dates.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from dsl.records import Record

from .yamlsource import Source

if TYPE_CHECKING:
    from dsl import Environment
    from dsl.errors import PolicyFileError

    from .loader import _Loader
    from .model import FactDecl

# operation → (what it changes, the key naming it inside the payload)
OPERATIONS = {
    "add_program": "program",
    "replace_program": "program",
    "add_clause": "clause",
    "replace_clause": "clause",
    "add_fact": "fact",
    "replace_fact": "fact",
    "add_enum": "enum",
    "add_enum_values": "enum",
    "add_definition": "definition",
    "replace_definition": "definition",
    "add_standard": "standard",
    "add_standard_value": "standard",
    "replace_standard_value": "standard",
    "add_catalogue_entry": "catalogue",
    "replace_catalogue_entry": "catalogue",
    "add_real_name_check": "real_name_check",
    "replace_real_name_check": "real_name_check",
    "add_target": "target",
    "replace_target": "target",
    "replace_decision_date": "decision_date",
}


class Change(Record):
    op: str
    src: Source  # the revision file
    at: tuple  # path of the payload in it: ("changes", i, op)
    data: Any  # the payload (YAML values, checked by the revision schema)
    revision: str  # the revision's document (number, else id)
    revision_id: str

    def error(
        self, message: str, *path: str | int, hint: str | None = None, context: str | None = None
    ) -> PolicyFileError:
        return self.src.error(
            self.at + tuple(path), message, hint=hint, context=context or f"change {self.op}"
        )

    def view(self, *path: str | int) -> Source:
        return self.src.view(self.at + tuple(path))


def collect(rev_srcs: Iterable[Source], errors: list) -> list[Change]:
    """Every change of the revisions, in their order; an unknown operation is
    an error with the nearest one."""
    from .loader import _close

    out = []
    for r in rev_srcs:
        meta = r.data["revision"]
        label = meta.get("number") or meta["id"]
        for i, item in enumerate(r.data.get("changes") or []):
            keys = list(item)
            if len(keys) != 1:
                errors.append(
                    r.error(
                        ("changes", i),
                        "a change is one operation: "
                        "add_program, replace_clause, add_standard_value, …",
                    )
                )
                continue
            op = keys[0]
            if op not in OPERATIONS:
                errors.append(
                    r.error(
                        ("changes", i, op),
                        f"no change '{op}'; changes: " + ", ".join(OPERATIONS),
                        hint=_close(op, OPERATIONS),
                    )
                )
                continue
            out.append(Change(op, r, ("changes", i, op), item[op], label, meta["id"]))
    return out


def of(changes: list[Change], *ops: str) -> list[Change]:
    return [c for c in changes if c.op in ops]


def grafted(src: Source, at: tuple, prefix: tuple, data: Any) -> Source:
    """A Source whose ``data`` sits under ``prefix`` and whose positions point
    at the payload ``at`` of ``src`` — to hand a change to the loader's own
    readers (the same checks, the same file:line:col)."""
    part = src.view(at)
    out = Source(src.name, src.text, data)
    here = src.position(at)
    out.positions = {prefix[:n]: (here.line, here.column) for n in range(len(prefix) + 1)}
    out.positions.update({prefix + k: v for k, v in part.positions.items()})
    out.nodes = {prefix + k: v for k, v in part.nodes.items()}
    return out


def nest(prefix: tuple, value: Any) -> dict:
    """{"a": {"b": value}} for prefix ("a", "b")."""
    for key in reversed(prefix):
        value = {key: value}
    return value


# -- validating a payload by the schema of the part it changes ----------------------

_PAYLOAD = {
    # op: (schema, JSON pointer of the part, key of the payload holding it or None)
    "add_program": ("program", "", None),
    "replace_program": ("program", "", None),
    "add_clause": ("program", "/$defs/clause", "clause"),
    "replace_clause": ("program", "/$defs/clause", "clause"),
    "add_fact": ("facts", "/$defs/fact", "fact"),
    "replace_fact": ("facts", "/$defs/fact", "fact"),
    "add_definition": ("definitions", "/$defs/definition", None),
    "replace_definition": ("definitions", "/$defs/definition", None),
    "add_real_name_check": ("document", "/properties/real_name_checks/items", None),
    "replace_real_name_check": ("document", "/properties/real_name_checks/items", None),
    "add_target": ("document", "/$defs/target", None),
    "replace_target": ("document", "/$defs/target", None),
}
# the keys naming what a change applies to, beside the part itself
_NAMING = {
    "add_clause": {"program", "clause"},
    "replace_clause": {"program", "clause"},
    "add_fact": {"path", "fact"},
    "replace_fact": {"path", "fact"},
    "add_catalogue_entry": {"catalogue", "entry"},
    "replace_catalogue_entry": {"catalogue", "entry"},
}


def validate(changes: list[Change], errors: list) -> list[Change]:
    """Each payload against the schema of the part of the policy it changes;
    the changes that passed."""
    from . import schemas

    ok = []
    for c in changes:
        n = len(errors)
        keys = _NAMING.get(c.op)
        if keys is not None:
            if not isinstance(c.data, dict):
                errors.append(c.error(f"{c.op} takes " + ", ".join(sorted(keys))))
                continue
            for k in sorted(keys - set(c.data)):
                errors.append(c.error(f"{c.op} needs '{k}'"))
            for k in sorted(set(c.data) - keys):
                errors.append(
                    c.error(f"unknown key '{k}'; {c.op} takes " + ", ".join(sorted(keys)), k)
                )
        if len(errors) == n and c.op in _PAYLOAD:
            schema, pointer, key = _PAYLOAD[c.op]
            part = c.view(key) if key else c.view()
            errors.extend(schemas.validate_part(part, schema, pointer))
        if len(errors) == n:
            ok.append(c)
    return ok


# -- facts and enums ------------------------------------------------------------------


def _repath(decl: FactDecl, path: str) -> None:
    decl.path = path
    for k, f in decl.fields.items():
        _repath(f, f"{path}.{k}")
    if decl.items is not None:
        _repath(decl.items, f"{path}[]")


def apply_facts(changes: list[Change], ld: _Loader, enums: dict, facts: dict) -> None:
    from .loader import _close, _facts

    for c in of(changes, "add_enum", "add_enum_values", "add_fact", "replace_fact"):
        d = c.data
        if c.op in ("add_enum", "add_enum_values"):
            name = d.get("enum")
            body = {k: v for k, v in d.items() if k != "enum"}
            if c.op == "add_enum" and name in enums:
                ld.errors.append(
                    c.error(
                        f"the enum '{name}' already exists",
                        "enum",
                        hint="to give it more values write add_enum_values",
                    )
                )
                continue
            if c.op == "add_enum_values":
                if name not in enums:
                    ld.errors.append(
                        c.error(f"no enum '{name}' in facts.yaml", "enum", hint=_close(name, enums))
                    )
                    continue
                dup = [
                    i for i, v in enumerate(d.get("values") or []) if str(v) in enums[name].values
                ]
                for i in dup:
                    ld.errors.append(
                        c.error(
                            f"'{d['values'][i]}' is already a value of enum {name}", "values", i
                        )
                    )
                if dup:
                    continue
            _facts(
                grafted(c.src, c.at, ("enums", name), {"enums": {name: body}}),
                ld,
                enums=enums,
                facts={},
            )
            continue
        path = str(d["path"])
        parts = path.split(".")
        where: dict | None
        _parent, where = None, facts
        for p in parts[:-1]:
            decl = where.get(p)
            if decl is None or decl.type != "record":
                ld.errors.append(
                    c.error(
                        f"no record fact '{p}' on the path {path}", "path", hint=_close(p, where)
                    )
                )
                where = None
                break
            _parent, where = decl, decl.fields
        if where is None:
            continue
        leaf = parts[-1]
        if c.op == "add_fact" and leaf in where:
            ld.errors.append(
                c.error(
                    f"the fact {path} is already declared",
                    "path",
                    hint="to change its declaration write replace_fact",
                )
            )
            continue
        if c.op == "replace_fact" and leaf not in where:
            ld.errors.append(
                c.error(f"no fact {path} to replace", "path", hint=_close(leaf, where))
            )
            continue
        made: dict = {}
        _facts(
            grafted(c.src, c.at + ("fact",), ("facts", leaf), {"facts": {leaf: d["fact"]}}),
            ld,
            enums=enums,
            facts=made,
        )
        if leaf in made:
            _repath(made[leaf], path)
            where[leaf] = made[leaf]


# -- standards --------------------------------------------------------------------------


def apply_standards(changes: list[Change], ld: _Loader, enums: dict, standards: dict) -> None:
    from . import schemas
    from .loader import _cites, _close, _standards

    for c in of(changes, "add_standard", "add_standard_value", "replace_standard_value"):
        d = c.data
        if not isinstance(d, dict):
            ld.errors.append(c.error(f"{c.op} takes the fields of a standard"))
            continue
        if c.op == "add_standard":
            sid = d.get("id")
            body = {k: v for k, v in d.items() if k != "id"}
            part = grafted(c.src, c.at, ("standards", sid), {"standards": {sid: body}})
            n = len(ld.errors)
            if not isinstance(sid, str):
                ld.errors.append(c.error("add_standard needs 'id'"))
            else:
                ld.errors.extend(schemas.validate(part, "standards"))
            if len(ld.errors) > n:
                continue
            if sid in standards:
                ld.errors.append(
                    c.error(
                        f"the standard '{sid}' already exists",
                        "id",
                        hint="to give it a new dated value write add_standard_value",
                    )
                )
                continue
            _standards(part, enums, ld, into=standards, revision=c.revision)
            continue
        sid = d.get("standard")
        for k in ("from", "until"):  # a date in quotes is the date it says
            if isinstance(d.get(k), str):
                # the schema says what is wrong with a date that does not parse
                with contextlib.suppress(ValueError):
                    d[k] = _dt.date.fromisoformat(d[k])
        entry = {k: v for k, v in d.items() if k in ("from", "until", "value")}
        rest = sorted(set(d) - {"standard", "from", "until", "value", "cite"})
        n = len(ld.errors)
        for k in rest:
            ld.errors.append(
                c.error(f"unknown key '{k}'; {c.op} takes standard, from, until, value, cite", k)
            )
        part = grafted(
            c.src, c.at, ("standards", sid, "values", 0), {"standards": {sid: {"values": [entry]}}}
        )
        ld.errors.extend(
            schemas.validate_part(
                part.view(("standards", sid, "values", 0)), "standards", "/$defs/dated_value"
            )
        )
        if "cite" in d:
            ld.errors.extend(schemas.validate_part(c.view("cite"), "standards", "/$defs/cite"))
        if len(ld.errors) > n:
            continue
        std = standards.get(sid)
        if std is None:
            ld.errors.append(
                c.error(
                    f"no standard '{sid}' in standards.yaml",
                    "standard",
                    hint=_close(sid, standards),
                )
            )
            continue
        same = [v for v in std.versions if v.start == d["from"]]
        if c.op == "add_standard_value" and same:
            ld.errors.append(
                c.error(
                    f"standard {sid} already has a value from {d['from']} ({same[0].source})",
                    "from",
                    hint="to change that value write replace_standard_value",
                )
            )
            continue
        if c.op == "replace_standard_value" and not same:
            starts = ", ".join(v.start.isoformat() for v in std.versions)
            ld.errors.append(
                c.error(
                    f"standard {sid} has no value from {d['from']} to "
                    f"replace; its values start on {starts}",
                    "from",
                    hint="to add a value from a new date write add_standard_value",
                )
            )
            continue
        index = std.versions.index(same[0]) if same else None
        if same:
            std.versions.remove(same[0])
        count = len(std.versions)
        _standards(part, enums, ld, into=standards, revision=c.revision)
        added = std.versions[count:]
        for v in added:
            v.cite = _cites(d.get("cite"))
        if index is not None and added:
            std.versions.insert(index, std.versions.pop())


# -- lists of document.yaml: real-name checks, targets ----------------------------------


def listed(doc_src: Source, key: str, changes: list[Change], what: str, errors: list) -> list:
    """(source, path, entry) of document.yaml's ``key`` list after the
    add_/replace_ changes of ``what`` (by id)."""
    from .loader import _close

    items = [(doc_src, (key, i), e) for i, e in enumerate(doc_src.data.get(key) or [])]
    for c in of(changes, f"add_{what}", f"replace_{what}"):
        ids = [e["id"] for _s, _a, e in items]
        cid = c.data.get("id")
        if c.op.startswith("add_") and cid in ids:
            errors.append(
                c.error(
                    f"there is already a {what.replace('_', '-')} '{cid}'",
                    "id",
                    hint=f"to change it write replace_{what}",
                )
            )
        elif c.op.startswith("replace_") and cid not in ids:
            errors.append(
                c.error(
                    f"no {what.replace('_', '-')} '{cid}' to replace", "id", hint=_close(cid, ids)
                )
            )
        elif cid in ids:
            items[ids.index(cid)] = (c.src, c.at, c.data)
        else:
            items.append((c.src, c.at, c.data))
    return items


# -- definitions, programs, clauses ------------------------------------------------------


def apply_definitions(
    changes: list[Change],
    ld: _Loader,
    env: Environment,
    declared: dict,
    reserved: Iterable[str],
) -> None:
    """add_definition / replace_definition into ``declared`` (name → (source,
    index)), defined in ``env`` so the others can refer to them."""
    from dsl import ParseError

    from .loader import _close, _literal_text

    for c in of(changes, "add_definition", "replace_definition"):
        d = c.data
        name = d["id"]
        if name in env.facts or name in reserved:
            ld.errors.append(c.error(f"'{name}' is already the name of a fact", "id"))
            continue
        if c.op == "add_definition" and name in declared:
            ld.errors.append(
                c.error(
                    f"there is already a definition '{name}'",
                    "id",
                    hint="to change it write replace_definition",
                )
            )
            continue
        if c.op == "replace_definition" and name not in declared:
            ld.errors.append(
                c.error(f"no definition '{name}' to replace", "id", hint=_close(name, declared))
            )
            continue
        part = grafted(c.src, c.at, ("definitions", 0), {"definitions": [d]})
        # a parse error is reported with its position when compiled
        with contextlib.suppress(ParseError):
            env.define(
                name,
                ld.parse(d["expr"] if isinstance(d["expr"], str) else _literal_text(d["expr"])),
            )
        declared[name] = (part, 0)


def program_views(changes: list[Change], views: list, errors: list) -> None:
    """add_program / replace_program onto the (source, revision) list of
    program files: replacing names a program that exists, adding one that
    does not."""
    from .loader import _close

    for c in of(changes, "add_program", "replace_program"):
        ids = {s.data["id"] for s, _r in views}
        pid = c.data["id"]
        if c.op == "add_program" and pid in ids:
            errors.append(
                c.error(
                    f"there is already a program '{pid}'",
                    "id",
                    hint="to change it write replace_program",
                )
            )
            continue
        if c.op == "replace_program" and pid not in ids:
            errors.append(c.error(f"no program '{pid}' to replace", "id", hint=_close(pid, ids)))
            continue
        views.append((c.view(), c.revision))


def apply_clauses(
    changes: list[Change],
    ld: _Loader,
    env: Environment,
    programs: MutableMapping,
    program_locals: dict,
    compile_clause: Callable[..., Any],
) -> None:
    """add_clause / replace_clause in a program, compiled with the program's
    own let names."""
    from .loader import _close

    for c in of(changes, "add_clause", "replace_clause"):
        pid = c.data["program"]
        program = programs.get(pid)
        if program is None:
            ld.errors.append(c.error(f"no program '{pid}'", "program", hint=_close(pid, programs)))
            continue
        clause = c.data["clause"]
        ids = [cl.id for cl in program.clauses]
        if c.op == "add_clause" and clause["id"] in ids:
            ld.errors.append(
                c.error(
                    f"program {pid} already has a clause '{clause['id']}'",
                    "clause",
                    "id",
                    hint="to change it write replace_clause",
                )
            )
            continue
        if c.op == "replace_clause" and clause["id"] not in ids:
            ld.errors.append(
                c.error(
                    f"program {pid} has no clause '{clause['id']}' to replace",
                    "clause",
                    "id",
                    hint=_close(clause["id"], ids),
                )
            )
            continue
        local_types, local_defs = program_locals.get(pid, ({}, {}))
        made = compile_clause(
            c.src, c.at + ("clause",), clause, pid, env, ld, local_types, local_defs
        )
        if made is None:
            continue
        if clause["id"] in ids:
            program.clauses[ids.index(clause["id"])] = made
        else:
            program.clauses.append(made)
        program.revision = program.revision or c.revision


# -- catalogue entries ------------------------------------------------------------------


def apply_entries(
    changes: list[Change],
    decls: list,
    enums: dict,
    errors: list,
    read_entry: Callable[..., Any],
    applied_to: str | None = None,
) -> None:
    """add_catalogue_entry / replace_catalogue_entry in the catalogues the
    policy declares, each entry checked as the catalogue's own are.
    ``applied_to``: the folder of data files the changes are applied to when
    it is not the policy's own (``policy catalog check DIR``), named in the
    errors beside the revision."""
    from .loader import _close

    by_id = {d.id: d for d in decls}
    for c in of(changes, "add_catalogue_entry", "replace_catalogue_entry"):
        cid = c.data["catalogue"]
        decl = by_id.get(cid)
        context = None
        if applied_to is not None:
            context = f"change {c.op} of revision {c.revision}, applied to {applied_to}"
        if decl is None:
            errors.append(
                c.error(
                    f"no catalogue '{cid}' in catalogs.yaml",
                    "catalogue",
                    hint=_close(cid, by_id)
                    or (None if by_id else "this policy declares no catalogues"),
                    context=context,
                )
            )
            continue
        entry = read_entry(decl, c.data["entry"], c.src, c.at + ("entry",), enums, errors)
        if entry is None:
            continue
        key = decl.key_of(entry)
        keys = [decl.key_of(e) for e in decl.entries]
        shown = ", ".join(f"{k}={v}" for k, v in zip(decl.key, key))
        if c.op == "add_catalogue_entry" and key in keys:
            errors.append(
                c.error(
                    f"catalogue {cid} already has the entry {shown}",
                    "entry",
                    hint="to change it write replace_catalogue_entry",
                    context=context,
                )
            )
            continue
        if c.op == "replace_catalogue_entry" and key not in keys:
            near = _close(" ".join(map(str, key)), [" ".join(map(str, k)) for k in keys])
            errors.append(
                c.error(
                    f"catalogue {cid} has no entry {shown} to replace",
                    "entry",
                    hint=near,
                    context=context,
                )
            )
            continue
        where = c.src.position(c.at + ("entry",))
        decl.revised[(where.source, where.line, where.column)] = (c.src, c.at + ("entry",))
        if key in keys:
            i = keys.index(key)
            decl.entries[i], decl.positions[i] = entry, where
        else:
            decl.entries.append(entry)
            decl.positions.append(where)
