"""Publish the catalogues as a static site, Markdown, CSV, JSON and Excel.

Output is deterministic: the same catalogues give byte-identical files (no
timestamps, file order of entries, ``\\n`` line ends except CSV's ``\\r\\n``;
the .xlsx with fixed dates inside), so two publications can be diffed. The
HTML works offline from file://: no external resource, one inline script
(search box and sortable headers) and an inline stylesheet with a print
section (the header and the sample warning on every page, landscape when the
table is wide). The .xlsx is the file officers open (typed cells, frozen
header); the CSV is for machines.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from dsl.errors import Position

from .model import KINDS, STATUS_LABELS, Catalogs, Catalogue
from .records import catalogue_record, course_name, origin, show

FORMATS = ("html", "md", "csv", "json", "xlsx")


def site(directory: Path | str | None = None) -> dict:
    """The site's title and preamble, as the policy declares them (``site:``
    of the catalogs.yaml next to the catalogue folder, else the bundled
    policy's); nothing of them is written here."""
    from interpreter.yamlsource import load_yaml

    from .loader import DATA_DIR

    declared = Path(directory).parent / "catalogs.yaml" if directory is not None else None
    if declared is None or not declared.is_file():
        declared = DATA_DIR.parent / "catalogs.yaml"
    data = load_yaml(declared, display_name=str(declared)).data
    got = data.get("site") if isinstance(data, dict) else None
    return got if isinstance(got, dict) else {"title": "", "preamble": ""}


BANNER_ZH = (
    "标注“示例”的条目及目录的示例版次、日期仅为示意，不是官方数据，"
    "不得作为培训、补贴或资格认定的依据。"
)
BANNER_EN = "Entries marked 示例 (sample) are illustrative and not official data."
BOM = "\ufeff"


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable  # (entry, catalogs) -> str
    type: str = "text"  # "text", "number" or "date" (how the page sorts, the xlsx types it)
    nowrap: bool = False  # short values: keep on one line in the page
    typed: Callable | None = None  # (entry, catalogs) -> int | date | str: the xlsx cell


def _f(field):
    return lambda e, cats: show(field, getattr(e, field))


def courses_text(inst, catalogs: Catalogs | None) -> str:
    """The courses an institution may teach, each code with its name (so a
    search for 养老护理员 finds the institutions that teach it)."""
    parts = []
    for a in inst.courses:
        name = course_name(catalogs, a.course)
        parts.append(f"{a.course}{' ' + name if name else ''}（{'、'.join(a.levels)}）")
    return "；".join(parts)


def status_text(p) -> str:
    """A status period as people read it: 在册 2020-05-01至2021-02-28：reason."""
    label = STATUS_LABELS.get(p.status, p.status)
    period = (
        f"{p.start.isoformat()}至{p.until.isoformat()}" if p.until else f"{p.start.isoformat()}起"
    )
    return f"{label} {period}：{p.reason}" if p.reason else f"{label} {period}"


def latest_status_text(inst) -> str:
    return STATUS_LABELS.get(inst.status[-1].status, inst.status[-1].status) if inst.status else ""


