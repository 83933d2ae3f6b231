"""dsl.serial: syntax trees, types and values survive the JSON of the cache
exactly, and nothing but them can be read back."""

import json
from pathlib import Path

import pytest

from dsl import ParseError, parse, serial
from dsl import types as T

COMPLIANCE = Path(__file__).parent / "compliance"


def expressions():
    for f in sorted(COMPLIANCE.glob("*.json")):
        for t in json.loads(f.read_text(encoding="utf-8"))["cases"]:
            yield t["expression"]


def test_every_tree_of_the_compliance_suite_round_trips(bundled_policy):
    seen = set()
    texts = list(expressions()) + [
        r.text for p in bundled_policy.programs.values() for r in [c.rule for c in p.clauses]
    ]
    for text in texts:
        try:
            node = parse(text)
        except ParseError:
            continue
        data = json.loads(json.dumps(serial.to_data(node)))
        back = serial.from_data(data)
        assert back == node
        assert [n.pos for n in _walk(back)] == [n.pos for n in _walk(node)]
        seen.update(type(n).__name__ for n in _walk(node))
    assert seen == set(serial.KINDS)  # every kind of node was exercised


def _walk(node):
    from dsl.ast import walk

    return list(walk(node))


@pytest.mark.parametrize(
    "data",
    [
        ["System", [1, 1, 1, 1], "os"],  # not a node class
        ["Name", [1, 1, 1, 1]],  # a field short
        ["Name", [1, 1, 1, 1], 7],  # a field of the wrong kind
        ["Number", [1, 1, 1, 1], "1", "yes"],
        ["Binary", [1, 1, 1, 1], "+", ["Name", [1, 1, 1, 1], "a"], None],
        ["Name", "1:1", "a"],
        {"__class__": "Name"},
        "Name",
    ],
)
def test_anything_else_is_refused(data):
    with pytest.raises((ValueError, ArithmeticError)):
        serial.from_data(data)


def test_types_and_values_round_trip(bundled_policy):
    env = bundled_policy.env
    for t in list(env.facts.values()) + list(env.standards.values()) + list(env.catalogs.values()):
        assert serial.type_from_data(json.loads(json.dumps(serial.type_to_data(t)))) == t
    for v in bundled_policy.catalog_values.values():
        back = serial.value_from_data(json.loads(json.dumps(serial.value_to_data(v))))
        assert back == v
        assert repr(back) == repr(v)  # Decimal stays Decimal, dates stay dates
    with pytest.raises(ValueError):
        serial.type_from_data(["object", "os.system"])
    with pytest.raises(ValueError):
        serial.value_from_data({"$py": "os.system"})
    assert serial.value_from_data(serial.value_to_data({"$d": 1})) == {"$d": 1}
    assert serial.type_from_data(serial.type_to_data(T.ANY)) is T.ANY
