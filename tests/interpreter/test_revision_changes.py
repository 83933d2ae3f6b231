"""Revisions amend any part of a policy, each change explicit (issue 15
point 3): adding what exists or replacing what does not is an error at
file:line:col with a "did you mean"; a changed value cites the revision's
own text and decisions show it. The examples of docs/policy-format.md run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsl.errors import ErrorList, PolicyError
from interpreter.evaluate import Evaluator
from interpreter.loader import load_policy
from interpreter.render import result_json
from tests.helpers import ROOT, squashed

NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"
DOCS = (ROOT / "docs" / "policy-format.md").read_text(encoding="utf-8")
HEAD = """revision:
  id: test-change
  number: 测试〔2021〕1号
  issued: 2021-06-01
  amends: {amends}
clauses:
  - id: 测试-一
    text: 本通知所列调整自2021年6月1日起施行。
"""


def revision(tmp_path, body: str, amends="taierzhuang-2020-4", name="r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD.format(amends=amends) + body, encoding="utf-8")
    return path


def load(*revs, root=None):
    return load_policy(root, revisions=[str(r) for r in revs])


def errors_of(*revs, root=None) -> str:
    with pytest.raises(PolicyError) as info:
        load(*revs, root=root)
    err = info.value
    return "\n".join(e.render() for e in (err.errors if isinstance(err, ErrorList) else [err]))


def decide(policy, case: dict, program: str, as_of=None):
    from decimal import Decimal

    case = json.loads(json.dumps(case), parse_int=Decimal, parse_float=Decimal)
    res = Evaluator(policy).decide(case, programs=[program], as_of=as_of)
    return result_json(policy, res)["decisions"][0]


SKILL = {
    "applicant": {"id": "37040519870228441X", "enterprise_employee": True, "insured_months": 20},
    "certificate": {
        "kind": "职业资格证书",
        "level": "高级",
        "occupation": "维修电工",
        "date": "2021-06-18",
    },
    "application": {"date": "2021-07-09", "programs": ["skill_upgrade"]},
}


# -- every operation, applied ----------------------------------------------------------


def test_standard_value_cites_the_revisions_own_text(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - add_standard_value:
      standard: skill_upgrade_min_months
      from: 2021-06-01
      value: 24
      cite: [{clause: 测试-一, quote: 自2021年6月1日起施行}]
""",
    )
    policy = load(r)
    d = decide(policy, SKILL, "skill_upgrade")
    assert (d["outcome"], d["failing"]) == ("ineligible", ["insured_12_months"])
    std = next(s for s in d["standards"] if s["id"] == "skill_upgrade_min_months")
    assert (std["value"], std["from"], std["revision"]) == ("24", "2021-06-01", "测试〔2021〕1号")
    assert std["cite"] == [
        {
            "clause": "测试-一",
            "document": "测试〔2021〕1号",
            "title": None,
            "quote": "自2021年6月1日起施行",
        }
    ]
    before = decide(policy, SKILL, "skill_upgrade", as_of=__import__("datetime").date(2021, 5, 1))
    assert before["outcome"] == "eligible"


def test_replace_standard_value_takes_the_place_of_the_old(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - replace_standard_value:
      standard: skill_upgrade_min_months
      from: 2019-01-01
      value: 6
""",
    )
    policy = load(r)
    case = json.loads(json.dumps(SKILL))
    case["applicant"]["insured_months"] = 7
    assert decide(policy, case, "skill_upgrade")["outcome"] == "eligible"
    assert len(policy.standards["skill_upgrade_min_months"].versions) == 1


def test_add_and_replace_clause(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - replace_clause:
      program: skill_upgrade
      clause:
        id: insured_12_months
        expr: applicant.insured_months >= 24
        cite: [{clause: 测试-一}]
        explain: {zh: 累计缴费24个月以上, en: at least 24 months}
  - add_clause:
      program: skill_upgrade
      clause:
        id: senior_only
        expr: 'certificate.level == "高级"'
        cite: [{clause: 测试-一}]
        explain: {zh: 仅限高级, en: senior level only}
""",
    )
    policy = load(r)
    d = decide(policy, SKILL, "skill_upgrade")
    assert d["failing"] == ["insured_12_months"]
    clause = next(c for c in d["clauses"] if c["id"] == "insured_12_months")
    assert clause["cite"][0]["document"] == "测试〔2021〕1号"
    assert "senior_only" in [c["id"] for c in d["clauses"]]


