"""population.yaml: a policy's synthetic population as data, checked against
the policy with errors at file:line:col, the docs' example run, and a
program a revision adds generated with no change to any file."""

from __future__ import annotations

import re
import shutil
from collections import Counter

import pytest

from dsl.errors import PolicyError
from interpreter.cases import CaseReader, parse_json_text
from interpreter.loader import load_policy
from population.distributions import PopulationMissing, load_population
from population.synthetic import dumps_case, generate
from tests.helpers import ROOT

NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"


@pytest.fixture
def national(tmp_path):
    dest = tmp_path / "national"
    shutil.copytree(NATIONAL, dest)
    return dest


def national_policy(folder):
    return load_policy(folder)


def read_all(policy, cases):
    reader = CaseReader(policy)
    for i, case in enumerate(cases):
        reader.convert(parse_json_text(dumps_case(case), f"case {i}"), f"case {i}")


def error_of(folder, text):
    (folder / "population.yaml").write_text(text, encoding="utf-8")
    policy = national_policy(folder)
    with pytest.raises(PolicyError) as info:
        load_population(policy, policy.catalog_values)
    return info.value


MINIMAL = """\
scenarios:
  - id: apprenticeship
    share: 1
    case:
      apprenticeship: {years: {int: [1, 2]}, contract: true}
      application: {date: $as_of, programs: [apprenticeship]}
"""


def test_a_minimal_population_makes_readable_cases(national):
    (national / "population.yaml").write_text(MINIMAL, encoding="utf-8")
    policy = national_policy(national)
    cases = list(generate(50, 3, policy=policy, catalog=policy.catalog_values))
    read_all(policy, cases)
    # the two programs no scenario applies for get cases from their
    # declarations (share 2 each against 1): some of each
    programs = Counter(c["application"]["programs"][0] for c in cases)
    assert set(programs) == {"apprenticeship", "vocational_training", "living_allowance"}
    assert {c["apprenticeship"]["years"] for c in cases if "years" in c.get("apprenticeship", {})}


@pytest.mark.parametrize(
    ("replace", "by", "message", "hint"),
    [
        (
            "years: {int: [1, 2]}",
            "years: {inte: [1, 2]}",
            "'inte' is not a draw",
            "did you mean 'int'?",
        ),
        (
            "contract: true",
            "contrakt: true",
            "apprenticeship has no field 'contrakt'",
            "did you mean 'contract'?",
        ),
        ("contract: true", "contract: 是", "apprenticeship.contract is true or false", None),
        ("date: $as_of", "date: $as_off", "no variable 'as_off' here", "did you mean 'as_of'?"),
        (
            "[apprenticeship]",
            "[apprentice]",
            "no program 'apprentice' in the policy",
            "did you mean 'apprenticeship'?",
        ),
        (
            "years: {int: [1, 2]}",
            "years: {standard: apprenticeship_max_yeers}",
            "no standard 'apprenticeship_max_yeers' in the policy",
            "did you mean 'apprenticeship_max_years'?",
        ),
        ("contract: true", "contract: {pick: yes_no}", "no pool 'yes_no' in pools:", None),
        (
            "contract: true",
            "contract: {row: occupation}",
            "no catalogue view 'occupation'",
            "did you mean 'occupations'?",
        ),
        (
            "years: {int: [1, 2]}",
            "years: {int: [1, 2], step: 1}",
            "'step' is not an option of int",
            None,
        ),
    ],
)
def test_a_mistake_is_shown_where_it_is_written(national, replace, by, message, hint):
    text = MINIMAL.replace(replace, by)
    err = error_of(national, text)
    shown = err.render()
    assert message in shown
    if hint:
        assert hint in shown
    row = next(i for i, line in enumerate(text.splitlines(), 1) if by.split(":")[0].strip() in line)
    assert re.search(rf"population\.yaml:{row}:\d+", shown), shown
    assert err.exit_code == 1


def test_an_enum_value_that_is_not_declared(national):
    text = MINIMAL.replace(
        "application: {date",
        "certificate: {level: {choice: {初级: 1, 特级: 1}}}\n      application: {date",
    )
    shown = error_of(national, text).render()
    assert "'特级' is not a value of level (certificate.level)" in shown
    assert "population.yaml:6:" in shown