def columns(kind: str) -> list[Column]:
    if kind in ("key_industry", "general"):
        return [
            Column("代码", _f("code"), nowrap=True),
            Column("名称", _f("name")),
            Column("职业编码", _f("occupation_code"), nowrap=True),
            Column("等级", lambda e, c: show("levels", list(e.levels))),
            Column(
                "标准课时",
                lambda e, c: str(e.hours),
                "number",
                nowrap=True,
                typed=lambda e, c: e.hours,
            ),
            Column("产业" if kind == "key_industry" else "行业", _f("industry")),
            Column("高危行业安全培训", lambda e, c: "是" if e.high_risk else ""),
            Column("备注", _f("note")),
            Column("来源", lambda e, c: origin(e)),
        ]
    if kind == "institutions":
        return [
            Column("代码", _f("code"), nowrap=True),
            Column("名称", _f("name")),
            Column("性质", _f("ownership"), nowrap=True),
            Column("资质", _f("licence")),
            Column("可培训项目及等级", courses_text),
            Column("最新状态", lambda e, c: latest_status_text(e), nowrap=True),
            Column("状态记录", lambda e, c: "；".join(status_text(p) for p in e.status)),
            Column("备注", _f("note")),
            Column("来源", lambda e, c: origin(e)),
        ]
    return [
        Column("代码", _f("code"), nowrap=True),
        Column("提单方", _f("submitted_by"), nowrap=True),
        Column("提单人", _f("submitter")),
        Column("项目代码", _f("occupation"), nowrap=True),
        Column("项目名称", lambda e, c: course_name(c, e.occupation)),
        Column("等级", _f("level"), nowrap=True),
        Column(
            "人数",
            lambda e, c: str(e.headcount),
            "number",
            nowrap=True,
            typed=lambda e, c: e.headcount,
        ),
        Column(
            "提单日期",
            lambda e, c: e.date.isoformat(),
            "date",
            nowrap=True,
            typed=lambda e, c: e.date,
        ),
        Column("备注", _f("note")),
        Column("来源", lambda e, c: origin(e)),
    ]


def table(cat: Catalogue, catalogs: Catalogs | None) -> tuple[list[str], list[list[str]]]:
    cols = columns(cat.kind)
    return [c.label for c in cols], [[c.value(e, catalogs) for c in cols] for e in cat.entries]


# ------------------------------------------------------------------- CSV


