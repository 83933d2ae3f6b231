"""What the ledger publishes: the publicity list (公示) of approved grants, with
names and ID numbers masked, and the export of its decisions as JSON Lines
that `policy report` reads.

The publicity list's columns after the name, the ID number, the program and
the amount are the policy's data (document.yaml ``ledger.publicity``); the
name is masked by the mask its fact declares (facts.yaml ``mask``), else as
公示 practice does (张*三: ``ledger.rules.Person.published_name``).
"""

from __future__ import annotations

import csv
import datetime as _dt
import html
import io
import json
from dataclasses import dataclass

from interpreter.render import JSON_FORMAT_VERSION

FORMATS = ("html", "csv", "json")


@dataclass
class PublicityList:
    start: _dt.date | None  # None: from the first approval
    until: _dt.date
    document: dict  # number, title, issuer
    columns: list[tuple[str, str, str]]  # (id, label, label_en) of the policy's columns
    rows: list[dict]

    def to_json(self) -> dict:
        return {
            "from": self.start.isoformat() if self.start else None,
            "until": self.until.isoformat(),
            "document": self.document,
            "columns": [{"id": c, "label": zh, "label_en": en} for c, zh, en in self.columns],
            "rows": self.rows,
        }


HEAD = [
    ("application", "申请编号"),
    ("approved", "审核通过日期"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("program", "补贴项目"),
]


def render(lst: PublicityList, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(lst.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    header = [label for _k, label in HEAD] + [zh for _c, zh, _en in lst.columns] + ["金额（元）"]
    keys = [k for k, _l in HEAD] + [c for c, _zh, _en in lst.columns] + ["amount"]
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        for r in lst.rows:
            w.writerow(["" if r.get(k) is None else _csv_cell(str(r[k])) for k in keys])
        return out.getvalue()
    return _html(lst, header, keys)


def _csv_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _html(lst: PublicityList, header: list[str], keys: list[str]) -> str:
    e = html.escape
    period = (
        f"{lst.start.isoformat()} 至 {lst.until.isoformat()}"
        if lst.start
        else f"截至 {lst.until.isoformat()}"
    )
    title = f"{lst.document.get('number', '')} 补贴公示（{period}）"

    def cell(r: dict, k: str) -> str:
        attr = ' class="num"' if k == "amount" else ""
        return f"<td{attr}>{e('' if r.get(k) is None else str(r[k]))}</td>"

    body = "\n".join("<tr>" + "".join(cell(r, k) for k in keys) + "</tr>" for r in lst.rows)
    total = sum((_dec(r["amount"]) for r in lst.rows), start=_dec("0"))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{e(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #888; padding: .3em .6em; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style>
</head>
<body>
<h1>{e(title)}</h1>
<p>{e(lst.document.get("title", ""))}（{e(lst.document.get("issuer", ""))}）。
以下人员经审核符合补贴条件，现予公示；姓名和身份证号已作遮蔽处理。</p>
<table>
<thead><tr>{"".join(f"<th>{e(h)}</th>" for h in header)}</tr></thead>
<tbody>
{body}
</tbody>
<tfoot><tr><td colspan="{len(keys) - 1}">合计 {len(lst.rows)} 项</td>
<td class="num">{e(f"{total:.2f}")}</td></tr></tfoot>
</table>
</body>
</html>
"""


def _dec(text: str):
    from decimal import Decimal

    return Decimal(text)


def export_line(
    app_row,
    number: str | None,
    data: dict,
    levels: dict[str, str],
    grant_status: dict[str, str],
    granted_only: bool,
) -> dict | None:
    """One application as a line of `policy batch` output (which `policy report`
    reads): the stored decision, each with the level it is counted under,
    and the ledger's state of the claim."""
    entries = []
    for d in data["decisions"]:
        if granted_only and grant_status.get(d["program"]) != "approved":
            continue
        entries.append({**d, "level": levels.get(d["program"], "—")})
    if granted_only and not entries:
        return None
    return {
        "format": JSON_FORMAT_VERSION,
        "line": app_row.id,
        "id": number,
        "policy": data["policy"]["hash"],
        "case": data["case"],
        "decisions": entries,
        "ledger": {"application": app_row.id, "status": app_row.status, "grants": grant_status},
    }