def test_document_parts_targets_real_name_checks_decision_date(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - add_target:
      id: year_2021
      label: 2021年培训4000人次
      year: 2021
      person_times: 4000
  - replace_target:
      id: year_2019
      label: 2019年培训3000人次
      year: 2019
      person_times: 3000
  - replace_real_name_check:
      id: three_per_year
      label: 每人每年不超过2次职业培训补贴
      person: applicant.id
      programs: [vocational_training]
      max: 2
      per: year
  - replace_decision_date: application.date
""",
    )
    policy = load(r)
    targets = {t["id"]: t["person_times"] for t in policy.document.raw["targets"]}
    assert targets == {"total_2019_2021": 10000, "year_2019": 3000, "year_2021": 4000}
    assert {c.id: c.max for c in policy.real_name_checks}["three_per_year"] == 2
    case = json.loads(json.dumps(SKILL))
    del case["application"]["date"]
    from decimal import Decimal

    case = json.loads(json.dumps(case), parse_int=Decimal, parse_float=Decimal)
    res = Evaluator(policy).decide(case, programs=["skill_upgrade"])
    assert res.as_of is None and "application.date" in res.as_of_missing


def test_facts_enums_definitions_program(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - add_enum:
      enum: industry
      label: 行业
      values: [化工, 矿山, 其他]
  - add_enum_values:
      enum: program
      values: [safety_training]
  - add_fact:
      path: applicant.industry
      fact: {type: enum, enum: industry, label: 所在行业}
  - add_definition:
      id: high_risk
      expr: 'applicant.industry in ["化工", "矿山"]'
  - add_program:
      id: safety_training
      title: 安全技能培训补贴（测试）
      title_en: Safety training subsidy (test)
      cite: [{clause: 测试-一}]
      payee: {zh: 个人, en: the worker}
      responsible: [区人力资源社会保障局]
      clauses:
        - id: high_risk
          expr: high_risk
          cite: [{clause: 测试-一}]
          explain: {zh: 高危行业, en: high-risk industry}
      amount:
        expr: 800
        explain: {zh: 每人800元, en: 800 yuan}
""",
    )
    policy = load(r)
    case = {
        "applicant": {"industry": "矿山"},
        "application": {"date": "2021-07-01", "programs": ["safety_training"]},
    }
    d = decide(policy, case, "safety_training")
    assert (d["outcome"], d["amount"]) == ("eligible", "800.00")
    assert policy.programs["safety_training"].revision == "测试〔2021〕1号"


