"""docs/language.md cannot rot: every example in it is run.

Fenced blocks, by their info string:

* ``json doc-case`` — the example case the examples are evaluated on (its
  ``application.date`` is the decision date ``as_of``);
* ``expr`` — one expression per line; each must parse and pass the checker
  against the example environment; ``EXPR  => SHOWN`` must also evaluate on
  the example case, by every backend of ``dsl.backends``, to a value shown as
  SHOWN (``dsl.values.show``), or to ``unknown (missing, facts)``, or stop
  with ``error: MESSAGE``;
* ``expr policy`` — as ``expr``, and each line is (in canonical form) an
  expression of the bundled policy (policy/**/*.yaml);
* ``expr syntax`` — parse only (names outside the example environment);
* ``error`` — an expression, a line ``---``, then exactly what the tool
  prints for it;
* ``fmt`` — ``BEFORE  ->  AFTER``: format_expression(BEFORE) == AFTER;
* ``yaml`` — must load; every ``expr:`` value must parse and check;
* ``yaml wrong`` — every ``expr: TEXT`` line must fail to load, or load as
  something other than TEXT.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import yaml

from dsl import ErrorList, EvaluationError, ParseError, Unknown, format_expression, parse
from dsl.backends import BACKENDS, GENERATED, Backend
from dsl.compiler import Context
from dsl.values import show
from tests.dsl.harness import build, given_facts
from tests.helpers import ROOT

DOC = ROOT / "docs" / "language.md"
POLICY = ROOT / "policy"

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.M | re.S)

# The definitions and the programs' own `let` names the doc uses, as in
# policy/definitions.yaml and policy/programs/*.yaml.
DOC_DEFINITIONS = {
    "in_force": "as_of >= 2019-01-01 and as_of <= 2021-12-31",
    "certificate_level": 'if certificate.kind in ["职业资格证书", "职业技能等级证书"] '
    'then certificate.level else "初级"',
    "standard_key": 'if training.kind == "创业培训" then "创业培训" else certificate_level',
    "share_of_fee": "apprenticeship.fee_paid * standards.apprenticeship_share",
    "below_usual_range": "share_of_fee < standards.apprenticeship_usual_min",
}


def blocks(kind: str) -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m.group(1).strip() == kind:
            out.append((text[: m.start()].count("\n") + 2, m.group(2)))
    return out


def _case() -> dict:
    ((_, body),) = blocks("json doc-case")
    return json.loads(body, parse_float=str)


def _environment():
    data = json.loads(
        (ROOT / "tests" / "dsl" / "compliance" / "policy.json").read_text(encoding="utf-8")
    )
    data["declarations"]["definitions"] = DOC_DEFINITIONS
    data["cases"] = []
    env, facts, standards, catalogs = build(data)
    return env, facts, standards, catalogs


ENV, FACT_TYPES, STANDARDS, CATALOGS = _environment()


def context() -> Context:
    case = _case()
    return Context(
        given_facts(case, FACT_TYPES),
        as_of=dt.date.fromisoformat(case["application"]["date"]),
        standards=STANDARDS,
        catalogs=CATALOGS,
    )


def shown(value) -> str:
    if type(value) is Unknown:
        return "unknown (" + ", ".join(sorted(value.missing)) + ")"
    return show(value)


def lines_of(kind: str):
    out = []
    for start, body in blocks(kind):
        for i, line in enumerate(body.splitlines()):
            if line.strip():
                out.append(pytest.param(line, id=f"line {start + i}: {line.strip()[:50]}"))
    return out


def split_result(line: str) -> tuple[str, str | None]:
    if "  => " in line:
        expr, result = line.rsplit("  => ", 1)
        return expr.strip(), result.strip()
    return line.strip(), None


def run(line: str, backend: Backend = GENERATED):
    text, expected = split_result(line)
    try:
        expr = ENV.compile(text)
    except (ParseError, ErrorList) as err:
        raise AssertionError(f"{text!r} does not compile:\n{err.render()}") from None
    if expected is None:
        return
    try:
        (value,) = backend.compile(ENV, [expr.node], None)(context())
    except EvaluationError as err:
        assert expected == f"error: {err.message}", f"{text!r} stopped: {err.message}"
        return
    assert shown(value) == expected, f"{text!r} gives {shown(value)}, the doc says {expected}"


# --- the blocks ------------------------------------------------------------------------------


def test_the_doc_has_its_blocks():
    assert len(blocks("json doc-case")) == 1
    assert sum(len(b.splitlines()) for _, b in blocks("expr")) >= 80
    assert len(blocks("expr policy")) >= 3
    assert len(blocks("error")) >= 10
    assert len(blocks("yaml")) >= 1 and len(blocks("yaml wrong")) >= 1
    assert len(blocks("fmt")) >= 1
    results = [split_result(str(p.values[0]))[1] for p in lines_of("expr")]
    assert sum(r is not None for r in results) >= 60


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("line", lines_of("expr"))
def test_expr_examples(line, backend):
    run(line, backend)


def _policy_expressions() -> set[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            with contextlib.suppress(ParseError):
                found.add(format_expression(node))

    for path in POLICY.rglob("*.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


POLICY_EXPRESSIONS = _policy_expressions()


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("line", lines_of("expr policy"))
def test_policy_examples_are_the_policys_own(line, backend):
    run(line, backend)
    text, _ = split_result(line)
    assert format_expression(text) in POLICY_EXPRESSIONS, (
        f"{text!r} is not an expression of policy/**/*.yaml"
    )


@pytest.mark.parametrize("line", lines_of("expr syntax"))
def test_syntax_examples_parse(line):
    parse(split_result(line)[0])


def _error_blocks():
    return [pytest.param(body, id=f"line {start}") for start, body in blocks("error")]


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("body", _error_blocks())
def test_error_examples_are_the_real_output(body, backend):
    text, printed = body.split("\n---\n", 1)
    try:
        expr = ENV.compile(text)
        backend.compile(ENV, [expr.node], None)(context())
    except (ParseError, ErrorList, EvaluationError) as err:
        assert err.render() == printed.rstrip("\n")
    else:
        raise AssertionError(f"{text!r} raised nothing")


def _fmt_lines():
    return list(lines_of("fmt"))


@pytest.mark.parametrize("line", _fmt_lines())
def test_fmt_examples(line):
    before, after = (s.strip() for s in line.split("  ->  "))
    assert format_expression(before) == after
    assert format_expression(after) == after


def _expr_values(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr":
                yield v
            else:
                yield from _expr_values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _expr_values(v)


@pytest.mark.parametrize("body", [pytest.param(b, id=f"line {s}") for s, b in blocks("yaml")])
def test_yaml_examples_load_and_their_expressions_check(body):
    values = list(_expr_values(yaml.safe_load(body)))
    assert values
    for v in values:
        assert isinstance(v, str), v
        run(v)


@pytest.mark.parametrize("body", [pytest.param(b, id=f"line {s}") for s, b in blocks("yaml wrong")])
def test_yaml_wrong_examples_really_go_wrong(body):
    intended = [line.split("expr: ", 1)[1] for line in body.splitlines() if "expr: " in line]
    assert intended
    try:
        loaded = list(_expr_values(yaml.safe_load(body)))
    except yaml.YAMLError:
        return
    assert loaded != intended, f"{body!r} loads as intended: not a wrong example"


def test_the_example_case_is_well_formed():
    case = _case()
    assert case["application"]["date"] == "2020-06-10"
    assert given_facts(case, FACT_TYPES)["apprenticeship"]["fee_paid"] == Decimal(7333)
