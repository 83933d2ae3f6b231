"""`policy report`: quarterly and yearly sums from a known decisions file."""

import json
import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from commands.population import batch as batch_cmd
from commands.population import report as report_cmd
from population.report import build_report, read_report, render, targets_of
from population.synthetic import dumps_case, generate

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


def line(n, as_of, *decisions):
    return {
        "format": 1,
        "line": n,
        "id": None,
        "policy": "sha256:test",
        "case": {"as_of": as_of, "as_of_source": "decision_date", "as_of_missing": []},
        "decisions": [
            {"program": p, "outcome": o, "amount": a, "level": lv, "failing": [], "missing": []}
            for p, o, a, lv in decisions
        ],
    }


KNOWN = [
    line(1, "2019-02-10", ("skill_upgrade", "eligible", "1500.00", "中级")),
    line(
        2,
        "2019-03-31",
        ("vocational_training", "eligible", "1000.00", "初级"),
        ("living_allowance", "eligible", "350.00", "—"),
    ),
    line(3, "2019-04-01", ("skill_upgrade", "ineligible", None, "中级")),
    line(4, "2019-12-31", ("apprenticeship", "eligible", "4399.80", "—")),
    line(5, "2020-07-15", ("project_training", "eligible", "60000.00", "—")),
    line(6, "2021-11-30", ("technician_training", "eligible", "5000.00", "高级技师")),
    line(7, None, ("skill_upgrade", "undetermined", None, "中级")),
    line(8, "2022-01-20", ("technician_training", "ineligible", None, "技师")),
]


@pytest.fixture(scope="module")
def known_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "decisions.jsonl"
    path.write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in KNOWN), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def rep(known_file, bundled_policy):
    return read_report(str(known_file), bundled_policy)


def test_sums_per_quarter(rep):
    q = rep.quarter_cell
    assert (q((2019, 1)).count, q((2019, 1)).amount) == (3, Decimal("2850.00"))
    assert (q((2019, 2)).count, q((2019, 2)).amount) == (0, 0)
    assert rep.all_decisions[(2019, 2)] == 1
    assert (q((2019, 4)).count, q((2019, 4)).amount) == (1, Decimal("4399.80"))
    assert (q((2020, 3)).count, q((2020, 3)).amount) == (1, Decimal("60000.00"))
    assert (q((2021, 4)).count, q((2021, 4)).amount) == (1, Decimal("5000.00"))
    year = rep.cell(rep.by_program, rep.year_periods(2019))
    assert (year.count, year.amount) == (4, Decimal("7249.80"))
    assert q((2019, 1), "living_allowance").amount == Decimal("350.00")
    lv = rep.cell(rep.by_level, rep.year_periods(2019), "中级")
    assert (lv.count, lv.amount) == (1, Decimal("1500.00"))
    # every quarter of the plan is listed, then the late one, then no date
    names = list(rep.periods())
    assert names[0] == (2019, 1) and names[11] == (2021, 4)
    assert names[12:] == [(2022, 1), ("unknown", 0)]
    assert (rep.lines, rep.decisions, rep.eligible()) == (8, 9, 6)


def test_progress_against_the_targets_of_clause_one(rep, bundled_policy):
    targets = {t.id: t for t in targets_of(bundled_policy)}
    assert targets["year_2019"].person_times == 3250
    assert targets["total_2019_2021"].person_times == 10000
    assert targets["total_2019_2021"].cite[0][0] == "一"
    progress = {t.id: (n, pct) for t, n, pct in rep.progress()}
    # living_allowance and project_training do not count as training person-times
    assert progress["year_2019"] == (3, Decimal("0.1"))
    assert progress["total_2019_2021"] == (4, Decimal("0.0"))


def test_text_report_shows_the_exact_rows_in_chinese(known_file):
    r = CliRunner().invoke(report_cmd, [str(known_file)])
    assert r.exit_code == 0, r.output
    rows = [re.sub(r"\s+", " ", x.strip()) for x in r.stdout.splitlines()]
    assert rows[0] == "职业技能提升行动工作情况季报、年报"  # document.yaml `report`
    assert "2019年第1季度 3 3 2,850.00" in rows
    assert "2019年合计 5 4 7,249.80" in rows
    assert "2020年第3季度 1 1 60,000.00" in rows
    assert "日期不明 1 0 0.00" in rows
    assert "总计 9 6 72,249.80" in rows
    assert "2019年第1季度 技能提升补贴 1 1,500.00" in rows
    assert "2019年 中级 1 1,500.00" in rows
    assert "2019年培训3250人次 2019 3,250 3 0.1% 尚差 3,247 人次" in rows
    assert any("七（一）「建立工作情况季报、年报制度」" in x for x in rows)
    for program in ("skill_upgrade", "living_allowance", "project_training"):
        assert program not in r.stdout
    assert "year_2019" not in r.stdout and "quarter" not in r.stdout


def test_text_report_shows_the_exact_rows_in_english(known_file):
    r = CliRunner().invoke(report_cmd, [str(known_file), "--lang", "en"])
    assert r.exit_code == 0, r.output
    rows = [re.sub(r"\s+", " ", x.strip()) for x in r.stdout.splitlines()]
    assert rows[0] == "Quarterly and yearly report of the vocational skills upgrading campaign"
    assert "2019-Q1 3 3 2,850.00" in rows
    assert "2019 total 5 4 7,249.80" in rows
    assert "2020-Q3 1 1 60,000.00" in rows
    assert "unknown date 1 0 0.00" in rows
    assert "all 9 6 72,249.80" in rows
    assert "2019-Q1 Skill upgrading subsidy 1 1,500.00" in rows
    assert "2019 中级 1 1,500.00" in rows
    assert any(
        x.startswith(
            "year_2019 3,250 person-times of training in 2019 2019 3,250 3 0.1% 3,247 to go"
        )
        for x in rows
    )


