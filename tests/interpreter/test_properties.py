"""Properties of reading and deciding cases, and of loading expressions, over
random inputs (hypothesis).

(a) Any JSON document, inside the case schema (generated from the policy's own
    fact declarations: valid values, boundary values, facts left out) or
    outside it (arbitrary JSON, wrong types, unknown keys, garbage text):
    reading it with CaseReader and deciding it with Evaluator raises CaseError
    or nothing — never another exception.
(b) The same through `policy eval`: exit 0 or 2, never a traceback, and an
    amount only with exit 0.
(c) For a valid case, every decision's amount is never negative and never
    above what the policy allows: the program's cap when it declares one, else
    the largest money standard (or money fact) its amount reads — both derived
    from the loaded policy, not hard-coded; an eligible decision always has an
    amount, an ineligible or undetermined one never.
(d) Any text as the expression of a program clause, given to the loader: only
    PolicyError subclasses come out, each with a position in the file; and an
    expression that loads evaluates to a value or raises a PolicyError.

The policy and the evaluator are built once, at import.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from cli import cli
from dsl import Context, ParseError, PolicyError, parse
from dsl.errors import CaseError
from interpreter.cases import CaseReader, parse_json_text
from interpreter.evaluate import Evaluator
from interpreter.formats import FormatError, get_format
from interpreter.loader import bundled_policy_dir
from interpreter.model import FactDecl
from tests.helpers import ROOT, load_policy

pytestmark = pytest.mark.slow  # hypothesis properties: `pytest -m "not slow"` skips them

POLICY = load_policy()
EVALUATOR = Evaluator(POLICY)
READER = CaseReader(POLICY)

# POLICY_PROPERTY_EXAMPLES=5000 for a longer hunt (the default keeps the file under 30 s)
EXAMPLES = int(os.environ.get("POLICY_PROPERTY_EXAMPLES", "150"))
FAST = settings(
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(
    deadline=None,
    max_examples=max(EXAMPLES // 5, 30),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


# -- JSON text with exact numbers ---------------------------------------------------------


def dumps(value) -> str:
    """JSON text; Decimals written exactly (json.dumps cannot)."""
    if isinstance(value, Decimal):
        # 1E+999999999 in positional notation would be a billion digits
        plain = value.is_finite() and -30 < value.adjusted() < 30
        return format(value, "f") if plain else str(value)
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(
                f"{json.dumps(k, ensure_ascii=False)}: {dumps(v)}" for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, _dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
        return json.dumps(value)  # a lone surrogate as a \ud800 escape
    return json.dumps(value, ensure_ascii=False)


# -- (a) cases inside the schema, generated from the fact declarations -----------------

PERIOD = [
    _dt.date(2018, 12, 31),
    _dt.date(2019, 1, 1),
    _dt.date(2020, 2, 29),
    _dt.date(2021, 12, 31),
    _dt.date(2022, 1, 1),
    _dt.date(1, 1, 1),
    _dt.date(9999, 12, 31),
]


def _number(decl: FactDecl):
    low = (
        decl.minimum
        if decl.minimum is not None
        else (Decimal(0) if decl.type == "money" else Decimal(-10) ** 6)
    )
    high = decl.maximum if decl.maximum is not None else Decimal(10) ** 6
    if decl.integer:
        # a whole number (months, days): written plainly or as 12.0
        return st.one_of(
            st.sampled_from(
                [
                    b
                    for b in (low, high, Decimal(0), Decimal(1), Decimal(11), Decimal(12))
                    if low <= b <= high
                ]
            ),
            st.integers(int(low), int(high)).map(Decimal),
            st.integers(int(low), int(high)).map(lambda n: Decimal(f"{n}.0")),
        )
    bounds = [
        low,
        high,
        low + Decimal("0.01"),
        high - Decimal("0.01"),
        Decimal(0),
        Decimal(12),
        Decimal(11),
        Decimal("0.85"),
        Decimal("0.84"),
    ]
    bounds = [b for b in bounds if low <= b <= high]
    return st.one_of(
        st.sampled_from(bounds),
        st.integers(int(low), int(high)).map(Decimal),
        st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False),
    )


def value_of(decl: FactDecl):
    """Valid values of one declared fact (stated none too, where declared)."""
    if decl.none is not None:
        # a new dict each time: the strategies below edit the cases they draw
        return st.one_of(_value_of(decl), st.builds(lambda: {"none": True}))
    return _value_of(decl)


def _value_of(decl: FactDecl):
    t = decl.type
    if t == "record":
        return record_of(decl.fields, decl)
    if t == "list":
        return st.lists(
            value_of(decl.items), min_size=decl.min_items or 0, max_size=max(4, decl.min_items or 0)
        )
    if t == "boolean":
        return st.booleans()
    if t in ("number", "money"):
        return _number(decl)
    if t == "date":
        return st.one_of(
            st.sampled_from(PERIOD), st.dates(_dt.date(2017, 1, 1), _dt.date(2023, 12, 31))
        )
    if t == "enum":
        return st.sampled_from(POLICY.enums[decl.enum].values)
    if decl.format is not None:
        # a valid value of the declared format, in one of the spellings people type
        fmt = get_format(decl.format)
        return st.builds(
            lambda rng, how: respell(fmt.generate(rng), how),
            st.randoms(use_true_random=False),
            st.sampled_from(SPELLINGS),
        )
    return st.text(max_size=30)


SPELLINGS = ("as is", "lower", "full width", "spaces", "zero width")


def respell(value: str, how: str) -> str:
    """The same value as people type it (every declared format ignores these)."""
    if how == "lower":
        return value.lower()
    if how == "full width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)
    if how == "spaces":
        return f" {value[:6]} {value[6:]} "
    if how == "zero width":
        return value[:3] + "\u200b" + value[3:]
    return value


def record_of(fields: dict[str, FactDecl], record: FactDecl | None = None):
    """Some fields given, some left out, some null (null is missing too); a
    record's declared constraints hold (the fields of one that does not are
    left out, which leaves it unchecked)."""
    values = st.fixed_dictionaries(
        {},
        optional={
            k: st.one_of(value_of(d), st.none()) if d.type != "record" else value_of(d)
            for k, d in fields.items()
        },
    )
    if record is None or not record.constraints:
        return values
    return values.map(lambda rec: meeting_constraints(record, rec))


def meeting_constraints(record: FactDecl, rec: dict) -> dict:
    converted = READER._record(
        json.loads(dumps(rec), parse_float=Decimal, parse_int=Decimal),
        record.fields,
        record.path,
        "case.json",
        1,
    )
    for c in record.constraints:
        if c.rule.expression.fn(Context(converted)) is False:
            for name in c.reads:
                rec.pop(name, None)
                converted.pop(name, None)
    return rec


VALID_CASE = record_of(POLICY.facts)


def _seed_cases() -> list[dict]:
    """The example cases, as starting points that reach eligible decisions."""
    out = []
    for p in sorted((ROOT / "examples").glob("*.json")):
        out.append(parse_json_text(p.read_text(encoding="utf-8"), p.name))
    return out


SEEDS = _seed_cases()


@st.composite
def seeded_valid_case(draw):
    """An example case with some facts replaced by other valid values."""
    case = json.loads(dumps(draw(st.sampled_from(SEEDS))), parse_float=Decimal, parse_int=Decimal)
    case = {k: v for k, v in case.items() if not k.startswith(("_", "$"))}
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sorted(POLICY.facts)))
        decl = POLICY.facts[name]
        if decl.type == "record" and decl.fields and draw(st.booleans()):
            field = draw(st.sampled_from(sorted(decl.fields)))
            rec = case.setdefault(name, {}) if isinstance(case.get(name), dict) else {}
            if "none" in rec and "none" not in decl.fields:
                rec = {}  # a record stated none takes no fields: given them instead
            rec[field] = draw(st.one_of(value_of(decl.fields[field]), st.none()))
            case[name] = meeting_constraints(decl, rec) if decl.constraints else rec
        else:
            case[name] = draw(st.one_of(value_of(decl), st.none()))
    return case


ANY_VALID_CASE = st.one_of(VALID_CASE, seeded_valid_case())


# -- (a) documents outside the schema ----------------------------------------------------

JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30).map(Decimal),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            Decimal("1e400"),
            Decimal("-1e400"),
            Decimal("1e-400"),
            Decimal("1e999999999"),
            Decimal("-0"),
            Decimal("0.0000001"),
        ]
    ),
    st.text(max_size=20),
    st.sampled_from(
        [
            "2020-02-30",
            "2020-W01-1",
            "yesterday",
            "",
            "高级",
            "skill_upgrade",
            "\ud800",
            "true",
            "14",
            "2021-02-29",
            "99999-01-01",
            "2020-1-1",
        ]
    ),
)
ANY_JSON = st.recursive(
    st.one_of(
        JSON_SCALAR,
        st.sampled_from(
            [
                {"none": True},
                {"none": False},
                {"none": None},
                {"none": True, "kind": "职业资格证书"},
            ]
        ).map(dict),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _all_paths(decls: dict[str, FactDecl], prefix=()):
    for name, d in decls.items():
        yield prefix + (name,)
        if d.type == "record":
            yield from _all_paths(d.fields, prefix + (name,))


FACT_PATHS = sorted(_all_paths(POLICY.facts))


@st.composite
def broken_case(draw):
    """A valid case with one field made wrong: a random JSON value at a declared
    path, an undeclared key, or a note key."""
    case = draw(ANY_VALID_CASE)
    how = draw(st.sampled_from(["value", "unknown", "note", "top"]))
    if how == "top":
        return draw(ANY_JSON)
    path = draw(st.sampled_from(FACT_PATHS))
    node = case
    for p in path[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    if how == "value":
        node[path[-1]] = draw(ANY_JSON)
    elif how == "unknown":
        node[draw(st.text(min_size=1, max_size=12))] = draw(ANY_JSON)
    else:
        node["_" + draw(st.text(max_size=8))] = draw(ANY_JSON)
    return case


def decide_text(text: str):
    """parse → read → decide, as `policy eval` does; the result, or CaseError."""
    data = parse_json_text(text, "case.json")
    facts = READER.convert(data, "case.json")
    return EVALUATOR.decide(facts, converted=True, case_name="case.json")


def _only_case_errors(text: str):
    try:
        return decide_text(text)
    except CaseError as err:
        rendered = err.render()
        assert rendered.startswith("case.json"), rendered
        event("CaseError")
        return None


@FAST
@given(ANY_VALID_CASE)
def test_a_valid_case_is_read_and_decided(case):
    res = _only_case_errors(dumps(case))
    assert res is not None, "a case generated from the declarations was refused"


@FAST
@given(broken_case())
def test_a_broken_case_raises_only_case_error(case):
    _only_case_errors(dumps(case))


@FAST
@given(
    st.one_of(
        st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace"))
    )
)
def test_any_text_raises_only_case_error(text):
    assume(text.strip())
    _only_case_errors(text)


# -- (b) the same through the command line ------------------------------------------------

CASE_TEXT = st.one_of(
    ANY_VALID_CASE.map(dumps), broken_case().map(dumps), st.text(max_size=80).filter(str.strip)
)


@SLOW
@given(CASE_TEXT, st.sampled_from(["text", "json"]))
def test_eval_exits_0_or_2_and_never_crashes(text, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case.json"
        case.write_text(text, encoding="utf-8", errors="surrogatepass")
        r = CliRunner().invoke(cli, ["eval", str(case), "--format", fmt])
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        assert r.stdout == "" and r.stderr.startswith(str(case)), r.output
        event("exit 2")
    else:
        event("exit 0")


# -- (c) amounts ----------------------------------------------------------------------------


def _reads(program, rule):
    """Standards and facts a rule reads, through the program's lets."""
    lets = {d.id: d for d in program.lets}
    standards, facts, seen = set(), set(), set()

    def walk(r):
        standards.update(r.expression.check.standards)
        facts.update(r.expression.check.facts)
        for name in r.expression.check.definitions:
            if name in lets and name not in seen:
                seen.add(name)
                walk(lets[name].rule)
            elif name in POLICY.definitions and name not in seen:
                seen.add(name)
                walk(POLICY.definitions[name].rule)

    walk(rule)
    return standards, facts


