"""Explanations stay true after a revision (issue 13, point 7): texts name
the standards ({standards.NAME[ROW]}) and show the value in force on the
decision date; `policy check` flags a number written in an explanation that
equals a standard's value; coverage shows which dated value was used."""

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cli import cli
from dsl.errors import ErrorList
from tests.helpers import ROOT, load_policy, wrapped_line

SENIOR = ROOT / "examples" / "skill_upgrade_senior.json"

RAISE_SENIOR = """\
revision:
  id: raise-senior-2021
  number: 测试修订〔2020〕1号
  issued: 2020-12-20
  amends: taierzhuang-2020-4
standards:
  skill_upgrade:
    values:
      - from: 2021-01-01
        value: {初级: 1000, 中级: 1500, 高级: 2500}
"""


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def raised(tmp_path):
    p = tmp_path / "raise.yaml"
    p.write_text(RAISE_SENIOR, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "as_of, amount, text",
    [("2020-10-09", "2000.00", "高级2000元"), ("2021-02-01", "2500.00", "高级2500元")],
)
def test_the_amount_explained_says_the_standard_in_force(raised, as_of, amount, text):
    """It said 高级2000元 after a revision raised the standard to 2500."""
    r = run("eval", SENIOR, "--revision", raised, "--as-of", as_of, "--full")
    assert r.exit_code == 0, r.output
    # the full view writes money with thousands separators
    assert f"补贴金额: {Decimal(amount):,.2f} 元" in r.stdout
    line = wrapped_line(r.stdout, "  计算:")
    assert text in line and "{standards" not in line
    r = run("eval", SENIOR, "--revision", raised, "--as-of", as_of, "--format", "json")
    (d,) = json.loads(r.stdout)["decisions"]
    assert d["amount"] == amount
    interp = json.dumps(d, ensure_ascii=False)
    assert "{standards." not in interp


def test_a_number_in_an_explanation_equal_to_a_standard_is_flagged(policy_copy):
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    old = "高级{standards.skill_upgrade[高级]}元"
    assert old in text
    prog.write_text(text.replace(old, "高级2000元", 1), encoding="utf-8")
    r = run("check", policy_copy)
    assert r.exit_code == 0
    assert (
        "warning[number-in-text]" in r.output
        and "amount of skill_upgrade: the explanation (zh) writes 2000, the value of {standards."
    ) in r.output
    assert run("check", policy_copy, "--strict").exit_code == 1


def test_a_placeholder_naming_no_standard_is_an_error(policy_copy):
    prog = policy_copy / "programs" / "skill_upgrade.yaml"
    text = prog.read_text(encoding="utf-8")
    prog.write_text(
        text.replace(
            "{standards.skill_upgrade[高级]}", "{standards.skill_upgrade[高纪]}", 1
        ).replace("{standards.skill_upgrade_min_months}", "{standards.skill_upgrade_min}", 1),
        encoding="utf-8",
    )
    with pytest.raises(ErrorList) as err:
        load_policy(policy_copy)
    shown = err.value.render()
    assert "{standards.skill_upgrade[高纪]}: standard skill_upgrade has no row '高纪'" in shown
    assert "{standards.skill_upgrade_min}: no standard 'skill_upgrade_min'" in shown
    assert "programs/skill_upgrade.yaml:" in shown


def test_coverage_shows_the_dated_values_used(raised):
    r = run("test", "--coverage", "--revision", raised, "--format", "json")
    data = json.loads(r.stdout)
    versions = [v for v in data["coverage"]["standard_versions"] if v["id"] == "skill_upgrade"]
    assert [(v["from"], v["revision"]) for v in versions] == [
        ("2019-01-01", None),
        ("2021-01-01", "测试修订〔2020〕1号"),
    ]
    assert versions[0]["used"] and versions[1]["used"]  # tests before and after 2021
    assert set(versions[0]["used"] + versions[0]["unused"]) == {"初级", "中级", "高级"}
    r = run("test", "--coverage", "--revision", raised)
    assert "skill_upgrade from 2021-01-01 (测试修订〔2020〕1号):" in r.stdout
