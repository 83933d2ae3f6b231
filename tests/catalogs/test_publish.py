"""catalog publish: CSV with BOM, JSON, Markdown, escaped offline HTML, determinism;
generic over the declarations, so the same suite runs over every policy
package that declares catalogues."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest

from catalogs import show
from catalogs.site import parse_formats, publish
from tests.helpers import ROOT, catalogue_site

VALID = Path(__file__).parent / "fixtures" / "valid"
KINDS = ("key_industry", "general", "institutions", "demand")
PACKAGES = [
    ROOT / "policy",
    *sorted(p.parent for p in ROOT.glob("examples/policies/*/catalogs.yaml")),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    publish(catalogue_site(VALID), out)
    return out


def test_publish_writes_every_format_of_every_catalogue(site):
    names = sorted(p.name for p in site.iterdir())
    expected = sorted(
        [f"{k}.{f}" for k in KINDS for f in ("html", "md", "csv", "json", "xlsx")]
        + ["index.html", "index.json"]
    )
    assert names == expected


def test_csv_has_a_bom_and_the_right_rows(site):
    raw = (site / "key_industry.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").startswith("代码,名称,")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == [  # the declared labels, the role fields as one 来源 column
        "代码",
        "名称",
        "职业编码",
        "等级",
        "标准课时",
        "产业/行业",
        "高危行业安全培训",
        "备注",
        "来源",
    ]
    assert [r[0] for r in rows[1:]] == ["ZD-001", "ZD-002", "ZD-003", "ZD-004"]
    assert rows[3] == [
        "ZD-003",
        "电工 & 焊工 <高级>",
        "6-31-01-03",
        "初级、中级、高级、技师",
        "120",
        "装备制造",
        "",
        '含"引号"与 <b>标签</b>',
        "示例",
    ]
    assert rows[2][6] == "是"
    assert b"\r\n" in raw


def test_csv_neutralises_formulas_and_joins_course_names(site):
    rows = list(csv.reader(io.StringIO((site / "demand.csv").read_text("utf-8-sig"), newline="")))
    assert rows[0][:5] == ["代码", "提单方", "提单人", "职业（项目）", "等级"]
    assert rows[3][:7] == [
        "XQ-0003",
        "企业",  # the enum's declared label
        "'=示例|矿山企业",
        "ZD-004 矿井通风工",  # the code with what its ref names
        "中级",
        "5",
        "2020-05-12",
    ]
    assert rows[1][1] == "劳动者"


def test_json_holds_the_catalogue_as_written(site):
    data = json.loads((site / "institutions.json").read_text("utf-8"))
    assert data["catalogue"] == "institutions"
    assert data["issued"] == "2020-04-30"
    assert data["policy"]["id"] == "taierzhuang-2020-4"
    assert data["policy"]["hash"].startswith("sha256:")
    assert [e["code"] for e in data["entries"]] == ["JG-001", "JG-101", "JG-102"]
    assert data["entries"][0]["cite"] == {"clause": "二", "quote": "区就业训练中心"}
    assert data["entries"][0]["sample_fields"] == ["courses", "status"]
    assert data["entries"][0]["sample"] is False
    assert data["entries"][1]["status"] == [
        {"status": "active", "from": "2020-05-01", "until": "2021-02-28", "reason": "列入"},
        {
            "status": "suspended",
            "from": "2021-03-01",
            "until": "2021-05-31",
            "reason": "评估不合格",
        },
        {"status": "active", "from": "2021-06-01", "until": None, "reason": "复评合格"},
    ]
    ki = json.loads((site / "key_industry.json").read_text("utf-8"))
    # every declared field, an optional one left out as the empty value of its type
    assert ki["entries"][1] == {
        "code": "ZD-002",
        "name": "危险化学品安全作业",
        "occupation_code": "",
        "levels": ["专项"],
        "hours": 48,
        "industry": "化工",
        "high_risk": True,
        "note": "",
        "sample": True,
        "cite": {"clause": "", "quote": ""},
    }
    assert ki["fields"][5] == {"name": "industry", "label": "产业/行业", "label_en": "Industry"}
    index = json.loads((site / "index.json").read_text("utf-8"))
    assert [(c["catalogue"], c["entries"]) for c in index["catalogues"]] == [
        ("key_industry", 4),
        ("general", 3),
        ("institutions", 3),
        ("demand", 3),
    ]


def test_html_escapes_everything(site):
    page = (site / "key_industry.html").read_text("utf-8")
    assert "<td>电工 &amp; 焊工 &lt;高级&gt;</td>" in page
    assert "含&quot;引号&quot;与 &lt;b&gt;标签&lt;/b&gt;" in page
    assert "<高级>" not in page and "<b>标签" not in page
    demand = (site / "demand.html").read_text("utf-8")
    assert "<td>=示例|矿山企业</td>" in demand


def test_html_is_offline_with_banner_search_sort_and_print_style(site):
    page = (site / "key_industry.html").read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script src" not in page and "<link" not in page
    assert 'id="sample-banner"' in page and "不是官方数据" in page
    assert '<input id="search" type="search"' in page
    assert page.count('<th scope="col"') == 9 and '<button type="button">标准课时</button>' in page
    assert "@media print" in page
    assert page.count('<tr class="sample"') == 4
    index = (site / "index.html").read_text("utf-8")
    for kind in KINDS:
        assert f'href="{kind}.html"' in index and f'href="{kind}.csv"' in index


def test_markdown_tables_escape_pipes(site):
    md = (site / "demand.md").read_text("utf-8")
    assert md.startswith("# 测试需求目录\n")
    assert "> **示例数据，非官方**" in md
    assert (
        "| XQ-0003 | 企业 | =示例\\|矿山企业 | ZD-004 矿井通风工 | 中级 | 5 | 2020-05-12 |  | 示例 |"
        in md
    )
    ki = (site / "key_industry.md").read_text("utf-8")
    assert "电工 &amp; 焊工 &lt;高级&gt;" in ki


def test_output_is_byte_identical_across_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    publish(catalogue_site(VALID), a)
    publish(catalogue_site(VALID), b)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir()) and len(files) == 22
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_format_subset_writes_only_those(tmp_path):
    written = publish(catalogue_site(VALID), tmp_path, parse_formats("csv"))
    assert sorted(p.name for p in written) == sorted(f"{k}.csv" for k in KINDS)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{k}.csv" for k in KINDS)


def test_parse_formats():
    assert parse_formats(None) == ("html", "md", "csv", "json", "xlsx")
    assert parse_formats("json, HTML") == ("html", "json")
    with pytest.raises(ValueError, match="unknown format"):
        parse_formats("html,pdf")


def test_bundled_catalogues_publish(tmp_path):
    publish(catalogue_site(), tmp_path)
    rows = list(
        csv.reader(io.StringIO((tmp_path / "institutions.csv").read_text("utf-8-sig"), newline=""))
    )
    assert [r[1] for r in rows[1:5]] == [
        "台儿庄区就业训练中心",
        "台儿庄区职业中专",
        "台儿庄区农广校",
        "台儿庄区农业机械化学校",
    ]
    assert rows[1][-1] == "原文 二；示例字段：可培训项目及等级、状态记录"
    assert all(r[-1] == "示例" for r in rows[5:])


# ------------------------------------------------------- property: escaping

from html.parser import HTMLParser  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from catalogs.site import Site, render_csv, render_html  # noqa: E402


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self._cell, self.tags = [], None, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


_SITE = catalogue_site()

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip()
)


@settings(max_examples=60, deadline=None)
@given(name=_text, note=_text)
def test_any_text_survives_html_and_csv(name, note):
    import copy
    from decimal import Decimal

    base = next(d for d in _SITE.catalogues if d.id == "general")
    cat = copy.copy(base)
    cat.meta = {"title": name, "edition": "1", "issuer": "测试", "note": "示例，不是官方数据。"}
    cat.entries = [
        {
            "code": "YB-001",
            "name": name,
            "occupation_code": "",
            "levels": ["初级"],
            "hours": Decimal(10),
            "industry": "",
            "high_risk": False,
            "note": note,
            "sample": True,
            "cite": {"clause": "", "quote": ""},
        }
    ]
    site = Site(title=name, preamble="", policy=_SITE.policy, catalogues=[cat])
    parser = _Cells()
    parser.feed(render_html(cat, site).decode("utf-8"))
    body = [r for r in parser.rows if r]
    assert len(body) == 1
    assert body[0][1] == " ".join(name.split())
    assert body[0][7] == " ".join(note.split())
    # no markup was injected: only the page's own tags
    assert set(parser.tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "nav",
        "a",
        "div",
        "span",
        "h1",
        "dl",
        "dt",
        "dd",
        "p",
        "br",
        "label",
        "input",
        "table",
        "caption",
        "thead",
        "tr",
        "th",
        "button",
        "tbody",
        "td",
        "footer",
        "code",
        "script",
    }
    rows = list(csv.reader(io.StringIO(render_csv(cat).decode("utf-8-sig"), newline="")))
    shown = " ".join(name.split())
    formula = shown[0] in "=+-@" and not re.fullmatch(r"-?\d+(\.\d+)?", shown)
    assert rows[1][1] == ("'" + shown if formula else shown)


# ------------------------------------------- every policy package: one suite


@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_every_policy_publishes_its_own_catalogues(package, tmp_path):
    """The same publisher over each package's declarations: every format of
    every declared catalogue, the declared labels as the CSV's and the
    workbook's header, the sample warning where the data is a sample, the
    policy named on every page, byte-identical twice, and --force needed to
    replace an earlier publication."""
    from openpyxl import load_workbook

    from interpreter.outputs import OutputError

    site = catalogue_site(policy_dir=package)
    ids = [d.id for d in site.catalogues]
    assert ids
    a, b = tmp_path / "a", tmp_path / "b"
    publish(site, a)
    publish(catalogue_site(policy_dir=package), b)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(
        [f"{i}.{f}" for i in ids for f in ("html", "md", "csv", "json", "xlsx")]
        + ["index.html", "index.json"]
    )
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    index = (a / "index.html").read_text("utf-8")
    assert f"<h1>{html.escape(site.title, quote=True)}</h1>" in index
    for decl in site.catalogues:
        heads = [c.label for c in show.columns(decl)]
        raw = (a / f"{decl.id}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert rows[0] == heads and len(rows) == len(decl.entries) + 1
        page = (a / f"{decl.id}.html").read_text("utf-8")
        assert f"policy {site.policy['id']} · {site.policy['hash']}" in page
        assert '<input id="search" type="search"' in page and "@media print" in page
        assert ('id="sample-banner"' in page) == show.has_samples(decl)
        assert f'href="{decl.id}.html"' in index
        ws = load_workbook(a / f"{decl.id}.xlsx").active
        header_row = next(r for r in range(1, 6) if ws.cell(row=r, column=1).value == heads[0])
        assert [c.value for c in ws[header_row]] == heads
        assert ws.freeze_panes == f"A{header_row + 1}"
        data = json.loads((a / f"{decl.id}.json").read_text("utf-8"))
        assert data["policy"]["id"] == site.policy["id"] and len(data["entries"]) == len(
            decl.entries
        )
    with pytest.raises(OutputError, match="already exists"):
        publish(site, a)
    assert publish(site, a, force=True)
