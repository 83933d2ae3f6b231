"""Revisions as data: a revised standard and a new program, no code change."""

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cli import cli
from dsl.errors import ErrorList
from interpreter.evaluate import Evaluator
from interpreter.render import money
from tests.helpers import ROOT, load_policy

RAISE = ROOT / "examples" / "revisions" / "raise-junior-2021.yaml"
SAFETY = ROOT / "examples" / "revisions" / "new-program-safety.yaml"


def junior_case(date):
    return {
        "applicant": {"id": "370405199001011237", "pension_eligible": False},
        "training": {
            "in_district": True,
            "kind": "就业技能培训",
            "project_based": False,
            "course": "ZD-006",
            "institution": "JG-002",
            "start_date": "2020-04-01",
            "end_date": "2020-05-20",
        },
        "certificate": {
            "kind": "职业技能等级证书",
            "level": "初级",
            "occupation": "电工",
            "date": date,
        },
        "history": [],
        "application": {"date": date, "programs": ["vocational_training"]},
    }


@pytest.fixture(scope="module")
def revised():
    return Evaluator(load_policy(revisions=[RAISE]))


@pytest.mark.parametrize(
    "date, amount",
    [
        ("2020-12-15", "1000.00"),
        ("2020-12-31", "1000.00"),
        ("2021-01-01", "1200.00"),
        ("2021-02-01", "1200.00"),
    ],
)
def test_raised_junior_standard_applies_from_its_date(revised, date, amount):
    (d,) = revised.decide(junior_case(date)).decisions
    assert (d.outcome, money(d.amount)) == ("eligible", amount)
    (use,) = [s for s in d.standards if s.id == "vocational_training"]
    if amount == "1200.00":
        assert use.revision == "台人社字〔2020〕示例1号（示例）"
        assert str(use.start) == "2021-01-01"
        assert use.source.endswith("raise-junior-2021.yaml")
    else:
        assert use.revision is None


def test_base_policy_unchanged_without_the_revision(evaluator):
    (d,) = evaluator.decide(junior_case("2021-02-01")).decisions
    assert money(d.amount) == "1000.00"


def test_new_program_with_new_fact_end_to_end(tmp_path):
    case = {
        "applicant": {"industry": "矿山", "insured_months": 6},
        "certificate": {"kind": "特种作业操作证书", "date": "2021-03-01"},
        "application": {"date": "2021-03-10", "programs": ["safety_training"]},
    }
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", str(f), "--revision", str(SAFETY), "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert [x["id"] for x in data["policy"]["revisions"]] == ["sample-safety-training-2021"]
    (d,) = data["decisions"]
    assert (d["program"], d["outcome"], d["amount"]) == ("safety_training", "eligible", "800.00")
    assert d["citations"][0]["document"] == "台人社字〔2021〕示例2号（示例）"
    # the new fact is validated like any other
    case["applicant"]["industry"] = "化肥"
    f.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", str(f), "--revision", str(SAFETY)])
    assert r.exit_code == 2 and "applicant.industry" in r.output
    # before the notice took effect, the new program refuses
    case["applicant"]["industry"] = "化工"
    case["application"]["date"] = "2021-01-20"
    f.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", str(f), "--revision", str(SAFETY), "--format", "json"])
    (d,) = json.loads(r.output)["decisions"]
    assert d["failing"] == ["in_force"]


def test_revision_in_policy_folder_is_loaded_automatically(policy_copy):
    (policy_copy / "revisions").mkdir()
    (policy_copy / "revisions" / "r1.yaml").write_text(
        RAISE.read_text(encoding="utf-8"), encoding="utf-8"
    )
    ev = Evaluator(load_policy(policy_copy))
    (d,) = ev.decide(junior_case("2021-02-01")).decisions
    assert d.amount == Decimal("1200")


def test_revisions_apply_in_order_of_issue_date(tmp_path):
    later = tmp_path / "later.yaml"
    later.write_text(
        RAISE.read_text(encoding="utf-8")
        .replace("issued: 2020-12-20", "issued: 2021-03-01")
        .replace("id: sample-raise-junior-2021", "id: later")
        .replace("初级: 1200", "初级: 1300")
        # a value from the same date is replaced explicitly, and
        # the later revision's text is its own
        .replace("add_standard_value", "replace_standard_value")
        .replace("示例1号-一", "示例9号-一"),
        encoding="utf-8",
    )
    ev = Evaluator(load_policy(revisions=[later, RAISE]))
    (d,) = ev.decide(junior_case("2021-02-01")).decisions
    assert money(d.amount) == "1300.00"
    assert [r["id"] for r in ev.policy.revisions] == ["sample-raise-junior-2021", "later"]


