"""The decision notice (审核结果通知书): what it says, whose words it uses
(the policy's notice.yaml), as HTML and as a printed PDF whose text is read
back with pdftotext and whose page 1 is drawn with pdftoppm and kept as an
artefact."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from documents import render_notice
from interpreter.display import money_figures, money_in_capitals
from tests.helpers import load_policy

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"
ISSUED = _dt.date(2021, 10, 28)

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdftotext, pdftoppm)")


def decide(policy, example: str) -> dict:
    from interpreter.cases import read_case_file
    from interpreter.evaluate import Evaluator
    from interpreter.render import result_json

    path = EXAMPLES / example
    data, raw = read_case_file(path)
    res = Evaluator(policy).decide(data, case_name=f"examples/{example}")
    res.case_sha256 = "sha256:" + hashlib.sha256(raw).hexdigest()
    return json.loads(json.dumps(result_json(policy, res)))


def example_id(example: str) -> str:
    return json.loads((EXAMPLES / example).read_text(encoding="utf-8"))["applicant"]["id"]


class _Text(HTMLParser):
    """The text a reader sees: no tags, no style sheet."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(html: bytes) -> str:
    p = _Text()
    p.feed(html.decode("utf-8"))
    return " ".join(" ".join(p.parts).split())


def html_notice(policy, example, **kw) -> str:
    return visible(render_notice(decide(policy, example), policy, issued=ISSUED, **kw))


# -- money in capitals -----------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, words",
    [
        ("1500", "壹仟伍佰元整"),
        ("6000.00", "陆仟元整"),
        ("4399.80", "肆仟叁佰玖拾玖元捌角"),
        ("1005.06", "壹仟零伍元零陆分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("100000", "壹拾万元整"),
        ("100100", "壹拾万零壹佰元整"),
        ("10001", "壹万零壹元整"),
        ("1010000", "壹佰零壹万元整"),
        ("100000001", "壹亿零壹元整"),
        ("27000", "贰万柒仟元整"),
        ("0.56", "伍角陆分"),
        ("0.06", "陆分"),
        ("0", "零元整"),
        ("0.005", "壹分"),  # half up to the fen first
    ],
)
def test_money_in_chinese_capitals(amount, words):
    assert money_in_capitals(Decimal(amount)) == words


def test_money_in_figures_has_thousands_separators_and_the_fen():
    assert money_figures(Decimal("60000")) == "60,000.00"
    assert money_figures(Decimal("4399.8")) == "4,399.80"
    assert money_figures("1234567.891") == "1,234,567.891"  # never hides a digit


# -- what a notice says ----------------------------------------------------------------


def test_a_refusal_says_what_failed_with_the_values_and_the_quoted_clause(bundled_policy):
    text = html_notice(bundled_policy, "vocational_training_institution_suspended.json")
    assert "职业技能提升行动补贴审核结果通知书" in text
    assert "台儿庄区人力资源社会保障局" in text
    assert "朱晓燕" in text
    number = example_id("vocational_training_institution_suspended.json")
    assert number[:4] + "*" * 10 + number[-4:] in text and number not in text
    assert "不予补贴" in text and "不符合职业培训补贴的条件" in text
    # the failing condition, the dates it compared and the catalogue's periods
    assert "培训机构列入职业技能培训机构目录，且从培训开始到结束一直处于在册" in text
    assert "2021年3月15日" in text and "2021年4月30日" in text
    assert "2020年5月1日至2021年2月28日" in text and "2021年6月1日起" in text
    assert "「业务主管部门要加强行业监管，建立评估和退出机制」" in text
    # the review rights, with the periods of notice.yaml
    assert "自收到本通知书之日起60日内向台儿庄区人民政府申请行政复议" in text
    assert "6个月内依法向人民法院提起行政诉讼" in text
    assert "2021年10月28日" in text
    # nothing a person should not have to read
    for internal in (
        "9999",
        "institution_active",
        "any(",
        "catalog.",
        "training.start_date",
        "vocational_training",
        "true",
        "false",
        "None",
    ):
        assert internal not in text, internal
    # no amount on a refusal
    assert "¥" not in text and "元整" not in text


