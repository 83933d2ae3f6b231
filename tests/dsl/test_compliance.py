"""The rule language's compliance suite: every tests/dsl/compliance/*.json file,
every case, checked through the public entry point Environment(...).compile(text)
and run by every backend of ``dsl.backends`` (the generated code production
runs, and the closures of the reference interpreter).

A file is::

    {
      "description": "...",
      "enums": {"level": ["初级", "中级", "高级"]},
      "declarations": {
        "facts": {"certificate": {"level": "enum:level", "date": "date"},
                  "history": [{"date": "date", "amount": "money"}]},
        "standards": {"vocational_training": "table:standard_key:money",
                      "living_allowance_cap": "money"},
        "catalogs": {"occupations": "set"},
        "definitions": {"in_force": "as_of >= 2019-01-01 and as_of <= 2021-12-31"}
      },
      "given": {"certificate": {"level": "中级", "date": "2020-03-15"}},
      "as_of": "2020-06-01",
      "standards": {"vocational_training": {"初级": "1000"}, "living_allowance_cap": "500"},
      "catalogs": {"occupations": ["电工"]},
      "cases": [
        {"expression": "...", "result": "1500.00"},
        {"expression": "...", "error": "parse" | "check" | "evaluation", "message": "substring"},
        {"expression": "...", "unknown": ["certificate.level"]}
      ]
    }

Declared types: "string", "number", "money", "boolean", "date", "enum:NAME",
an object (a record: field -> type), a one-element array (a list of that
type), for standards "table:ENUM:money|number", for catalogues "set".

Values: numbers are strings (or JSON integers) and become Decimal — JSON
floats are refused, so nothing binary sneaks in; dates are "YYYY-MM-DD"; a
null or absent fact is missing. A case may replace the file's "given" or
"as_of" (null: the decision date is missing), and may also give "type" (the
static type, as the checker prints it), "shown" (the exact digits of a
Decimal result), "hint" (a substring of an error's hint) and "note".

Results compare by the runtime type of the value: a Decimal equals
Decimal(expected) (so "0.6" matches 0.60 but 0.30000000000000004 never
matches "0.3"), a date its ISO text, a boolean is the same boolean (never 1
or 0), lists and records element by element.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import Context, ErrorList, EvaluationError, ParseError, Unknown
from dsl.backends import BACKENDS, GENERATED, Backend
from dsl.values import NONE
from tests.dsl.harness import DataError, build, decimal_of, given_facts

COMPLIANCE = Path(__file__).with_name("compliance")

CASE_KEYS = {
    "expression",
    "result",
    "error",
    "message",
    "hint",
    "unknown",
    "given",
    "as_of",
    "type",
    "shown",
    "note",
}
OUTCOMES = ("result", "error", "unknown")


def assert_matches(actual, expected, where="result"):
    if actual is NONE or expected == {"none": True}:
        assert actual is NONE and expected == {"none": True}, (
            f"{where}: got {actual!r}, expected {expected!r}"
        )
        return
    if type(actual) is Unknown:
        raise AssertionError(
            f"{where}: expected {expected!r}, got unknown (missing {sorted(actual.missing)})"
        )
    if isinstance(actual, bool):
        assert isinstance(expected, bool), f"{where}: got boolean {actual}, expected {expected!r}"
        assert actual is expected, f"{where}: got {actual}, expected {expected}"
    elif isinstance(actual, Decimal):
        assert not isinstance(expected, bool), f"{where}: got number {actual}, expected {expected}"
        want = decimal_of(expected, where)
        assert actual == want, f"{where}: got {actual}, expected {want}"
    elif isinstance(actual, dt.date):
        assert isinstance(expected, str), f"{where}: got date {actual}, expected {expected!r}"
        assert actual.isoformat() == expected, f"{where}: got {actual}, expected {expected}"
    elif isinstance(actual, str):
        assert actual == expected, f"{where}: got {actual!r}, expected {expected!r}"
    elif isinstance(actual, list):
        assert isinstance(expected, list), f"{where}: got a list {actual!r}, expected {expected!r}"
        assert len(actual) == len(expected), (
            f"{where}: got {len(actual)} items, expected {len(expected)}"
        )
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_matches(a, e, f"{where}[{i}]")
    elif isinstance(actual, dict):
        assert isinstance(expected, dict), (
            f"{where}: got a record {actual!r}, expected {expected!r}"
        )
        assert set(actual) == set(expected), (
            f"{where}: fields {sorted(actual)} != {sorted(expected)}"
        )
        for k in actual:
            assert_matches(actual[k], expected[k], f"{where}.{k}")
    else:
        raise AssertionError(f"{where}: unexpected runtime value {actual!r}")


# --- running one case -----------------------------------------------------------


def run_case(data: dict, case: dict, built=None, backend: Backend = GENERATED) -> None:
    extra = set(case) - CASE_KEYS
    if extra:
        raise DataError(f"unknown case keys {sorted(extra)}")
    outcomes = [k for k in OUTCOMES if k in case]
    if len(outcomes) != 1:
        raise DataError(f"a case gives exactly one of {OUTCOMES}, found {outcomes}")
    env, facts, std_values, cat_values = built or build(data)
    text = case["expression"]
    outcome = outcomes[0]
    if outcome == "error":
        if case["error"] not in ("parse", "check", "evaluation"):
            raise DataError(f"unknown error kind {case['error']!r}")
        if "message" not in case:
            raise DataError("an error case gives a 'message' substring")

    try:
        expr = env.compile(text)
    except ParseError as exc:
        if outcome == "error" and case["error"] == "parse":
            assert case["message"] in exc.message, f"parse error {exc.message!r}"
            if "hint" in case:
                assert exc.hint and case["hint"] in exc.hint, f"hint {exc.hint!r}"
            return
        raise AssertionError(f"unexpected parse error: {exc.render()}") from None
    except ErrorList as exc:
        messages = [e.message for e in exc.errors]
        if outcome == "error" and case["error"] == "check":
            assert exc.kind == "check"
            assert any(case["message"] in m for m in messages), f"check errors {messages}"
            if "hint" in case:
                hints = [e.hint for e in exc.errors if e.hint]
                assert any(case["hint"] in h for h in hints), f"hints {hints}"
            return
        raise AssertionError(f"unexpected check errors: {exc.render()}") from None
    if outcome == "error" and case["error"] in ("parse", "check"):
        raise AssertionError(
            f"expected a {case['error']} error, but it compiled (type {expr.type})"
        )
    if "type" in case:
        assert str(expr.type) == case["type"], f"static type {expr.type}, expected {case['type']}"

    as_of = case["as_of"] if "as_of" in case else data.get("as_of")
    ctx = Context(
        given_facts(case["given"] if "given" in case else data.get("given"), facts),
        as_of=dt.date.fromisoformat(as_of) if as_of else None,
        standards=std_values,
        catalogs=cat_values,
    )
    try:
        (value,) = backend.compile(env, [expr.node], None)(ctx)
    except EvaluationError as exc:
        if outcome == "error":
            assert case["message"] in exc.message, f"evaluation error {exc.message!r}"
            return
        raise AssertionError(f"unexpected evaluation error: {exc.message}") from None
    if outcome == "error":
        raise AssertionError(f"expected an evaluation error, got {value!r}")
    if outcome == "unknown":
        assert type(value) is Unknown, f"expected unknown, got {value!r}"
        assert sorted(value.missing) == sorted(case["unknown"]), (
            f"missing {sorted(value.missing)}, expected {sorted(case['unknown'])}"
        )
        return
    assert_matches(value, case["result"])
    if "shown" in case:
        assert isinstance(value, Decimal) and format(value, "f") == case["shown"], (
            f"shown as {format(value, 'f') if isinstance(value, Decimal) else value!r}"
        )


# --- collection -------------------------------------------------------------------


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _collect():
    params = []
    for path in sorted(COMPLIANCE.glob("*.json")):
        data = _load(path)
        for i, case in enumerate(data["cases"]):
            label = f"{path.stem}-{i:03d}-{case['expression'][:50]}"
            params.append(pytest.param(path.name, i, id=label))
    return params


_CACHE: dict[str, tuple] = {}


def _file(name: str):
    if name not in _CACHE:
        data = _load(COMPLIANCE / name)
        _CACHE[name] = (data, build(data))
    return _CACHE[name]


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("name, index", _collect())
def test_compliance(name, index, backend):
    data, built = _file(name)
    # a fresh environment per case would also do; definitions are memoised per
    # Context, so sharing the environment is what the interpreter does too
    run_case(data, data["cases"][index], built, backend)


# --- the suite itself -------------------------------------------------------------


def test_the_suite_is_large_and_covers_every_outcome():
    files = sorted(COMPLIANCE.glob("*.json"))
    assert len(files) >= 8
    cases = [c for f in files for c in _load(f)["cases"]]
    assert len(cases) >= 300
    for outcome in OUTCOMES:
        assert sum(outcome in c for c in cases) >= 20, outcome
    for kind in ("parse", "check", "evaluation"):
        assert any(c.get("error") == kind for c in cases), kind


def test_every_file_is_well_formed():
    for path in sorted(COMPLIANCE.glob("*.json")):
        data = _load(path)
        build(data)  # raises DataError on a bad declaration
        assert data.get("description"), path.name
        for case in data["cases"]:
            assert set(case) <= CASE_KEYS, (path.name, case)
            assert sum(k in case for k in OUTCOMES) == 1, (path.name, case)
            if "given" in case:
                given_facts(case["given"], build(data)[1])
        given_facts(data.get("given"), build(data)[1])


MINI = {
    "enums": {"level": ["初级", "中级", "高级"]},
    "declarations": {
        "facts": {
            "certificate": {"level": "enum:level", "date": "date"},
            "applicant": {"insured_months": "number"},
        },
        "standards": {"t": "table:level:money"},
    },
    "given": {"certificate": {"level": "中级", "date": "2020-03-15"}},
    "standards": {"t": {"初级": "1000", "中级": "1500"}},
    "cases": [],
}


@pytest.mark.parametrize(
    "case",
    [
        {"expression": "0.1 + 0.2", "result": "0.30000000000000004"},
        {"expression": "0.1 + 0.2", "result": "0.31"},
        {"expression": "1 == 1", "result": "1"},
        {"expression": "1 + 0", "result": True},
        {"expression": "round(2.675)", "result": "2.68", "shown": "2.680"},
        {"expression": "certificate.date", "result": "2020-03-16"},
        {"expression": "certificate.level", "result": "初级"},
        {"expression": "applicant.insured_months >= 12", "result": False},
        {"expression": "applicant.insured_months >= 12", "unknown": ["applicant"]},
        {"expression": "true and applicant.insured_months >= 12", "unknown": []},
        {"expression": "1 + 1", "unknown": ["x"]},
        {"expression": "1 +", "error": "check", "message": ""},
        {"expression": "1 +", "error": "parse", "message": "after '-'"},
        {"expression": "foo", "error": "check", "message": "unknown field"},
        {"expression": "foo", "error": "evaluation", "message": "unknown"},
        {"expression": "1 / 1", "error": "evaluation", "message": "division by zero"},
        {"expression": "standards.t[certificate.level]", "result": "1500", "type": "number"},
        {"expression": "[1, 2]", "result": ["1", "3"]},
        {"expression": "[1, 2]", "result": ["1"]},
    ],
    ids=lambda c: f"{c['expression']}->{ {k: v for k, v in c.items() if k != 'expression'} }",
)
@pytest.mark.parametrize("backend", BACKENDS, ids=str)
def test_the_harness_rejects_a_wrong_expectation(case, backend):
    """Each of these expectations is false: the harness must say so."""
    with pytest.raises(AssertionError):
        run_case(MINI, case, backend=backend)


@pytest.mark.parametrize(
    "data",
    [
        {**MINI, "given": {"certificate": {"level": "中纪"}}},
        {**MINI, "given": {"certificate": {"amount": "1"}}},
        {**MINI, "given": {"applicant": {"insured_months": 12.5}}},
        {**MINI, "standards": {"t": {"技师": "1"}}},
        {**MINI, "declarations": {"facts": {"x": "enum:nope"}}},
        {**MINI, "declarations": {"facts": {"x": "decimal"}}},
        {**MINI, "surprise": 1},
    ],
)
def test_the_harness_refuses_bad_data(data):
    with pytest.raises(DataError):
        run_case(data, {"expression": "1", "result": "1"})


def test_the_harness_refuses_a_case_with_no_or_two_outcomes():
    with pytest.raises(DataError):
        run_case(MINI, {"expression": "1"})
    with pytest.raises(DataError):
        run_case(MINI, {"expression": "1", "result": "1", "unknown": []})
    with pytest.raises(DataError):
        run_case(MINI, {"expression": "1", "reslt": "1"})
