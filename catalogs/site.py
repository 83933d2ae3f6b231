"""Publish the catalogues a policy declares as a static site, Markdown, CSV,
JSON and Excel.

Every word shown comes from the policy: the site's title and preamble
(``site:`` of catalogs.yaml), each catalogue's title, field labels and enum
labels (its declaration), its edition, issuer and note (its data file); the
site names the policy (id, number, hash) it was published under. The columns,
how values read and where an entry comes from are catalogs.show's.

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
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dsl.errors import Position

from . import show

if TYPE_CHECKING:
    from interpreter.catalogues import CatalogueDecl

FORMATS = ("html", "md", "csv", "json", "xlsx")

# the sample warning, unless the policy's ``site: {sample_warning}`` words it
BANNER_ZH = "标注“示例”的条目及目录的示例版次、日期仅为示意，不是官方数据。"
BANNER_EN = "Entries marked 示例 (sample) are illustrative and not official data."
BOM = "\ufeff"

# a table of more columns than this prints in landscape
PORTRAIT_COLUMNS = 6


@dataclass(frozen=True)
class Site:
    """What a publication shows: the policy, its site's words, its catalogues."""

    title: str
    preamble: str
    policy: dict  # id, number, title, hash
    catalogues: list = field(default_factory=list)  # CatalogueDecl, with entries
    warning: str = BANNER_ZH  # what a page holding sample data warns
    tables: dict = field(default_factory=dict)  # catalogue or table id → rows (for ``ref``)


def site_of(policy: Any, catalogues: list | None = None, tables: dict | None = None) -> Site:
    """The site of ``policy``: ``site:`` of its catalogs.yaml (title,
    preamble; else the document's number and title), and its catalogues (or
    ``catalogues`` and their ``tables``, the same declarations read from
    other data files)."""
    from interpreter.yamlsource import load_yaml

    path = Path(policy.root) / "catalogs.yaml"
    data = load_yaml(path, display_name=str(path)).data if path.is_file() else None
    about = data.get("site") if isinstance(data, dict) else None
    about = about if isinstance(about, dict) else {}
    doc = policy.document
    return Site(
        title=str(about.get("title") or f"{doc.number} {doc.title}"),
        preamble=str(about.get("preamble") or ""),
        policy={"id": doc.id, "number": doc.number, "title": doc.title, "hash": policy.hash},
        catalogues=list(policy.catalogues if catalogues is None else catalogues),
        tables=dict(policy.catalog_values if tables is None else tables),
        warning=str(about.get("sample_warning") or BANNER_ZH),
    )


def table(decl: CatalogueDecl, tables: dict | None = None) -> tuple[list[str], list[list[str]]]:
    cols = show.columns(decl)
    rows = [[show.cell(decl, c, e, tables) for c in cols] for e in decl.entries]
    return [c.label for c in cols], rows


def _samples(decl: CatalogueDecl) -> int:
    return sum(1 for e in decl.entries if show.is_sample(decl, e))


# ------------------------------------------------------------------- CSV