def _largest(sid: str) -> Decimal:
    values = []
    for v in POLICY.standards[sid].versions:
        values.extend(v.value.values() if isinstance(v.value, dict) else [v.value])
    return max(values)


def _money_fact(path: str) -> bool:
    decls, decl = POLICY.facts, None
    for p in path.split("."):
        decl = decls.get(p) if decls is not None else None
        decls = decl.fields if decl is not None and decl.type == "record" else None
    return decl is not None and decl.type == "money"


def _bound_parts(program):
    """(largest money standard, money facts) bounding the program's amount: the
    cap's when there is one, else the amount expression's own."""
    rule = program.amount.cap or program.amount.rule
    standards, facts = _reads(program, rule)
    money = [_largest(s) for s in standards if POLICY.standards[s].type == "money"]
    return (max(money) if money else None), sorted(f for f in facts if _money_fact(f))


BOUNDS = {pid: _bound_parts(p) for pid, p in POLICY.programs.items()}
LARGEST_MONEY_STANDARD = max(
    _largest(s) for s, std in POLICY.standards.items() if std.type == "money"
)


def _fact(facts: dict, path: str):
    v = facts
    for p in path.split("."):
        v = v.get(p) if isinstance(v, dict) else None
    return v


def test_every_program_has_a_derived_bound():
    """Each amount is bounded by the standards it reads (or a money fact of the
    case, as a project's approved total), and the seed cases reach an eligible
    decision of every program, so the property below is not vacuous."""
    for pid, (std, facts) in BOUNDS.items():
        assert std is not None or facts, f"{pid}: no bound can be derived for its amount"
    eligible = set()
    for case in SEEDS:
        for d in EVALUATOR.decide(case, explain=False).decisions:
            if d.outcome == "eligible":
                eligible.add(d.program.id)
    assert eligible == set(POLICY.programs), sorted(set(POLICY.programs) - eligible)


