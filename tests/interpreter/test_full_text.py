"""`policy eval --full`, the clause-by-clause view of the caseworker and the
policy writer: ids, fact paths and rules are its point, but it is read on the
same 80-column terminal as the default text, its money reads like money, its
catalogue periods like dates, and it shows no "unknown" a decision did not
turn on (issue 19)."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from click.testing import CliRunner

from cli import cli
from interpreter.plain_text import _tokens, wrap
from interpreter.render import hanging
from tests.helpers import ROOT, squashed, wrapped_line

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def full(case, *args) -> str:
    r = CliRunner().invoke(cli, ["eval", str(case), "--full", *args])
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_line_fits_80_columns_with_a_hanging_indent(case, lang):
    out = full(case, "--lang", lang)
    lines = out.splitlines()
    for line in lines:
        assert columns(line) <= 80, line
    for before, line in itertools.pairwise(lines):
        # a continuation never starts at column 1 (a heading line is not
        # continued: only the first line of the output has no indent)
        if line and not line.startswith(" ") and before.strip():
            assert re.match(r"^(政策|案件|决定日期|修订|并依据|Policy|Case|Decision)", line), line
        # no line ends on an opening bracket: it goes with what it opens
        assert not line.rstrip().endswith(("（", "「", "《")), line


@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_money_reads_as_money_and_no_open_ended_date(case):
    out = full(case)
    # 1,500.00 — never 1500.00, nor one decimal (4399.8), nor 4000 元
    assert not re.search(r"(?<![\d,.])\d{4,}\.\d\d\b", out), out
    assert not re.search(r"\d\.\d 元|\d\.\d$", out, re.M)
    assert not re.search(r"(?<![\d,.])\d+ 元", out), out
    assert "9999" not in out


def clause_blocks(out: str):
    """(mark, the lines under it) for each clause of the --full text."""
    blocks, current = [], None
    for line in out.splitlines():
        m = re.match(r"^   ([✓✗?]) [a-z_0-9]+: ", line)
        if m:
            current = (m.group(1), [])
            blocks.append(current)
        elif current is not None and line.startswith("     "):
            current[1].append(line)
        else:
            current = None
    return blocks


@pytest.mark.parametrize("lang, unknown", [("zh", "= 未知"), ("en", "= unknown")])
@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_only_an_undecided_clause_shows_an_unknown_value(case, lang, unknown):
    """It listed 项目培训等级（project.level） = 未知 under the institution's
    approval of a course that was not project training: a value the clause
    did not need."""
    out = full(case, "--lang", lang)
    for mark, lines in clause_blocks(out):
        if mark != "?":
            assert squashed(unknown) not in squashed("".join(lines)), lines


def test_the_branch_not_taken_is_not_listed_but_a_missing_fact_is():
    out = full(ROOT / "examples/vocational_training_intermediate.json")
    assert "project.level" not in out
    assert "certificate.level" in out  # the branch taken
    out = full(ROOT / "examples/skill_upgrade_missing_insurance.json")
    assert squashed("累计缴纳失业保险费月数（applicant.insured_months） = 未知") in squashed(out)


def test_a_withheld_balance_shows_the_employment_rate_it_waited_for():
    out = full(ROOT / "examples/project_training_advance_only.json")
    line = wrapped_line(out, "   就业率达到85%以上后拨付余额")
    assert line.startswith("   就业率达到85%以上后拨付余额: 18,000.00 元 (不拨付;")
    assert line.endswith("培训后就业率（project.employment_rate） = 72%)")
    assert "   项目制培训全额拨付就业率 = 85%  (自 2019-01-01; policy/standards.yaml)" in out


def test_a_cap_is_a_step_in_money():
    out = full(ROOT / "examples/apprenticeship_capped.json")
    assert "补贴金额: 6,000.00 元" in out
    assert "   培训费用的60%（封顶前） = 7,200.00 元" in out.splitlines()
    assert "7,200.00元→已按上限6,000.00元" in squashed(out)
    assert "企业支付的培训费用（apprenticeship.fee_paid） = 12,000.00 元" in out


def test_catalogue_periods_in_words():
    out = full(ROOT / "examples/vocational_training_institution_suspended.json")
    assert "期间: 2020年5月1日至2021年2月28日" in out
    assert "期间: 2021年6月1日起" in out
    out = full(ROOT / "examples/vocational_training_institution_suspended.json", "--lang", "en")
    assert "period: from 1 June 2021" in out


def test_hanging_keeps_the_indent_under_the_text():
    (line,) = hanging(["   ✓ id: " + "很长的条件" * 3])
    assert line == "   ✓ id: " + "很长的条件" * 3
    lines = hanging(["   ✓ id: " + "很长的条件" * 20])
    assert lines[0].startswith("   ✓ id: 很长")
    assert all(x.startswith("     ") and not x.startswith("      ") for x in lines[1:])
    assert "".join(x.strip() for x in lines) == "✓ id: " + "很长的条件" * 20
    lines = hanging(["       ↳ " + "「引文」" * 30])
    assert all(x.startswith("         ") for x in lines[1:])


def test_an_opening_bracket_goes_with_what_it_opens():
    assert _tokens("率（project.rate）") == ["率", "（project.rate）"]
    assert _tokens("按照《办法》") == ["按", "照", "《办", "法》"]
    text = "一" * 38 + "（二）"
    assert wrap(text, "", "  ", 80) == ["一" * 38, "  （二）"]
