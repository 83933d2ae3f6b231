"""JSON Schema validation of the policy files, with errors at file:line:col.

The schemas belong to the tool (they describe the file formats), so they are
read from the bundled ``policy/schemas`` folder whatever policy is loaded.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsl.dates import date_problem
from dsl.errors import PolicyFileError

from .yamlsource import Source, to_jsonable

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


def schema_dir() -> Path:
    import policy

    return Path(policy.__file__).parent / "schemas"


@cache
def schema_of(name: str) -> dict:
    """The JSON Schema of a file format, as data."""
    return json.loads((schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))


@cache
def validator(name: str) -> Validator:
    # imported when a file is validated: a warm start finds every file's
    # validation in the policy cache and never needs it
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        inline_refs(schema_of(name)), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def inline_refs(schema: dict) -> dict:
    """``schema`` with each ``{"$ref": "#/$defs/NAME"}`` replaced by the
    definition itself, for jsonschema to validate against: the same checks,
    without resolving the reference at every value it applies to (a fifth
    of the validation time of a cold load, issue 21). A definition that
    reaches itself (a fact's fields are facts) keeps its references; a
    reference beside other keywords becomes ``allOf: [definition]`` in its
    place, so the keywords apply in the same order; where ``allOf`` is
    already written it is left as it is. Every error is the same: it comes
    from the same keyword of the same (sub)schema, at the same place in the
    file (tests/interpreter/test_schema_refs.py)."""
    defs = schema.get("$defs") or {}
    prefix = "#/$defs/"

    def refs(node: Any, out: set[str]) -> set[str]:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                out.add(ref[len(prefix) :])
            for v in node.values():
                refs(v, out)
        elif isinstance(node, list):
            for v in node:
                refs(v, out)
        return out

    graph = {name: refs(d, set()) for name, d in defs.items()}

    def reaches_itself(name: str) -> bool:
        seen: set[str] = set()
        todo = list(graph[name])
        while todo:
            n = todo.pop()
            if n == name:
                return True
            if n not in seen and n in graph:
                seen.add(n)
                todo.extend(graph[n])
        return False

    recursive = {name for name in defs if reaches_itself(name)}
    done: dict[str, Any] = {}

    def sub(node: Any) -> Any:
        if isinstance(node, list):
            return [sub(v) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        name = ref[len(prefix) :] if isinstance(ref, str) and ref.startswith(prefix) else None
        if name is None or name in recursive or name not in defs or "allOf" in node:
            return {k: sub(v) for k, v in node.items()}
        if name not in done:
            done[name] = sub(defs[name])
        if len(node) == 1:
            return done[name]
        return {
            ("allOf" if k == "$ref" else k): ([done[name]] if k == "$ref" else sub(v))
            for k, v in node.items()
        }

    out = {k: sub(v) for k, v in schema.items() if k != "$defs"}
    if defs:
        out["$defs"] = {name: sub(d) for name, d in defs.items()}
    return out


@cache
def part_validator(name: str, pointer: str) -> Validator:
    """A validator for the part of schema ``name`` at JSON ``pointer`` (e.g.
    ``/$defs/clause``), its references resolved in that schema."""
    from jsonschema import Draft202012Validator

    schema = json.loads((schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    part = schema
    for key in [k for k in pointer.split("/") if k]:
        part = part[key]
    return Draft202012Validator(
        inline_refs({**part, "$defs": schema.get("$defs", {})}),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def validate_part(src: Source, schema: str, pointer: str) -> list[PolicyFileError]:
    """``src`` (a part of a file, e.g. one change of a revision) against the
    part of ``schema`` at ``pointer``; each problem at its file:line:col."""
    if not pointer:
        return validate(src, schema)
    errors = []
    seen = set()
    for err in sorted(
        part_validator(schema, pointer).iter_errors(to_jsonable(src.data)),
        key=lambda e: src.position(tuple(e.absolute_path)).line or 0,
    ):
        path = tuple(err.absolute_path)
        message, hint = _explain(err)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        errors.append(src.error(path, message, context=_where(path), hint=hint))
    if not errors:
        # quoted dates of the part read as dates, as in a whole file
        root = part_validator(schema, pointer).schema
        found: list[tuple] = []
        _date_paths(src.data, root, root, (), found, 0, _dated(root))
        for path in found:
            parent = src.data
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = _dt.date.fromisoformat(parent[path[-1]])
    return errors


def validate(src: Source, schema: str) -> list[PolicyFileError]:
    """Every schema violation in the file, each at the position of the value."""
    errors = []
    data = to_jsonable(src.data)
    seen = set()
    for err in sorted(
        validator(schema).iter_errors(data),
        key=lambda e: src.position(tuple(e.absolute_path)).line or 0,
    ):
        path = tuple(err.absolute_path)
        message, hint = _explain(err)
        if (path, message) in seen:  # jsonschema says "required" once per key
            continue  # (and a bad date fails its pattern and format)
        seen.add((path, message))
        errors.append(src.error(path, message, context=_where(path), hint=hint))
    return errors


# ``err``: a jsonschema ValidationError as a validator yields it, every field
# set (the stubs type each as possibly unset, for errors made by hand)
def _explain(err: Any) -> tuple[str, str | None]:
    """(message, hint): a date written another way gets its fix as the hint."""
    if err.validator in ("anyOf", "oneOf") and err.context:
        from jsonschema.exceptions import best_match

        return _explain(best_match(err.context))
    if (
        err.validator in ("format", "pattern")
        and err.schema.get("format") == "date"
        and isinstance(err.instance, str)
    ):
        return date_problem(err.instance)
    return _plain(err), None


def read_dates(src: Source, schema: str) -> None:
    """A date written in quotes (``issued: '2021-02-01'``) where the file
    format has a date, read as the date it is, like an unquoted one. Run on a
    file that passed its schema (so every such string is a real YYYY-MM-DD)."""
    root = schema_of(schema)
    found: list[tuple] = []
    _date_paths(src.data, root, root, (), found, 0, _dated(root))
    for path in found:
        parent = src.data
        for p in path[:-1]:
            parent = parent[p]
        with contextlib.suppress(ValueError):  # the schema refused it already
            parent[path[-1]] = _dt.date.fromisoformat(parent[path[-1]])


def _date_paths(
    value: Any,
    schema: Any,
    root: Any,
    path: tuple,
    out: list,
    depth: int,
    dated: set[int] | None = None,
) -> None:
    """The paths in ``value`` of the strings ``schema`` (a part of ``root``)
    has as dates. ``dated``: the ids of the parts of ``root`` from which a
    date can be reached (``_dated``); a part that leads to none is not walked
    (most of a file: a cold load walked every value of every file, once for
    each subschema applying to it)."""
    if not isinstance(schema, dict) or depth > 64:
        return
    if dated is not None and id(schema) not in dated:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        _date_paths(
            value,
            root.get("$defs", {}).get(ref[len("#/$defs/") :]),
            root,
            path,
            out,
            depth + 1,
            dated,
        )
    if schema.get("format") == "date" and isinstance(value, str):
        if _ISO_DATE.fullmatch(value) and path not in out:
            out.append(path)
        return
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or ():
            _date_paths(value, sub, root, path, out, depth + 1, dated)
    for key in ("then", "else"):
        _date_paths(value, schema.get(key), root, path, out, depth + 1, dated)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                _date_paths(v, props[k], root, path + (k,), out, depth + 1, dated)
            elif isinstance(extra, dict):
                _date_paths(v, extra, root, path + (k,), out, depth + 1, dated)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _date_paths(item, schema["items"], root, path + (i,), out, depth + 1, dated)


# id(root) -> (root, the ids of its parts from which a date can be reached);
# the roots are the cached schemas (schema_of, part_validator), kept here so
# that an id is never reused for another
_DATED: dict[int, tuple[Any, set[int]]] = {}


def _dated(root: Any) -> set[int]:
    """The ids of the parts of schema ``root`` from which ``_date_paths``
    can reach a ``format: date``, following the same keywords it follows."""
    got = _DATED.get(id(root))
    if got is not None and got[0] is root:
        return got[1]
    defs = root.get("$defs") or {}
    below: dict[int, list[int]] = {}  # part -> the parts it leads to
    dates: list[int] = []
    todo = [root]
    while todo:
        part = todo.pop()
        if id(part) in below:
            continue
        nxt: list[Any] = []
        ref = part.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            nxt.append(defs.get(ref[len("#/$defs/") :]))
        if part.get("format") == "date":
            dates.append(id(part))
        for key in ("allOf", "anyOf", "oneOf"):
            nxt.extend(part.get(key) or ())
        nxt += [part.get("then"), part.get("else"), part.get("additionalProperties")]
        nxt.extend((part.get("properties") or {}).values())
        nxt.append(part.get("items"))
        nxt = [n for n in nxt if isinstance(n, dict)]
        below[id(part)] = [id(n) for n in nxt]
        todo.extend(nxt)
    above: dict[int, list[int]] = {}
    for part_id, ids in below.items():
        for i in ids:
            above.setdefault(i, []).append(part_id)
    reach = set(dates)
    todo_ids = list(dates)
    while todo_ids:
        for up in above.get(todo_ids.pop(), ()):
            if up not in reach:
                reach.add(up)
                todo_ids.append(up)
    _DATED[id(root)] = (root, reach)
    return reach


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _where(path: tuple) -> str | None:
    if not path:
        return None
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


def _plain(err: Any) -> str:
    """jsonschema's message, in the words an officer would use."""
    v = err.validator
    if v == "required":
        missing = [p for p in err.validator_value if p not in (err.instance or {})]
        return "missing key " + ", ".join(f"'{m}'" for m in missing)
    if v == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        extra = [k for k in (err.instance or {}) if k not in allowed]
        msg = "unknown key " + ", ".join(f"'{e}'" for e in extra)
        if allowed:
            msg += "; allowed: " + ", ".join(allowed)
        return msg
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"expected {_a(want)}, found {json.dumps(err.instance, ensure_ascii=False)}"
    if v == "enum":
        return f"{json.dumps(err.instance, ensure_ascii=False)} is not one of " + ", ".join(
            json.dumps(x, ensure_ascii=False) for x in err.validator_value
        )
    if v == "pattern":
        return (
            f"{json.dumps(err.instance, ensure_ascii=False)} does not have the expected "
            f"form ({err.schema.get('description') or err.validator_value})"
        )
    if v in ("anyOf", "oneOf") and err.context:
        from jsonschema.exceptions import best_match

        return _plain(best_match(err.context))
    if v == "not" and isinstance(err.instance, dict):
        # "not: {required: [k]}" (or anyOf of such): a key this kind of entry may not have
        forbidden = []
        for sub in [err.validator_value] + list(err.validator_value.get("anyOf") or ()):
            forbidden += [k for k in sub.get("required") or () if k in err.instance]
        if forbidden:
            kind = err.instance.get("type")
            return (
                ", ".join(f"'{k}'" for k in dict.fromkeys(forbidden))
                + " is not allowed"
                + (f" for a fact of type {kind}" if isinstance(kind, str) else " here")
            )
    if v == "format":
        return (
            f"{json.dumps(err.instance, ensure_ascii=False)} is not a valid {err.validator_value}"
        )
    return err.message


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word