def _check_amounts(res):
    for d in res.decisions:
        pid = d.program.id
        if d.outcome != "eligible":
            assert d.amount is None, (pid, d.outcome, d.amount)
            continue
        event(f"eligible {pid}")
        assert d.amount is not None, pid
        assert d.amount >= 0, (pid, d.amount)
        std, facts = BOUNDS[pid]
        limit = max([x for x in [std] + [_fact(res.facts, f) for f in facts] if x is not None])
        assert d.amount <= limit, (pid, d.amount, limit)
        if not facts:
            assert d.amount <= LARGEST_MONEY_STANDARD, (pid, d.amount)
        if d.capped_at is not None:
            assert d.amount <= d.capped_at, (pid, d.amount, d.capped_at)
        for inst in d.installments:
            assert inst.amount is None or 0 <= inst.amount <= limit, (pid, inst)


@FAST
@given(ANY_VALID_CASE)
def test_amounts_are_never_negative_nor_above_the_policy(case):
    res = decide_text(dumps(case))
    _check_amounts(res)


@FAST
@given(
    seeded_valid_case(),
    st.one_of(
        st.none(), st.sampled_from(PERIOD), st.dates(_dt.date(2018, 6, 1), _dt.date(2022, 6, 1))
    ),
)
def test_amounts_hold_on_any_decision_date(case, as_of):
    facts = READER.convert(json.loads(dumps(case), parse_float=Decimal, parse_int=Decimal))
    _check_amounts(EVALUATOR.decide(facts, as_of=as_of, converted=True))


