"""The generated-code fast path and the tracing closures decide alike."""

from decimal import Decimal

import pytest

from authoring.policytests import collect
from interpreter.evaluate import Evaluator
from interpreter.loader import bundled_policy_dir
from interpreter.render import decision_json

TESTS = collect(
    [bundled_policy_dir() / "tests", bundled_policy_dir().parent / "examples" / "tests.yaml"]
)


def summary(policy, res):
    return [decision_json(policy, d, explain=False) for d in res.decisions]


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_fast_path_agrees_with_explained_path(bundled_policy, test):
    case = test.case
    if case is None:
        from interpreter.cases import read_case_file

        case, _raw = read_case_file(test.case_file)
    ev = Evaluator(bundled_policy)
    explained = ev.decide(case, as_of=test.as_of, explain=True)
    fast = ev.decide(case, as_of=test.as_of, explain=False)
    assert summary(bundled_policy, fast) == summary(bundled_policy, explained)
    # the reference closures (dsl.backends.CLOSURES) decide alike too
    from dsl import Context

    facts = ev.reader.convert(case)
    ctx = Context(facts, catalogs=bundled_policy.catalog_values)
    ctx.as_of = explained.as_of or ctx.as_of
    if explained.as_of is not None:
        ctx.standards, _versions = ev._standards_at(explained.as_of)
    for d in explained.decisions:
        if explained.as_of is None:
            continue
        closures = ev._program_reference(d.program, ctx)
        assert (closures.outcome, closures.amount, closures.failing, closures.missing) == (
            d.outcome,
            d.amount,
            d.failing,
            d.missing,
        )


def test_generated_source_carries_no_officer_text(bundled_policy):
    """Strings and numbers of the policy reach the generated code only as
    constants (_k0, _k1, ...), never as source text."""
    from dsl.codegen import generate_function

    p = bundled_policy.programs["vocational_training"]
    _fn, src = generate_function(
        bundled_policy.env,
        [c.rule.expression.node for c in p.clauses],
        {d.id: d.rule.expression.node for d in p.lets},
    )
    assert "职业" not in src and "初级" not in src and "certificate" not in src
    assert "_k0" in src


def test_evaluation_error_in_fast_path_reports_the_clause(policy_copy):
    """A table with no row for a value: the generated code says where."""
    from dsl.errors import EvaluationError
    from tests.helpers import load_policy

    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    text = text.replace("certificate.level in", "certificate.level not in", 1)
    prog.write_text(text, encoding="utf-8")
    ev = Evaluator(load_policy(policy_copy))
    case = {
        "applicant": {"enterprise_employee": True, "insured_months": 20},
        "certificate": {"kind": "职业资格证书", "level": "技师", "date": "2020-05-01"},
        "application": {"programs": ["skill_upgrade"]},
    }
    from decimal import Decimal

    case["applicant"]["insured_months"] = Decimal(20)
    with pytest.raises(EvaluationError) as exc:
        ev.decide(case, explain=False)
    assert "amount of skill_upgrade" in exc.value.render()
    assert 'has no value for "技师"' in exc.value.render()


def test_catalogue_lookups_by_index_agree_with_a_scan():
    """any()/count() over a catalogue use an index on the condition's
    equalities; rows lacking a field, unknown keys and unknown conjuncts must
    give what a plain scan gives."""
    import datetime as dt
    import itertools

    from dsl import Context, Environment, Unknown
    from dsl import types as T
    from dsl.codegen import generate_function

    rows = [
        {"institution": "A", "status": "active", "from": dt.date(2020, 1, 1)},
        {"institution": "A", "status": "exited", "from": dt.date(2020, 6, 1)},
        {"institution": "B", "status": "active"},  # no 'from'
        {"status": "active", "from": dt.date(2019, 1, 1)},
    ]  # no institution
    row_type = T.RecordType(
        "r", (("institution", T.STRING), ("status", T.STRING), ("from", T.DATE))
    )
    env = Environment(
        facts={"t": T.RecordType("t", (("inst", T.STRING), ("day", T.DATE)))},
        catalogs={"rows": T.ListType("list", row_type)},
    )
    texts = [
        'any(catalog.rows, s -> s.institution == t.inst and s.status == "active")',
        (
            'any(catalog.rows, s -> s.institution == t.inst and s.status == "active" '
            "and s.from <= t.day)"
        ),
        "count(catalog.rows, s -> s.institution == t.inst and s.from <= t.day)",
        "not any(catalog.rows, s -> s.institution == t.inst)",
    ]
    for text in texts:
        expr = env.compile(text)
        fast, _src = generate_function(env, [expr.node])
        for inst, day in itertools.product(
            ["A", "B", "C", None], [dt.date(2020, 3, 1), dt.date(2018, 1, 1), None]
        ):
            t = {k: v for k, v in (("inst", inst), ("day", day)) if v is not None}
            cat = {"rows": rows}
            slow = expr.evaluate(Context({"t": t}, catalogs=cat))
            # a tuple is never indexed: this is the plain scan
            scan = expr.evaluate(Context({"t": t}, catalogs={"rows": tuple(rows)}))
            (quick,) = fast({"t": t}, Unknown(("as_of",)), {}, cat)
            assert quick == slow == scan, (text, inst, day, quick, slow, scan)
            assert type(quick) is type(slow) is type(scan)


