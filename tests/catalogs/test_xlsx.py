"""The published .xlsx read back with openpyxl and compared with the JSON
published beside it: the same entries, typed cells, the title row with the
edition and the sample warning, a frozen header that repeats in print."""

from __future__ import annotations

import datetime as _dt
import io
import json

import pytest

from catalogs.site import publish, render_xlsx
from tests.helpers import ROOT, catalogue_site

NATIONAL = ROOT / "examples" / "policies" / "guobanfa-2019-24"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    publish(catalogue_site(), out)
    return out


def sheet(site, kind):
    from openpyxl import load_workbook

    return load_workbook(site / f"{kind}.xlsx").active


def table_rows(ws):
    """(header row number, header, data rows) below the title rows."""
    for r in range(1, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == "代码":
            header = [c.value for c in ws[r]]
            rows = [[c.value for c in row] for row in ws.iter_rows(min_row=r + 1)]
            return r, header, rows
    raise AssertionError("no header row")


@pytest.mark.parametrize("kind", ["key_industry", "general", "institutions", "demand"])
def test_the_xlsx_holds_what_the_json_holds(site, kind):
    record = json.loads((site / f"{kind}.json").read_text(encoding="utf-8"))
    ws = sheet(site, kind)
    at, header, rows = table_rows(ws)
    entries = record["entries"]
    assert len(rows) == len(entries)
    col = {name: i for i, name in enumerate(header)}
    for row, entry in zip(rows, entries):
        assert row[col["代码"]] == entry["code"]
        if kind in ("key_industry", "general"):
            assert row[col["名称"]] == entry["name"]
            assert row[col["标准课时"]] == entry["hours"]  # a number, not text
            assert isinstance(row[col["标准课时"]], int)
            assert row[col["等级"]] == "、".join(entry["levels"])
        elif kind == "institutions":
            assert row[col["名称"]] == entry["name"]
            for course in entry["courses"]:
                assert course["course"] in row[col["可培训项目及等级"]]
        else:
            assert row[col["人数"]] == entry["headcount"]
            day = row[col["提单日期"]]
            assert isinstance(day, _dt.datetime)  # a date cell
            assert day.date().isoformat() == entry["date"]
            # the code with what it names (the field's ref: the course's name)
            assert row[col["职业（项目）"]].startswith(entry["occupation"] + " ")
    # the title rows: title and edition, then the header lines, then the warning
    assert ws["A1"].value == f"{record['title']}（{record['edition']}）"
    assert record["issuer"] in ws["A2"].value
    if any(e.get("sample") for e in entries):
        assert ws["A3"].value.startswith("示例数据，非官方")
    # frozen header, filter on it, repeated on every printed page
    assert ws.freeze_panes == f"A{at + 1}"
    assert ws.auto_filter.ref.startswith(f"A{at}:")
    assert ws.print_title_rows == f"${at}:${at}"
    assert ws.page_setup.orientation == "landscape"


def test_columns_are_wide_enough_for_their_text(site):
    ws = sheet(site, "institutions")
    _at, header, _rows = table_rows(ws)
    widths = {h: ws.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(header)}
    assert widths["代码"] >= 8 and widths["名称"] > widths["代码"]
    assert widths["可培训项目及等级"] == 60  # long text: capped, wrapped


def test_the_xlsx_is_byte_identical_for_the_same_catalogue():
    site = catalogue_site()
    demand = next(d for d in site.catalogues if d.id == "demand")
    assert render_xlsx(demand, site.tables) == render_xlsx(demand, site.tables)


def test_the_second_policys_catalogue_as_a_workbook(tmp_path):
    """The same publisher over another policy's declaration: its labels, its
    typed dates, its sample warning."""
    from openpyxl import load_workbook

    publish(catalogue_site(policy_dir=NATIONAL), tmp_path, ("xlsx",))
    ws = load_workbook(tmp_path / "occupations.xlsx").active
    assert ws["A1"].value == "示例市补贴性职业技能培训目录（示例）（2019年第1版（示例））"
    assert ws["A3"].value.startswith("示例数据，非官方")
    assert [c.value for c in ws[4]] == [
        "目录编码",
        "职业（工种）",
        "补贴等级",
        "列入日期",
        "截止日期",
        "来源",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == ["GJ-001", "GJ-002", "GJ-003", "GJ-004", "GJ-005"]
    assert isinstance(rows[0][3], _dt.datetime) and rows[0][4] is None  # open-ended: empty
    assert rows[3][4] == _dt.datetime(2020, 12, 31)
    assert ws.freeze_panes == "A5"


def test_a_cell_that_would_be_a_formula_is_text(tmp_path):
    import shutil

    from openpyxl import load_workbook

    folder = tmp_path / "data"
    shutil.copytree(ROOT / "policy" / "catalogs", folder)
    f = folder / "demand.yaml"
    text = f.read_text(encoding="utf-8")
    assert "submitter: 劳动者甲（示例）" in text
    f.write_text(
        text.replace("submitter: 劳动者甲（示例）", "submitter: '=HYPERLINK(\"x\")'"),
        encoding="utf-8",
    )
    site = catalogue_site(folder)
    demand = next(d for d in site.catalogues if d.id == "demand")
    ws = load_workbook(io.BytesIO(render_xlsx(demand, site.tables))).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert '=HYPERLINK("x")' in values  # shown as typed, as text
    cell = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"  # not a formula