# -- (e) declared formats and the facts real-name checks compare ---------------------------

FORMATTED = sorted(
    p
    for p in (".".join(x) for x in FACT_PATHS)
    if POLICY.fact(p) is not None and POLICY.fact(p).format
)


@FAST
@given(
    st.sampled_from(FORMATTED),
    st.randoms(use_true_random=False),
    st.sampled_from(SPELLINGS),
    st.integers(0, 16),
    st.integers(1, 9),
)
def test_spellings_are_one_value_and_a_mistyped_digit_is_refused(path, rng, how, at, delta):
    """Any spelling of a valid value reads as its canonical form; a value
    with one digit changed is refused (the check digit catches every
    single-digit error) with the field named."""
    fmt = get_format(POLICY.fact(path).format)
    value = fmt.generate(rng)
    root, leaf = path.split(".")
    facts = READER.convert({root: {leaf: respell(value, how)}})
    assert facts[root][leaf] == value
    wrong = value[:at] + str((int(value[at]) + delta) % 10) + value[at + 1 :]
    with pytest.raises(FormatError):
        fmt.normalise(wrong)
    with pytest.raises(CaseError) as err:
        READER.convert({root: {leaf: wrong}}, "case.json")
    assert err.value.context == f"field {path}"


CHECKED = sorted(
    {
        (p, f)
        for c in POLICY.real_name_checks
        for p in c.programs
        for f in c.person.expression.check.facts.union(
            *(r.expression.check.facts for _n, r in c.key)
        )
    }
)