def test_catalogue_entries_of_a_declared_catalogue(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - add_catalogue_entry:
      catalogue: occupations
      entry: {code: GJ-009, name: 无人机驾驶员, levels: [初级], from: 2021-06-01}
  - replace_catalogue_entry:
      catalogue: occupations
      entry: {code: GJ-004, name: 家政服务员, levels: [初级, 中级], from: 2019-06-01}
""",
        amends="guobanfa-2019-24",
    )
    policy = load(r, root=NATIONAL)
    rows = {e["code"]: e for e in policy.catalog_values["occupations"]}
    assert rows["GJ-009"]["name"] == "无人机驾驶员"
    assert rows["GJ-004"]["levels"] == ["初级", "中级"]
    assert str(rows["GJ-004"]["until"]) == "9999-12-31"


# -- errors: adding what exists, replacing what does not ---------------------------------


@pytest.mark.parametrize(
    "body, message, hint",
    [
        (
            (
                "  - replace_program: {id: skill_upgrde, title: x, title_en: x, payee: {zh: x, en: x}, "
                "responsible: [x], clauses: [{id: a, expr: 'true', explain: {zh: x, en: x}}], "
                "amount: {expr: 1, explain: {zh: x, en: x}}}\n"
            ),
            "no program 'skill_upgrde' to replace",
            "did you mean 'skill_upgrade'?",
        ),
        (
            (
                "  - add_program: {id: skill_upgrade, title: x, title_en: x, payee: {zh: x, en: x}, "
                "responsible: [x], clauses: [{id: a, expr: 'true', explain: {zh: x, en: x}}], "
                "amount: {expr: 1, explain: {zh: x, en: x}}}\n"
            ),
            "there is already a program 'skill_upgrade'",
            "write replace_program",
        ),
        (
            "  - add_standard_value: {standard: skill_upgrade_min_month, from: 2021-06-01, value: 24}\n",
            "no standard 'skill_upgrade_min_month'",
            "did you mean 'skill_upgrade_min_months'?",
        ),
        (
            "  - add_standard_value: {standard: skill_upgrade_min_months, from: 2019-01-01, value: 24}\n",
            "standard skill_upgrade_min_months already has a value from 2019-01-01",
            "write replace_standard_value",
        ),
        (
            "  - replace_standard_value: {standard: skill_upgrade_min_months, from: 2020-01-01, value: 2}\n",
            "has no value from 2020-01-01 to replace",
            "write add_standard_value",
        ),
        (
            "  - add_standard: {id: skill_upgrade, type: money, label: x, values: [{from: 2021-01-01, value: 1}]}\n",
            "the standard 'skill_upgrade' already exists",
            "add_standard_value",
        ),
        (
            (
                "  - replace_clause: {program: skill_upgrade, clause: {id: insured_12_month, expr: 'true', "
                "explain: {zh: x, en: x}}}\n"
            ),
            "program skill_upgrade has no clause 'insured_12_month'",
            "did you mean 'insured_12_months'?",
        ),
        (
            (
                "  - add_clause: {program: skill_upgrade, clause: {id: insured_12_months, expr: 'true', "
                "explain: {zh: x, en: x}}}\n"
            ),
            "program skill_upgrade already has a clause 'insured_12_months'",
            "write replace_clause",
        ),
        (
            (
                "  - add_clause: {program: skil_upgrade, clause: {id: x, expr: 'true', "
                "explain: {zh: x, en: x}}}\n"
            ),
            "no program 'skil_upgrade'",
            "did you mean 'skill_upgrade'?",
        ),
        (
            "  - add_fact: {path: applicant.insured_months, fact: {type: number}}\n",
            "the fact applicant.insured_months is already declared",
            "write replace_fact",
        ),
        (
            "  - replace_fact: {path: applicant.insured_month, fact: {type: number}}\n",
            "no fact applicant.insured_month to replace",
            "did you mean 'insured_months'?",
        ),
        (
            "  - add_fact: {path: aplicant.industry, fact: {type: string}}\n",
            "no record fact 'aplicant'",
            "did you mean 'applicant'?",
        ),
        (
            "  - add_enum_values: {enum: levle, values: [特级]}\n",
            "no enum 'levle'",
            "did you mean 'level'?",
        ),
        (
            "  - add_enum_values: {enum: level, values: [高级]}\n",
            "'高级' is already a value of enum level",
            None,
        ),
        (
            "  - replace_definition: {id: in_forse, expr: 'true'}\n",
            "no definition 'in_forse' to replace",
            "did you mean 'in_force'?",
        ),
        (
            "  - add_definition: {id: in_force, expr: 'true'}\n",
            "there is already a definition 'in_force'",
            "write replace_definition",
        ),
        (
            "  - replace_target: {id: year_2091, label: x, year: 2019, person_times: 1}\n",
            "no target 'year_2091' to replace",
            "did you mean 'year_2019'?",
        ),
        (
            "  - add_real_name_check: {id: three_per_year, person: applicant.id, programs: [vocational_training]}\n",
            "there is already a real-name-check 'three_per_year'",
            "write replace_real_name_check",
        ),
        (
            "  - add_catalogue_entry: {catalogue: institution, entry: {code: x}}\n",
            "no catalogue 'institution' in catalogs.yaml",
            "institutions",
        ),
        (
            "  - replace_programme: {id: x}\n",
            "no change 'replace_programme'",
            "did you mean 'replace_program'?",
        ),
    ],
)
def test_a_wrong_change_is_an_error_at_its_line(tmp_path, body, message, hint):
    r = revision(tmp_path, "changes:\n" + body)
    out = errors_of(r)
    assert f"{r}:10:" in out, out
    assert message in out, out
    if hint:
        assert hint in out, out


def test_catalogue_entry_errors(tmp_path):
    r = revision(
        tmp_path,
        """changes:
  - add_catalogue_entry:
      catalogue: occupations
      entry: {code: GJ-001, name: 电工, levels: [初级], from: 2021-06-01}
  - replace_catalogue_entry:
      catalogue: occupations
      entry: {code: GJ-010, name: 电工, levels: [初级], from: 2021-06-01}
  - add_catalogue_entry:
      catalogue: occupation
      entry: {code: GJ-011, name: 电工, levels: [特级], from: 2021-06-01}
""",
        amends="guobanfa-2019-24",
    )
    out = errors_of(r, root=NATIONAL)
    assert "catalogue occupations already has the entry code=GJ-001" in out
    assert "catalogue occupations has no entry code=GJ-010 to replace" in out
    assert (
        "no catalogue 'occupation' in catalogs.yaml" in out and "did you mean 'occupations'?" in out
    )


def test_a_misspelt_standard_in_the_older_form_is_an_error(tmp_path):
    r = revision(
        tmp_path,
        """standards:
  skill_upgrade_min_month:
    values:
      - {from: 2021-06-01, value: 24}
""",
    )
    out = errors_of(r)
    assert "no standard 'skill_upgrade_min_month'" in out
    assert "did you mean 'skill_upgrade_min_months'?" in out


# -- the documented examples run -------------------------------------------------------


def test_the_revision_examples_of_the_docs_load_and_apply(tmp_path):
    blocks = re.findall(r"```yaml revision\n(.*?)```", DOCS, re.S)
    assert len(blocks) >= 2
    paths = []
    for i, block in enumerate(blocks):
        p = tmp_path / f"doc{i}.yaml"
        p.write_text(block, encoding="utf-8")
        paths.append(p)
    policy = load(*paths)
    d = decide(policy, SKILL, "skill_upgrade")
    assert d["failing"] == ["insured_12_months"]
    text = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "eval",
            str(ROOT / "examples" / "vocational_training_special_ability.json"),
            "--revision",
            str(paths[0]),
            "--as-of",
            "2021-02-01",
            "--full",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    assert "1,200.00 元" in text
    assert squashed(
        "↳ 台人社字〔2020〕示例1号（示例） 示例1号-一「初级工职业培训补贴标准调整为1200元/人」"
    ) in squashed(text)


def test_the_catalogue_declaration_example_of_the_docs_is_the_packages(tmp_path):
    block = re.findall(r"```yaml catalogs\n(.*?)```", DOCS, re.S)[0]
    import shutil

    dest = tmp_path / "national"
    shutil.copytree(NATIONAL, dest)
    (dest / "catalogs.yaml").write_text(block, encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "cli", "check", str(dest), "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_revision_amends_the_bundled_catalogues(tmp_path):
    """The four catalogues of 五（二） are declarations like any other: a
    revision adds an institution (with its approvals and status periods) and
    replaces another, the decisions follow, and a wrong entry is refused at its
    line in the revision."""
    from tests.helpers import ROOT as _root

    case = json.loads(
        (_root / "examples" / "vocational_training_institution_suspended.json").read_text(
            encoding="utf-8"
        )
    )
    case["training"]["institution"] = "JG-199"

    def outcome(policy):
        (d,) = Evaluator(policy).decide(case, programs=["vocational_training"]).decisions
        return d.outcome, d.failing

    assert outcome(load()) == ("ineligible", ["institution_active", "institution_approved"])
    course = case["training"]["course"]
    r = revision(
        tmp_path,
        f"""changes:
  - add_catalogue_entry:
      catalogue: institutions
      entry:
        code: JG-199
        name: 新设培训学校（示例）
        ownership: 民办
        licence: 民办学校办学许可证（示例）
        sample: true
        courses:
          - {{course: {course}, levels: [初级, 中级, 高级]}}
        status:
          - {{status: active, from: 2021-01-01, reason: 经审核列入目录（示例）}}
""",
    )
    revised = load(r)
    assert outcome(revised) == ("eligible", [])
    rows = [a for a in revised.catalog_values["approvals"] if a["institution"] == "JG-199"]
    assert [a["level"] for a in rows] == ["初级", "中级", "高级"]
    # overlapping periods in the revision: refused at the revision's line
    bad = revision(
        tmp_path,
        """changes:
  - add_catalogue_entry:
      catalogue: institutions
      entry:
        code: JG-198
        name: 另一培训学校（示例）
        ownership: 民办
        licence: 民办学校办学许可证（示例）
        sample: true
        courses: [{course: YB-001, levels: [初级]}]
        status:
          - {status: active, from: 2021-01-01, until: 2021-08-31, reason: 示例}
          - {status: suspended, from: 2021-06-01, reason: 示例}
""",
        name="bad.yaml",
    )
    out = errors_of(bad)
    assert f"{bad}:21:13" in out, out
    assert "the period from 2021-06-01 overlaps the period from 2021-01-01" in out, out
