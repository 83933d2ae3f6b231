"""The catalogues of 五（二） in the rules, end to end, with no code change.

The clauses course_in_catalogue, institution_active and institution_approved
(policy/definitions.yaml, used by vocational_training, project_training and
living_allowance) read the catalogues only through the rule language
(`catalog.NAME`). Editing a copy of policy/catalogs — an institution exits, an
approval is withdrawn, a course is added — changes decisions, and the failing
clause names the reason.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from interpreter.evaluate import Evaluator
from interpreter.render import money
from tests.helpers import ROOT, load_policy, squashed

POLICY_DIR = ROOT / "policy"

CATALOGUE_CLAUSES = ("course_in_catalogue", "institution_active", "institution_approved")


def care_worker(level="初级", course="YB-001", occupation="养老护理员"):
    """养老护理员 trained at 运河职业培训学校 (JG-101) in June–July 2021, applied in August."""
    return {
        "applicant": {"id": "370405198607142229", "name": "朱晓燕", "pension_eligible": False},
        "training": {
            "in_district": True,
            "kind": "就业技能培训",
            "project_based": False,
            "free": False,
            "occupation": occupation,
            "course": course,
            "institution": "JG-101",
            "start_date": "2021-06-07",
            "end_date": "2021-07-16",
        },
        "certificate": {
            "kind": "职业技能等级证书",
            "level": level,
            "occupation": occupation,
            "date": "2021-07-30",
        },
        "history": [],
        "application": {"date": "2021-08-06", "programs": ["vocational_training"]},
    }


def project(course="YB-002", level="初级"):
    """A free project for poor labourers at JG-101, with the trainee's living allowance."""
    return {
        "applicant": {"id": "37040519770312662X", "name": "苗桂芝", "poverty_registered": True},
        "training": {
            "in_district": True,
            "kind": "就业技能培训",
            "project_based": True,
            "free": True,
            "occupation": "家政服务员",
            "course": course,
            "institution": "JG-101",
            "start_date": "2021-06-07",
            "end_date": "2021-06-18",
            "days": Decimal(10),
        },
        "project": {
            "level": level,
            "subsidy_total": Decimal(50000),
            "employment_rate": Decimal("0.9"),
        },
        "history": [],
        "application": {"date": "2021-08-06", "programs": ["project_training", "living_allowance"]},
    }


def decide(policy, case, program):
    (d,) = Evaluator(policy).decide(case, programs=[program]).decisions
    return d


def results(d):
    return {c.id: c.result for c in d.clauses if c.id in CATALOGUE_CLAUSES}