def test_a_grant_gives_the_amount_in_figures_and_capitals_and_the_cap(bundled_policy):
    text = html_notice(bundled_policy, "apprenticeship_capped.json", number="000123")
    assert "予以补贴" in text
    assert "¥6,000.00" in text and "陆仟元整" in text
    assert "核定补贴金额人民币陆仟元整（¥6,000.00）" in text
    assert "7,200.00元 → 6,000.00元" in text  # the cap as a step
    assert "企业新型学徒制培训补贴上限 6,000.00元（自2019年1月1日起执行）" in text
    assert "台人社培补审〔2021〕000123号" in text
    assert "样稿" not in text  # numbered: not a draft


def test_an_unnumbered_notice_is_a_draft(bundled_policy):
    text = html_notice(bundled_policy, "apprenticeship_capped.json")
    assert "（未编号）" in text and "样稿" in text


def test_an_incomplete_application_lists_what_is_missing(bundled_policy):
    text = html_notice(bundled_policy, "skill_upgrade_missing_insurance.json")
    assert "待补正" in text and "尚需补充的材料" in text
    assert "缺少：累计缴纳失业保险费月数" in text.replace(" ", "")
    assert "applicant.insured_months" not in text


def test_installments_and_an_institution_as_addressee(bundled_policy):
    text = html_notice(bundled_policy, "project_training_advance_only.json")
    assert "台儿庄区就业训练中心（JG-001）：" in text  # name from the catalogue
    assert "27,000.00元 可拨付" in text and "18,000.00元 不予拨付" in text
    assert "贰万柒仟元整" in text


def test_the_notice_in_english(bundled_policy):
    text = html_notice(bundled_policy, "apprenticeship_capped.json", lang="en")
    assert "Notice of the decision on an application for a vocational skills subsidy" in text
    assert "A subsidy of 6,000.00 yuan (陆仟元整) is granted." in text
    assert "within 60 days" in text and "within 6 months" in text
    assert "20 October 2021" in text


def test_values_from_the_case_are_escaped(bundled_policy):
    d = decide(bundled_policy, "apprenticeship_capped.json")
    d["case"]["facts"]["applicant"]["name"] = "<script>alert(1)</script>"
    html = render_notice(d, bundled_policy, issued=ISSUED).decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- the words are the policy's ----------------------------------------------------------


def test_the_words_come_from_notice_yaml(policy_copy):
    f = policy_copy / "notice.yaml"
    text = f.read_text(encoding="utf-8")
    text = (
        text.replace("review_days: 60", "review_days: 15")
        .replace("litigation_months: 6", "litigation_months: 3")
        .replace("zh: 职业技能提升行动补贴审核结果通知书", "zh: 补贴申请审核结果告知书")
    )
    f.write_text(text, encoding="utf-8")
    policy = load_policy(policy_copy)
    out = html_notice(policy, "apprenticeship_capped.json")
    assert "补贴申请审核结果告知书" in out
    assert "之日起15日内" in out and "3个月内" in out
    assert "60日" not in out and "6个月" not in out


def test_a_policy_without_notice_yaml_cannot_make_a_notice(policy_copy):
    from documents.notice import NoticeError

    (policy_copy / "notice.yaml").unlink()
    policy = load_policy(policy_copy)
    with pytest.raises(NoticeError, match=r"no notice\.yaml"):
        render_notice(decide(policy, "apprenticeship_capped.json"), policy)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("日内向{review_body}", "日内向{review_bodies}", "does not have the expected form"),
        (
            "- {fact: applicant.id, mask: true}",
            "- {fact: applicant.identity, mask: true}",
            "no fact 'applicant.identity'",
        ),
        (
            "- {fact: applicant.id, mask: true}",
            "- {fact: application.date, mask: true}",
            "declares no mask or format",
        ),
        ("review_days: 60", "review_days: sixty", "expected an integer"),
    ],
)
def test_a_mistake_in_notice_yaml_is_reported_where_it_is(policy_copy, old, new, message):
    f = policy_copy / "notice.yaml"
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(
        i
        for i, x in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if new.split(":")[-1].strip() in x or new in x
    )
    r = CliRunner().invoke(cli, ["check", str(policy_copy)])
    assert r.exit_code == 1, r.output
    assert f"notice.yaml:{line}:" in r.output and message in r.output


