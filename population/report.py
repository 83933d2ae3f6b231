"""Quarterly and yearly reports from batch decisions (七（一）：建立工作情况季报、年报制度).

Reads a decisions file written by ``policy batch`` (one JSON object per line)
and counts, by quarter and by year of each case's decision date (``case.as_of``):

- person-times subsidised: the eligible decisions (one eligible decision of a
  program is one person-time; see docs/batch.md for what that means for
  project_training);
- the amounts of those decisions, by program and by level (the ``level`` each
  batch decision carries);
- progress against the plan's targets (``targets`` in document.yaml, from
  一 目标任务: 2019 3250 person-times; 2019–2021 at least 10000).

The file is read as a stream (only the counters are kept). The output is
deterministic: the same decisions file gives the same bytes, in text,
Markdown or a self-contained HTML page with inline SVG charts (no script, no
external resource).

Public API:
  Target, targets_of(policy)
  read_report(path, policy) -> Report      (build_report(lines, policy, name) for an iterable)
  render(report, fmt) with fmt in text | md | html
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Iterable, Iterator

from dsl.errors import CaseError, PolicyFileError, Position

from .batch import NO_LEVEL
from interpreter.render import money

ZERO = Decimal(0)
UNKNOWN = "unknown"


# -- targets -------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    id: str
    label: str
    label_en: str | None
    start: _dt.date
    end: _dt.date
    person_times: int
    programs: tuple[str, ...] | None        # None: every program
    cite: tuple[tuple[str, str | None], ...] = ()

    def period(self) -> str:
        if self.start.month == 1 and self.start.day == 1 and self.end == _dt.date(
                self.start.year, 12, 31):
            return str(self.start.year)
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31):
            return f"{self.start.year}–{self.end.year}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def counts(self, program: str, day: _dt.date | None) -> bool:
        return (day is not None and self.start <= day <= self.end
                and (self.programs is None or program in self.programs))


def _date(v) -> _dt.date:
    return v if isinstance(v, _dt.date) else _dt.date.fromisoformat(str(v))


def targets_of(policy) -> list[Target]:
    """The targets of document.yaml (an empty list when it states none)."""
    out = []
    for i, t in enumerate(policy.document.raw.get("targets") or []):
        if "year" in t:
            start, end = _dt.date(int(t["year"]), 1, 1), _dt.date(int(t["year"]), 12, 31)
        else:
            start, end = _date(t["from"]), _date(t["until"])
        programs = tuple(t["programs"]) if t.get("programs") else None
        unknown = [p for p in programs or () if p not in policy.programs]
        if unknown:
            raise PolicyFileError(f"targets[{i}] ({t['id']}) names no program of this policy: "
                                  + ", ".join(unknown),
                                  position=Position(f"{policy.root}/document.yaml"))
        cite = tuple((c["clause"], c.get("quote")) for c in t.get("cite") or ())
        out.append(Target(t["id"], t["label"], t.get("label_en"), start, end,
                          int(t["person_times"]), programs, cite))
    return out


# -- aggregation -----------------------------------------------------------------------

@dataclass
class Cell:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.amount += amount


Period = tuple  # (year, quarter) ; (UNKNOWN, 0) for decisions without a date


@dataclass
class Report:
    source: str
    sha256: str
    document: dict
    program_titles: dict[str, str]
    program_order: tuple[str, ...]
    level_order: tuple[str, ...]
    plan: tuple[_dt.date, _dt.date] | None
    targets: list[Target]
    lines: int = 0
    decisions: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    policies: dict[str, int] = field(default_factory=dict)
    all_decisions: dict[Period, int] = field(default_factory=dict)
    by_program: dict[Period, dict[str, Cell]] = field(default_factory=dict)
    by_level: dict[Period, dict[str, Cell]] = field(default_factory=dict)
    achieved: dict[str, int] = field(default_factory=dict)

    # -- adding ------------------------------------------------------------------------
    def add(self, line: dict) -> None:
        self.lines += 1
        self.policies[line.get("policy") or "?"] = self.policies.get(line.get("policy") or "?",
                                                                     0) + 1
        as_of = (line.get("case") or {}).get("as_of")
        day = _dt.date.fromisoformat(as_of) if as_of else None
        period = (day.year, (day.month - 1) // 3 + 1) if day else (UNKNOWN, 0)
        for d in line["decisions"]:
            self.decisions += 1
            outcome = d.get("outcome")
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            self.all_decisions[period] = self.all_decisions.get(period, 0) + 1
            if outcome != "eligible":
                continue
            program = d["program"]
            amount = Decimal(d["amount"]) if d.get("amount") is not None else ZERO
            level = d.get("level") or NO_LEVEL
            self.by_program.setdefault(period, {}).setdefault(program, Cell()).add(amount)
            self.by_level.setdefault(period, {}).setdefault(level, Cell()).add(amount)
            for t in self.targets:
                if t.counts(program, day):
                    self.achieved[t.id] = self.achieved.get(t.id, 0) + 1

    # -- views ------------------------------------------------------------------------
    def periods(self) -> list[Period]:
        """Every quarter of the plan's period, plus any other quarter with
        decisions, in order; decisions without a date last."""
        found = set(self.all_decisions)
        if self.plan is not None:
            y, q = self.plan[0].year, (self.plan[0].month - 1) // 3 + 1
            end = (self.plan[1].year, (self.plan[1].month - 1) // 3 + 1)
            while (y, q) <= end:
                found.add((y, q))
                y, q = (y + 1, 1) if q == 4 else (y, q + 1)
        dated = sorted(p for p in found if p[0] != UNKNOWN)
        return dated + ([(UNKNOWN, 0)] if (UNKNOWN, 0) in found else [])

    def years(self) -> list:
        out = []
        for p in self.periods():
            if p[0] not in out:
                out.append(p[0])
        return out

    def programs(self) -> list[str]:
        seen = {p for cells in self.by_program.values() for p in cells}
        order = {p: i for i, p in enumerate(self.program_order)}
        return sorted(seen, key=lambda p: (order.get(p, len(order)), p))

    def levels(self) -> list[str]:
        seen = {lv for cells in self.by_level.values() for lv in cells}
        order = {lv: i for i, lv in enumerate(self.level_order)}
        return sorted(seen, key=lambda lv: (lv == NO_LEVEL, order.get(lv, len(order)), lv))

    def cell(self, table: dict, periods: Iterable[Period], key: str | None = None) -> Cell:
        out = Cell()
        for p in periods:
            for k, c in (table.get(p) or {}).items():
                if key is None or k == key:
                    out.count += c.count
                    out.amount += c.amount
        return out

    def quarter_cell(self, p: Period, key: str | None = None, table=None) -> Cell:
        return self.cell(self.by_program if table is None else table, [p], key)

    def year_periods(self, year) -> list[Period]:
        return [p for p in self.periods() if p[0] == year]

    def eligible(self) -> int:
        return self.outcomes.get("eligible", 0)

    def progress(self) -> list[tuple[Target, int, Decimal]]:
        out = []
        for t in self.targets:
            n = self.achieved.get(t.id, 0)
            pct = (Decimal(n) * 100 / Decimal(t.person_times)).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP)
            out.append((t, n, pct))
        return out


def period_name(p: Period) -> str:
    return "unknown date" if p[0] == UNKNOWN else f"{p[0]}-Q{p[1]}"


def read_lines(path: str) -> Iterator[tuple[int, dict]]:
    """The decision lines of a batch output file, streaming; CaseError (exit 2)
    for a line that is not one."""
    name = "<stdin>" if path == "-" else path
    try:
        f = open(0 if path == "-" else path, "rb", closefd=path != "-")
    except OSError as exc:
        raise CaseError(f"cannot read the decisions file: {exc.strerror}",
                        position=Position(name)) from None
    with f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise CaseError(f"not a line of JSON: {exc}", position=Position(name, n)) from None
            if not isinstance(data, dict) or not isinstance(data.get("decisions"), list) \
                    or "case" not in data:
                raise CaseError("not a decision line of `policy batch` (no 'case' and "
                                "'decisions')", position=Position(name, n),
                                hint="the report reads the --out file of `policy batch`, "
                                     "not the cases nor the rejects")
            yield n, data


def new_report(policy, source: str = "<decisions>", sha256: str = "") -> Report:
    from .whatif import level_order
    doc = policy.document
    plan = (doc.period_from, doc.period_until) if doc.period_from and doc.period_until else None
    return Report(source=source, sha256=sha256,
                  document={"number": doc.number, "title": doc.title,
                            "title_en": doc.title_en or doc.title,
                            "jurisdiction": doc.jurisdiction},
                  program_titles={pid: p.title for pid, p in policy.programs.items()},
                  program_order=tuple(policy.programs), level_order=level_order(policy),
                  plan=plan, targets=targets_of(policy))


def build_report(lines: Iterable[dict], policy, source: str = "<decisions>",
                 sha256: str = "") -> Report:
    rep = new_report(policy, source, sha256)
    for line in lines:
        rep.add(line)
    return rep


def read_report(path: str, policy) -> Report:
    """The report of a decisions file (read twice: once to hash it, once to count)."""
    h = hashlib.sha256()
    if path != "-":
        try:
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as exc:
            raise CaseError(f"cannot read the decisions file: {exc.strerror}",
                            position=Position(path)) from None
    rep = new_report(policy, "<stdin>" if path == "-" else path,
                     "sha256:" + h.hexdigest() if path != "-" else "")
    for _n, line in read_lines(path):
        rep.add(line)
    return rep


# -- rendering ------------------------------------------------------------------------

def _pct(p: Decimal) -> str:
    return f"{p}%"


def _tables(rep: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, shared by text, Markdown and HTML."""
    periods = rep.periods()
    years = rep.years()
    tables = []
    rows = []
    for y in years:
        for p in rep.year_periods(y):
            c = rep.quarter_cell(p)
            rows.append([period_name(p), str(rep.all_decisions.get(p, 0)), str(c.count),
                         money(c.amount)])
        if y != UNKNOWN:
            c = rep.cell(rep.by_program, rep.year_periods(y))
            rows.append([f"{y} total", str(sum(rep.all_decisions.get(p, 0)
                                              for p in rep.year_periods(y))),
                         str(c.count), money(c.amount)])
    c = rep.cell(rep.by_program, periods)
    rows.append(["all", str(rep.decisions), str(c.count), money(c.amount)])
    tables.append(("By quarter (person-times = eligible decisions)",
                   ["quarter", "decisions", "person-times", "amount"], rows))

    for title, table, keys, label in (
            ("By quarter and program", rep.by_program, rep.programs(), "program"),
            ("By quarter and level", rep.by_level, rep.levels(), "level")):
        rows = []
        for p in periods:
            for k in keys:
                c = rep.cell(table, [p], k)
                if c.count:
                    rows.append([period_name(p), _key_label(rep, k, label), str(c.count),
                                 money(c.amount)])
        tables.append((title, ["quarter", label, "person-times", "amount"], rows))

    for title, table, keys, label in (
            ("By year and program", rep.by_program, rep.programs(), "program"),
            ("By year and level", rep.by_level, rep.levels(), "level")):
        rows = []
        for y in years:
            for k in keys:
                c = rep.cell(table, rep.year_periods(y), k)
                if c.count:
                    rows.append([str(y), _key_label(rep, k, label), str(c.count),
                                 money(c.amount)])
        for k in keys:
            c = rep.cell(table, periods, k)
            rows.append(["all", _key_label(rep, k, label), str(c.count), money(c.amount)])
        tables.append((title, ["year", label, "person-times", "amount"], rows))

    rows = []
    for t, n, pct in rep.progress():
        rows.append([t.id, t.label, t.period(), str(t.person_times), str(n), _pct(pct),
                     "reached" if n >= t.person_times else f"{t.person_times - n} to go"])
    tables.append((TARGETS_TITLE,
                   ["id", "target", "period", "person-times", "achieved", "progress", "status"],
                   rows))
    return tables