@FAST
@given(seeded_valid_case(), st.sampled_from(CHECKED) if CHECKED else st.nothing())
def test_a_claim_without_the_facts_a_real_name_check_compares_is_never_paid(case, checked):
    """Left out, a fact a real-name check compares leaves every program the
    check covers without an amount (it cannot be checked)."""
    program, path = checked
    node = case
    *parents, leaf = path.split(".")
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)
    res = decide_text(dumps(case))
    for d in res.decisions:
        if d.program.id == program:
            assert d.outcome != "eligible" and d.amount is None, (program, path, d)


# -- (h) money in the JSON output --------------------------------------------------------

TWO_DECIMALS = __import__("re").compile(r"-?[0-9]+\.[0-9]{2}")


@FAST
@given(ANY_VALID_CASE)
def test_every_amount_in_json_has_exactly_two_decimals(case):
    """amount, installments, cap and floor, money standards, computed money:
    "1500.00", never "366.6666666666666666666666667" or "0.0050"."""
    from interpreter.render import result_json

    res = decide_text(dumps(case))
    for d in result_json(POLICY, res)["decisions"]:
        program = POLICY.programs[d["program"]]
        amounts = [d["amount"], d.get("capped_at"), d.get("floored_at"), d.get("formula_amount")]
        amounts += [i["amount"] for i in d.get("installments", ())]
        amounts += [s["value"] for s in d["standards"] if POLICY.standards[s["id"]].type == "money"]
        money_lets = {l.id for l in program.lets if str(l.rule.expression.type) == "money"}
        amounts += [
            c["value"]
            for k, c in d["computed"].items()
            if k in money_lets and isinstance(c["value"], str)
        ]
        for a in amounts:
            assert a is None or TWO_DECIMALS.fullmatch(a), (d["program"], a)


@FAST
@given(ANY_VALID_CASE, st.sampled_from(["zh", "en"]))
def test_explanations_show_the_standards_in_force_never_a_placeholder(case, lang):
    from interpreter.render import TextRenderer, result_json

    res = decide_text(dumps(case))
    text = TextRenderer(POLICY, lang).render(res)
    data = json.dumps(result_json(POLICY, res), ensure_ascii=False)
    if res.as_of is not None:
        assert "{standards." not in text and "{standards." not in data


# -- (i) YAML mistakes reported where they are ---------------------------------------------

QUOTED_LINES = [
    (f.name, i)
    for f in sorted((bundled_policy_dir() / "programs").glob("*.yaml"))
    for i, line in enumerate(f.read_text(encoding="utf-8").splitlines())
    if line.rstrip().endswith("'") and ": '" in line and line.count("'") == 2
]


@FAST
@given(st.sampled_from(QUOTED_LINES))
def test_a_quote_left_open_is_reported_on_its_own_line(where):
    """Take the closing quote off any one-line quoted expression of the
    bundled programs: the syntax error names that line, not the line of the
    next quote further down (10 to 33 lines later, before)."""
    from interpreter.yamlsource import load_yaml

    name, index = where
    lines = (bundled_policy_dir() / "programs" / name).read_text(encoding="utf-8").splitlines()
    lines[index] = lines[index].rstrip()[:-1]
    try:
        load_yaml(name, text="\n".join(lines) + "\n")
    except PolicyError as err:
        assert err.position.line == index + 1, err.render()
        assert "not closed" in err.message


# -- (g) known none is not missing ---------------------------------------------------------

NONE_ABLE = sorted(
    ".".join(p)
    for p in FACT_PATHS
    if POLICY.fact(".".join(p)) is not None and POLICY.fact(".".join(p)).none is not None
)


@FAST
@given(seeded_valid_case(), st.sampled_from(NONE_ABLE) if NONE_ABLE else st.nothing())
def test_a_fact_stated_none_is_never_asked_for(case, path):
    """Stated none (no certificate, no skill level held), a fact is known: no
    decision names it, or a field of it, as missing."""
    *parents, leaf = path.split(".")
    node = case
    for p in parents:
        if not isinstance(node.get(p), dict) or "none" in node[p]:
            node[p] = {}
        node = node[p]
    node[leaf] = {"none": True}
    res = decide_text(dumps(case))
    for d in res.decisions:
        asked = [m for m in d.missing if m == path or m.startswith((path + ".", path + "[]"))]
        assert not asked, (d.program.id, d.outcome, d.missing)
    assert not [m for m in res.as_of_missing if m == path or m.startswith(path + ".")]