def _failing_clause_policy(policy_copy):
    """skill_upgrade with a clause that divides by zero for 20 insured months."""
    from tests.helpers import load_policy

    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    old = "expr: applicant.insured_months >= standards.skill_upgrade_min_months"
    assert old in text
    text = text.replace(
        old,
        "expr: applicant.insured_months / (applicant.insured_months - 20) "
        ">= standards.skill_upgrade_min_months",
    )
    prog.write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "insured_months - 20" in s)
    return load_policy(policy_copy), line


CASE_20_MONTHS = {
    "applicant": {"enterprise_employee": True, "insured_months": Decimal(20)},
    "certificate": {"kind": "职业资格证书", "level": "中级", "date": "2020-05-01"},
    "application": {"programs": ["skill_upgrade"], "date": "2020-06-01"},
}


@pytest.mark.parametrize("explain", [True, False])
def test_an_evaluation_error_is_located_from_the_generated_code(policy_copy, explain, monkeypatch):
    """The clause that failed is read from the generated function's own
    traceback (dsl.codegen.failed_node): the closures are not run again."""
    from dsl.compiler import Compiler
    from dsl.errors import EvaluationError

    policy, line = _failing_clause_policy(policy_copy)
    ev = Evaluator(policy)

    def no_second_backend(self, node):
        raise AssertionError("the closures were run to locate the error")

    monkeypatch.setattr(Compiler, "compile", no_second_backend)
    with pytest.raises(EvaluationError) as exc:
        ev.decide(CASE_20_MONTHS, explain=explain)
    err = exc.value
    assert err.context == "clause skill_upgrade.insured_12_months"
    assert err.message == "division by zero"
    assert err.position.source.endswith("skill_upgrade.yaml")
    assert err.position.line == line
    assert "insured_months - 20" in err.render()
    # one more month: no error, and the program is decided
    case = {
        **CASE_20_MONTHS,
        "applicant": {"enterprise_employee": True, "insured_months": Decimal(21)},
    }
    result = ev.decide(case, explain=explain)
    assert [d.outcome for d in result.decisions] == ["eligible"]


def test_failed_node_names_each_node_of_a_generated_function():
    """Each node is on a line of its own: the index of the one that raised,
    for clauses and for the nodes computed after the gate."""
    from dsl import Environment, EvaluationError
    from dsl import types as T
    from dsl.codegen import failed_node, generate_function

    env = Environment(facts={"a": T.NUMBER, "b": T.NUMBER})
    texts = ["a > 0", "1 / (a - 1) > 0", "b > 0", "10 / (b - 2)", "10 / (b - 3)"]
    nodes = [env.compile(t).node for t in texts]
    fn, _src = generate_function(env, nodes, gate=3)
    for facts, index in [
        ({"a": 1, "b": 5}, 1),
        ({"a": 2, "b": 2}, 3),
        ({"a": 2, "b": 3}, 4),
    ]:
        facts = {k: Decimal(v) for k, v in facts.items()}
        with pytest.raises(EvaluationError) as exc:
            fn(facts, None, {}, {})
        assert failed_node(fn, exc.value) == index, (facts, texts[index])
    values, rest = fn({"a": Decimal(2), "b": Decimal(7)}, None, {}, {})
    assert values == (True, True, True) and rest == (Decimal(2), Decimal("2.5"))
    plain, _src = generate_function(env, nodes[3:])
    with pytest.raises(EvaluationError) as exc:
        plain({"b": Decimal(3)}, None, {}, {})
    assert failed_node(plain, exc.value) == 1
    assert failed_node(fn, exc.value) is None  # not raised by fn


def test_nodes_computed_after_the_decision():
    """``after=n``: the last n nodes are computed whatever the clauses gave
    (a batch line's level and case id), each on its own: an error in one
    gives FAILED in its place and leaves the decision and the others."""
    from dsl import Environment, EvaluationError
    from dsl import types as T
    from dsl.codegen import FAILED, generate_function

    env = Environment(facts={"a": T.NUMBER, "b": T.NUMBER})
    texts = ["a > 0", "b > 0", "a + b", "10 / a", "a * 2"]
    nodes = [env.compile(t).node for t in texts]
    fn, _src = generate_function(env, nodes, gate=2, after=2)
    d = {k: Decimal(v) for k, v in {"a": 2, "b": 3}.items()}
    assert fn(d, None, {}, {}) == ((True, True), (Decimal(5),), (Decimal(5), Decimal(4)))
    d = {"a": Decimal(0), "b": Decimal(3)}
    assert fn(d, None, {}, {}) == ((False, True), False, (FAILED, Decimal(0)))
    values, rest, after = fn({"b": Decimal(3)}, None, {}, {})
    assert rest is None and values[1] is True and len(after) == 2  # a unknown
    # an error in a clause is the decision's, as without after
    bad = [env.compile(t).node for t in ["10 / a > 0", "b > 0", "a", "b"]]
    fn, _src = generate_function(env, bad, gate=2, after=1)
    with pytest.raises(EvaluationError):
        fn({"a": Decimal(0), "b": Decimal(1)}, None, {}, {})
    with pytest.raises(ValueError):
        generate_function(env, bad, after=1)  # no gate