TARGETS_TITLE = "Progress against the plan's targets (一 目标任务)"


def _target_notes(rep: Report) -> list[str]:
    """What each target counts (shown under the targets table)."""
    out = []
    for t in rep.targets:
        programs = ", ".join(t.programs) if t.programs else "every program"
        cite = "; ".join(f"{c}「{q}」" if q else c for c, q in t.cite)
        out.append(f"{t.id}: eligible decisions of {programs} dated "
                   f"{t.start.isoformat()} – {t.end.isoformat()}" + (f" ({cite})" if cite else ""))
    return out


def _key_label(rep: Report, key: str, label: str) -> str:
    if label == "program" and key in rep.program_titles:
        return f"{key} {rep.program_titles[key]}"
    return key


def _head(rep: Report) -> list[tuple[str, str]]:
    doc = rep.document
    outcomes = ", ".join(f"{k} {rep.outcomes[k]}" for k in sorted(rep.outcomes, key=str))
    return [
        ("policy", f"{doc['number']} {doc['title']}"),
        ("decisions file", rep.source + (f" ({rep.sha256})" if rep.sha256 else "")),
        ("cases", str(rep.lines)),
        ("decisions", f"{rep.decisions}" + (f" ({outcomes})" if outcomes else "")),
        ("policy versions", ", ".join(f"{h} ({n} cases)" for h, n in sorted(rep.policies.items()))
         or "—"),
    ]