# -- (f) declared constraints between fields ----------------------------------------------

# the records whose constraints compare two dates (a period that must not run backwards)
PERIODS = sorted(
    (name, c.reads[0], c.reads[1])
    for name, d in POLICY.facts.items()
    for c in d.constraints
    if len(c.reads) == 2 and all(d.fields[f].type == "date" for f in c.reads)
)


@FAST
@given(
    seeded_valid_case(),
    st.sampled_from(PERIODS) if PERIODS else st.nothing(),
    st.dates(_dt.date(2018, 1, 1), _dt.date(2022, 12, 31)),
    st.dates(_dt.date(2018, 1, 1), _dt.date(2022, 12, 31)),
)
def test_a_period_that_runs_backwards_is_refused_never_decided(case, period, a, b):
    """A training or an apprenticeship that ends before it starts was decided
    (months_between −23 passed "at most 24 months" and paid 4399.80): it is
    refused, naming the field, whatever else the case says."""
    record, first, second = period
    decl = POLICY.facts[record]
    (c,) = [c for c in decl.constraints if c.reads == (first, second)]
    # the record's other constraints are left unchecked (their other fields out)
    others = {f for o in decl.constraints if o is not c for f in o.reads} - {first, second}
    rec = case.get(record) if isinstance(case.get(record), dict) else {}
    rec = {k: v for k, v in rec.items() if k not in others}
    rec[first], rec[second] = a.isoformat(), b.isoformat()
    case[record] = rec
    holds = c.rule.expression.fn(Context({first: a, second: b}))
    try:
        res = decide_text(dumps(case))
    except CaseError as err:
        assert holds is False, err.render()
        assert err.context == f"field {record}.{c.field}"
        return
    assert holds is True
    assert res is not None


# -- (d) random expressions given to the loader ---------------------------------------------

NAMES = [
    "applicant.insured_months",
    "applicant.enterprise_employee",
    "certificate.level",
    "certificate.kind",
    "certificate.date",
    "training.days",
    "training.kind",
    "project.subsidy_total",
    "project.employment_rate",
    "apprenticeship.fee_paid",
    "apprenticeship.start_date",
    "history",
    "application.programs",
    "as_of",
    "in_force",
    "standards.skill_upgrade",
    "standards.skill_upgrade[certificate.level]",
    "standards.living_allowance_cap",
    "standards.apprenticeship_share",
    "h",
    "h.date",
    "h.program",
    "applicant",
    "nosuchname",
    "standards",
    "catalog",
    "certificate",
]
LITERALS = [
    "0",
    "1",
    "12",
    "0.5",
    "60%",
    "100%",
    "1000000000000000000000000000000",
    '"高级"',
    '"高极"',
    '"skill_upgrade"',
    '""',
    "2020-01-01",
    "2021-02-29",
    "true",
    "false",
    "[]",
    '["初级", "中级"]',
    "[1, 2]",
]
BINOPS = ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"]
FUNCS = [
    "min",
    "max",
    "clamp",
    "round",
    "count",
    "sum",
    "any",
    "all",
    "year",
    "month",
    "days_between",
    "months_between",
    "present",
    "nosuchfunction",
]
ATOM = st.sampled_from(NAMES + LITERALS)


