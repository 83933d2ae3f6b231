"""Cases written from the source text (台政办发〔2020〕4号 六（一）、六（二）),
independently of the examples, with the amounts worked out by hand."""

from decimal import Decimal

import pytest

from interpreter.render import money


def person(**over):
    case = {
        "applicant": {
            "id": "370405199001011237",
            "name": "测试",
            "pension_eligible": False,
            "enterprise_employee": True,
            "insured_months": Decimal(20),
            "poverty_registered": False,
            "newly_hired": False,
        },
        "training": {
            "in_district": True,
            "kind": "就业技能培训",
            "project_based": False,
            "free": False,
            "occupation": "焊工",
            "course": "ZD-006",
            "institution": "JG-002",
            "start_date": "2020-04-01",
            "end_date": "2020-05-20",
        },
        "project": {"level": "中级"},
        "certificate": {
            "kind": "职业技能等级证书",
            "level": "中级",
            "occupation": "焊工",
            "date": "2020-06-01",
        },
        "history": [],
        "application": {"date": "2020-06-10"},
    }
    for path, value in over.items():
        root, _, leaf = path.partition("__")
        if leaf:
            if value is None:
                case[root].pop(leaf, None)
            else:
                case[root][leaf] = value
        elif value is None:
            case.pop(root, None)
        else:
            case[root] = value
    return case


def decide(evaluator, case, program, **kw):
    res = evaluator.decide(case, programs=[program], **kw)
    (d,) = res.decisions
    return d


@pytest.mark.parametrize(
    "level, amount", [("初级", "1000.00"), ("中级", "1500.00"), ("高级", "2000.00")]
)
def test_vocational_training_standard_by_level(evaluator, level, amount):
    d = decide(evaluator, person(certificate__level=level), "vocational_training")
    assert (d.outcome, money(d.amount)) == ("eligible", amount)


def test_entrepreneurship_training_is_1600(evaluator):
    case = person(
        training__kind="创业培训",
        certificate__kind="培训合格证书",
        certificate__level=None,
        training__course="YB-007",
        training__institution="JG-001",
    )
    d = decide(evaluator, case, "vocational_training")
    assert (d.outcome, money(d.amount)) == ("eligible", "1600.00")


def test_fourth_subsidy_in_a_year_is_refused_third_is_paid(evaluator):
    prior = [
        {
            "program": "vocational_training",
            "occupation": f"工种{i}",
            "level": "初级",
            "date": f"2020-0{i + 1}-01",
            "amount": Decimal(1000),
        }
        for i in range(3)
    ]
    d = decide(evaluator, person(history=prior[:2]), "vocational_training")
    assert d.outcome == "eligible"
    d = decide(evaluator, person(history=prior), "vocational_training")
    assert d.outcome == "ineligible" and d.failing == ["yearly_limit"]


def test_same_occupation_same_level_never_twice(evaluator):
    prior = [
        {
            "program": "vocational_training",
            "occupation": "焊工",
            "level": "中级",
            "date": "2019-05-01",
            "amount": Decimal(1500),
        }
    ]
    d = decide(evaluator, person(history=prior), "vocational_training")
    assert d.failing == ["not_repeated"]
    prior[0]["level"] = "初级"
    assert decide(evaluator, person(history=prior), "vocational_training").outcome == "eligible"


def test_pension_excludes(evaluator):
    d = decide(evaluator, person(applicant__pension_eligible=True), "vocational_training")
    assert d.outcome == "ineligible" and "no_monthly_pension" in d.failing


def test_missing_facts_make_undetermined_and_are_named(evaluator):
    d = decide(evaluator, person(applicant__insured_months=None), "skill_upgrade")
    assert d.outcome == "undetermined"
    assert d.missing == ["applicant.insured_months"]
    assert d.amount is None