@pytest.fixture
def catalogs_copy(tmp_path):
    """A writable copy of the bundled catalogues."""
    dest = tmp_path / "catalogs"
    shutil.copytree(ROOT / "policy" / "catalogs", dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# ------------------------------------------------------------------ the rules are data


def test_the_programs_read_the_catalogues_through_the_rule_language(bundled_policy):
    for pid in ("vocational_training", "project_training", "living_allowance"):
        clauses = {c.id: c for c in bundled_policy.programs[pid].clauses}
        for cid in CATALOGUE_CLAUSES:
            assert clauses[cid].rule.text == cid  # the shared definition, by name
            assert clauses[cid].cite and clauses[cid].explain
    for name in CATALOGUE_CLAUSES:
        assert "catalog." in bundled_policy.definitions[name].rule.text
    # the decision records which catalogue files it was made with
    assert any(name.endswith("institutions.yaml") for name in bundled_policy.files)


def test_bundled_catalogues_make_the_cases_eligible(bundled_policy):
    d = decide(bundled_policy, care_worker(), "vocational_training")
    assert (d.outcome, money(d.amount), d.failing) == ("eligible", "1000.00", [])
    assert results(d) == dict.fromkeys(CATALOGUE_CLAUSES, True)
    for pid, amount in (("project_training", "50000.00"), ("living_allowance", "500.00")):
        d = decide(bundled_policy, project(), pid)
        assert (d.outcome, money(d.amount)) == ("eligible", amount)


# ------------------------------------------------------------------ catalogue edits


def test_institution_exits_the_catalogue_and_the_decision_changes(catalogs_copy):
    # 四（三）评估和退出机制: JG-101 exits from 2021-07-01, in the middle of the training
    edit(
        catalogs_copy / "institutions.yaml",
        "      - {status: active, from: 2021-06-01, reason: 整改后复评合格（示例）}",
        "      - {status: active, from: 2021-06-01, until: 2021-06-30, reason: 整改后复评合格（示例）}\n"
        "      - {status: exited, from: 2021-07-01, reason: 复评不合格，退出目录（示例）}",
    )
    edited = load_policy(POLICY_DIR, catalogs_dir=catalogs_copy)

    d = decide(edited, care_worker(), "vocational_training")
    assert (d.outcome, d.amount, d.failing) == ("ineligible", None, ["institution_active"])

    # a project that ended before the exit is still paid: the status is read on the training dates
    d = decide(edited, project(), "project_training")
    assert (d.outcome, money(d.amount)) == ("eligible", "50000.00")

    # the bundled catalogues are untouched: the same case is still eligible there
    assert (
        decide(load_policy(POLICY_DIR), care_worker(), "vocational_training").outcome == "eligible"
    )


def test_institution_suspended_for_the_project_dates(catalogs_copy):
    edit(
        catalogs_copy / "institutions.yaml",
        "      - {status: active, from: 2021-06-01, reason: 整改后复评合格（示例）}",
        "      - {status: active, from: 2021-06-01, until: 2021-06-10, reason: 整改后复评合格（示例）}\n"
        "      - {status: suspended, from: 2021-06-11, until: 2021-08-31, reason: 抽查不合格，暂停（示例）}\n"
        "      - {status: active, from: 2021-09-01, reason: 整改后恢复（示例）}",
    )
    edited = load_policy(POLICY_DIR, catalogs_dir=catalogs_copy)
    for pid in ("project_training", "living_allowance"):
        d = decide(edited, project(), pid)
        assert (d.outcome, d.failing) == ("ineligible", ["institution_active"]), pid


def test_approval_withdrawn_for_a_level(catalogs_copy):
    edit(
        catalogs_copy / "institutions.yaml",
        "      - {course: YB-001, levels: [初级, 中级, 高级]}\n      - {course: YB-002",
        "      - {course: YB-001, levels: [中级, 高级]}\n      - {course: YB-002",
    )
    edited = load_policy(POLICY_DIR, catalogs_dir=catalogs_copy)

    d = decide(edited, care_worker("初级"), "vocational_training")
    assert (d.outcome, d.failing) == ("ineligible", ["institution_approved"])
    d = decide(edited, care_worker("中级"), "vocational_training")
    assert (d.outcome, money(d.amount)) == ("eligible", "1500.00")


def test_a_course_added_to_the_catalogue_and_approved_becomes_eligible(
    bundled_policy, catalogs_copy
):
    case = care_worker(course="YB-011", occupation="插花员")
    d = decide(bundled_policy, case, "vocational_training")
    assert (d.outcome, d.failing) == ("ineligible", ["course_in_catalogue", "institution_approved"])

    edit(
        catalogs_copy / "general.yaml",
        "  - code: YB-010\n",
        "  - code: YB-011\n"
        "    name: 插花员\n"
        "    levels: [初级, 中级]\n"
        "    hours: 80\n"
        "    industry: 生活服务\n"
        "    sample: true\n"
        "  - code: YB-010\n",
    )
    edit(
        catalogs_copy / "institutions.yaml",
        "      - {course: YB-003, levels: [初级, 中级]}\n",
        "      - {course: YB-003, levels: [初级, 中级]}\n"
        "      - {course: YB-011, levels: [初级]}\n",
    )
    edited = load_policy(POLICY_DIR, catalogs_dir=catalogs_copy)
    d = decide(edited, case, "vocational_training")
    assert (d.outcome, money(d.amount), d.failing) == ("eligible", "1000.00", [])
    assert results(d) == dict.fromkeys(CATALOGUE_CLAUSES, True)


def test_missing_course_or_institution_leaves_the_decision_open(bundled_policy):
    for fact in ("course", "institution"):
        case = care_worker()
        del case["training"][fact]
        d = decide(bundled_policy, case, "vocational_training")
        assert (d.outcome, d.missing) == ("undetermined", [f"training.{fact}"])
        assert None in results(d).values()


def test_refusal_shows_the_catalogue_rows_it_looked_at():

    from click.testing import CliRunner

    from cli import cli

    case = ROOT / "examples" / "vocational_training_institution_suspended.json"
    r = CliRunner().invoke(cli, ["eval", str(case)])
    assert r.exit_code == 0
    # as an applicant reads it: the periods the catalogue lists, no code
    assert (
        "职业技能培训机构目录记载该机构的在册期间：2020年5月1日至2021年2月28日；" in r.output
        and "2021年6月1日起" in r.output
    )
    assert "9999" not in r.output and "catalog." not in r.output
    r = CliRunner().invoke(cli, ["eval", str(case), "--full"])
    assert r.exit_code == 0
    full = squashed(r.output)
    assert (
        squashed(
            "需满足: institution_active（any(catalog.institution_status, s -> s.institution == "
            "training.institution"
        )
        in full
    )
    # the periods in words, the open end as "from ... on" (not 9999-12-31)
    assert (
        squashed(
            'catalog.institution_status (institution = "JG-101", status = "active"): '
            "期间: 2020年5月1日至2021年2月28日"
        )
        in full
    )
    assert squashed("期间: 2021年6月1日起") in full and "9999" not in full
    import json

    r = CliRunner().invoke(cli, ["eval", str(case), "--format", "json"])
    (d,) = json.loads(r.output)["decisions"]
    (clause,) = [c for c in d["clauses"] if c["id"] == "institution_active"]
    (lookup,) = clause["catalog"]
    assert lookup["table"] == "institution_status"
    assert lookup["match"] == {"institution": "JG-101", "status": "active"}
    assert [row["until"] for row in lookup["rows"]] == ["2021-02-28", "9999-12-31"]


# ------------------------------------------------ a fifth catalogue, a new field: data


def test_a_fifth_catalogue_and_a_new_field_used_in_a_rule_are_a_data_change(tmp_path):
    """In a copy of the policy folder, with no Python changed: the institutions
    gain a field (rating) and a fifth catalogue appears (a list of sanctions,
    with dated periods); a rule reads both, and `policy check --strict`,
    `policy catalog check` and the decisions follow."""
    import subprocess
    import sys

    from tests.helpers import policy_copy

    folder = policy_copy(tmp_path / "policy")
    bundled = load_policy(folder)
    assert (decide(bundled, care_worker(), "vocational_training").outcome) == "eligible"
    # a new field of the institutions catalogue, declared and filled in
    edit(
        folder / "catalogs.yaml",
        "      note: {type: string, optional: true, label: 备注, label_en: Note}\n"
        "      sample: {type: boolean, optional: true, role: sample, label: 示例, label_en: Sample}\n"
        "      sample_fields:\n",
        "      note: {type: string, optional: true, label: 备注, label_en: Note}\n"
        "      rating:\n"
        "        {type: enum, values: [A, B, C], optional: true, default: A, label: 评估等次}\n"
        "      sample: {type: boolean, optional: true, role: sample, label: 示例, label_en: Sample}\n"
        "      sample_fields:\n",
    )
    edit(
        folder / "catalogs" / "institutions.yaml",
        "    name: 运河职业培训学校（示例）\n",
        "    name: 运河职业培训学校（示例）\n    rating: C\n",
    )
    # a fifth catalogue, with its own data file, periods and checks
    (folder / "catalogs.yaml").write_text(
        (folder / "catalogs.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "\n# The tables the rules read",
            """  - id: sanctions
    title: 培训机构处理记录（示例）
    file: catalogs/sanctions.yaml
    key: [institution, from]
    fields:
      institution: {type: string, label: 机构代码}
      from: {type: date, label: 起始日期}
      until: {type: date, optional: true, label: 截止日期}
      reason: {type: string, label: 事由}
    periods:
      - {from: from, until: until}
    checks:
      - id: known_institution
        expr: any(catalog.institutions, i -> i.code == entry.institution)
        message: 处理记录须针对机构目录中的机构

# The tables the rules read""",
        ),
        encoding="utf-8",
    )
    (folder / "catalogs" / "sanctions.yaml").write_text(
        "catalogue: sanctions\n"
        "sample: true\n"
        "note: 示例数据，非官方\n"
        "entries:\n"
        "  - {institution: JG-001, from: 2021-07-01, until: 2021-07-31, reason: 示例}\n",
        encoding="utf-8",
    )
    # the rule reads the new field and the new catalogue
    edit(
        folder / "definitions.yaml",
        "    expr: any(catalog.approvals, a -> a.institution == training.institution and "
        "a.course == training.course and a.level == training_level)\n",
        "    expr: any(catalog.approvals, a -> a.institution == training.institution and "
        "a.course == training.course and a.level == training_level) and "
        'not any(catalog.institutions, i -> i.code == training.institution and i.rating == "C") '
        "and not any(catalog.sanctions, s -> s.institution == training.institution and "
        "s.from <= training.end_date and training.start_date <= s.until)\n",
    )

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "cli", *map(str, args)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    r = cli("check", folder, "--strict")
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli("catalog", "check", "--policy", folder)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok: 5 catalogues, 40 entries in policy taierzhuang-2020-4\n"
    # the fifth catalogue is published like the others, from its declaration
    site = tmp_path / "site"
    r = cli("catalog", "publish", "--policy", folder, "--out", site, "--format", "csv")
    assert r.returncode == 0, r.stderr
    assert (site / "sanctions.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "机构代码,起始日期,截止日期,事由",
        "JG-001,2021-07-01,2021-07-31,示例",
    ]
    edited = load_policy(folder)
    assert [row["reason"] for row in edited.catalog_values["sanctions"]] == ["示例"]
    # JG-101 is rated C: refused on the clause that reads the new field
    d = decide(edited, care_worker(), "vocational_training")
    assert (d.outcome, d.failing) == ("ineligible", ["institution_approved"])
    # JG-001 (rated A by default) is eligible but for its sanction over the training
    case = care_worker()
    case["training"]["institution"] = "JG-001"
    assert decide(bundled, case, "vocational_training").outcome == "eligible"
    d = decide(edited, case, "vocational_training")
    assert (d.outcome, d.failing) == ("ineligible", ["institution_approved"])
    case["training"]["end_date"] = "2021-06-30"  # before the sanction
    assert decide(edited, case, "vocational_training").outcome == "eligible"
    # a sanction on an institution the catalogue does not list: the check fails
    edit(folder / "catalogs" / "sanctions.yaml", "institution: JG-001", "institution: JG-999")
    r = cli("catalog", "check", "--policy", folder)
    assert r.returncode == 1
    assert "sanctions.yaml:5:" in r.stderr and "处理记录须针对机构目录中的机构" in r.stderr