def test_facts_named_like_the_generated_codes_own_keys_are_traced():
    """A fact named record, call or def is a fact like any other: read once,
    and handed to the explanation (the T list) with the others."""
    from dsl import Environment
    from dsl import types as T
    from dsl.codegen import generate_function

    env = Environment(
        facts={
            name: T.RecordType(name, (("kind", T.STRING), ("n", T.NUMBER)))
            for name in ("record", "call", "def", "other")
        }
    )
    node = env.compile('record.kind == "a" and call.n > 1 and def.kind == "b" and other.n > 0').node
    fn, _src = generate_function(env, [node])
    facts = {
        "record": {"kind": "a"},
        "call": {"n": Decimal(2)},
        "def": {"kind": "b"},
        "other": {"n": Decimal(1)},
    }
    trace: list = []
    assert fn(facts, None, {}, {}, trace) == (True,)
    read = {p: v for kind, paths, values in trace if kind == "facts" for p, v in zip(paths, values)}
    assert read == {
        "record.kind": "a",
        "call.n": Decimal(2),
        "def.kind": "b",
        "other.n": Decimal(1),
    }


def test_an_evaluation_error_in_the_decision_date_is_located(policy_copy):
    """The document's rules (decision_date, programs_applied) are generated
    code too: an error there names the rule and where it is written."""
    from dsl.errors import EvaluationError
    from tests.helpers import load_policy

    doc = policy_copy / "document.yaml"
    text = doc.read_text(encoding="utf-8")
    old = 'decision_date: "if present(application.date) then'
    assert old in text
    text = text.replace(
        old,
        'decision_date: "if 1 / (applicant.insured_months - 20) > 0 and present(application.date) then',
    )
    doc.write_text(text, encoding="utf-8")
    ev = Evaluator(load_policy(policy_copy))
    with pytest.raises(EvaluationError) as exc:
        ev.decide(CASE_20_MONTHS, explain=False)
    assert exc.value.context == "decision_date"
    assert exc.value.position.source.endswith("document.yaml")
    assert exc.value.position.line == next(
        i for i, s in enumerate(text.splitlines(), 1) if "insured_months - 20" in s
    )
    case = {
        **CASE_20_MONTHS,
        "applicant": {"enterprise_employee": True, "insured_months": Decimal(21)},
    }
    assert ev.decide(case, explain=False).as_of is not None


def test_programs_of_one_shape_run_code_of_their_own():
    """Two programs whose generated source is the same (other constants) share
    the compiled entry, not the code object: CPython specialises a code
    object for the one namespace it reads its globals from, and one code run
    with ten namespaces in turn kept missing (issue 21, point 4). Each
    function decides with its own constants, and an error is located in the
    one that raised it."""
    from dsl import Environment, EvaluationError
    from dsl import types as T
    from dsl.codegen import failed_node, generate_function

    env = Environment(facts={"a": T.NUMBER, "xs": T.ListType(T.NUMBER)})
    compiled: dict = {}
    fns = []
    for limit in ("1", "2", "3"):
        texts = [f"a >= {limit}", f"any(xs, x -> x > {limit})", f"10 / (a - {limit})"]
        fn, src = generate_function(
            env, [env.compile(t).node for t in texts], gate=2, compiled=compiled
        )
        fns.append((fn, src))
    assert len({src for _fn, src in fns}) == 1 and len(compiled) == 1
    assert len({id(fn.__code__) for fn, _src in fns}) == 3
    inner = [c for fn, _src in fns for c in fn.__code__.co_consts if hasattr(c, "co_code")]
    assert len({id(c) for c in inner}) == len(inner) == 3  # the lambdas too
    facts = {"a": Decimal(2), "xs": [Decimal(2)]}
    got = [fn(facts, None, {}, {}) for fn, _src in fns[:2]]
    assert got == [((True, True), (Decimal(10),)), ((True, False), False)]
    assert fns[2][0](facts, None, {}, {}) == ((False, False), False)
    for k, (fn, _src) in enumerate(fns, start=1):  # a = the limit: 10 / 0
        with pytest.raises(EvaluationError) as exc:
            fn({"a": Decimal(k), "xs": [Decimal(9)]}, None, {}, {})
        assert failed_node(fn, exc.value) == 2