def _csv_cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to Excel: neutralise it.
    if text and text[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return "'" + text
    return text


def render_csv(decl: CatalogueDecl, tables: dict | None = None) -> bytes:
    head, rows = table(decl, tables)
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


def render_xlsx(decl: CatalogueDecl, tables: dict | None = None, warning: str = BANNER_ZH) -> bytes:
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

    cols = show.columns(decl)
    name = show.title(decl)
    edition = decl.meta.get("edition")
    samples = show.has_samples(decl)
    wb = Workbook()
    ws = cast(Worksheet, wb.active)  # a new workbook's one sheet
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    last = get_column_letter(len(cols))
    lines: list[tuple[str, Font, PatternFill | None]] = [
        (f"{name}（{edition}）" if edition else name, Font(bold=True, size=14), None)
    ]
    lines.append(("；".join(f"{k}：{v}" for k, v in show.meta(decl)), Font(size=10), None))
    if samples:
        lines.append(
            (
                f"示例数据，非官方：{warning}",
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
    for entry in decl.entries:
        row = []
        for j, c in enumerate(cols):
            row.append(show.typed(decl, c, entry, tables))
            widths[j] = max(widths[j], _width(show.cell(decl, c, entry, tables)))
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
    if samples:
        header = ws.oddHeader
        assert header is not None and header.center is not None
        header.center.text = f"示例数据，非官方：{warning}"
        header.center.size = 8
    # the document's dates are the catalogue's issue date, not the time of writing
    issued = decl.meta.get("issued")
    stamp = (
        _dt.datetime.combine(_dt.date.fromisoformat(issued), _dt.time())
        if isinstance(issued, str)
        else _dt.datetime(*_XLSX_TIME)
    )
    wb.properties.created = stamp
    wb.properties.title = name
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


def _plain(value: Any) -> Any:
    import datetime as _dt

    from interpreter.catalogues import OPEN_END

    if isinstance(value, _dt.date):
        return None if value == OPEN_END else value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def render_json(decl: CatalogueDecl, site: Site) -> bytes:
    """The catalogue for machines: its id, the edition's header, the policy it
    was published under, the fields (labels) and every entry with every
    declared field (an open-ended date as null)."""
    record = {
        "catalogue": decl.id,
        **{k: v for k, v in decl.meta.items() if k != "catalogue"},
        "title": show.title(decl),
        "policy": site.policy,
        "fields": [
            {"name": n, "label": decl.label(n), "label_en": decl.label(n, "en")}
            for n in decl.fields
        ],
        "entries": [{n: _plain(e.get(n)) for n in decl.fields} for e in decl.entries],
    }
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md_escape(text: str) -> str:
    from dsl.visible import visible

    text = visible(" ".join(str(text).split()))  # no control or bidi character left
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def note_lines(note: str) -> list[str]:
    """A note's lines (a literal block keeps one sentence a line), blanks dropped."""
    return [line.strip() for line in str(note or "").splitlines() if line.strip()]


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


def render_md(decl: CatalogueDecl, tables: dict | None = None, warning: str = BANNER_ZH) -> bytes:
    head, rows = table(decl, tables)
    parts = [f"# {md_escape(show.title(decl))}", ""]
    if show.has_samples(decl):
        parts += [f"> **示例数据，非官方**：{md_escape(warning)} {BANNER_EN}", ""]
    parts += [f"- {k}：{md_escape(v)}" for k, v in show.meta(decl)]
    if decl.meta.get("note"):
        parts += ["", md_note(decl.meta["note"])]
    parts += ["", f"共 {len(rows)} 条。", "", md_table(head, rows), ""]
    return "\n".join(parts).encode("utf-8")


# ------------------------------------------------------------------ HTML


def e(text: Any) -> str:
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
footer { margin-top: 1.5rem; color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
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


def print_css(wide: bool, sample: bool, warning: str = BANNER_ZH) -> str:
    """The printed page: A4, landscape when the table is wide; with sample
    entries, the warning in the top margin of every page (the banner itself
    is on page 1 only)."""
    rules = [f"size: A4 {'landscape' if wide else 'portrait'};", "margin: 14mm 10mm 12mm;"]
    if sample:
        rules.append(
            "@top-center { content: "
            + _css_string(f"示例数据，非官方：{warning}")
            + "; font-size: 7.5pt; color: #000; }"
        )
    rules.append('@bottom-right { content: counter(page) " / " counter(pages); font-size: 7.5pt; }')
    return "@page { " + " ".join(rules) + " }"


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


def _banner(warning: str) -> str:
    return (
        f'<div class="banner" id="sample-banner" role="note">示例数据，非官方：{e(warning)}'
        f"<span>{e(BANNER_EN)}</span></div>"
    )


def _links(cid: str, formats: tuple[str, ...]) -> str:
    names = {
        "html": "网页",
        "md": "Markdown",
        "csv": "CSV",
        "json": "JSON",
        "xlsx": "Excel（xlsx）",
    }
    return " ".join(f'<a href="{e(cid)}.{f}">{names[f]}</a>' for f in formats)


def _footer(site: Site) -> str:
    p = site.policy
    return (
        f'<span class="policy">{e(p["number"])} {e(p["title"])} · policy {e(p["id"])} · '
        f"{e(p['hash'])}</span>"
    )


NW = ' class="nw"'


def render_html(decl: CatalogueDecl, site: Site, formats: tuple[str, ...] = FORMATS) -> bytes:
    cols = show.columns(decl)
    name = show.title(decl)
    head = "".join(
        f'<th scope="col"{NW if c.nowrap else ""} data-type="{c.type}" aria-sort="none">'
        f'<button type="button">{e(c.label)}</button>'
        f'<span class="print-label" aria-hidden="true">{e(c.label)}</span></th>'
        for c in cols
    )
    body_rows = []
    for entry in decl.entries:
        sample = show.is_sample(decl, entry)
        cells = []
        for c in cols:
            text = show.cell(decl, c, entry, site.tables)
            classes = (["num"] if c.type == "number" else []) + (["nw"] if c.nowrap else [])
            cls = f' class="{" ".join(classes)}"' if classes else ""
            if c.name == show.ORIGIN and sample:
                cells.append(f'<td{cls}><span class="badge">{e(text)}</span></td>')
            else:
                cells.append(f"<td{cls}>{e(text)}</td>")
        cls = ' class="sample"' if sample else ""
        body_rows.append(
            f'<tr{cls} data-key="{e(show.key_text(decl, entry))}">{"".join(cells)}</tr>'
        )
    meta = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in show.meta(decl))
    others = [f for f in formats if f != "html"]
    edition = decl.meta.get("edition")
    samples = show.has_samples(decl)
    body = "\n".join(
        [
            f'<nav><a href="index.html">{e(site.title)}</a></nav>',
            _banner(site.warning) if samples else "",
            f"<h1>{e(name)}</h1>",
            f'<dl class="meta">{meta}</dl>',
            '<p class="note">'
            + "<br>\n".join(e(x) for x in note_lines(decl.meta.get("note", "")))
            + "</p>",
            '<div class="controls" id="controls" hidden>',
            '<label for="search">搜索（筛选下表）</label>',
            (
                '<input id="search" type="search" autocomplete="off" '
                'placeholder="搜索表中任何内容（空格分隔多个词）">'
            ),
            (
                f'<span id="count" aria-live="polite">显示 {len(decl.entries)} / '
                f"{len(decl.entries)} 条</span>"
            ),
            "</div>",
            '<div class="table-scroll">',
            '<table id="catalogue" class="catalogue">',
            f"<caption>{e(name)}{f'（{e(edition)}）' if edition else ''}</caption>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>",
            *body_rows,
            "</tbody>",
            "</table>",
            "</div>",
            "<footer>由 <code>policy catalog publish</code> 生成。"
            + (
                f'<span class="links"> 其他格式：{_links(decl.id, tuple(others))}</span>'
                if others
                else ""
            )
            + f"<br>{_footer(site)}</footer>",
        ]
    )
    return _page(
        f"{name} — {site.title}",
        body,
        script=True,
        page_css=print_css(len(cols) > PORTRAIT_COLUMNS, samples, site.warning),
    ).encode("utf-8")


def render_index(site: Site, formats: tuple[str, ...] = FORMATS) -> bytes:
    rows = []
    for decl in site.catalogues:
        link = f'<a href="{e(decl.id)}.html">{e(show.title(decl))}</a>'
        rows.append(
            f"<tr><td>{link}</td><td>{e(decl.meta.get('edition', ''))}</td>"
            f'<td class="nw">{e(decl.meta.get("issued", ""))}</td>'
            f"<td>{e(decl.meta.get('issuer', ''))}</td>"
            f'<td class="num">{len(decl.entries)}</td><td class="num">{_samples(decl)}</td>'
            f"<td>{_links(decl.id, formats)}</td></tr>"
        )
    any_samples = any(show.has_samples(d) for d in site.catalogues)
    body = "\n".join(
        [
            _banner(site.warning) if any_samples else "",
            f"<h1>{e(site.title)}</h1>",
            f"<p>{e(site.preamble)}</p>" if site.preamble else "",
            '<table id="index" class="catalogue">',
            (
                "<thead><tr><th>目录</th><th>版次</th><th>发布日期</th><th>发布单位</th>"
                "<th>条目数</th><th>其中示例</th><th>格式</th></tr></thead>"
            ),
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
            f"<footer>由 <code>policy catalog publish</code> 生成。<br>{_footer(site)}</footer>",
        ]
    )
    return _page(
        site.title, body, script=False, page_css=print_css(True, any_samples, site.warning)
    ).encode("utf-8")


def render_index_json(site: Site, formats: tuple[str, ...]) -> bytes:
    items = [
        {
            "catalogue": d.id,
            "title": show.title(d),
            "edition": d.meta.get("edition"),
            "issued": d.meta.get("issued"),
            "entries": len(d.entries),
            "sample_entries": _samples(d),
            "files": [f"{d.id}.{f}" for f in formats],
        }
        for d in site.catalogues
    ]
    return (
        json.dumps(
            {"title": site.title, "policy": site.policy, "catalogues": items},
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


def files(site: Site, formats: tuple[str, ...] = FORMATS) -> dict[str, bytes]:
    """file name → bytes of the site in ``formats``."""
    out: dict[str, bytes] = {}
    for decl in site.catalogues:
        if "html" in formats:
            out[f"{decl.id}.html"] = render_html(decl, site, formats)
        if "md" in formats:
            out[f"{decl.id}.md"] = render_md(decl, site.tables, site.warning)
        if "csv" in formats:
            out[f"{decl.id}.csv"] = render_csv(decl, site.tables)
        if "json" in formats:
            out[f"{decl.id}.json"] = render_json(decl, site)
        if "xlsx" in formats:
            out[f"{decl.id}.xlsx"] = render_xlsx(decl, site.tables, site.warning)
    if "html" in formats:
        out["index.html"] = render_index(site, formats)
    if "json" in formats:
        out["index.json"] = render_index_json(site, formats)
    return out


def publish(
    site: Site,
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
    leaves the folder as it was. The catalogues must have passed their checks
    (publish does not re-check).
    """
    from interpreter.outputs import OutputError, Outputs

    out = Path(out)
    made = files(site, formats)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot make the folder: {exc.strerror or exc}", position=Position(str(out))
        ) from None
    written = []
    with Outputs(inputs=inputs, force=force) as outs:
        for name in sorted(made):
            path = out / name
            outs.open(path, "published file").write_bytes(made[name])
            written.append(path)
    return written
