"""The schemas are validated with their local references inlined
(``schemas.inline_refs``, a fifth of the validation time of a cold load,
issue 21): the same checks, the same errors. Every bundled policy file, and
hundreds of broken copies of them (a key dropped, an unknown key, a value of
the wrong type), give the same problems — message, hint and place — with the
schemas as written and as inlined; and the inlined schema keeps only the
references that must stay (a definition that reaches itself)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from interpreter import changes, schemas
from interpreter.yamlsource import load_yaml, to_jsonable
from tests.helpers import ROOT

POLICY = ROOT / "policy"
FILES = (
    [
        ("document", POLICY / "document.yaml"),
        ("clauses", POLICY / "clauses.yaml"),
        ("facts", POLICY / "facts.yaml"),
        ("standards", POLICY / "standards.yaml"),
        ("definitions", POLICY / "definitions.yaml"),
        ("notice", POLICY / "notice.yaml"),
        ("catalogs", POLICY / "catalogs.yaml"),
        ("population", POLICY / "population.yaml"),
    ]
    + [("program", p) for p in sorted((POLICY / "programs").glob("*.yaml"))]
    + [("catalog-data", p) for p in sorted((POLICY / "catalogs").glob("*.yaml"))]
    + [("tests", p) for p in sorted((POLICY / "tests").glob("*.yaml"))]
)
BAD_VALUES = [None, 12345, "x", [], {}, True, "2021/7/1", -1.5]


def as_written(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        schemas.schema_of(name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def problems(validator, data) -> list:
    out = []
    for err in validator.iter_errors(data):
        out.append((tuple(err.absolute_path), *schemas._explain(err)))
    return out


def places(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from places(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from places(v, path + (i,))


def mutations(data, rng: random.Random, n: int):
    """Broken copies of ``data``: at a random place, a key dropped, an unknown
    key added, or the value replaced by one of another type."""
    for key in list(data)[:3]:  # at the top: a key dropped (most are required)
        yield (key,), {k: v for k, v in data.items() if k != key}
    yield ("zz_unknown",), {**data, "zz_unknown": 1}
    spots = list(places(data))
    for _ in range(n):
        path, value = rng.choice(spots)
        broken = copy.deepcopy(data)
        parent = broken
        for p in path[:-1]:
            parent = parent[p]
        kind = rng.randrange(3)
        if kind == 0 and isinstance(value, dict) and value:
            target = broken
            for p in path:
                target = target[p]
            del target[rng.choice(sorted(target, key=str))]
        elif kind == 1 and isinstance(value, dict):
            target = broken
            for p in path:
                target = target[p]
            target["zz_unknown"] = 1
        elif path:
            parent[path[-1]] = copy.deepcopy(rng.choice(BAD_VALUES))
        else:
            continue
        yield path, broken


@pytest.mark.parametrize(("name", "path"), FILES, ids=[f"{n}:{p.name}" for n, p in FILES])
def test_the_same_problems_with_references_inlined(name, path):
    data = to_jsonable(load_yaml(path).data)
    written, inlined = as_written(name), schemas.validator(name)
    assert problems(written, data) == problems(inlined, data) == []
    rng = random.Random(f"{name}:{path.name}")
    found = 0
    for where, broken in mutations(data, rng, 20):
        want = problems(written, broken)
        assert problems(inlined, broken) == want, (where, want)
        found += bool(want)
    assert found >= 1  # the broken copies are broken: the comparison compares something


# every part a revision's change is validated against (interpreter/changes.py)
PARTS = sorted(
    {(schema, pointer) for schema, pointer, _key in changes._PAYLOAD.values() if pointer}
    | {("standards", "/$defs/dated_value"), ("standards", "/$defs/cite")}
)


def samples(name: str, pointer: str) -> list:
    """Values of the bundled policy that the part at ``pointer`` describes."""
    last = pointer.rsplit("/", 1)[-1]
    found = []
    for schema, path in FILES:
        if schema != name:
            continue
        for _where, value in places(to_jsonable(load_yaml(path).data)):
            if isinstance(value, dict) and (
                (last == "clause" and {"id", "expr", "explain"} <= set(value))
                or (last == "fact" and "type" in value and "label" in value)
                or (last == "definition" and {"id", "expr"} <= set(value))
                or (last == "items" and {"id", "programs"} <= set(value) and "from" not in value)
                or (last == "target" and {"id", "programs", "from"} <= set(value))
                or (last == "dated_value" and "from" in value)
                or (last == "cite" and "clause" in value)
            ):
                found.append(value)
    return found[:12]


@pytest.mark.parametrize(("name", "pointer"), PARTS, ids=[f"{n}:{p}" for n, p in PARTS])
def test_a_part_of_a_schema_too(name, pointer):
    part = schemas.part_validator(name, pointer)
    schema = schemas.schema_of(name)
    node = schema
    for key in [k for k in pointer.split("/") if k]:
        node = node[key]
    written_root = {**node, "$defs": schema["$defs"]}
    written = Draft202012Validator(written_root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    rng = random.Random(pointer)
    good = samples(name, pointer)
    for value in good:
        assert problems(part, value) == problems(written, value), value
        for _where, broken in mutations(value, rng, 8):
            assert problems(part, broken) == problems(written, broken)
        # and the same quoted dates are found in it
        found: list[tuple] = []
        schemas._date_paths(value, part.schema, part.schema, (), found, 0, None)
        want: list[tuple] = []
        schemas._date_paths(value, written_root, written_root, (), want, 0, None)
        assert found == want
    for bad in BAD_VALUES + [{"zz_unknown": 1}]:
        assert problems(part, bad) == problems(written, bad)


def test_only_a_definition_that_reaches_itself_keeps_its_references():
    for name in sorted(p.name.split(".")[0] for p in schemas.schema_dir().glob("*.schema.json")):
        kept = set(_refs(schemas.inline_refs(schemas.schema_of(name))))
        assert kept <= {"#/$defs/fact", "#/$defs/field"}, (name, kept)
    facts = schemas.inline_refs(schemas.schema_of("facts"))
    assert facts["properties"]["facts"]["additionalProperties"] == {"$ref": "#/$defs/fact"}
    # a reference beside other keywords: allOf in its place, the others kept
    name = facts["$defs"]["fact"]["properties"]["enum"]
    assert next(iter(name)) == "allOf"
    assert name["allOf"][0]["pattern"]
    assert name["description"].startswith("For type enum")


def _refs(node) -> list:
    out = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.append(node["$ref"])
        for v in node.values():
            out += _refs(v)
    elif isinstance(node, list):
        for v in node:
            out += _refs(v)
    return out


def test_written_schemas_are_left_as_they_are():
    before = json.dumps(schemas.schema_of("facts"), sort_keys=True)
    schemas.inline_refs(schemas.schema_of("facts"))
    assert json.dumps(schemas.schema_of("facts"), sort_keys=True) == before
    assert Path(schemas.schema_dir() / "facts.schema.json").exists()
