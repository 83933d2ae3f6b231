"""A second policy package (examples/policies/guobanfa-2019-24, 国办发〔2019〕24号
with an example local notice) through the installed commands, with no Python
that names it; several source documents; catalogues a policy declares."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"
POLICY = [sys.executable, "-m", "cli"]


def run(*args, cwd=ROOT, input=None):
    return subprocess.run(
        [*POLICY, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
    )


@pytest.fixture
def national_copy(tmp_path):
    dest = tmp_path / "national"
    shutil.copytree(NATIONAL, dest)
    return dest


# -- the package through every command ----------------------------------------------


def test_check_strict_is_clean():
    r = run("check", NATIONAL, "--strict")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 programs" in r.stdout


def test_policy_tests_cover_every_clause():
    r = run("test", "--policy", NATIONAL, "--coverage", "--fail-under", "100")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "coverage: 100.0% of clause states" in r.stdout
    assert " 0 failed" in r.stdout


def test_eval_cites_both_documents_and_reads_its_own_catalogue():
    case = NATIONAL / "cases" / "vocational_training_intermediate.json"
    r = run("eval", case, "--policy", NATIONAL, "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["policy"]["id"] == "guobanfa-2019-24"
    assert out["policy"]["documents"] == [
        {
            "id": "local-notice",
            "number": "示人社发〔2019〕1号（示例）",
            "title": "示例市职业技能提升行动补贴标准的通知（示例）",
            "example": True,
        }
    ]
    d = out["decisions"][0]
    assert (d["outcome"], d["amount"]) == ("eligible", "1500.00")
    cites = {(c["document"], c["clause"]) for cl in d["clauses"] for c in cl["cite"]}
    assert ("国办发〔2019〕24号", "一（二）") in cites
    assert ("示人社发〔2019〕1号（示例）", "一") in cites
    # its catalogue's file joins the policy hash; Tai'erzhuang's do not
    files = out["policy"]["files"]
    assert any(f.endswith("guobanfa-2019-24/catalogs/occupations.yaml") for f in files)
    assert not any("catalogs/data" in f for f in files)
    text = run("eval", case, "--policy", NATIONAL, "--full").stdout
    assert (
        "并依据: 示人社发〔2019〕1号（示例） 示例市职业技能提升行动补贴标准的通知（示例）\n" in text
    )
    assert "↳ 示人社发〔2019〕1号（示例） 一「" in text


def test_a_catalogue_edit_changes_the_decision(national_copy):
    data = national_copy / "catalogs" / "occupations.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace(
            "{code: GJ-001, name: 电工, levels: [初级, 中级, 高级]",
            "{code: GJ-001, name: 电工, levels: [初级, 高级]",
        ),
        encoding="utf-8",
    )
    case = NATIONAL / "cases" / "vocational_training_intermediate.json"
    r = run("eval", case, "--policy", national_copy, "--format", "json")
    d = json.loads(r.stdout)["decisions"][0]
    assert (d["outcome"], d["failing"]) == ("ineligible", ["level_listed"])


def test_batch_and_report_against_its_own_targets(tmp_path):
    out = tmp_path / "d.jsonl"
    r = run("batch", NATIONAL / "cases" / "population.jsonl", "--policy", NATIONAL, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "40 case(s): 40 decided, 0 rejected" in r.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 40
    r = run("report", out, "--policy", NATIONAL, "--format", "md")
    assert r.returncode == 0, r.stderr
    assert "三年共开展各类补贴性职业技能培训5000万人次以上" in r.stdout
    assert "3250" not in r.stdout  # not Tai'erzhuang's target


# -- several source documents ----------------------------------------------------------


def test_a_citation_of_an_unknown_document_is_an_error(national_copy):
    prog = national_copy / "programs" / "apprenticeship.yaml"
    prog.write_text(
        prog.read_text(encoding="utf-8").replace(
            "- {document: local-notice, clause: 二}", "- {document: local-notise, clause: 二}"
        ),
        encoding="utf-8",
    )
    r = run("check", national_copy)
    assert r.returncode == 1
    assert "apprenticeship.yaml:7:" in r.stderr + r.stdout
    assert "no document 'local-notise'" in r.stderr + r.stdout
    assert "did you mean 'local-notice'?" in r.stderr + r.stdout


def test_clause_numbers_are_per_document(national_copy):
    """一 of the local notice and 一（一） of the national plan are distinct; a
    cite of the local notice's 一 without `document` names the national plan,
    which has no 一."""
    prog = national_copy / "programs" / "vocational_training.yaml"
    prog.write_text(
        prog.read_text(encoding="utf-8").replace(
            "  - {document: local-notice, clause: 一}\n", "  - {clause: 一}\n", 1
        ),
        encoding="utf-8",
    )
    r = run("check", national_copy)
    assert r.returncode == 1
    assert "no clause '一' in clauses.yaml" in r.stderr + r.stdout
    assert (
        "clause 一 is in document local-notice: write {document: local-notice, clause: 一}"
        in r.stderr + r.stdout
    )


# -- catalogues the policy declares -------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_catalogue_entries_are_checked_against_the_declaration(national_copy):
    data = national_copy / "catalogs" / "occupations.yaml"
    _edit(
        data,
        "{code: GJ-002, name: 焊工, levels: [初级, 中级, 高级], from: 2019-06-01",
        "{code: GJ-002, name: 焊工, levels: [初级, 特级], from: 2019-06-01",
    )
    _edit(
        data,
        "{code: GJ-003, name: 养老护理员, levels: [初级, 中级], from: 2019-06-01",
        "{code: GJ-001, name: 养老护理员, levels: [初级, 中级], from: 2019-06-01",
    )
    _edit(data, "until: 2020-12-31", "until: 2019-01-31")
    _edit(
        data,
        "{code: GJ-005, name: 电子商务师, levels: [中级, 高级]",
        "{code: GJ-005, name: 电子商务师, levels: [], hours: 8",
    )
    r = run("check", national_copy)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "occupations.yaml:12:" in out and "expected a list of one of 初级、中级、高级" in out
    assert (
        "occupations.yaml:13:" in out
        and "the key code=GJ-001 is used twice (also at line 11)" in out
    )
    assert "occupations.yaml:14:" in out and "the period ends (2019-01-31) before it starts" in out
    assert "occupations.yaml:15:" in out and "catalogue occupations has no field 'hours'" in out


def test_a_declared_check_reports_the_entry(national_copy):
    data = national_copy / "catalogs" / "occupations.yaml"
    _edit(
        data,
        "{code: GJ-005, name: 电子商务师, levels: [中级, 高级]",
        "{code: GJ-005, name: 电子商务师, levels: []",
    )
    r = run("check", national_copy)
    out = r.stdout + r.stderr
    assert r.returncode == 1
    assert "occupations.yaml:15:" in out
    assert "条目须至少列出一个补贴等级 (check has_levels: count(entry.levels) > 0)" in out


def test_a_rule_cannot_read_a_catalogue_the_policy_does_not_declare(national_copy):
    """A policy that declares its catalogues is given no other: a rule reading
    Tai'erzhuang's catalogue is an error, not a silent read of its data."""
    defs = national_copy / "definitions.yaml"
    _edit(
        defs,
        "any(catalog.occupations,",
        "training.course in catalog.general or any(catalog.occupations,",
    )
    r = run("check", national_copy)
    out = r.stdout + r.stderr
    assert r.returncode == 1
    assert "definitions.yaml" in out and "general" in out
    assert "occupations" in out  # the catalogues it has are named


def test_a_new_field_used_in_a_rule_is_a_data_change(national_copy):
    cat = national_copy / "catalogs.yaml"
    _edit(
        cat,
        "      from: {type: date, label: 列入日期, label_en: Listed from}\n",
        "      from: {type: date, label: 列入日期, label_en: Listed from}\n"
        "      key_industry: {type: boolean, optional: true, default: false, label: 重点产业}\n",
    )
    data = national_copy / "catalogs" / "occupations.yaml"
    _edit(data, "{code: GJ-001, name: 电工,", "{code: GJ-001, key_industry: true, name: 电工,")
    prog = national_copy / "programs" / "vocational_training.yaml"
    _edit(
        prog,
        "    expr: 'any(catalog.occupations, o -> o.code == training.course and certificate.level in o.levels)'",
        "    expr: 'any(catalog.occupations, o -> o.code == training.course and certificate.level in o.levels and o.key_industry)'",
    )
    ok = run(
        "eval",
        NATIONAL / "cases" / "vocational_training_intermediate.json",
        "--policy",
        national_copy,
        "--format",
        "json",
    )
    assert json.loads(ok.stdout)["decisions"][0]["outcome"] == "eligible", ok.stderr
    case = json.loads((NATIONAL / "cases" / "vocational_training_intermediate.json").read_text())
    case["training"]["course"] = "GJ-002"
    path = national_copy / "c.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    no = run("eval", path, "--policy", national_copy, "--format", "json")
    d = json.loads(no.stdout)["decisions"][0]
    assert (d["outcome"], d["failing"]) == ("ineligible", ["level_listed"])


def test_no_shipped_python_names_the_second_policy():
    """The package runs with no Python that names it: none of its program,
    catalogue or document ids, nor its number, appears in shipped code."""
    names = [
        "guobanfa",
        "国办发〔2019〕24号",
        "local-notice",
        "示人社发",
        "occupations",
        "new_or_transferred",
        "GJ-00",
    ]
    shipped = [
        p
        for d in (
            "cli.py",
            "interpreter",
            "dsl",
            "authoring",
            "population",
            "commands",
            "catalogs",
            "policy",
        )
        for p in ([ROOT / d] if d.endswith(".py") else (ROOT / d).rglob("*.py"))
    ]
    hits = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in shipped
        for n in names
        if n in p.read_text(encoding="utf-8")
    ]
    assert not hits


def test_diff_of_a_revision_that_cites_its_own_text():
    rev = NATIONAL / "proposals" / "raise-living-allowance-2021.yaml"
    r = run(
        "diff",
        NATIONAL / "cases" / "population.jsonl",
        "--policy",
        NATIONAL,
        "--revision",
        rev,
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["budget"]["delta"] == "+1030.00"
    assert out["base"]["policy_id"] == out["other"]["policy_id"] == "guobanfa-2019-24"
    case = {
        "applicant": {"poverty_registered": True},
        "training": {"course": "GJ-006", "start_date": "2021-02-01", "days": 10},
        "application": {"date": "2021-03-01", "programs": ["living_allowance"]},
    }
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(case, f, ensure_ascii=False)
    d = json.loads(
        run("eval", f.name, "--policy", NATIONAL, "--revision", rev, "--format", "json").stdout
    )["decisions"][0]
    assert (d["outcome"], d["amount"]) == ("eligible", "500.00")  # 10 days × 50, GJ-006 added
    std = next(s for s in d["standards"] if s["id"] == "living_allowance_per_day")
    assert std["revision"] == "示人社发〔2020〕9号（示例）"
    assert std["cite"][0]["quote"] == "生活费补贴标准调整为每人每天50元（含交通费）"
    plain = json.loads(run("eval", f.name, "--policy", NATIONAL, "--format", "json").stdout)
    assert plain["decisions"][0]["failing"] == ["course_listed"]


def test_generate_writes_cases_its_own_policy_accepts(tmp_path):
    """The package describes its population (population.yaml): `policy
    generate --policy DIR` writes cases of its programs that `policy batch`
    decides without a reject, each program both granted and refused."""
    cases = tmp_path / "cases.jsonl"
    r = run("generate", 400, "--seed", 5, "--policy", NATIONAL, "--out", cases)
    assert r.returncode == 0, r.stderr
    lines = cases.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400
    again = tmp_path / "again.jsonl"
    assert run("generate", 400, "--seed", 5, "--policy", NATIONAL, "--out", again).returncode == 0
    assert again.read_bytes() == cases.read_bytes()
    courses = {json.loads(x).get("training", {}).get("course") for x in lines} - {None}
    assert {"GJ-001", "GJ-002"} <= courses  # drawn from its own catalogue
    out = tmp_path / "d.jsonl"
    r = run("batch", cases, "--policy", NATIONAL, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "400 case(s): 400 decided, 0 rejected" in r.stderr
    outcomes = {
        (d["program"], d["outcome"])
        for line in out.read_text(encoding="utf-8").splitlines()
        for d in json.loads(line)["decisions"]
    }
    for program in ("vocational_training", "apprenticeship", "living_allowance"):
        assert (program, "eligible") in outcomes and (program, "ineligible") in outcomes


def test_generate_refuses_a_policy_that_does_not_describe_its_population(tmp_path, national_copy):
    """Without population.yaml, nothing is written (exit 2); a wrong one is
    shown at its file:line:col (exit 1)."""
    (national_copy / "population.yaml").rename(tmp_path / "population.yaml")
    out = tmp_path / "cases.jsonl"
    r = run("generate", 10, "--policy", national_copy, "--out", out)
    assert r.returncode == 2, r.stderr
    assert (
        "policy guobanfa-2019-24 does not describe its population (no population.yaml)" in r.stderr
    )
    assert not out.exists()
    text = (tmp_path / "population.yaml").read_text(encoding="utf-8")
    (national_copy / "population.yaml").write_text(
        text.replace("programs: [apprenticeship]", "programs: [apprentiseship]").replace(
            "poverty_registered: {chance: 0.9}", "poverty_registerd: {chance: 0.9}"
        ),
        encoding="utf-8",
    )
    r = run("generate", 10, "--policy", national_copy, "--out", out)
    assert r.returncode == 1, r.stderr
    lines = text.splitlines()
    row = next(i for i, x in enumerate(lines, 1) if "programs: [apprenticeship]" in x)
    assert f"population.yaml:{row}:" in r.stderr
    assert "no program 'apprentiseship' in the policy" in r.stderr
    assert "did you mean 'apprenticeship'?" in r.stderr
    assert "applicant has no field 'poverty_registerd'" in r.stderr
    assert not out.exists()
