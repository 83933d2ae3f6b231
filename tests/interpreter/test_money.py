"""Money to the fen, always (issue 13, point 4): every amount is rounded as
the policy declares (document.yaml `money`, or a program's `round`), a cap,
floor or approved total is applied after rounding, installments never add up
to more than the amount, money in a case or a standard is no finer than it is
paid, and every amount in the JSON output has exactly two decimals."""

import copy
from decimal import Decimal

import pytest

from dsl.errors import CaseError, ErrorList
from interpreter.cases import parse_json_text
from interpreter.evaluate import Evaluator
from interpreter.render import result_json
from tests.helpers import ROOT, load_policy


def example(name):
    return parse_json_text((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"), name)


def decide(policy, case, program):
    (d,) = Evaluator(policy).decide(case, programs=[program]).decisions
    return d


@pytest.mark.parametrize(
    "name, field, value",
    [
        # the living allowance came out as 366.6666666666666666666666667 and 0.0050
        (
            "living_allowance_capped",
            ("history",),
            [
                {
                    "program": "living_allowance",
                    "date": "2020-05-01",
                    "amount": Decimal("133.3333333"),
                }
            ],
        ),
        (
            "living_allowance_capped",
            ("history",),
            [{"program": "living_allowance", "date": "2020-05-01", "amount": Decimal("499.995")}],
        ),
        # 60% of an approved total of 60000.006 rounded to 60000.01, above the total
        ("project_training_full_payment", ("project", "subsidy_total"), Decimal("60000.006")),
        ("apprenticeship_typical", ("apprenticeship", "fee_paid"), Decimal("7333.333")),
    ],
)
def test_money_finer_than_the_fen_is_refused(evaluator, name, field, value):
    case = example(name)
    node = case
    for p in field[:-1]:
        node = node[p]
    node[field[-1]] = value
    with pytest.raises(CaseError) as err:
        evaluator.decide(case)
    assert "finer than money is paid: at most 2 decimal places" in err.value.message


def test_the_bundled_policy_declares_its_money(bundled_policy):
    assert (bundled_policy.document.money.places, bundled_policy.document.money.rounding) == (
        2,
        "half_up",
    )


def _copy_with(policy_copy, path, old, new):
    f = policy_copy / path
    text = f.read_text(encoding="utf-8")
    assert old in text, (path, old)
    f.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rounding_as_declared_then_the_cap(policy_copy):
    """7333.33 × 60% = 4399.998: half up 4400.00; with the document's rounding
    `down`, 4399.99; with the program's own `round: up`, 4400.00 again.
    10000.01 × 60% = 6000.006 rounds to 6000.01 and the cap then holds it to
    6000.00 (rounding never lifts an amount over its cap)."""
    case = example("apprenticeship_typical")
    case["apprenticeship"]["fee_paid"] = Decimal("7333.33")
    policy = load_policy(policy_copy)
    assert decide(policy, case, "apprenticeship").amount == Decimal("4400.00")
    capped = copy.deepcopy(case)
    capped["apprenticeship"]["fee_paid"] = Decimal("10000.01")
    d = decide(policy, capped, "apprenticeship")
    assert (d.amount, d.capped_at, d.formula_amount) == (
        Decimal("6000"),
        Decimal("6000"),
        Decimal("6000.01"),
    )
    _copy_with(
        policy_copy,
        "document.yaml",
        "money: {places: 2, rounding: half_up}",
        "money: {places: 2, rounding: down}",
    )
    policy = load_policy(policy_copy)
    assert decide(policy, case, "apprenticeship").amount == Decimal("4399.99")
    _copy_with(policy_copy, "programs/apprenticeship.yaml", "round: true", "round: up")
    assert decide(load_policy(policy_copy), case, "apprenticeship").amount == Decimal("4400.00")


def test_installments_never_add_up_to_more_than_the_amount(policy_copy):
    """Two halves of 0.03 both round up to 0.02: the second is held to 0.01."""
    _copy_with(
        policy_copy,
        "standards.yaml",
        "{from: 2019-01-01, value: 0.6}",
        "{from: 2019-01-01, value: 0.5}",
    )
    case = example("project_training_full_payment")
    case["project"]["subsidy_total"] = Decimal("0.03")
    d = decide(load_policy(policy_copy), case, "project_training")
    assert [i.amount for i in d.installments] == [Decimal("0.02"), Decimal("0.01")]
    assert d.amount == Decimal("0.03")


def test_a_floor_is_applied_after_rounding_and_never_above_the_cap(policy_copy):
    _copy_with(
        policy_copy,
        "programs/apprenticeship.yaml",
        "  cap: standards.apprenticeship_cap",
        "  cap: standards.apprenticeship_cap\n  floor: standards.apprenticeship_usual_min",
    )
    policy = load_policy(policy_copy)
    case = example("apprenticeship_typical")
    case["apprenticeship"]["fee_paid"] = Decimal("5000")
    d = decide(policy, case, "apprenticeship")
    assert (d.amount, d.floored_at, d.formula_amount) == (
        Decimal("4000"),
        Decimal("4000"),
        Decimal("3000.00"),
    )
    res = Evaluator(policy).decide(case, programs=["apprenticeship"])
    out = result_json(policy, res)["decisions"][0]
    assert (out["amount"], out["floored_at"], out["formula_amount"]) == (
        "4000.00",
        "4000.00",
        "3000.00",
    )


def test_a_money_standard_finer_than_the_fen_is_an_error(policy_copy):
    _copy_with(
        policy_copy,
        "standards.yaml",
        "{from: 2019-01-01, value: 50}",
        "{from: 2019-01-01, value: 50.005}",
    )
    with pytest.raises(ErrorList) as err:
        load_policy(policy_copy)
    assert "50.005 has more decimal places than money is paid in (2" in err.value.render()


def test_every_amount_in_json_has_two_decimals(bundled_policy, evaluator):
    case = example("apprenticeship_typical")
    out = result_json(bundled_policy, evaluator.decide(case, programs=["apprenticeship"]))
    (d,) = out["decisions"]
    assert d["amount"] == "4399.80"
    assert d["computed"]["share_of_fee"]["value"] == "4399.80"
    assert {s["id"]: s["value"] for s in d["standards"]}["apprenticeship_cap"] == "6000.00"
    assert {s["id"]: s["value"] for s in d["standards"]}["apprenticeship_share"] == "0.6"


@pytest.mark.parametrize("rounding", ["half_up", "half_even", "down", "up"])
def test_an_amount_alone_is_rounded_as_the_amount_rules_round_it(rounding):
    """A program whose amount has no cap, floor or installments is rounded
    by ``Evaluator._decision`` in place; it gives what ``_amount`` gives (the
    path of every other amount) for every rounding mode: the same amount to
    its last digit and sign, the same refusal of a negative amount or one
    that cannot be rounded, the same undetermined decision for an unknown."""
    from dsl import Unknown
    from dsl.errors import EvaluationError
    from dsl.values import NONE
    from interpreter.decision import ELIGIBLE, Decision

    policy = load_policy()
    program = policy.programs["vocational_training"]
    a = program.amount
    assert a.cap is None and a.floor is None and not a.installments
    a.rounding = rounding  # this policy object only (load_policy makes a new one)
    ev = Evaluator(policy)
    values = (True,) * len(program.clauses)
    amounts = [
        *(Decimal(t) for t in ("1500", "0", "-0", "1.005", "2.675", "0.125", "-0.001")),
        *(Decimal(t) for t in ("123.455", "999999.995", "1E+2", "1E+30", "-1", "3.14159")),
        Unknown(("certificate.level",)),
        NONE,
    ]
    for value in amounts:
        try:
            want = Decision(program, ELIGIBLE, None, values, [])
            ev._amount(program, want, (value, None, None, ()))
            expected = (want.outcome, str(want.amount), want.missing, want.formula_amount)
        except EvaluationError as exc:
            expected = ("error", exc.message)
        try:
            got = ev._decision(program, values, (value,))
            seen = (got.outcome, str(got.amount), got.missing, got.formula_amount)
        except EvaluationError as exc:
            seen = ("error", exc.message)
        assert seen == expected, value
    assert ev._plain_amounts == {program.id: (Decimal("0.01"), ev._plain_amounts[program.id][1])}