def _compound(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINOPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"-{e}"),
        st.tuples(st.sampled_from(FUNCS), st.lists(inner, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.tuples(st.sampled_from(["count", "sum", "any", "all"]), inner).map(
            lambda t: f"{t[0]}(history, h -> {t[1]})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["level", "date", "x", "insured_months"])).map(
            lambda t: f"{t[0]}.{t[1]}"
        ),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    )


WELL_FORMED = st.recursive(ATOM, _compound, max_leaves=10)

# well-typed expressions, so that many load and are evaluated
NUM_ATOM = st.sampled_from(
    [
        "applicant.insured_months",
        "training.days",
        "project.employment_rate",
        "apprenticeship.fee_paid",
        "project.subsidy_total",
        "0",
        "1",
        "12",
        "0.5",
        "60%",
        "1000000000000000000000000000000",
        "0.0000000000000000000000000001",
        "standards.living_allowance_cap",
        "standards.apprenticeship_share",
        "standards.skill_upgrade[certificate.level]",
        "year(as_of)",
        "month(certificate.date)",
        "count(history)",
        "days_between(certificate.date, as_of)",
        "months_between(0001-01-01, 9999-12-31)",
    ]
)
DATE_ATOM = st.sampled_from(
    [
        "as_of",
        "certificate.date",
        "application.date",
        "2020-01-01",
        "0001-01-01",
        "9999-12-31",
        "training.end_date",
    ]
)


def _num(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda e: f"-{e}"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(inner, inner, st.sampled_from(['"half_up"', '"down"', '"up"'])).map(
            lambda t: f"round({t[0]}, {t[1]}, {t[2]})"
        ),
        inner.map(lambda e: f"sum(history, h -> {e})"),
        st.tuples(inner, inner).map(lambda t: f"if {t[0]} > {t[1]} then {t[0]} else {t[1]}"),
    )


NUMERIC = st.recursive(NUM_ATOM, _num, max_leaves=6)

# digits of other scripts, which Decimal() would read as numbers (1৪ as 14)
OTHER_DIGITS = [c for c in map(chr, range(0x80, 0x10000)) if c.isdigit() and c.isdecimal()]
BOOLEAN = st.one_of(
    st.tuples(NUMERIC, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), NUMERIC).map(" ".join),
    st.tuples(DATE_ATOM, st.sampled_from(["<", "<=", ">", ">=", "=="]), DATE_ATOM).map(" ".join),
    st.sampled_from(
        [
            'certificate.level in ["初级", "中级"]',
            "in_force",
            "true",
            "any(history, h -> h.date > as_of)",
            "present(training.days)",
            'not (certificate.kind == "职业资格证书")',
        ]
    ),
    NUMERIC.map(lambda e: f"any(history, h -> year(h.date) == {e})"),
)
TYPED = st.one_of(
    BOOLEAN,
    st.tuples(BOOLEAN, st.sampled_from(["and", "or"]), BOOLEAN).map(
        lambda t: f"({t[0]}) {t[1]} ({t[2]})"
    ),
)
TOKENS = st.lists(
    st.sampled_from(
        NAMES
        + LITERALS
        + BINOPS
        + FUNCS
        + list('()[],.->"%')
        + ["if", "then", "else", "not", "->", "  ", "\n"]
    ),
    max_size=20,
).map(" ".join)
EXPRESSION = st.one_of(
    TYPED,
    WELL_FORMED,
    TOKENS,
    st.text(max_size=60),
    st.sampled_from(
        [
            "(" * 70 + "1" + ")" * 70,
            "1 +" * 1500 + " 1",
            "-" * 5000 + "1",
            "[" * 3000,
            "2021-02-29 < as_of",
            "1 / 0 > 1",
            "round(1, 1000000000000)",
            "round(1, -1000000000000) > 0",
            "days_between(2020-01-01, 2020-01-01) == 0",
        ]
    ),
)


@FAST
@given(
    st.integers(0, 10**6),
    st.sampled_from(OTHER_DIGITS),
    st.integers(0, 7),
    st.sampled_from(
        ["applicant.insured_months >= {}", "{} + 1", "[{}, 2]", "{}%", "round(1, {})", "2020-01-{}"]
    ),
)
def test_a_digit_of_another_script_is_refused_never_read(n, digit, at, template):
    """A number in an expression has the digits 0-9 only: any other decimal
    digit is a parse error naming it, wherever it is in the number."""
    text = str(n)
    at = min(at, len(text))
    number = text[:at] + digit + text[at:]
    with pytest.raises(ParseError) as err:
        parse(template.format(number))
    assert "digits 0-9" in err.value.message or "not allowed here" in err.value.message