def test_a_header_line_masked_by_the_facts_declared_mask(policy_copy):
    """`mask: true` on a fact that declares a `mask` (the name: 张*三) shows it
    masked as the read-only views do; without it, the name is shown whole."""
    example = "skill_upgrade_senior.json"
    name = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))["applicant"]["name"]
    policy = load_policy(policy_copy)
    assert name in render_notice(decide(policy, example), policy, issued=ISSUED).decode()
    f = policy_copy / "notice.yaml"
    text = f.read_text(encoding="utf-8")
    old = "  - {fact: applicant.name, label: {zh: 申请人, en: Applicant}}"
    assert old in text
    f.write_text(
        text.replace(old, old[:-1] + ", mask: true}", 1).replace(
            "addressee:\n  - {fact: applicant.name}\n", "addressee:\n", 1
        ),
        encoding="utf-8",
    )
    policy = load_policy(policy_copy)
    html = render_notice(decide(policy, example), policy, issued=ISSUED).decode()
    assert name not in html and f"{name[0]}*{name[-1]}" in html


def test_the_header_and_the_explanations_mask_alike(bundled_policy):
    """notice.yaml masks the ID number in the header (`mask: true`): the
    explanations (a real-name check's values) and the reviewer's reason show
    it masked too, for every reader; the name, which the header shows whole,
    stays whole. With ``masked`` (a read-only reader) the name is masked
    everywhere as well, the reason included."""
    example = "vocational_training_intermediate.json"
    number = example_id(example)
    name = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))["applicant"]["name"]
    shown = number[:4] + "*" * 10 + number[-4:]
    reason = f"{name}的证书编号与身份证号{number}（写作{number.lower()}）不符"
    decision = decide(bundled_policy, example)
    html = render_notice(
        decision, bundled_policy, issued=ISSUED, number="000001", rejected=reason
    ).decode()
    text = visible(html.encode())
    assert number not in html and number.lower() not in html
    assert "身份证号：" + shown in text  # an explanation's values, as the header
    assert f"{name}的证书编号与身份证号{shown}（写作{shown}）不符" in text
    html = render_notice(
        decision, bundled_policy, issued=ISSUED, number="000001", rejected=reason, masked=True
    ).decode()
    assert name not in html and number not in html
    assert f"{name[0]}*的证书编号与身份证号{shown}" in visible(html.encode())


# -- PDF ---------------------------------------------------------------------------------


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


@needs_poppler
@pytest.mark.parametrize(
    "example, lang, expected",
    [
        (
            "apprenticeship_capped.json",
            "zh",
            [
                "职业技能提升行动补贴审核结果通知书",
                "陆仟元整",
                "¥6,000.00",
                "3704**********",
                "60日内",
                "第1页 共2页",
                "第2页 共2页",
            ],
        ),
        (
            "vocational_training_institution_suspended.json",
            "zh",
            ["不予补贴的理由", "2020年5月1日至2021年2月28日", "权利告知"],
        ),
        (
            "apprenticeship_capped.json",
            "en",
            ["Notice of the decision", "6,000.00 yuan", "Page 1 of"],
        ),
    ],
)
def test_the_pdf_reads_back_and_page_one_is_drawn(
    bundled_policy, artefacts, example, lang, expected
):
    from PIL import Image

    pdf = render_notice(
        decide(bundled_policy, example),
        bundled_policy,
        lang=lang,
        format="pdf",
        number="000123",
        issued=ISSUED,
    )
    assert pdf.startswith(b"%PDF-")
    text = pdftotext(pdf)
    flat = "".join(text.split())
    for words in expected:
        assert "".join(words.split()) in flat, words
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode()
    if fonts:  # pdffonts reads stdin from poppler 22 on
        assert "Noto" in fonts and "CJK" in fonts
    stem = f"notice-{Path(example).stem}-{lang}"
    (artefacts / f"{stem}.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(artefacts / f"{stem}.pdf"),
            str(artefacts / f"{stem}-page1"),
        ],
        check=True,
    )
    png = artefacts / f"{stem}-page1.png"
    with Image.open(png) as im:
        w, h = im.size
        assert abs(h / w - 297 / 210) < 0.01  # A4 portrait
        grey = im.convert("L")
        ink = sum(grey.histogram()[:128]) / (w * h)
    assert 0.01 < ink < 0.5, ink  # printed, not blank


# -- the command -------------------------------------------------------------------------


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_the_command_makes_the_same_notice_from_a_case_and_from_its_decision(tmp_path):
    case = EXAMPLES / "vocational_training_institution_suspended.json"
    decision = tmp_path / "decision.json"
    r = run("eval", case, "--format", "json")
    assert r.exit_code == 0
    decision.write_text(r.output, encoding="utf-8")
    a = run("notice", case, "--date", "2021-06-01")
    b = run("notice", decision, "--date", "2021-06-01")
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert a.output == b.output
    assert "不予补贴" in visible(a.output.encode())


