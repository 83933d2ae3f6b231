"""The shortcuts of the generated code (dsl/codegen.py, dsl/indexing.py) give
what the tracing closures give, on the paths they take and on the ones they
leave to the general code: one matching item, a remembered result, an
unknown key, a list of unhashable items, a long right side of and/or."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from dsl import Context, Environment, Unknown
from dsl import types as T
from dsl.codegen import forget, generate_function
from dsl.values import merge, merge2

D = dt.date

# no row lacks a probed field: the generated code may test the one matching
# item in place (Site.one) and remember item-only results (Site.memo)
ROWS = [
    {
        "institution": "A",
        "status": "active",
        "from": D(2020, 1, 1),
        "until": D(2020, 12, 31),
        "levels": ["初级", "中级"],
    },
    {
        "institution": "A",
        "status": "suspended",
        "from": D(2021, 1, 1),
        "until": D(2021, 6, 30),
        "levels": ["初级"],
    },
    {
        "institution": "B",
        "status": "active",
        "from": D(2019, 1, 1),
        "until": D(2019, 12, 31),
        "levels": ["专项"],
    },
    {
        "institution": "B",
        "status": "active",
        "from": D(2021, 1, 1),
        "until": D(2021, 12, 31),
        "levels": ["高级"],
    },
]
ROW = T.RecordType(
    "r",
    (
        ("institution", T.STRING),
        ("status", T.STRING),
        ("from", T.DATE),
        ("until", T.DATE),
        ("levels", T.ListType("list", T.STRING)),
    ),
)
ENV = Environment(
    facts={
        "t": T.RecordType(
            "t",
            (
                ("inst", T.STRING),
                ("start", T.DATE),
                ("end", T.DATE),
                ("level", T.STRING),
                ("tags", T.ListType("list", T.STRING)),
            ),
        )
    },
    catalogs={"rows": T.ListType("list", ROW), "names": T.ListType("list", T.STRING)},
)

EXPRESSIONS = [
    # keys and facts: the one matching item is tested in place
    (
        'any(catalog.rows, s -> s.institution == t.inst and s.status == "active" '
        "and s.from <= t.start and t.end <= s.until)"
    ),
    # keys only (the rest reads the item): remembered per key
    'any(catalog.rows, s -> s.institution == t.inst and "初级" in s.levels)',
    'any(catalog.rows, s -> s.institution == t.inst and s.status == "active")',
    # a key that is not a plain value (a list): the site's general method
    'any(catalog.rows, s -> s.levels == t.tags and s.status == "active")',
    # membership in a catalogue list
    "t.inst in catalog.names",
    't.inst not in catalog.names or t.level in ["初级", "中级"]',
]
VALUES = {
    "inst": ["A", "B", "C", None],
    "start": [D(2020, 3, 1), D(2019, 3, 1), D(2021, 3, 1), None],
    "end": [D(2020, 6, 1), D(2021, 9, 1), None],
    "level": ["初级", "技师", None],
    "tags": [["初级", "中级"], ["专项"], None],
}


def cases():
    keys = list(VALUES)
    for combo in itertools.product(*(VALUES[k] for k in keys)):
        yield {k: v for k, v in zip(keys, combo) if v is not None}


def closures(expr, t, catalogs):
    return expr.evaluate(Context({"t": t}, catalogs=catalogs))


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_generated_shortcuts_agree_with_the_closures(text):
    expr = ENV.compile(text)
    fn, _src = generate_function(ENV, [expr.node])
    catalogs = {"rows": ROWS, "names": ["A", "B"]}
    all_cases = list(cases())
    for rounds in range(2):  # the second round finds what the first remembered
        for t in all_cases:
            (got,) = fn({"t": t}, Unknown(("as_of",)), {}, catalogs)
            want = closures(expr, t, catalogs)
            assert got == want and type(got) is type(want), (text, t, rounds, got, want)
        forget(fn)


def test_a_changed_catalogue_is_indexed_again():
    expr = ENV.compile('any(catalog.rows, s -> s.institution == t.inst and "初级" in s.levels)')
    fn, _src = generate_function(ENV, [expr.node])
    t = {"inst": "B"}
    assert fn({"t": t}, None, {}, {"rows": ROWS})[0] is False
    other = [dict(ROWS[2], levels=["初级"])]
    assert fn({"t": t}, None, {}, {"rows": other})[0] is True
    assert fn({"t": t}, None, {}, {"rows": ROWS})[0] is False


def test_membership_in_a_list_of_unhashable_items_compares_one_by_one():
    env = Environment(
        facts={"x": T.ListType("list", T.STRING)},
        catalogs={"pairs": T.ListType("list", T.ListType("list", T.STRING))},
    )
    expr = env.compile("x in catalog.pairs")
    fn, _src = generate_function(env, [expr.node])
    catalogs = {"pairs": [["a"], ["b"]]}
    for facts, want in (({"x": ["a"]}, True), ({"x": ["c"]}, False), ({}, None)):
        for _round in range(2):
            got = fn(facts, None, {}, catalogs)[0]
            assert got == expr.evaluate(Context(facts, catalogs=catalogs))
            assert got is want or (want is None and type(got) is Unknown)


def test_a_long_right_side_of_and_is_not_duplicated_and_decides_alike():
    right = " and ".join(f't.level != "x{i}"' for i in range(20))
    for op in ("and", "or"):
        text = f't.inst == "A" {op} ({right})'
        expr = ENV.compile(text)
        fn, src = generate_function(ENV, [expr.node])
        assert len(src) < 60_000
        for t in (
            {"inst": "A", "level": "初级"},
            {"inst": "B", "level": "x3"},
            {"level": "初级"},
            {"inst": "A"},
            {},
        ):
            got = fn({"t": t}, None, {}, {})[0]
            want = closures(expr, t, {})
            assert got == want and type(got) is type(want), (op, t, got, want)


def test_nested_right_sides_stay_small():
    """a and (b and (c and ...)): the right side written twice at each level
    must not double the source at every level."""
    text = 't.inst == "A"'
    for i in range(15):
        text = f't.level != "x{i}" and ({text})'
    expr = ENV.compile(text)
    _fn, src = generate_function(ENV, [expr.node])
    assert len(src) < 200_000


def test_merge_keeps_an_unknown_that_already_names_every_missing_fact():
    a, b, ab = Unknown({"a"}), Unknown({"b"}), Unknown({"a", "b"})
    assert merge(a, True) is a
    assert merge(ab, a) is ab and merge(a, ab) is ab
    assert merge(a, b) == ab
    assert merge(True, Decimal(1)) == Unknown()
    assert merge2(a, True) is a and merge2(True, b) is b
    assert merge2(a, b) == ab and merge2(a, a) is a


def test_forget_leaves_the_decisions_as_they_were(bundled_policy):
    import json

    from interpreter.cases import parse_json_text
    from interpreter.evaluate import Evaluator
    from population.synthetic import generate

    ev = Evaluator(bundled_policy)
    raw = [
        parse_json_text(json.dumps(c, ensure_ascii=False), "case")
        for c in generate(200, 7, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    ]
    first = [
        [
            (d.outcome, d.amount, tuple(d.failing), tuple(d.missing))
            for d in ev.decide(c, explain=False).decisions
        ]
        for c in raw
    ]
    ev.forget()
    sites = [s for fn in ev._functions.values() for s in fn.__globals__["_sites"]]
    assert sites and all(s.memo == {} for s in sites)
    again = [
        [
            (d.outcome, d.amount, tuple(d.failing), tuple(d.missing))
            for d in ev.decide(c, explain=False).decisions
        ]
        for c in raw
    ]
    assert again == first


def test_a_clause_result_shows_only_its_own_values_and_compares_by_them():
    from interpreter.decision import ClauseResult

    found = {"training.course": "ZD-001", "certificate.level": "中级"}
    # as the evaluator builds it: every value read, and the clause's paths
    lazy = tuple.__new__(ClauseResult, ("c", False, (), (found, ("training.course",)), ()))
    plain = ClauseResult("c", False, (), {"training.course": "ZD-001"})
    assert lazy.values == {"training.course": "ZD-001"}
    assert lazy == plain and not lazy != plain  # noqa: SIM202 - __ne__ is under test
    assert lazy != ClauseResult("c", False, (), {"training.course": "ZD-002"})
    assert list(lazy.catalog_rows) == [] and lazy.result is False


def test_explained_clauses_show_the_values_they_read(bundled_policy):
    from interpreter.cases import read_case_file
    from interpreter.evaluate import Evaluator
    from interpreter.loader import bundled_policy_dir

    case, _raw = read_case_file(
        bundled_policy_dir().parent / "examples" / "vocational_training_intermediate.json"
    )
    (d,) = Evaluator(bundled_policy).decide(case, programs=["vocational_training"]).decisions
    shown = {c.id: c.values for c in d.clauses}
    assert shown["certificate_level"] == {
        "certificate.kind": "职业技能等级证书",
        "certificate.level": "中级",
    }
    assert set(shown["trained_in_district"]) == {"training.in_district"}