@pytest.mark.parametrize(
    "months, outcome", [(11, "ineligible"), (12, "eligible"), (13, "eligible")]
)
def test_skill_upgrade_twelve_months_boundary(evaluator, months, outcome):
    d = decide(evaluator, person(applicant__insured_months=Decimal(months)), "skill_upgrade")
    assert d.outcome == outcome
    assert money(d.amount) == ("1500.00" if outcome == "eligible" else None)


def test_project_training_sixty_percent_then_balance(evaluator):
    base = person(
        training__project_based=True,
        training__end_date="2020-05-30",
        project={
            "level": "中级",
            "subsidy_total": Decimal("7333"),
            "employment_rate": Decimal("0.85"),
        },
    )
    d = decide(evaluator, base, "project_training")
    assert d.outcome == "eligible"
    assert [(i.installment.id, money(i.amount), i.status) for i in d.installments] == [
        ("advance", "4399.80", "payable"),
        ("balance", "2933.20", "payable"),
    ]
    assert money(d.amount) == "7333.00"
    base["project"]["employment_rate"] = Decimal("0.8499")
    d = decide(evaluator, base, "project_training")
    assert money(d.amount) == "4399.80"
    assert d.installments[1].status == "refused"
    del base["project"]["employment_rate"]
    d = decide(evaluator, base, "project_training")
    assert money(d.amount) == "4399.80"
    assert d.installments[1].status == "pending"
    assert d.installments[1].missing == ("project.employment_rate",)


@pytest.mark.parametrize(
    "days, amount", [(1, "50.00"), (9, "450.00"), (10, "500.00"), (11, "500.00"), (30, "500.00")]
)
def test_living_allowance_fifty_a_day_capped_at_500(evaluator, days, amount):
    case = person(
        applicant__poverty_registered=True,
        training__project_based=True,
        training__free=True,
        training__days=Decimal(days),
    )
    d = decide(evaluator, case, "living_allowance")
    assert (d.outcome, money(d.amount)) == ("eligible", amount)


def test_pre_job_special_ability_certificate_at_junior_standard(evaluator):
    case = person(
        applicant__newly_hired=True,
        training__kind="岗前培训",
        certificate__kind="专项职业能力证书",
        certificate__level=None,
    )
    d = decide(evaluator, case, "pre_job_training")
    assert (d.outcome, money(d.amount)) == ("eligible", "1000.00")


@pytest.mark.parametrize(
    "prior, level, amount", [("高级", "技师", "2000.00"), ("技师", "高级技师", "5000.00")]
)
def test_technician_training(evaluator, prior, level, amount):
    case = person(applicant__prior_level=prior, training__kind="技师培训", certificate__level=level)
    d = decide(evaluator, case, "technician_training")
    assert (d.outcome, money(d.amount)) == ("eligible", amount)


@pytest.mark.parametrize(
    "fee, amount",
    [
        ("7333", "4399.80"),
        ("5000", "3000.00"),
        ("10000", "6000.00"),
        ("12000", "6000.00"),
        ("7333.33", "4400.00"),
    ],
)
def test_apprenticeship_sixty_percent_of_fee_capped(evaluator, fee, amount):
    case = person(
        training__kind="企业新型学徒制",
        apprenticeship={
            "fee_paid": Decimal(fee),
            "invoice": True,
            "start_date": "2019-09-01",
            "end_date": "2020-08-31",
        },
    )
    d = decide(evaluator, case, "apprenticeship")
    assert (d.outcome, money(d.amount)) == ("eligible", amount)


def test_apprenticeship_longer_than_two_years(evaluator):
    case = person(
        training__kind="企业新型学徒制",
        apprenticeship={
            "fee_paid": Decimal(8000),
            "invoice": True,
            "start_date": "2019-01-01",
            "end_date": "2021-06-30",
        },
    )
    d = decide(evaluator, case, "apprenticeship")
    assert d.failing == ["period_within_2_years"]


