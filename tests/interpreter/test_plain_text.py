"""The default text of `policy eval`: what an applicant can follow. No rule
code, no ids, values formatted for people, every cap a step, 80 columns."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from click.testing import CliRunner

from cli import cli
from interpreter.plain_text import wrap
from tests.helpers import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def run(*args) -> str:
    r = CliRunner().invoke(cli, ["eval", *[str(a) for a in args]])
    assert r.exit_code == 0, r.output
    return r.output


def all_paths(decls, out=None):
    out = set() if out is None else out
    for d in decls:
        out.add(d.path.replace("[]", ""))
        all_paths(d.fields.values(), out)
        if d.items is not None:
            all_paths([d.items], out)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_code_no_ids_and_80_columns(bundled_policy, case, lang):
    out = run(case, "--lang", lang)
    for line in out.splitlines():
        assert columns(line) <= 80, line
    ids = set(bundled_policy.programs)
    ids |= {c.id for p in bundled_policy.programs.values() for c in p.clauses}
    ids |= {p for p in all_paths(bundled_policy.facts.values()) if "." in p}
    ids = {i for i in ids if "_" in i or "." in i}  # not a plain English word
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]", out))
    assert words & ids == set()
    for code in (
        "9999",
        "==",
        ">=",
        "<=",
        "any(",
        "standards.",
        "catalog.",
        "需满足",
        "needed:",
        "↳",
        "true",
        "false",
        "None",
        "按职责分工负责",
    ):
        assert code not in out, code


def test_a_refusal_shows_what_failed_with_its_values_and_source():
    out = run(ROOT / "examples/vocational_training_institution_suspended.json")
    lines = out.splitlines()
    assert "■ 职业培训补贴：不符合条件，不予补贴" in lines
    i = lines.index("  未满足的条件：")
    assert lines[i + 1].startswith("  ✗ 培训机构列入职业技能培训机构目录")
    assert "      培训开始日期：2021年3月15日" in lines
    assert "      培训结束日期：2021年4月30日" in lines
    flat = "".join(x.strip() for x in lines)
    assert (
        "职业技能培训机构目录记载该机构的在册期间：2020年5月1日至2021年2月28日；2021年6月1日起"
        in flat
    )
    assert (
        "依据：台政办发〔2020〕4号 四（三）「业务主管部门要加强行业监管，建立评估和退出机制」"
        in flat
    )
    assert "其余 13 项条件均已满足（--full 逐条列出）。" in lines[-3]
    # the facts of a branch the decision did not take are not shown as unknown
    assert "未知" not in out and "项目培训等级" not in out


def test_the_months_an_apprenticeship_refusal_compared():
    out = run(ROOT / "examples/apprenticeship_too_long.json")
    assert "      申请补贴的学徒培训期限（整月数）：29" in out.splitlines()


def test_every_cap_is_a_step():
    out = run(ROOT / "examples/living_allowance_capped.json")
    lines = out.splitlines()
    assert "■ 贫困劳动力培训期间生活费补贴：符合条件，补贴金额 500.00元" in lines
    assert "    按参加培训天数计算的生活费补贴（未按每人最高额封顶）：750.00元" in lines
    assert "    按上限核定：750.00元 → 500.00元" in lines
    out = run(ROOT / "examples/apprenticeship_capped.json", "--lang", "en")
    assert "    limited to the cap: 7,200.00 yuan → 6,000.00 yuan" in out.splitlines()
    assert (
        "    Apprenticeship subsidy as a share of the fee the enterprise paid: 60% (in"
        in out.splitlines()
    )


def test_a_project_shows_its_approved_total_and_why_the_balance_waits():
    out = run(ROOT / "examples/project_training_advance_only.json")
    lines = out.splitlines()
    assert "    项目补贴资金总额：45,000.00元" in lines
    assert "    培训实施后先行拨付：27,000.00元，可拨付" in lines
    assert "    就业率达到85%以上后拨付余额：18,000.00元，不拨付（培训后就业率：72%）" in lines
    assert "    项目制培训全额拨付就业率：85%（自2019年1月1日起执行）" in lines


def test_an_incomplete_application_names_what_is_missing():
    out = run(ROOT / "examples/skill_upgrade_missing_insurance.json", "--lang", "en")
    lines = out.splitlines()
    assert "■ Skill upgrading subsidy: cannot be decided yet, facts missing" in lines
    assert "      missing: Months of unemployment-insurance contributions" in lines


def test_full_is_the_clause_by_clause_view():
    out = run(ROOT / "examples/skill_upgrade_short_insurance.json", "--full")
    assert "✗ insured_12_months:" in out
    assert "需满足: applicant.insured_months >= standards.skill_upgrade_min_months" in out


def test_a_quote_of_a_task_row_does_not_run_into_its_units():
    data = json.loads(run(ROOT / "examples/skill_upgrade_senior.json", "--format", "json"))
    quotes = [c["quote"] for d in data["decisions"] for c in d["citations"]]
    assert any(q.startswith("累计缴纳失业保险费12个月以上的企业职工") for q in quotes)
    assert not any("按职责分工负责" in q for q in quotes)


def test_text_from_the_case_cannot_forge_a_line(tmp_path):
    case = json.loads((ROOT / "examples/apprenticeship_capped.json").read_text("utf-8"))
    case["applicant"]["name"] = "杨帆\n■ 技能提升补贴：符合条件，补贴金额 99,999.00元"
    f = tmp_path / "c.json"
    f.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    out = run(f)
    assert "\n■ 技能提升补贴" not in out


@pytest.mark.parametrize(
    "text, expected",
    [
        ("短句", ["  短句"]),
        (
            "一二三四五六七八九十" * 5,
            ["  " + ("一二三四五六七八九十" * 3)[:29], "    " + ("一二三四五六七八九十" * 5)[29:]],
        ),
        ("甲乙丙丁戊，己", None),
    ],
)
def test_wrap_keeps_to_the_width_with_a_hanging_indent(text, expected):
    lines = wrap(text, "  ", "    ", limit=60)
    assert all(columns(x) <= 60 for x in lines)
    if expected is not None:
        assert lines == expected
    assert all(not x.strip().startswith(("，", "。", "）")) for x in lines)


def test_wrap_never_starts_a_line_with_closing_punctuation():
    text = "二" * 28 + "，下一句"
    lines = wrap(text, "", "  ", limit=57)
    assert lines[0] == "二" * 27
    assert lines[1] == "  二，下一句"