def test_the_command_writes_a_pdf(tmp_path):
    out = tmp_path / "notice.pdf"
    r = run(
        "notice",
        EXAMPLES / "apprenticeship_capped.json",
        "--format",
        "pdf",
        "--out",
        out,
        "--number",
        "42",
        "--date",
        "2021-10-28",
    )
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["notice.pdf"]  # no temporary left


@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        (["notice", EXAMPLES / "README.md"], 2, "JSON"),
        (["notice", EXAMPLES / "apprenticeship_capped.json", "--program", "nothing"], 2, "nothing"),
        (["notice", EXAMPLES / "apprenticeship_capped.json", "--format", "docx"], 2, "docx"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(args, exit_code, message):
    r = run(*args)
    assert r.exit_code == exit_code, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_a_decision_made_under_another_policy_is_refused(tmp_path):
    r = run("eval", EXAMPLES / "apprenticeship_capped.json", "--format", "json")
    d = json.loads(r.output)
    d["policy"]["id"] = "another-policy"
    f = tmp_path / "d.json"
    f.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    r = run("notice", f)
    assert r.exit_code == 2
    assert "made under policy 'another-policy'" in r.output


def test_the_command_never_replaces_a_file_unasked_nor_its_input(tmp_path):
    out = tmp_path / "notice.html"
    out.write_text("keep me", encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_bytes((EXAMPLES / "apprenticeship_capped.json").read_bytes())
    r = run("notice", case, "--out", out)
    assert r.exit_code == 2 and "already exists" in r.output and "--force" in r.output
    assert out.read_text(encoding="utf-8") == "keep me"
    r = run("notice", case, "--out", case, "--force")
    assert r.exit_code == 2 and "same file as the input" in r.output
    assert case.read_bytes() == (EXAMPLES / "apprenticeship_capped.json").read_bytes()
    r = run("notice", case, "--out", out, "--force")
    assert r.exit_code == 0 and "审核结果通知书" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_no_notice_shows_an_internal_id(bundled_policy, example):
    """Program ids, clause ids, fact paths and the names of shared definitions
    stay out of what an applicant receives, in both languages."""
    ids = set(bundled_policy.programs) | set(bundled_policy.definitions)
    ids |= {c.id for p in bundled_policy.programs.values() for c in p.clauses}
    ids |= {d.id for p in bundled_policy.programs.values() for d in p.lets}
    ids = {i for i in ids if "_" in i}
    for lang in ("zh", "en"):
        text = html_notice(bundled_policy, example, lang=lang)
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]", text))
        assert words & ids == set(), (lang, words & ids)
        assert not [w for w in words if "." in w and w.split(".")[0] in bundled_policy.facts]


@pytest.mark.parametrize(
    "change,words",
    [
        (
            lambda d: d["decisions"][0].update(amount="NaN"),
            (
                "field decisions[0].amount: expected an amount in yuan as text, "
                'such as "12.30", found "NaN"'
            ),
        ),
        (lambda d: d["decisions"][0].update(amount="1e999999"), 'found "1e999999"'),
        (
            lambda d: d["case"].update(as_of="2020-99-99"),
            'field case.as_of: expected a date YYYY-MM-DD, found "2020-99-99"',
        ),
        (lambda d: d["decisions"][0].update(outcome=["eligible"]), "a field holds a value"),
        (lambda d: d["decisions"][0].update(program={"a": 1}), "a field holds a value"),
        (lambda d: d["decisions"][0].update(clauses="x"), "a field holds a value"),
    ],
    ids=["nan", "huge", "date", "outcome", "program", "clauses"],
)
def test_a_damaged_or_forged_stored_decision_exits_2(tmp_path, change, words):
    """A stored decision comes from outside: "1e999999" as the amount, an
    outcome that is a list, a program that is an object, clauses that are
    text stopped `policy notice` with "internal error" (exit 3); an amount
    "NaN" made an eligible notice grant "人民币—（¥—）", a date that is none
    was printed as it came. Now exit 2, nothing written."""
    r = CliRunner().invoke(
        cli, ["eval", str(ROOT / "examples/skill_upgrade_senior.json"), "--format", "json"]
    )
    decision = json.loads(r.stdout)
    change(decision)
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(decision, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "notice.html"
    r = CliRunner().invoke(cli, ["notice", str(path), "--format", "html", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert words in r.output and "internal error" not in r.output
    assert not out.exists()