TITLE = "职业技能提升行动工作情况季报、年报 — Quarterly and yearly report"


def _width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def render_text(rep: Report) -> str:
    out = [TITLE, ""]
    for k, v in _head(rep):
        out.append(f"{k}: {v}")
    for title, header, rows in _tables(rep):
        out += ["", title]
        if not rows:
            out.append("  (none)")
            continue
        widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        for r in [header] + rows:
            cells = []
            for i, v in enumerate(r):
                pad = " " * (widths[i] - _width(v))
                cells.append(pad + v if numeric[i] else v + pad)
            out.append("  " + "  ".join(cells).rstrip())
        if title == TARGETS_TITLE:
            out += ["  " + n for n in _target_notes(rep)]
    return "\n".join(out) + "\n"


def _is_number(v: str) -> bool:
    try:
        Decimal(v.rstrip("%"))
        return True
    except Exception:  # noqa: BLE001
        return False


def _md(v: str) -> str:
    return v.replace("|", "\\|")


def render_md(rep: Report) -> str:
    out = [f"# {TITLE}", ""]
    for k, v in _head(rep):
        out.append(f"- **{k}**: {_md(v)}")
    for title, header, rows in _tables(rep):
        out += ["", f"## {title}", ""]
        if not rows:
            out.append("(none)")
            continue
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        out.append("| " + " | ".join(_md(h) for h in header) + " |")
        out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        for r in rows:
            out.append("| " + " | ".join(_md(v) for v in r) + " |")
        if title == TARGETS_TITLE:
            out += [""] + [f"- {_md(n)}" for n in _target_notes(rep)]
    out += ["", "Person-times are eligible decisions: one eligible decision of a program is "
                "one person-time (a project_training decision is a whole project). "
                "Reports are required by 七（一）：建立工作情况季报、年报制度。"]
    return "\n".join(out) + "\n"


