"""Lint findings in `policy check`, one of each kind, with file:line:col."""

import json

import yaml
from click.testing import CliRunner

from cli import cli


def check(policy_dir, *extra):
    r = CliRunner().invoke(cli, ["check", str(policy_dir), "--format", "json", *extra])
    return r.exit_code, json.loads(r.output)


def codes(data, severity="warnings"):
    return [(f["code"], f["message"]) for f in data[severity]]


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_policy_passes_strict():
    r = CliRunner().invoke(cli, ["check", "--strict"])
    assert r.exit_code == 0, r.output
    assert "0 error(s), 0 warning(s)" in r.output


def test_unused_fact(policy_copy):
    edit(
        policy_copy / "facts.yaml",
        "  applicant:\n    type: record\n",
        "  hobby:\n    type: string\n    label: 爱好\n  applicant:\n    type: record\n",
    )
    rc, data = check(policy_copy)
    assert rc == 0
    (w,) = [w for w in data["warnings"] if w["code"] == "unused-fact"]
    assert w["message"] == "the fact hobby is declared but no rule reads it"
    assert w["file"].endswith("facts.yaml") and w["line"] > 0 and w["column"] > 0
    rc, _ = check(policy_copy, "--strict")
    assert rc == 1


def test_unused_definition(policy_copy):
    edit(
        policy_copy / "definitions.yaml",
        "definitions:\n",
        "definitions:\n  - id: never_used\n    expr: as_of >= 2020-01-01\n",
    )
    _, data = check(policy_copy)
    assert ("unused-definition", "the definition 'never_used' is used nowhere") in codes(data)


def test_uncited_source_clause_is_a_note():
    r = CliRunner().invoke(cli, ["check", "--format", "json"])
    data = json.loads(r.output)
    notes = [n for n in data["notes"] if n["code"] == "uncited-clause"]
    assert any("七（五）" in n["message"] for n in notes)
    assert not any("六（二）" in n["message"] for n in notes)


def test_program_that_cannot_be_applied_for(policy_copy):
    edit(
        policy_copy / "facts.yaml",
        "technician_training, apprenticeship]",
        "technician_training, apprenticeship, no_such_program]",
    )
    _, data = check(policy_copy)
    msgs = [m for c, m in codes(data) if c == "not-applicable"]
    assert msgs == ["enum program names 'no_such_program', which is no program"]


def test_standard_periods_overlap_and_gap(policy_copy):
    std = policy_copy / "standards.yaml"
    data = yaml.safe_load(std.read_text(encoding="utf-8"))
    import datetime as dt

    vals = data["standards"]["skill_upgrade"]["values"]
    vals.append({"from": dt.date(2020, 6, 1), "value": dict(vals[0]["value"])})
    vals2 = data["standards"]["living_allowance_cap"]["values"]
    vals2[0]["until"] = dt.date(2019, 12, 31)
    vals2.append({"from": dt.date(2020, 3, 1), "value": 600})
    std.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # two values of one standard on the same days: an error of the loader now
    # (the later one used to win, with only a warning)
    r = CliRunner().invoke(cli, ["check", str(policy_copy)])
    assert r.exit_code == 1
    assert (
        "standard skill_upgrade: the value from 2020-06-01 overlaps the value from "
        "2019-01-01 (open-ended): two values would apply on the same days"
    ) in r.output
    vals.pop()
    std.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _, out = check(policy_copy)
    msgs = [m for c, m in codes(out) if c == "standard-periods"]
    assert msgs == ["standard living_allowance_cap: no value from 2020-01-01 to 2020-02-29"]


def test_program_without_citation(policy_copy):
    prog = policy_copy / "programs" / "living_allowance.yaml"
    data = yaml.safe_load(prog.read_text(encoding="utf-8"))
    del data["cite"]
    prog.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _, out = check(policy_copy)
    assert ("no-citation", "program living_allowance cites no part of the source text") in codes(
        out
    )


def test_constant_condition(policy_copy):
    edit(
        policy_copy / "programs" / "skill_upgrade.yaml",
        "expr: applicant.insured_months >= standards.skill_upgrade_min_months",
        "expr: standards.skill_upgrade_min_months >= 12",
    )
    _, out = check(policy_copy)
    (w,) = [w for w in out["warnings"] if w["code"] == "constant"]
    assert w["context"] == "clause skill_upgrade.insured_12_months"
    assert w["file"].endswith("programs/skill_upgrade.yaml")


def test_program_whose_clauses_can_never_all_hold(policy_copy):
    edit(
        policy_copy / "programs" / "technician_training.yaml",
        "expr: in_force\n",
        'expr: in_force and training.kind == "岗前培训"\n',
    )
    _, out = check(policy_copy)
    assert (
        "unsatisfiable",
        ("the clauses of technician_training can never all hold: no case could be eligible"),
    ) in codes(out)
    assert not [m for c, m in codes(out) if c == "unsatisfiable" and "skill_upgrade" in m]


def test_text_output_shows_codes_and_positions(policy_copy):
    edit(
        policy_copy / "definitions.yaml",
        "definitions:\n",
        "definitions:\n  - id: never_used\n    expr: as_of >= 2020-01-01\n",
    )
    r = CliRunner().invoke(cli, ["check", str(policy_copy)])
    assert "warning[unused-definition]: " in r.output
    assert "definitions.yaml:" in r.output


def test_unsatisfiable_found_through_catalogue_conditions(policy_copy):
    """The search tries the catalogues' own codes: a clause that asks for a
    course no catalogue lists, beside one that asks for a listed course, can
    never hold with it."""
    edit(
        policy_copy / "programs" / "vocational_training.yaml",
        "expr: course_in_catalogue\n",
        'expr: course_in_catalogue and training.course == "ZZ-999"\n',
    )
    _, out = check(policy_copy)
    assert (
        "unsatisfiable",
        ("the clauses of vocational_training can never all hold: no case could be eligible"),
    ) in codes(out)


def test_check_is_quick_on_the_bundled_policy():
    """The satisfiability search ends (conclusively) well within its budget."""
    import authoring.lint as lint_module
    from tests.helpers import load_policy

    policy = load_policy()
    calls = []
    real = lint_module.Context

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    lint_module.Context = counting
    try:
        findings = lint_module.lint(policy)
    finally:
        lint_module.Context = real
    assert not [f for f in findings if f.code == "unsatisfiable"]
    assert len(calls) < 2000, len(calls)
