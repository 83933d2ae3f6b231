"""Load catalogue YAML files into typed objects, reporting every schema error.

A file that is not YAML at all yields one error. A file that is YAML yields
one error per schema violation (jsonschema's ``iter_errors``), each at the
file:line:col of the offending value, and still yields a ``Catalogue`` holding
every entry that is valid on its own, so the cross-catalogue checks can run on
the rest.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import re
from pathlib import Path

from dsl.errors import PolicyError, PolicyFileError, Position
from interpreter.yamlsource import Source, load_yaml, to_jsonable

from .model import (
    COURSE_KINDS,
    KINDS,
    TITLES,
    Catalogs,
    Catalogue,
    Cite,
    Course,
    CourseApproval,
    Demand,
    Institution,
    StatusPeriod,
)
from .paths import DATA_DIR, PACKAGE_DIR, SCHEMA_DIR, default_dir  # noqa: F401 (re-exported)


class CatalogueUsageError(PolicyFileError):
    """The input cannot be used at all (no catalogue folder, unreadable file).

    The CLI exits 2 for it, against 1 for errors found inside catalogues.
    """

    exit_code = 2


def display_path(path: Path | str) -> str:
    """A path as the officer should see it: relative to the cwd when inside it."""
    path = Path(path)
    cwd = Path.cwd()
    if cwd == Path(cwd.anchor):  # at the root, relative paths read oddly
        return str(path)
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


@functools.cache
def schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@functools.cache
def _validator(kind: str):
    # imported when a catalogue file is validated: a warm start reads the
    # catalogues' rule views from the policy cache and never needs it
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---------------------------------------------------------------- loading


def load_catalogue_file(
    path: Path | str, kind: str | None = None, *, display_name: str | None = None
) -> tuple[Catalogue | None, list[PolicyError]]:
    """Load one catalogue file.

    ``kind`` is one of ``KINDS``; when None it is read from the file's
    ``catalogue:`` field. Returns the catalogue (None when the file is not
    usable at all) and every error found, sorted by line.
    """
    path = Path(path)
    name = display_name or display_path(path)
    try:
        src = load_yaml(path, display_name=name)
    except PolicyError as err:
        return None, [err]
    data = src.data
    if kind is None:
        found = data.get("catalogue") if isinstance(data, dict) else None
        if found not in KINDS:
            return None, [
                src.error(
                    ("catalogue",) if isinstance(data, dict) and "catalogue" in data else (),
                    "cannot tell which catalogue this is: the field "
                    "'catalogue' must be one of " + ", ".join(KINDS),
                )
            ]
        kind = found
    elif isinstance(data, dict) and data.get("catalogue") in KINDS and data["catalogue"] != kind:
        found = data["catalogue"]
        return None, [
            src.error(
                ("catalogue",),
                f"this file is the {found} catalogue ({TITLES[found]}), "
                f"but it should be the {kind} catalogue ({TITLES[kind]})",
                context=kind,
            )
        ]
    errors = schema_errors(src, kind)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return None, errors
    bad_entries = {
        e_path[1]
        for e_path, _ in errors_paths(src, kind)
        if len(e_path) >= 2 and e_path[0] == "entries"
    }
    entries = []
    all_codes = set()
    for i, raw in enumerate(data["entries"]):
        if isinstance(raw, dict) and isinstance(raw.get("code"), str):
            all_codes.add(raw["code"])
        if i in bad_entries or not isinstance(raw, dict):
            continue
        entries.append(_BUILDERS[kind](src, ("entries", i), raw, kind))
    cat = Catalogue(
        kind=kind,
        path=name,
        title=_str(data.get("title")),
        edition=_str(data.get("edition")),
        issued=_date(data.get("issued")),
        issuer=_str(data.get("issuer")),
        note=_str(data.get("note")),
        basis=data.get("basis") if isinstance(data.get("basis"), str) else None,
        sample=data.get("sample") is True,
        entries=tuple(entries),
        position=src.position(()),
        source=src,
        all_codes=frozenset(all_codes),
    )
    return cat, errors


def load_directory(directory: Path | str | None = None) -> tuple[Catalogs, list[PolicyError]]:
    """Load the four catalogues of a folder (``KIND.yaml`` each).

    Raises CatalogueUsageError when the folder holds none of them.
    """
    directory = Path(directory) if directory is not None else default_dir()
    shown = display_path(directory)
    if not directory.is_dir():
        raise CatalogueUsageError(f"not a folder: {shown}", position=Position(shown))
    present = [k for k in KINDS if (directory / f"{k}.yaml").is_file()]
    if not present:
        raise CatalogueUsageError(
            "this folder holds none of the catalogue files "
            + ", ".join(f"{k}.yaml" for k in KINDS),
            position=Position(shown),
        )
    loaded: dict = {}
    errors: list[PolicyError] = []
    for kind in KINDS:
        path = directory / f"{kind}.yaml"
        if not path.is_file():
            errors.append(
                PolicyFileError(
                    f"missing catalogue file {kind}.yaml ({TITLES[kind]})",
                    position=Position(display_path(path)),
                )
            )
            continue
        cat, errs = load_catalogue_file(path, kind)
        loaded[kind] = cat
        errors.extend(errs)
    return Catalogs(directory=shown, **loaded), errors


# ---------------------------------------------------------- schema errors


def errors_paths(src: Source, kind: str):
    """(path, jsonschema error) for every violation, deepest first."""
    instance = to_jsonable(src.data)
    for error in _validator(kind).iter_errors(instance):
        yield tuple(error.absolute_path), error


def schema_errors(src: Source, kind: str) -> list[PolicyError]:
    out: list[PolicyError] = []
    seen = set()
    for path, error in errors_paths(src, kind):
        for at, message in _explain(path, error):
            key = (at, message)
            if key in seen:
                continue
            seen.add(key)
            out.append(src.error(at, message, context=_context(src, kind, at)))
    return sort_errors(out)


def sort_errors(errors: list[PolicyError]) -> list[PolicyError]:
    def key(err):
        p = err.position
        return (p.source or "", p.line or 0, p.column or 0, err.message)

    return sorted(errors, key=key)


def _context(src: Source, kind: str, path: tuple) -> str:
    data = src.data
    if len(path) >= 2 and path[0] == "entries" and isinstance(data, dict):
        entries = data.get("entries")
        if isinstance(entries, list) and isinstance(path[1], int) and path[1] < len(entries):
            entry = entries[path[1]]
            if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                return f"{kind} {entry['code']}"
        return f"{kind} entries[{path[1]}]"
    return kind


_JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _kind_of(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def _show(value) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def _explain(path: tuple, error) -> list[tuple[tuple, str]]:
    """Officer-facing message(s) for one jsonschema error, with their paths."""
    v, inst, sch = error.validator, error.instance, error.schema
    field = str(path[-1]) if path and isinstance(path[-1], str) else None
    if v == "required":
        m = re.match(r"^'(.+)' is a required property$", error.message)
        missing = m.group(1) if m else error.message
        return [(path, f"missing field '{missing}'")]
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = sorted((sch.get("properties") or {}).keys())
        extras = [k for k in inst if k not in allowed]
        return [
            (path + (k,), f"unknown field '{k}' (allowed: {', '.join(allowed)})") for k in extras
        ]
    if v == "enum":
        return [
            (
                path,
                f"{_show(inst)} is not one of: " + ", ".join(str(x) for x in error.validator_value),
            )
        ]
    if v == "const":
        return [(path, f"must be {_show(error.validator_value)}, not {_show(inst)}")]
    if v == "type":
        want = error.validator_value
        want = [want] if isinstance(want, str) else want
        got = "nothing" if inst is None else f"{_kind_of(inst)} {_show(inst)}"
        return [(path, (f"expected {' or '.join(_JSON_TYPES.get(w, w) for w in want)}, got {got}"))]
    if v == "pattern":
        what = sch.get("description", "")
        return [
            (
                path,
                f"{_show(inst)} does not have the required form {error.validator_value}"
                + (f" ({what})" if what else ""),
            )
        ]
    if v == "format":
        return [(path, f"{_show(inst)} is not a date of the form YYYY-MM-DD")]
    if v == "minimum":
        return [(path, f"{_show(inst)} is less than the minimum {error.validator_value}")]
    if v == "maximum":
        return [(path, f"{_show(inst)} is more than the maximum {error.validator_value}")]
    if v == "minItems":
        return [
            (
                path,
                "must list at least one item"
                if error.validator_value == 1
                else f"must list at least {error.validator_value} items",
            )
        ]
    if v == "uniqueItems":
        return [(path, "lists a value twice")]
    if v == "minLength":
        return [(path, "must not be empty")]
    where = f"'{field}': " if field else ""
    return [(path, where + error.message)]


# --------------------------------------------------------------- builders


def _str(value) -> str:
    return "" if value is None else str(value)


def _date(value):
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _cite(raw):
    if isinstance(raw, dict):
        return Cite(str(raw["clause"]), str(raw["quote"]))
    return None


def _positions(src: Source, path: tuple, raw: dict) -> dict:
    return {key: src.position(path + (key,)) for key in raw}


def _course(src: Source, path: tuple, raw: dict, kind: str) -> Course:
    return Course(
        catalogue=kind,
        code=raw["code"],
        name=raw["name"],
        levels=tuple(raw["levels"]),
        hours=int(raw["hours"]),
        industry=raw.get("industry"),
        occupation_code=raw.get("occupation_code"),
        high_risk=raw.get("high_risk") is True,
        note=raw.get("note"),
        sample=raw.get("sample") is True,
        cite=_cite(raw.get("cite")),
        position=src.position(path),
        positions=_positions(src, path, raw),
    )


def _institution(src: Source, path: tuple, raw: dict, kind: str) -> Institution:
    courses = tuple(
        CourseApproval(c["course"], tuple(c["levels"]), src.position(path + ("courses", i)))
        for i, c in enumerate(raw["courses"])
    )
    status = tuple(
        StatusPeriod(
            p["status"],
            _date(p["from"]),
            _date(p.get("until")),
            p["reason"],
            src.position(path + ("status", i)),
        )
        for i, p in enumerate(raw["status"])
    )
    return Institution(
        code=raw["code"],
        name=raw["name"],
        ownership=raw["ownership"],
        licence=raw["licence"],
        courses=courses,
        status=status,
        note=raw.get("note"),
        sample=raw.get("sample") is True,
        sample_fields=tuple(raw.get("sample_fields", ())),
        cite=_cite(raw.get("cite")),
        position=src.position(path),
        positions=_positions(src, path, raw),
    )


def _demand(src: Source, path: tuple, raw: dict, kind: str) -> Demand:
    return Demand(
        code=raw["code"],
        submitted_by=raw["submitted_by"],
        submitter=raw["submitter"],
        occupation=raw["occupation"],
        level=raw["level"],
        headcount=int(raw["headcount"]),
        date=_date(raw["date"]),
        note=raw.get("note"),
        sample=raw.get("sample") is True,
        cite=_cite(raw.get("cite")),
        position=src.position(path),
        positions=_positions(src, path, raw),
    )


_BUILDERS = {
    "key_industry": _course,
    "general": _course,
    "institutions": _institution,
    "demand": _demand,
}

assert set(_BUILDERS) == set(KINDS) and set(COURSE_KINDS) <= set(KINDS)
