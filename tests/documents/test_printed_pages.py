"""Documents as a person meets them: opened in a real headless Chromium (from
file://), printed to PDF by Chromium itself, and the PDF read back with
poppler. A printed page whose repeated table header is empty, or that lost
the sample warning, fails; so does a page that runs off a phone's screen.

Skipped only when /usr/bin/chromium is absent and the CI variable is unset;
in CI a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re

import pytest

from catalogs import show
from catalogs.site import publish
from tests.helpers import (
    CHROMIUM,
    ROOT,
    catalogue_site,
    chromium,
    pdf_page_sizes,
    pdf_pages,
    print_to_pdf,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # starts a real Chromium
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium (/usr/bin/chromium); "
        "apt-get install chromium chromium-driver",
    ),
]

SAMPLE_WARNING = "示例数据，非官方"
KINDS = ("key_industry", "general", "institutions", "demand")  # the bundled policy's
NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"


@pytest.fixture(scope="module")
def driver():
    drv = chromium()
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    publish(catalogue_site(), out)
    return out


def labels(kind: str, policy_dir=None) -> list[str]:
    """The column headings of a published catalogue, from its declaration."""
    decl = next(d for d in catalogue_site(policy_dir=policy_dir).catalogues if d.id == kind)
    return [c.label for c in show.columns(decl)]


def flat(text: str) -> str:
    return "".join(text.split())


def empty_headers(pages: list[str], labels: list[str]) -> list[int]:
    """The pages (1-based) on which some column label of the table is missing:
    a repeated header printed empty."""
    return [
        i
        for i, page in enumerate(pages, 1)
        if not all(flat(label) in flat(page) for label in labels)
    ]


# -- catalogues ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_printed_catalogue_repeats_its_header_and_the_warning_on_every_page(
    site, driver, artefacts, kind
):
    pdf = print_to_pdf(driver, (site / f"{kind}.html").as_uri())
    (artefacts / f"catalogue-{kind}.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf, layout=True)
    assert empty_headers(pages, labels(kind)) == []
    for i, page in enumerate(pages, 1):
        assert SAMPLE_WARNING in page, f"page {i} lost the sample warning"
        assert f"{i}/{len(pages)}" in flat(page)
    sizes = pdf_page_sizes(pdf)
    assert all(abs(w - 842) < 2 and abs(h - 595) < 2 for w, h in sizes), sizes  # A4 landscape


def test_a_catalogue_of_several_pages_is_printed(site, driver):
    """The header check above means something only if a catalogue runs over
    a page; and it does fail on the header as Chromium printed it before
    (the words only inside the sort buttons)."""
    page = (site / "institutions.html").read_text(encoding="utf-8")
    pages = pdf_pages(print_to_pdf(driver, (site / "institutions.html").as_uri()), layout=True)
    assert len(pages) >= 2
    old = re.sub(r'<span class="print-label"[^>]*>[^<]*</span>', "", page)
    old = old.replace("th button { display: none; }", "")
    (site / "institutions-old.html").write_text(old, encoding="utf-8")
    old_pages = pdf_pages(
        print_to_pdf(driver, (site / "institutions-old.html").as_uri()), layout=True
    )
    assert empty_headers(old_pages, labels("institutions")) != []


def test_the_second_policys_catalogue_prints_too(tmp_path, driver, artefacts):
    """The same publisher over another policy's declaration: its headings and
    the sample warning on the printed page, portrait (a narrow table)."""
    publish(catalogue_site(policy_dir=NATIONAL), tmp_path, ("html",))
    pdf = print_to_pdf(driver, (tmp_path / "occupations.html").as_uri())
    (artefacts / "catalogue-occupations.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf, layout=True)
    assert empty_headers(pages, labels("occupations", NATIONAL)) == []
    assert all(SAMPLE_WARNING in page for page in pages)
    assert "电子商务师" in flat(pages[-1])
    sizes = pdf_page_sizes(pdf)
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes), sizes  # A4 portrait


def test_the_institutions_page_finds_a_course_by_its_name(site, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get((site / "institutions.html").as_uri())
    box = driver.find_element(By.ID, "search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("养老护理员")
    rows = driver.find_elements(By.CSS_SELECTOR, "#catalogue tbody tr")
    shown = [r.get_attribute("data-key") for r in rows if r.is_displayed()]
    values = catalogue_site().tables
    names = {c["code"]: c["name"] for c in values["courses"]}
    teach = [
        i["code"]
        for i in values["institutions"]
        if any(names[a["course"]] == "养老护理员" for a in i["courses"])
    ]
    assert shown == teach and teach


def test_no_internal_name_on_a_page(site, driver):
    from selenium.webdriver.common.by import By

    for kind in KINDS:
        driver.get((site / f"{kind}.html").as_uri())
        text = driver.find_element(By.TAG_NAME, "body").text
        for internal in (
            "key_industry",
            "institutions",
            "demand",
            "sample:",
            "sample_fields",
            "active",
            "suspended",
            "exited",
            "general.",
        ):
            assert internal not in text, (kind, internal)


def test_without_javascript_the_search_box_is_not_offered(site):
    from selenium.webdriver.common.by import By

    drv = chromium(javascript=False)
    try:
        drv.get((site / "general.html").as_uri())
        assert not drv.find_element(By.ID, "search").is_displayed()
        assert drv.find_element(By.ID, "catalogue").is_displayed()
    finally:
        drv.quit()
    # and with it, it is
    drv = chromium()
    try:
        drv.get((site / "general.html").as_uri())
        assert drv.find_element(By.ID, "search").is_displayed()
    finally:
        drv.quit()


def test_at_phone_width_the_table_scrolls_inside_the_page(site):
    drv = chromium(width=390, height=844)
    try:
        for kind in KINDS:
            drv.get((site / f"{kind}.html").as_uri())
            page_width, view, table_scrolls = drv.execute_script(
                "var s = document.querySelector('.table-scroll');"
                "return [document.documentElement.scrollWidth, window.innerWidth,"
                " s.scrollWidth > s.clientWidth];"
            )
            assert page_width <= view, (kind, page_width, view)
            assert table_scrolls, kind
    finally:
        drv.quit()


# -- the decision notice ---------------------------------------------------------------


def test_a_notice_printed_by_chromium(tmp_path, driver, artefacts):
    from documents import render_notice
    from interpreter.cases import read_case_file
    from interpreter.evaluate import Evaluator
    from interpreter.render import result_json
    from tests.helpers import load_policy

    policy = load_policy()
    data, raw = read_case_file(ROOT / "examples" / "vocational_training_institution_suspended.json")
    res = Evaluator(policy).decide(data)
    res.case_sha256 = "sha256:" + hashlib.sha256(raw).hexdigest()
    decision = json.loads(json.dumps(result_json(policy, res)))
    html = tmp_path / "notice.html"
    html.write_bytes(render_notice(decision, policy, issued=_dt.date(2021, 6, 1)))
    pdf = print_to_pdf(driver, html.as_uri())
    (artefacts / "notice-chromium.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf)
    text = flat("".join(pages))
    for words in (
        "职业技能提升行动补贴审核结果通知书",
        "不予补贴的理由",
        "2020年5月1日至2021年2月28日",
        "60日内",
        "6个月内",
        "2021年6月1日",
    ):
        assert flat(words) in text, words
    assert f"第1页共{len(pages)}页" in flat(pages[0])
    sizes = pdf_page_sizes(pdf)
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes), sizes  # A4 portrait


# -- the report and the what-if ---------------------------------------------------------


@pytest.fixture(scope="module")
def population_pages(tmp_path_factory):
    """A report and a what-if page of a generated population, in Chinese."""
    from click.testing import CliRunner

    from cli import cli

    folder = tmp_path_factory.mktemp("population")
    cases, decisions = folder / "cases.jsonl", folder / "d.jsonl"
    runner = CliRunner()
    for args in (
        ["generate", "400", "--seed", "5", "--out", cases],
        ["batch", cases, "--out", decisions],
        ["report", decisions, "--format", "html", "--out", folder / "report.html"],
        [
            "diff",
            cases,
            "--revision",
            ROOT / "examples/revisions/raise-junior-2021.yaml",
            "--format",
            "html",
            "--out",
            folder / "diff.html",
        ],
    ):
        r = runner.invoke(cli, [str(a) for a in args])
        assert r.exit_code == 0, (args, r.output)
    return folder


def program_ids():
    from tests.helpers import load_policy

    return sorted(load_policy().programs)


@pytest.mark.parametrize("page", ["report.html", "diff.html"])
def test_a_chinese_page_printed_shows_no_program_id_nor_english(
    population_pages, driver, artefacts, page
):
    pdf = print_to_pdf(driver, (population_pages / page).as_uri())
    (artefacts / page.replace(".html", ".pdf")).write_bytes(pdf)
    text = "\n".join(pdf_pages(pdf))
    for pid in program_ids():
        assert pid not in text, pid
    for english in (
        "quarter",
        "person-times",
        "program",
        "amount",
        "budget",
        "eligible",
        "total",
        "level",
        "decisions",
    ):
        assert english not in text.lower(), english
    from tests.helpers import load_policy

    titles = [p.title for p in load_policy().programs.values()]
    assert sum(flat(t) in flat(text) for t in titles) >= 5  # the legends name programs


def test_the_report_chart_labels_sit_under_their_bars(population_pages, driver):
    driver.get((population_pages / "report.html").as_uri())
    misplaced = driver.execute_script("""
        var out = [];
        document.querySelectorAll('svg').forEach(function (svg) {
          var bars = Array.prototype.map.call(svg.querySelectorAll('rect.col'),
            function (r) { var b = r.getBBox(); return b.x + b.width / 2; });
          svg.querySelectorAll('text.xl').forEach(function (t) {
            var b = t.getBBox(), c = b.x + b.width / 2;
            if (!bars.some(function (x) { return Math.abs(x - c) < 1.5; })
                && t.textContent && bars.length) { out.push(t.textContent + '@' + c); }
          });
        });
        return out;""")
    labels = driver.execute_script("return document.querySelectorAll('svg text.xl').length")
    assert labels >= 24 and misplaced == []  # 2 charts × 12 quarters of the plan