def test_a_target_reached(known_file, policy_copy):
    doc = policy_copy / "document.yaml"
    doc.write_text(
        doc.read_text(encoding="utf-8")
        + """  - id: small_2019
    label: 测试目标
    year: 2019
    person_times: 4
""",
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        report_cmd, [str(known_file), "--policy", str(policy_copy), "--format", "md"]
    )
    assert r.exit_code == 0, r.output
    assert "| 测试目标 | 2019 | 4 | 4 | 100.0% | 已完成 |" in r.stdout


def test_html_is_self_contained_and_deterministic(known_file, tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for out in (a, b):
        r = CliRunner().invoke(report_cmd, [str(known_file), "--format", "html", "--out", str(out)])
        assert r.exit_code == 0, r.output
    page = a.read_text(encoding="utf-8")
    assert page == b.read_text(encoding="utf-8")
    assert page.count("<svg") == 3
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 3
    assert "2019年 1季度 技能提升补贴: 1</title>" in page  # a bar segment
    assert '<td class="n">2,850.00</td>' in page
    assert 'lang="zh-CN"' in page


def test_md_and_text_are_deterministic(rep):
    assert render(rep, "md") == render(rep, "md")
    assert render(rep, "text") == render(rep, "text")


def test_a_file_that_is_not_batch_output_exits_2(tmp_path, bundled_policy):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        dumps_case(next(generate(1, seed=1, policy=bundled_policy))) + "\n", encoding="utf-8"
    )
    r = CliRunner().invoke(report_cmd, [str(cases)])
    assert r.exit_code == 2 and "cases.jsonl:1" in r.output and "policy batch" in r.output
    r = CliRunner().invoke(report_cmd, [str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2


def test_batch_then_report_agree(tmp_path, bundled_policy):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "".join(
            dumps_case(c) + "\n"
            for c in generate(
                120,
                seed=4,
                policy=bundled_policy,
                catalog=getattr(bundled_policy, "catalog_values", None),
            )
        ),
        encoding="utf-8",
    )
    out = tmp_path / "d.jsonl"
    r = CliRunner().invoke(
        batch_cmd, [str(cases), "--out", str(out), "--summary-json", str(tmp_path / "s.json")]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    rep = build_report(lines, bundled_policy)
    assert rep.eligible() == sum(p["eligible"] for p in summary["programs"].values())
    total = rep.cell(rep.by_program, rep.periods())
    assert total.amount == Decimal(summary["amount"])


def _forged(tmp_path, change) -> str:
    """The known file with its first line changed by ``change`` (a line
    appended when ``change`` gives text)."""
    first = json.loads(json.dumps(KNOWN[0]))
    extra = change(first)
    lines = [json.dumps(first, ensure_ascii=False)] + [
        json.dumps(x, ensure_ascii=False) for x in KNOWN[1:]
    ]
    if extra is not None:
        lines.append(extra)
    path = tmp_path / "forged.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "change,where,words",
    [
        (lambda x: '{"a":' * 50_000 + "1" + "}" * 50_000, ":9", "the JSON nests too deeply"),
        (lambda x: "[" * 100_000 + "]" * 100_000, ":9", "the JSON nests too deeply"),
        (
            lambda x: x["decisions"][0].update(amount="NaN"),
            ":1 field decisions[0].amount",
            'expected an amount in yuan as text, such as "12.30", found "NaN"',
        ),
        (
            lambda x: x["decisions"][0].update(amount="1e999999"),
            ":1 field decisions[0].amount",
            'found "1e999999"',
        ),
        (
            lambda x: x["decisions"][0].update(amount=1500.5),
            ":1 field decisions[0].amount",
            "1500.5",
        ),
        (
            lambda x: x["case"].update(as_of="2020-13-45"),
            ":1 field case.as_of",
            'expected a date YYYY-MM-DD, found "2020-13-45"',
        ),
        (
            lambda x: x["decisions"][0].update(outcome=["eligible"]),
            ":1 field decisions[0].outcome",
            "a text",
        ),
        (
            lambda x: x["decisions"][0].update(level={"a": 1}),
            ":1 field decisions[0].level",
            "a text",
        ),
        (lambda x: x.update(policy={"hash": 1}), ":1 field policy", "the policy's hash"),
        (lambda x: x["decisions"].append(7), ":1 field decisions[1]", "an object"),
    ],
    ids=["deep", "deep-list", "nan", "huge", "float", "date", "outcome", "level", "policy", "item"],
)
def test_a_damaged_or_forged_line_exits_2_and_names_it(tmp_path, change, where, words):
    """A decisions file comes from outside: each of these stopped the report
    with "internal error" (exit 3: RecursionError, TypeError, InvalidOperation,
    ValueError), or counted 1500.5 yuan that no batch writes. Now exit 2, the
    line and the field named."""
    path = _forged(tmp_path, change)
    r = CliRunner().invoke(report_cmd, [path, "--other-policy"])
    assert r.exit_code == 2, r.output
    assert f"{path}{where}" in r.output and words in r.output, r.output
    assert "internal error" not in r.output
