"""Quoted dates are found by walking only the parts of a file whose schema
can lead to a date (``schemas._dated``; a cold load walked every value once
for each subschema applying to it, issue 21): the same dates as the full
walk, in every bundled file and in files where every string is a date."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from interpreter import schemas
from interpreter.yamlsource import load_yaml
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
    + [("revision", p) for p in sorted((ROOT / "examples").rglob("revisions/*.yaml"))]
)


def as_text(value):
    """Every date of the file written back in quotes (as a quoted date is read)."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def every_string_a_date(value):
    if isinstance(value, dict):
        return {k: every_string_a_date(v) for k, v in value.items()}
    if isinstance(value, list):
        return [every_string_a_date(v) for v in value]
    return "2021-02-01" if isinstance(value, str) else value


def walk(data, root, dated):
    found: list[tuple] = []
    schemas._date_paths(data, root, root, (), found, 0, dated)
    return sorted(found, key=repr)


@pytest.mark.parametrize(("name", "path"), FILES, ids=[f"{n}:{p.name}" for n, p in FILES])
def test_the_same_dates_as_the_full_walk(name, path):
    root = schemas.schema_of(name)
    data = as_text(load_yaml(path).data)
    for each in (data, every_string_a_date(copy.deepcopy(data))):
        assert walk(each, root, schemas._dated(root)) == walk(each, root, None)


def test_the_walk_finds_dates_and_skips_what_leads_to_none():
    root = schemas.schema_of("document")
    data = as_text(load_yaml(POLICY / "document.yaml").data)
    assert walk(data, root, schemas._dated(root))  # the document has dates
    reach = schemas._dated(root)
    assert id(root) in reach
    parts = []

    def collect(node):
        if isinstance(node, dict):
            parts.append(node)
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(root)
    assert sum(id(p) not in reach for p in parts) > len(parts) // 2  # most lead to no date
    assert schemas._dated(root) is reach  # worked out once per schema