def test_revision_for_another_policy_is_refused(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(
        RAISE.read_text(encoding="utf-8").replace(
            "amends: taierzhuang-2020-4", "amends: somewhere-else"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ErrorList) as exc:
        load_policy(revisions=[other])
    assert "amends 'somewhere-else'" in exc.value.render()


def test_bad_revision_reports_file_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        RAISE.read_text(encoding="utf-8").replace("初级: 1200", "初纪: 1200"), encoding="utf-8"
    )
    with pytest.raises(ErrorList) as exc:
        load_policy(revisions=[bad])
    text = exc.value.render()
    assert f"{bad}:20:19" in text and "'初纪' is not a value of enum standard_key" in text


def test_replay_a_stored_decision(tmp_path, policy_copy):
    examples = ROOT / "examples"
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(examples / "apprenticeship_typical.json"),
            "--policy",
            str(policy_copy),
            "--format",
            "json",
        ],
    )
    stored = tmp_path / "decision.json"
    stored.write_text(r.output, encoding="utf-8")
    data = json.loads(r.output)
    assert data["case"]["facts"]["apprenticeship"]["fee_paid"] == "7333"

    r = CliRunner().invoke(cli, ["eval", "--replay", str(stored), "--policy", str(policy_copy)])
    assert r.exit_code == 0, r.output
    assert r.output.strip().endswith("the decision still holds")

    # the cap is lowered: the stored decision no longer holds, and the file is named
    std = policy_copy / "standards.yaml"
    text = std.read_text(encoding="utf-8")
    assert "value: 6000" in text
    std.write_text(text.replace("value: 6000", "value: 4000"), encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", "--replay", str(stored), "--policy", str(policy_copy)])
    assert r.exit_code == 1
    assert "policy file changed since the decision: policy/standards.yaml" in r.output
    assert "differs: apprenticeship: amount stored '4399.80', now '4000.00'" in r.output


def test_replay_refuses_a_file_that_is_not_a_decision(tmp_path):
    f = tmp_path / "x.json"
    f.write_text('{"applicant": {}}', encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", "--replay", str(f)])
    assert r.exit_code == 2 and "not a stored decision" in r.output


def test_quoted_dates_in_a_revision_and_the_document_are_read_as_dates(tmp_path, policy_copy):
    """issued: '2021-02-01' (a date in quotes) was exit 3; it is the date it says."""
    quoted = tmp_path / "quoted.yaml"
    text = RAISE.read_text(encoding="utf-8")
    assert "issued: 2020-12-20" in text and "from: 2021-01-01" in text
    quoted.write_text(
        text.replace("issued: 2020-12-20", "issued: '2020-12-20'").replace(
            "from: 2021-01-01", 'from: "2021-01-01"'
        ),
        encoding="utf-8",
    )
    doc = policy_copy / "document.yaml"
    doc.write_text(
        doc.read_text(encoding="utf-8").replace("issued: 2020-03-23", "issued: '2020-03-23'"),
        encoding="utf-8",
    )
    policy = load_policy(policy_copy, revisions=[quoted])
    assert policy.document.issued.isoformat() == "2020-03-23"
    (d,) = Evaluator(policy).decide(junior_case("2021-02-01")).decisions
    assert money(d.amount) == "1200.00"
    r = CliRunner().invoke(
        cli,
        [
            "eval",
            str(ROOT / "examples" / "vocational_training_special_ability.json"),
            "--policy",
            str(policy_copy),
            "--revision",
            str(quoted),
            "--as-of",
            "2021-02-01",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["policy"]["revisions"][0]["issued"] == "2020-12-20"


def test_a_revision_supersedes_the_earlier_value_from_its_start_explicitly():
    """The revised 初级 value wins from 2021-01-01; the earlier one is shown
    with the period it really had (until 2020-12-31), not open-ended."""
    policy = load_policy(revisions=[RAISE])
    versions = policy.standards["vocational_training"].versions
    assert [(v.start.isoformat(), v.until.isoformat() if v.until else None) for v in versions] == [
        ("2019-01-01", "2020-12-31"),
        ("2021-01-01", None),
    ]
    (d,) = Evaluator(policy).decide(junior_case("2020-12-15"), explain=True).decisions
    (used,) = [s for s in d.standards if s.id == "vocational_training"]
    assert (used.value, used.until.isoformat()) == (Decimal("1000"), "2020-12-31")