def test_the_schema_is_checked_first(national):
    shown = error_of(national, MINIMAL.replace("share: 1", "share: many")).render()
    assert "population.yaml:3:" in shown


def test_no_population_yaml_is_refused_as_bad_input(national):
    (national / "population.yaml").unlink()
    with pytest.raises(PopulationMissing) as info:
        load_population(national_policy(national))
    assert info.value.exit_code == 2
    assert "does not describe its population (no population.yaml)" in info.value.render()


def test_the_docs_example_runs(national):
    """docs/batch.md's population.yaml example, written into the national
    package (whose facts it uses), makes cases the policy reads."""
    doc = (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")
    section = doc[doc.index("### `population.yaml`") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    (national / "population.yaml").write_text(example, encoding="utf-8")
    policy = national_policy(national)
    cases = list(generate(40, 1, policy=policy, catalog=policy.catalog_values))
    read_all(policy, cases)
    assert any(c.get("training", {}).get("course", "").startswith("GJ-") for c in cases)


def test_a_program_a_revision_adds_gets_cases_with_no_change(bundled_policy):
    """examples/revisions/new-program-safety.yaml adds a program and a fact:
    the bundled population.yaml does not know them, yet generated cases
    apply for it, carry the new fact and read."""
    from commands.conventions import load

    revision = ROOT / "examples" / "revisions" / "new-program-safety.yaml"
    policy = load(None, [str(revision)])
    cases = list(generate(600, 9, policy=policy, catalog=policy.catalog_values))
    read_all(policy, cases)
    new = [c for c in cases if c.get("application", {}).get("programs") == ["safety_training"]]
    assert 3 <= len(new) <= 40
    assert any("industry" in c.get("applicant", {}) for c in new)


def test_amounts_follow_the_standards(bundled_policy):
    """Prior subsidies in history are at the standard of their level, read
    from standards.yaml, not copied into the population file."""
    text = (ROOT / "policy" / "population.yaml").read_text(encoding="utf-8")
    table = bundled_policy.standards["vocational_training"].versions[0].value
    cases = generate(400, 4, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    seen = {
        (h["level"], h["amount"])
        for c in cases
        for h in c.get("history") or ()
        if h.get("program") == "vocational_training"
    }
    assert seen and all(table[level] == amount for level, amount in seen)
    for amount in table.values():
        assert not re.search(rf"(?<!\d){amount}(?!\d)", text)


def test_policy_check_reads_population_yaml_too(national):
    from click.testing import CliRunner

    from commands.authoring import check_cmd

    (national / "population.yaml").write_text(
        MINIMAL.replace("$as_of", "$as_off"), encoding="utf-8"
    )
    r = CliRunner().invoke(check_cmd, [str(national)])
    assert r.exit_code == 1
    assert "population.yaml:6:" in r.output and "no variable 'as_off' here" in r.output


def test_a_value_of_the_wrong_kind(national):
    shown = error_of(
        national, MINIMAL.replace("application: {date", "applicant: 5\n      application: {date")
    ).render()
    assert "applicant is a record, found '5'" in shown and "population.yaml:6:" in shown
    (national / "population.yaml").write_text(
        MINIMAL.replace("years: {int: [1, 2]}", "years: {int: [1, $as_of]}"), encoding="utf-8"
    )
    policy = national_policy(national)
    with pytest.raises(PolicyError) as info:
        list(generate(40, 1, policy=policy))
    assert "population.yaml:5:" in info.value.render()
    assert "int: cannot draw a value here" in info.value.render()


def test_a_mistake_in_a_shared_draw_is_shown_once(national):
    text = MINIMAL.replace("scenarios:", "define:\n  yrs: {int: [1, $nope]}\nscenarios:").replace(
        "years: {int: [1, 2]}", "years: {use: yrs}, contract: {eq: [{use: yrs}, 1]}"
    )
    text = text.replace(", contract: true}", "}")
    err = error_of(national, text)
    assert err.render().count("no variable 'nope' here") == 1
    assert "population.yaml:2:" in err.render()