def test_explanation_records_values_standard_and_citation(evaluator, bundled_policy):
    from interpreter.render import decision_json

    d = decide(evaluator, person(), "skill_upgrade")
    out = decision_json(bundled_policy, d)
    insured = next(c for c in out["clauses"] if c["id"] == "insured_12_months")
    assert insured["result"] is True
    assert insured["values"] == {"applicant.insured_months": "20"}
    used = {(s["id"], s["key"]): (s["value"], s["from"]) for s in out["standards"]}
    assert used[("skill_upgrade", "中级")] == ("1500.00", "2019-01-01")
    assert any("技能提升补贴" in (c["quote"] or "") for c in out["citations"])


def test_as_of_outside_period_is_refused(evaluator):
    d = decide(evaluator, person(application__date="2022-01-05"), "skill_upgrade")
    assert d.outcome == "ineligible" and d.failing == ["in_force"]


def test_decision_date_missing_is_undetermined(evaluator):
    case = person(application__date=None, certificate__date=None)
    d = decide(evaluator, case, "skill_upgrade")
    assert d.outcome == "undetermined"
    # the decision date falls back to the certificate date: that is what to supply
    assert "certificate.date" in d.missing


def test_labelled_lets_explained_as_the_closures_compute_them(bundled_policy):
    """The labelled lets an explanation shows are computed after the decision
    by the program's own generated function (not a second one): for every
    example, the values the reference closures give, and the standards they
    read among the decision's."""
    from dsl import Context, EvaluationError
    from interpreter.cases import parse_json_text
    from interpreter.evaluate import Evaluator
    from tests.helpers import ROOT

    ev = Evaluator(bundled_policy)
    env = bundled_policy.env
    shown = 0
    for path in sorted((ROOT / "examples").glob("*.json")):
        case = parse_json_text(path.read_text(encoding="utf-8"), path.name)
        result = ev.decide(case)
        facts = ev.reader.convert(case, path.name)
        standards, _versions = ev._standards_at(result.as_of)
        for d in result.decisions:
            lets = {x.id: x.rule.expression.fn for x in d.program.lets}
            ctx = Context(facts, result.as_of, standards, bundled_policy.catalog_values)
            labelled = [x for x in d.program.lets if x.label is not None]
            try:
                want = {x.id: env.compile_node(x.rule.expression.node, lets)(ctx) for x in labelled}
            except EvaluationError:
                want = {}
            assert dict(d.lets) == want, (path.name, d.program.id)
            shown += len(d.lets)
            ids = {s.id for s in d.standards}
            for x in labelled:
                assert set(x.rule.expression.check.standards) <= ids, (path.name, x.id)
    assert shown >= 3  # the apprenticeship examples show theirs


def test_a_labelled_let_that_fails_leaves_the_decision_and_shows_no_lets(policy_copy):
    """A labelled let that cannot be computed for a case (here a division by
    zero) is not shown, nor are the others; the decision stands."""
    from interpreter.cases import parse_json_text
    from interpreter.evaluate import Evaluator
    from tests.helpers import ROOT, load_policy

    prog = policy_copy / "programs" / "apprenticeship.yaml"
    text = prog.read_text(encoding="utf-8")
    anchor = "  - id: months_claimed\n"
    assert anchor in text
    text = text.replace(
        anchor,
        "  - id: per_yuan_over\n"
        "    expr: apprenticeship.fee_paid / (apprenticeship.fee_paid - 7333)\n"
        "    label: 测试\n"
        "    label_en: a test\n" + anchor,
    )
    prog.write_text(text, encoding="utf-8")
    ev = Evaluator(load_policy(policy_copy))
    text = (ROOT / "examples" / "apprenticeship_typical.json").read_text("utf-8")
    case = parse_json_text(text, "apprenticeship_typical.json")
    d = ev.decide(case).decisions[0]
    assert d.outcome == "eligible" and d.amount == Decimal("4399.80")
    assert dict(d.lets) == {}
    case["apprenticeship"]["fee_paid"] = Decimal(7334)
    d = ev.decide(case).decisions[0]
    assert d.outcome == "eligible" and d.lets["per_yuan_over"] == 7334
    assert set(d.lets) == {"share_of_fee", "below_usual_range", "months_claimed", "per_yuan_over"}