@FAST
@given(
    st.dates(_dt.date(1900, 1, 1), _dt.date(2100, 12, 31)), st.sampled_from("/.-年"), st.booleans()
)
def test_a_date_written_another_way_is_refused_once_with_the_fix(day, sep, pad):
    """2021/7/1, 2021.07.01, 2021-7-1, 2021年7月1日: in a case and in an
    expression, one message and the fix (write 2021-07-01), never read as
    something else."""
    m, d = (f"{day.month:02d}", f"{day.day:02d}") if pad else (str(day.month), str(day.day))
    if sep == "年":
        written = f"{day.year}年{m}月{d}日"
    else:
        written = f"{day.year}{sep}{m}{sep}{d}"
    assume(written != day.isoformat())
    with pytest.raises(CaseError) as err:
        READER.convert({"certificate": {"date": written}}, "case.json")
    assert err.value.hint == f"write {day.isoformat()}", err.value.render()
    if sep != "年":
        with pytest.raises(ParseError) as perr:
            parse(f"as_of >= {written}")
        assert perr.value.hint == f"write {day.isoformat()}"


PROGRAM = """id: zz_prop
title: 测试补贴
title_en: Test subsidy
payee: {{zh: 个人, en: the person}}
responsible: [区人力资源社会保障局]
clauses:
  - id: random
    expr: {expr}
    explain: {{zh: 随机表达式, en: a random expression}}
amount:
  expr: standards.skill_upgrade[certificate.level]
  explain: {{zh: 按证书等级, en: by level}}
"""
EXPR_LINE = PROGRAM.splitlines().index("    expr: {expr}") + 1


def _program_text(expr: str) -> str:
    return PROGRAM.format(expr=json.dumps(expr, ensure_ascii=False))


def _check_positions(errors, text: str, name: str):
    lines = text.count("\n") + 1
    for err in errors:
        assert isinstance(err, PolicyError), repr(err)
        rendered = err.render()
        assert rendered.startswith(name), rendered
        if err.position.line is not None:
            assert 1 <= err.position.line <= lines, rendered


@FAST
@given(EXPRESSION, ANY_VALID_CASE, st.sampled_from(PERIOD[1:5]))
def test_any_expression_text_gives_only_policy_errors(expr, case, day):
    from dsl import types as T
    from interpreter import loader
    from interpreter.yamlsource import load_yaml

    text = _program_text(expr)
    ld = loader._Loader(Path(tempfile.gettempdir()))
    try:
        src = load_yaml("zz_prop.yaml", display_name="programs/zz_prop.yaml", text=text)
    except PolicyError as err:
        _check_positions([err], text, "programs/zz_prop.yaml")
        event("YAML refused")
        return
    rule = ld.rule(src, ("clauses", 0, "expr"), POLICY.env, "clause zz_prop.random", want=T.BOOLEAN)
    _check_positions(ld.errors, text, "programs/zz_prop.yaml")
    if rule is None:
        assert ld.errors
        event("refused by the loader")
        return
    event("loaded")
    facts = READER.convert(json.loads(dumps(case), parse_float=Decimal, parse_int=Decimal))
    standards, _ = EVALUATOR._resolve_standards(day)
    try:
        value = rule.expression.fn(Context(facts, as_of=day, standards=standards))
    except PolicyError:
        event("evaluation error")
        return
    assert value in (True, False) or hasattr(value, "missing"), repr(value)


@pytest.fixture(scope="module")
def policy_copy_dir():
    tmp = Path(tempfile.mkdtemp(prefix="policy-prop-"))
    dest = tmp / "policy"
    shutil.copytree(
        bundled_policy_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.py")
    )
    yield dest
    shutil.rmtree(tmp, ignore_errors=True)


@settings(
    deadline=None,
    max_examples=max(EXAMPLES // 6, 25),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(EXPRESSION)
def test_any_expression_in_a_policy_copy_loads_or_fails_cleanly(policy_copy_dir, expr):
    """The whole loader (load_policy) on a copy of the bundled policy with one
    more program whose clause is the random expression; then a case decided."""
    path = policy_copy_dir / "programs" / "zz_prop.yaml"
    text = _program_text(expr)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        policy = load_policy(policy_copy_dir)
    except PolicyError as err:
        errors = getattr(err, "errors", [err])
        _check_positions(errors, text, "policy/programs/zz_prop.yaml")
        event("refused")
        return
    event("loaded")
    try:
        Evaluator(policy).decide(SEEDS[0], programs=["zz_prop"])
    except PolicyError as err:
        assert not isinstance(err, CaseError), err.render()
        event("evaluation error")