def _csv_cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to Excel: neutralise it.
    if text and text[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return "'" + text
    return text


def render_csv(cat: Catalogue, catalogs: Catalogs | None = None) -> bytes:
    head, rows = table(cat, catalogs)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(head)
    for row in rows:
        writer.writerow([_csv_cell(c) for c in row])
    return (BOM + buf.getvalue()).encode("utf-8")


# ------------------------------------------------------------------ Excel

# the fixed time written inside the .xlsx (its document properties and the
# dates of its zip members), so the same catalogue gives the same bytes
_XLSX_TIME = (2000, 1, 1, 0, 0, 0)


def _width(text: str) -> float:
    """Columns as a spreadsheet counts them: a CJK character is two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def render_xlsx(cat: Catalogue, catalogs: Catalogs | None = None) -> bytes:
    """The catalogue as the workbook officers open: a title row with the
    edition, the header lines and the sample warning, then the table with a
    frozen, filtered header that repeats on every printed page; numbers and
    dates as typed cells; column widths from the content."""
    import datetime as _dt
    import zipfile

    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    cols = columns(cat.kind)
    wb = Workbook()
    ws = cast(Worksheet, wb.active)  # a new workbook's one sheet
    ws.title = cat.title[:31]
    last = get_column_letter(len(cols))
    lines: list[tuple[str, Font, PatternFill | None]] = [
        (f"{cat.title}（{cat.edition}）", Font(bold=True, size=14), None)
    ]
    lines.append(("；".join(f"{k}：{v}" for k, v in _meta(cat)), Font(size=10), None))
    if cat.has_samples:
        lines.append(
            (
                f"示例数据，非官方：{BANNER_ZH}",
                Font(bold=True, size=10),
                PatternFill("solid", fgColor="FFF4CE"),
            )
        )
    for i, (text, font, fill) in enumerate(lines, start=1):
        ws.append([text])
        ws.merge_cells(f"A{i}:{last}{i}")
        cell = ws.cell(row=i, column=1)
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if fill is not None:
            cell.fill = fill
        ws.row_dimensions[i].height = 22 if i == 1 else 30
    header_row = len(lines) + 1
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([c.label for c in cols])
    for j in range(1, len(cols) + 1):
        cell = ws.cell(row=header_row, column=j)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.border = border
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    widths = [_width(c.label) for c in cols]
    for entry in cat.entries:
        row = []
        for j, c in enumerate(cols):
            value = c.typed(entry, catalogs) if c.typed else c.value(entry, catalogs)
            row.append(value if value != "" else None)
            widths[j] = max(widths[j], _width(c.value(entry, catalogs)))
        ws.append(row)
        r = ws.max_row
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(row=r, column=j)
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if c.type == "date":
                cell.number_format = "yyyy-mm-dd"
            elif cell.data_type == "f":
                cell.data_type = "s"  # text that looks like a formula stays text
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = cast(Cell, ws.cell(row=header_row + 1, column=1))  # below the merged head
    ws.auto_filter.ref = f"A{header_row}:{last}{max(ws.max_row, header_row)}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape" if len(cols) > PORTRAIT_COLUMNS else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    # a new sheet has its page set-up properties and page headers (the stubs
    # allow None, for sheets read from a file)
    fit = ws.sheet_properties.pageSetUpPr
    assert fit is not None
    fit.fitToPage = True
    if cat.has_samples:
        header = ws.oddHeader
        assert header is not None and header.center is not None
        header.center.text = f"示例数据，非官方：{BANNER_ZH}"
        header.center.size = 8
    # the document's dates are the catalogue's issue date, not the time of writing
    stamp = (
        _dt.datetime.combine(cat.issued, _dt.time()) if cat.issued else _dt.datetime(*_XLSX_TIME)
    )
    wb.properties.created = stamp
    wb.properties.title = cat.title
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps the zip members and the "modified" property with the
    # time of writing: both are rewritten
    out = io.BytesIO()
    modified = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = modified.sub(rb"\g<1>" + when + rb"\g<2>", data)
            member = zipfile.ZipInfo(info.filename, date_time=_XLSX_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, data)
    return out.getvalue()


# ------------------------------------------------------------------ JSON


def render_json(cat: Catalogue) -> bytes:
    return (json.dumps(catalogue_record(cat), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md_escape(text: str) -> str:
    from dsl.visible import visible

    text = visible(" ".join(str(text).split()))  # no control or bidi character left
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def note_lines(note: str) -> list[str]:
    """A note's lines (a literal block keeps one sentence a line), blanks dropped."""
    return [line.strip() for line in note.splitlines() if line.strip()]


def md_note(note: str) -> str:
    return "\n".join(
        md_escape(line) + "\\" if i < len(lines) - 1 else md_escape(line)
        for lines in [note_lines(note)]
        for i, line in enumerate(lines)
    )


def md_table(head: list[str], rows: list[list[str]]) -> str:
    out = [
        "| " + " | ".join(md_escape(h) for h in head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for row in rows:
        out.append("| " + " | ".join(md_escape(c) for c in row) + " |")
    return "\n".join(out)


def render_md(cat: Catalogue, catalogs: Catalogs | None = None) -> bytes:
    head, rows = table(cat, catalogs)
    parts = [f"# {md_escape(cat.title)}", ""]
    if cat.has_samples:
        parts += [f"> **示例数据，非官方**：{BANNER_ZH} {BANNER_EN}", ""]
    parts += _meta_lines(cat, md=True) + [
        "",
        md_note(cat.note),
        "",
        f"共 {len(rows)} 条。",
        "",
        md_table(head, rows),
        "",
    ]
    return "\n".join(parts).encode("utf-8")


def _meta(cat: Catalogue) -> list[tuple[str, str]]:
    """The header lines shown to people (the catalogue's id stays in the JSON)."""
    items = [
        ("版次", cat.edition),
        ("发布日期", cat.issued.isoformat() if cat.issued else ""),
        ("发布单位", cat.issuer),
    ]
    if cat.basis:
        items.append(("依据", cat.basis))
    return items


def _meta_lines(cat: Catalogue, md: bool) -> list[str]:
    return [f"- {k}：{md_escape(v) if md else v}" for k, v in _meta(cat)]


# ------------------------------------------------------------------ HTML


def e(text) -> str:
    return html.escape(str(text), quote=True)


CSS = """
:root { --fg: #1b1b1b; --muted: #555; --line: #c8c8c8; --head: #eef2f6; --warn: #fff4ce; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       color: var(--fg); margin: 1.5rem; line-height: 1.5; }
nav { margin-bottom: 1rem; }
nav a { margin-right: 1rem; }
.banner { background: var(--warn); border: 2px solid #c79a00; padding: .6rem 1rem;
          margin: 0 0 1rem; font-weight: bold; }
.banner span { font-weight: normal; display: block; }
h1 { font-size: 1.5rem; margin: .5rem 0; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.note { color: var(--muted); max-width: 60rem; }
.controls { margin: 1rem 0 .5rem; display: flex; gap: .8rem; align-items: center; flex-wrap: wrap; }
.controls[hidden] { display: none; }
.controls input { font: inherit; padding: .3rem .5rem; width: 26rem; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--head); position: sticky; top: 0; }
th button { all: unset; cursor: pointer; font-weight: bold; }
th button:focus-visible { outline: 2px solid #1a5fb4; }
th .print-label { display: none; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
.nw { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.sample td:last-child { color: #8a5a00; }
.badge { display: inline-block; border: 1px solid #c79a00; background: var(--warn);
         padding: 0 .3rem; font-size: .8rem; white-space: nowrap; }
footer { margin-top: 1.5rem; color: var(--muted); font-size: .85rem; }
@media screen and (max-width: 50rem) {
  body { margin: .75rem; }
  dl.meta { grid-template-columns: 1fr; }
  dl.meta dd { margin-bottom: .3rem; }
  .table-scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
  .table-scroll table { min-width: 44rem; }
  thead th { position: static; }
}
@media print {
  body { margin: 0; font-size: 8.5pt; color: #000; background: #fff; }
  nav, .controls, footer { display: none; }
  .banner { background: none; border: 2px solid #000; }
  thead { display: table-header-group; }
  thead th { background: none; position: static; }
  /* Chromium prints a form control in a repeated header as an empty box:
     the header's words are printed from a plain copy instead */
  th button { display: none; }
  th .print-label { display: inline; font-weight: bold; white-space: nowrap; }
  tr { break-inside: avoid; }
  th, td { border: 1px solid #000; padding: .2rem .3rem; min-width: 4.5em; }
  .table-scroll { overflow: visible; }
  a { color: #000; text-decoration: none; }
}
""".strip()

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("catalogue");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var input = document.getElementById("search");
  var count = document.getElementById("count");
  /* the search box works only with the script: it is hidden until now */
  document.getElementById("controls").hidden = false;
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = new Intl.Collator("zh-CN", { numeric: true });
  rows.forEach(function (row, i) { row.setAttribute("data-index", String(i)); });
  function norm(s) { return s.normalize("NFKC").toLowerCase(); }
  function filter() {
    var terms = norm(input.value).split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = norm(row.textContent);
      var ok = terms.every(function (t) { return text.indexOf(t) !== -1; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = "显示 " + shown + " / " + rows.length + " 条";
  }
  function key(row, col) {
    var cell = row.cells[col];
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
  }
  function sortBy(col) {
    var th = headers[col];
    var asc = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var numeric = th.getAttribute("data-type") === "number";
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col), d;
      if (x === "" || y === "") {
        d = (x === "") - (y === "");            /* empty cells last either way */
        if (d) { return d; }
      }
      d = numeric ? parseFloat(x) - parseFloat(y) : collator.compare(x, y);
      if (!asc) { d = -d; }
      return d || (Number(a.getAttribute("data-index")) - Number(b.getAttribute("data-index")));
    });
    rows.forEach(function (row) { tbody.appendChild(row); });
  }
  headers.forEach(function (th, col) {
    th.querySelector("button").addEventListener("click", function () { sortBy(col); });
  });
  input.addEventListener("input", filter);
  filter();
}());
""".strip()


def _css_string(text: str) -> str:
    """Text as a CSS string inside <style>: nothing in it can end the string or the element."""
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
        + '"'
    )


def print_css(wide: bool, sample: bool) -> str:
    """The printed page: A4, landscape when the table is wide; with sample
    entries, the warning in the top margin of every page (the banner itself
    is on page 1 only)."""
    rules = [f"size: A4 {'landscape' if wide else 'portrait'};", "margin: 14mm 10mm 12mm;"]
    if sample:
        rules.append(
            "@top-center { content: "
            + _css_string(f"示例数据，非官方：{BANNER_ZH}")
            + "; font-size: 7.5pt; color: #000; }"
        )
    rules.append('@bottom-right { content: counter(page) " / " counter(pages); font-size: 7.5pt; }')
    return "@page { " + " ".join(rules) + " }"


# a table of more columns than this prints in landscape
PORTRAIT_COLUMNS = 6


def _page(title: str, body: str, *, script: bool, page_css: str = "") -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            f"<style>\n{CSS}\n{page_css}\n</style>" if page_css else f"<style>\n{CSS}\n</style>",
            "</head>",
            "<body>",
            body,
            *([f"<script>\n{SCRIPT}\n</script>"] if script else []),
            "</body>",
            "</html>",
            "",
        ]
    )


def _banner() -> str:
    return (
        f'<div class="banner" id="sample-banner" role="note">示例数据，非官方：{e(BANNER_ZH)}'
        f"<span>{e(BANNER_EN)}</span></div>"
    )


def _links(kind: str, formats: tuple[str, ...]) -> str:
    names = {
        "html": "网页",
        "md": "Markdown",
        "csv": "CSV",
        "json": "JSON",
        "xlsx": "Excel（xlsx）",
    }
    return " ".join(f'<a href="{e(kind)}.{f}">{names[f]}</a>' for f in formats)


NW = ' class="nw"'


def render_html(
    cat: Catalogue, catalogs: Catalogs | None = None, formats: tuple[str, ...] = FORMATS
) -> bytes:
    cols = columns(cat.kind)
    head = "".join(
        f'<th scope="col"{NW if c.nowrap else ""} data-type="{c.type}" aria-sort="none">'
        f'<button type="button">{e(c.label)}</button>'
        f'<span class="print-label" aria-hidden="true">{e(c.label)}</span></th>'
        for c in cols
    )
    body_rows = []
    for entry in cat.entries:
        cells = []
        for c in cols:
            text = c.value(entry, catalogs)
            classes = (["num"] if c.type == "number" else []) + (["nw"] if c.nowrap else [])
            cls = f' class="{" ".join(classes)}"' if classes else ""
            if c.label == "来源" and entry.sample:
                cells.append(f'<td{cls}><span class="badge">{e(text)}</span></td>')
            else:
                cells.append(f"<td{cls}>{e(text)}</td>")
        cls = ' class="sample"' if entry.sample else ""
        body_rows.append(f'<tr{cls} data-code="{e(entry.code)}">{"".join(cells)}</tr>')
    meta = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _meta(cat))
    others = [f for f in formats if f != "html"]
    body = "\n".join(
        [
            f'<nav><a href="index.html">{e(site(catalogs.directory if catalogs is not None else None)["title"])}</a></nav>',
            _banner() if cat.has_samples else "",
            f"<h1>{e(cat.title)}</h1>",
            f'<dl class="meta">{meta}</dl>',
            '<p class="note">' + "<br>\n".join(e(x) for x in note_lines(cat.note)) + "</p>",
            '<div class="controls" id="controls" hidden>',
            '<label for="search">搜索（筛选下表）</label>',
            (
                '<input id="search" type="search" autocomplete="off" '
                'placeholder="代码、名称、产业…（空格分隔多个词）">'
            ),
            f'<span id="count" aria-live="polite">显示 {len(cat.entries)} / {len(cat.entries)} 条</span>',
            "</div>",
            '<div class="table-scroll">',
            '<table id="catalogue" class="catalogue">',
            f"<caption>{e(cat.title)}（{e(cat.edition)}）</caption>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>",
            *body_rows,
            "</tbody>",
            "</table>",
            "</div>",
            "<footer>由 <code>policy catalog publish</code> 生成。"
            + (
                f'<span class="links"> 其他格式：{_links(cat.kind, tuple(others))}</span>'
                if others
                else ""
            )
            + "</footer>",
        ]
    )
    return _page(
        f"{cat.title} — {site(catalogs.directory if catalogs is not None else None)['title']}",
        body,
        script=True,
        page_css=print_css(len(cols) > PORTRAIT_COLUMNS, cat.has_samples),
    ).encode("utf-8")


def render_index(catalogs: Catalogs, formats: tuple[str, ...] = FORMATS) -> bytes:
    rows = []
    for cat in catalogs.present():
        samples = sum(1 for x in cat.entries if x.sample)
        link = f'<a href="{e(cat.kind)}.html">{e(cat.title)}</a>'
        rows.append(
            f"<tr><td>{link}</td><td>{e(cat.edition)}</td>"
            f'<td class="nw">{e(cat.issued.isoformat() if cat.issued else "")}</td>'
            f"<td>{e(cat.issuer)}</td>"
            f'<td class="num">{len(cat.entries)}</td><td class="num">{samples}</td>'
            f"<td>{_links(cat.kind, formats)}</td></tr>"
        )
    any_samples = any(c.has_samples for c in catalogs.present())
    about = site(catalogs.directory)
    body = "\n".join(
        [
            _banner() if any_samples else "",
            f"<h1>{e(about['title'])}</h1>",
            f"<p>{e(about.get('preamble', ''))}</p>" if about.get("preamble") else "",
            '<table id="index" class="catalogue">',
            (
                "<thead><tr><th>目录</th><th>版次</th><th>发布日期</th><th>发布单位</th>"
                "<th>条目数</th><th>其中示例</th><th>格式</th></tr></thead>"
            ),
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
            "<footer>由 <code>policy catalog publish</code> 生成。</footer>",
        ]
    )
    return _page(about["title"], body, script=False, page_css=print_css(True, any_samples)).encode(
        "utf-8"
    )


def render_index_json(catalogs: Catalogs, formats: tuple[str, ...]) -> bytes:
    items = [
        {
            "catalogue": c.kind,
            "title": c.title,
            "edition": c.edition,
            "issued": c.issued.isoformat() if c.issued else None,
            "entries": len(c.entries),
            "sample_entries": sum(1 for x in c.entries if x.sample),
            "files": [f"{c.kind}.{f}" for f in formats],
        }
        for c in catalogs.present()
    ]
    return (
        json.dumps(
            {"title": site(catalogs.directory)["title"], "catalogues": items},
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    ).encode("utf-8")


# ------------------------------------------------------------- the site


def parse_formats(text: str | None) -> tuple[str, ...]:
    """``"html,md"`` -> ("html", "md"), in the canonical order. ValueError if unknown."""
    if text is None or not text.strip():
        return FORMATS
    asked = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in asked if t not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in asked)


def publish(
    catalogs: Catalogs,
    out: Path | str,
    formats: tuple[str, ...] = FORMATS,
    force: bool = False,
    inputs: tuple = (),
) -> list[Path]:
    """Write the site into ``out`` (created if needed); returns the files written.

    Only the files it names are written; other files in ``out`` are left alone.
    An existing file is replaced only with ``force``, a file among ``inputs``
    (the catalogue files) never; every file is written whole, by a temporary
    file renamed when all are complete (interpreter.outputs), so a failure
    leaves the folder as it was. The catalogues must have passed ``check``
    (publish does not re-check).
    """
    from interpreter.outputs import Outputs

    out = Path(out)
    files: dict[str, bytes] = {}
    for cat in catalogs.present():
        if "html" in formats:
            files[f"{cat.kind}.html"] = render_html(cat, catalogs, formats)
        if "md" in formats:
            files[f"{cat.kind}.md"] = render_md(cat, catalogs)
        if "csv" in formats:
            files[f"{cat.kind}.csv"] = render_csv(cat, catalogs)
        if "json" in formats:
            files[f"{cat.kind}.json"] = render_json(cat)
        if "xlsx" in formats:
            files[f"{cat.kind}.xlsx"] = render_xlsx(cat, catalogs)
    if "html" in formats:
        files["index.html"] = render_index(catalogs, formats)
    if "json" in formats:
        files["index.json"] = render_index_json(catalogs, formats)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from interpreter.outputs import OutputError

        raise OutputError(
            f"cannot make the folder: {exc.strerror or exc}", position=Position(str(out))
        ) from None
    written = []
    with Outputs(inputs=inputs, force=force) as outs:
        for name in sorted(files):
            path = out / name
            outs.open(path, "published file").write_bytes(files[name])
            written.append(path)
    return written


assert set(KINDS) == {"key_industry", "general", "institutions", "demand"}
