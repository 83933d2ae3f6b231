"""Programs compiled when first needed (issue 21, point 2): once the cache knows
a policy's very files load without an error, a command that decides builds only
the programs it decides — and every decision, every text, every clause is what
a full load gives. Any other byte is a full load, which reports what it finds."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import cli
from dsl.errors import ErrorList
from interpreter.cases import parse_json_text
from interpreter.evaluate import Evaluator
from interpreter.lazyprograms import LazyPrograms
from interpreter.loader import load_policy
from interpreter.render import TextRenderer, result_json
from tests.helpers import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICY_CACHE_DIR", str(folder))
    return folder


def _case(path):
    return parse_json_text(path.read_text(encoding="utf-8"), path.name)


def _decided(policy, path):
    res = Evaluator(policy).decide(_case(path), case_name=path.name)
    return result_json(policy, res), TextRenderer(policy, "zh").render(res)


def test_a_warm_load_builds_only_the_programs_a_case_applies_for(policy_copy, cache):
    first = load_policy(policy_copy, lazy=True)
    assert type(first.programs) is dict  # nothing known yet: a full load
    policy = load_policy(policy_copy, lazy=True)
    assert isinstance(policy.programs, LazyPrograms)
    assert policy.programs.built() == []
    assert list(policy.programs) == list(first.programs)  # the ids, in order, built or not
    assert "skill_upgrade" in policy.programs and "no_such" not in policy.programs
    example = ROOT / "examples" / "skill_upgrade_senior.json"
    lazy_json, lazy_text = _decided(policy, example)
    assert policy.programs.built() == ["skill_upgrade"]
    assert lazy_json["decisions"][0]["amount"] == "2000.00"
    assert (lazy_json, lazy_text) == _decided(load_policy(policy_copy), example)
    # a program asked for twice is built once: the same object
    assert policy.programs["skill_upgrade"] is policy.programs["skill_upgrade"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_decides_as_a_full_load_decides(example, cache):
    load_policy()  # the full load the cache then knows
    lazy = load_policy(lazy=True)
    assert isinstance(lazy.programs, LazyPrograms)
    assert _decided(lazy, example) == _decided(load_policy(), example)


def test_every_program_built_lazily_is_the_program_a_full_load_builds(cache):
    eager = load_policy()
    lazy = load_policy(lazy=True)
    assert isinstance(lazy.programs, LazyPrograms)

    def shape(p):
        return (
            p.id,
            p.title,
            p.source,
            p.revision,
            [(c.id, c.rule.text, c.requirement, c.cite) for c in p.clauses],
            [(d.id, d.rule.text) for d in p.lets],
            p.amount.rule.text,
            p.level and p.level.text,
        )

    # the real-name checks' clauses included, in the same place
    assert [shape(p) for p in lazy.programs.values()] == [shape(p) for p in eager.programs.values()]
    assert any(c.id.startswith("real_name_") for p in lazy.programs.values() for c in p.clauses)
    assert lazy.files == eager.files and lazy.hash == eager.hash


def test_an_edited_program_is_a_full_load_and_its_error_is_reported(policy_copy, cache):
    load_policy(policy_copy)
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    prog.write_text(text.replace("applicant.insured_months >=", "applicant.insured_monthz >="))
    with pytest.raises(ErrorList) as got:
        load_policy(policy_copy, lazy=True)
    assert "insured_monthz" in str(got.value)
    # and through the command: exit 1 with the error, never a decision
    example = ROOT / "examples" / "living_allowance_capped.json"  # another program
    r = CliRunner().invoke(cli, ["eval", "--policy", str(policy_copy), str(example)])
    assert r.exit_code == 1 and "skill_upgrade.yaml" in r.output, r.output


def test_an_edited_amount_is_decided_with_its_new_words(policy_copy, cache):
    example = ROOT / "examples" / "project_training_full_payment.json"
    args = ["eval", "--policy", str(policy_copy), str(example), "--format", "json"]

    def amount():
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
        return json.loads(r.output)["decisions"][0]["amount"]

    assert amount() == amount() == "60000.00"  # full, then lazy
    prog = policy_copy / "programs" / "project_training.yaml"
    text = prog.read_text(encoding="utf-8")
    assert "expr: project.subsidy_total\n" in text
    prog.write_text(
        text.replace("expr: project.subsidy_total\n", "expr: project.subsidy_total * 2\n")
    )
    assert amount() == amount() == "120000.00"


def test_a_changed_catalogue_file_is_a_full_load(policy_copy, cache):
    load_policy(policy_copy)
    assert isinstance(load_policy(policy_copy, lazy=True).programs, LazyPrograms)
    data = policy_copy / "catalogs" / "general.yaml"
    data.write_text(data.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    # the programs' files are the same, a catalogue's are not: not the load known
    again = load_policy(policy_copy, lazy=True)
    assert type(again.programs) is dict
    assert isinstance(load_policy(policy_copy, lazy=True).programs, LazyPrograms)


def test_revisions_and_catalogues_handed_in_are_full_loads(policy_copy, cache):
    load_policy(policy_copy)
    assert isinstance(load_policy(policy_copy, lazy=True).programs, LazyPrograms)
    assert type(load_policy(policy_copy).programs) is dict  # not asked for
    assert type(load_policy(policy_copy, catalogs={}, lazy=True).programs) is dict
    rev = ROOT / "examples" / "revisions" / "raise-junior-2021.yaml"
    revised = load_policy(policy_copy, revisions=[rev], lazy=True)
    assert type(revised.programs) is dict
    assert revised.revisions and revised.hash != load_policy(policy_copy, lazy=True).hash
    # a revision in the policy's own folder too
    (policy_copy / "revisions").mkdir()
    (policy_copy / "revisions" / rev.name).write_bytes(rev.read_bytes())
    for _ in range(2):
        assert type(load_policy(policy_copy, lazy=True).programs) is dict


def test_check_reports_every_finding_after_a_lazy_eval(policy_copy, cache):
    check = ["check", str(policy_copy), "--format", "json"]
    before = CliRunner().invoke(cli, check)
    example = ROOT / "examples" / "skill_upgrade_senior.json"
    for _ in range(2):
        r = CliRunner().invoke(cli, ["eval", "--policy", str(policy_copy), str(example)])
        assert r.exit_code == 0, r.output
    after = CliRunner().invoke(cli, check)
    assert after.exit_code == before.exit_code == 0
    assert after.output == before.output
    # the programs' own findings are there, those of programs never decided too
    files = {n["file"] for n in json.loads(after.output)["notes"]}
    assert "policy/programs/technician_training.yaml" in files