# -- HTML with inline SVG ---------------------------------------------------------------

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def _nice_step(maximum: Decimal, ticks: int = 5) -> Decimal:
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    exp = raw.adjusted()
    base = Decimal(10) ** exp
    for m in (1, 2, 5, 10):
        if raw <= m * base:
            return m * base
    return 10 * base  # pragma: no cover


def _fmt_tick(v: Decimal) -> str:
    v = v.normalize()
    if v == v.to_integral_value():
        return f"{int(v):,}"
    return format(v, "f")


def _stacked_bars(rep: Report, title: str, value, unit: str) -> str:
    """A stacked bar per quarter (dated quarters only), one colour per program."""
    periods = [p for p in rep.periods() if p[0] != UNKNOWN]
    programs = rep.programs()
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(programs)}
    totals = [sum((value(rep.cell(rep.by_program, [p], k)) for k in programs), Decimal(0))
              for p in periods]
    top = max(totals, default=Decimal(0))
    step = _nice_step(top)
    ymax = (step * max(1, int((top / step).to_integral_value(rounding=ROUND_CEILING)))
            if top > 0 else step * 5)
    left, right, top_pad, bottom = 70, 50, 30, 60
    bar_w, gap = 28, 12
    width = max(760, left + right + max(1, len(periods)) * (bar_w + gap))
    height = 300
    plot_h = height - top_pad - bottom

    def y(v: Decimal) -> str:
        return f"{top_pad + plot_h - float(v / ymax) * plot_h:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20 * ((len(programs) + 2) // 3)}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f"<title>{html.escape(title)}</title>",
             f'<text x="{left}" y="18" class="t">{html.escape(title)} ({html.escape(unit)})</text>']
    tick = Decimal(0)
    while tick <= ymax:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick)}" y2="{y(tick)}" '
                     f'class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{float(y(tick)) + 4:.1f}" class="yl">'
                     f'{_fmt_tick(tick)}</text>')
        tick += step
    for i, p in enumerate(periods):
        x = left + gap // 2 + i * (bar_w + gap)
        base = Decimal(0)
        for k in programs:
            v = value(rep.cell(rep.by_program, [p], k))
            if v <= 0:
                continue
            y0, y1 = y(base + v), y(base)
            h = float(y1) - float(y0)
            parts.append(f'<rect x="{x}" y="{y0}" width="{bar_w}" height="{h:.1f}" '
                         f'fill="{colours[k]}"><title>{period_name(p)} {html.escape(k)}: '
                         f'{_fmt_tick(v)}</title></rect>')
            base += v
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top_pad + plot_h + 14}" class="xl" '
                     f'transform="rotate(45 {x + bar_w / 2:.1f} {top_pad + plot_h + 14})">'
                     f'{period_name(p)}</text>')
    ly = height
    for i, k in enumerate(programs):
        lx = left + (i % 3) * 220
        yy = ly + (i // 3) * 20
        parts.append(f'<rect x="{lx}" y="{yy - 10}" width="12" height="12" fill="{colours[k]}"/>'
                     f'<text x="{lx + 16}" y="{yy}" class="lg">{html.escape(k)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _progress_chart(rep: Report) -> str:
    prog = rep.progress()
    if not prog:
        return "<p>The policy's document.yaml states no targets.</p>"
    width, row_h, left, bar_max = 720, 46, 10, 560
    height = 20 + row_h * len(prog)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="progress against targets">',
             "<title>Progress against the plan's targets</title>"]
    for i, (t, n, pct) in enumerate(prog):
        y0 = 10 + i * row_h
        frac = min(Decimal(1), Decimal(n) / Decimal(t.person_times))
        fill_w = float(frac) * bar_max
        colour = "#2ca02c" if n >= t.person_times else "#1f77b4"
        parts.append(f'<text x="{left}" y="{y0 + 10}" class="lg">{html.escape(t.label)} '
                     f'({html.escape(t.period())})</text>')
        parts.append(f'<rect x="{left}" y="{y0 + 16}" width="{bar_max}" height="16" '
                     f'class="track"/>')
        parts.append(f'<rect x="{left}" y="{y0 + 16}" width="{fill_w:.1f}" height="16" '
                     f'fill="{colour}"><title>{n} of {t.person_times}</title></rect>')
        parts.append(f'<text x="{left + bar_max + 8}" y="{y0 + 29}" class="lg">'
                     f'{n} / {t.person_times} ({_pct(pct)})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;
margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f3f3f3;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}
svg .grid{stroke:#e5e5e5}svg .track{fill:#eee}
svg text{font-size:12px;fill:#333}svg .yl{text-anchor:end}svg .t{font-size:13px;font-weight:600}
svg .xl{text-anchor:start;font-size:11px}
.note{color:#555;font-size:.9em}
"""


def render_html(rep: Report) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(rep.document['number'])} — quarterly and yearly report</title>",
           f"<style>{CSS}</style>", "</head>", "<body>", f"<h1>{e(TITLE)}</h1>", "<dl>"]
    for k, v in _head(rep):
        out.append(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>")
    out.append("</dl>")
    out.append("<h2>Person-times subsidised per quarter</h2>")
    out.append(_stacked_bars(rep, "person-times per quarter", lambda c: Decimal(c.count),
                             "eligible decisions"))
    out.append("<h2>Amounts per quarter</h2>")
    out.append(_stacked_bars(rep, "amount per quarter", lambda c: c.amount, "yuan"))
    out.append("<h2>Progress against the plan's targets</h2>")
    out.append(_progress_chart(rep))
    for title, header, rows in _tables(rep):
        out.append(f"<h2>{e(title)}</h2>")
        if not rows:
            out.append("<p>(none)</p>")
            continue
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header)
                   + "</tr></thead><tbody>")
        for r in rows:
            out.append("<tr>" + "".join(
                f'<td class="n">{e(v)}</td>' if numeric[i] else f"<td>{e(v)}</td>"
                for i, v in enumerate(r)) + "</tr>")
        out.append("</tbody></table>")
        if title == TARGETS_TITLE and rep.targets:
            out.append('<ul class="note">' + "".join(f"<li>{e(n)}</li>"
                                                     for n in _target_notes(rep)) + "</ul>")
    out.append('<p class="note">Person-times are eligible decisions: one eligible decision of '
               "a program is one person-time (a project_training decision is a whole project). "
               "Reports are required by 七（一）：建立工作情况季报、年报制度。</p>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "md": render_md, "html": render_html}


def render(rep: Report, fmt: str = "text") -> str:
    return RENDERERS[fmt](rep)
