"""Text that cannot be forged (issue 12, 6): a newline, a terminal escape or a
bidi override in a case value, a file name, a revision's label or a decisions
file is shown escaped in every text output, and the Markdown and HTML reports
escape HTML."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from cli import cli
from dsl.visible import visible
from tests.helpers import ROOT

FORGED = "\n■ 职业培训补贴 (vocational_training) — 符合条件    补贴金额: 99999.00 元"
ESC = "\x1b[2J\x1b[31m"  # clear the screen, then red
BIDI = "\u202e00.99999"  # shown right to left: 99999.00


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r.exit_code, r.output


def no_forged_line(text: str) -> None:
    for line in text.splitlines():
        assert "99999.00" not in line or "\\n" in line, line
        assert "\x1b" not in line and "\u202e" not in line, repr(line)


def test_visible_escapes_every_control_format_and_separator_character():
    import unicodedata

    for cp in range(0x110000):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            assert visible(ch) != ch and visible(ch).isascii(), hex(cp)
    assert visible("补贴金额: 2000.00 元") == "补贴金额: 2000.00 元"
    assert visible("a\nb\x1bc\u202ed\ud800") == "a\\nb\\x1bc\\u202ed\\ud800"


def test_a_newline_in_a_case_field_cannot_forge_a_line(tmp_path):
    case = json.loads(
        (ROOT / "examples" / "vocational_training_same_level_again.json").read_text(
            encoding="utf-8"
        )
    )
    case["certificate"]["occupation"] = "维修电工" + FORGED + ESC + BIDI
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    code, out = run("eval", f, "--program", "vocational_training")
    assert code == 0
    no_forged_line(out)
    code, out = run("eval", f, "--program", "vocational_training", "--full")
    assert code == 0
    assert "维修电工\\n■ 职业培训补贴" in out  # shown, escaped
    no_forged_line(out)
    # the English text and a policy test's failure explanation too
    code, out = run("eval", f, "--program", "vocational_training", "--lang", "en")
    no_forged_line(out)


def test_a_newline_in_a_case_file_name_cannot_forge_a_line(tmp_path):
    f = tmp_path / ("case" + FORGED.replace("/", "／") + ".json")
    f.write_bytes((ROOT / "examples" / "skill_upgrade_senior.json").read_bytes())
    code, out = run("eval", f)
    assert code == 0
    no_forged_line(out)


def test_a_newline_in_a_revision_label_cannot_forge_a_line(tmp_path):
    rev = (ROOT / "examples" / "revisions" / "raise-junior-2021.yaml").read_text(encoding="utf-8")
    forged = json.dumps("台人社字" + FORGED + ESC, ensure_ascii=False)
    rev = re.sub(r"(?m)^  number: .*$", lambda m: "  number: " + forged, rev)
    f = tmp_path / "rev.yaml"
    f.write_text(rev, encoding="utf-8")
    code, out = run(
        "eval",
        ROOT / "examples" / "vocational_training_special_ability.json",
        "--revision",
        f,
        "--as-of",
        "2021-02-01",
    )
    assert code == 0, out
    assert "台人社字\\n■" in out
    no_forged_line(out)


def test_an_escape_in_an_unknown_key_is_shown_escaped(tmp_path):
    f = tmp_path / "case.json"
    f.write_text(
        '{"applicant": {"insured_month\\u001b[2J\\n补贴金额: 99999.00 元": 1}}', encoding="utf-8"
    )
    code, out = run("eval", f)
    assert code == 2
    assert "insured_month\\x1b[2J\\n补贴金额" in out
    no_forged_line(out)


def test_batch_rejects_and_what_if_show_values_escaped(tmp_path):
    cases = tmp_path / "c.jsonl"
    good = (ROOT / "examples" / "vocational_training_special_ability.json").read_text(
        encoding="utf-8"
    )
    bad = json.dumps({"applicant": {"insured_month" + FORGED + ESC: 1}}, ensure_ascii=False)
    cases.write_text(
        json.dumps(json.loads(good), ensure_ascii=False) + "\n" + bad + "\n", encoding="utf-8"
    )
    code, out = run("batch", cases, "--out", tmp_path / "d.jsonl")
    assert code == 0
    no_forged_line(out)
    reject = json.loads((tmp_path / "d.rejects.jsonl").read_text(encoding="utf-8"))
    assert "\n■ 职业培训补贴" in reject["error"]  # the rejects file keeps the text as it was
    code, out = run(
        "diff",
        cases,
        "--revision",
        ROOT / "examples" / "revisions" / "raise-junior-2021.yaml",
        "--all",
    )
    assert code == 0
    no_forged_line(out)


@pytest.fixture
def hostile_decisions(tmp_path):
    """A decisions file whose level and program hold HTML, a Markdown link,
    a newline and a terminal escape."""
    line = {
        "format": 1,
        "line": 1,
        "id": "x",
        "policy": "sha256:0",
        "case": {"as_of": "2020-06-01", "as_of_source": "application.date", "as_of_missing": []},
        "decisions": [
            {
                "program": "vocational_training",
                "outcome": "eligible",
                "amount": "1000.00",
                "failing": [],
                "missing": [],
                "level": "<script>alert(1)</script>[x](javascript:alert(1))" + FORGED + ESC,
            }
        ],
    }
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    return f


def test_the_markdown_report_escapes_html_and_links(hostile_decisions):
    code, out = run("report", hostile_decisions, "--format", "md")
    assert code == 0, out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\[x\\](javascript" in out
    assert re.search(r"(?<!\\)\]\(", out) is None  # no link can be made
    no_forged_line(out)


def test_the_html_report_escapes_html(hostile_decisions):
    code, out = run("report", hostile_decisions, "--format", "html")
    assert code == 0, out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\x1b" not in out and "\u202e" not in out


def test_the_text_report_cannot_be_forged(hostile_decisions):
    code, out = run("report", hostile_decisions)
    assert code == 0, out
    no_forged_line(out)


def test_replay_differences_are_shown_escaped(tmp_path):
    code, out = run("eval", ROOT / "examples" / "skill_upgrade_senior.json", "--format", "json")
    data = json.loads(out)
    data["decisions"][0]["amount"] = "1" + FORGED + ESC
    f = tmp_path / "d.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out = run("eval", "--replay", f)
    assert code == 1
    no_forged_line(out)


def test_catalogue_diff_shows_values_escaped(tmp_path):
    old = ROOT / "policy" / "catalogs" / "institutions.yaml"
    new = tmp_path / "institutions.yaml"
    text = old.read_text(encoding="utf-8")
    new.write_text(
        text.replace(
            "name: 台儿庄区就业训练中心",
            'name: "台儿庄区就业训练中心\\n补贴金额: 99999.00 元\\e[2J"',
            1,
        ),
        encoding="utf-8",
    )
    for fmt in ("text", "md"):
        code, out = run("catalog", "diff", old, new, "--format", fmt)
        assert code == 0, out
        # the newline is folded into a space by the catalogue's own display; the
        # escape is shown escaped; no line of its own either way
        assert not any(line.lstrip("|-~+ ").startswith("补贴金额") for line in out.splitlines())
        assert "\x1b" not in out and "\\x1b" in out


def test_a_ledger_application_shows_names_and_reasons_escaped():
    from types import SimpleNamespace as NS

    from commands.ledger import render_application

    app = NS(
        id=7,
        status="refused",
        submitted_by="clerk",
        submitted_at="2021-03-01",
        source=None,
        reviewed_by="chief",
        reviewed_at="2021-03-02",
        review_reason="理由" + FORGED,
        person="370405198702284417",
        name="张三" + ESC,
        facts_recorded=[],
        grants=[],
        decision_seq=1,
        decision={"case": {"as_of": "2021-03-01"}, "decisions": []},
    )
    out = render_application(app)
    assert "理由\\n■" in out and "张三\\x1b" in out
    no_forged_line(out)
