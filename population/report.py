"""Quarterly and yearly reports from batch decisions (工作情况季报、年报), in
the words of the policy's document.yaml ``report`` (title, note, citation).

Reads a decisions file written by ``policy batch`` (one JSON object per line)
and counts, by quarter and by year of each case's decision date (``case.as_of``):

- person-times subsidised: the eligible decisions (one eligible decision of a
  program is one person-time; what that means for a program whose decision
  covers many people, the policy's report note says);
- the amounts of those decisions, by program and by level (the ``level`` each
  batch decision carries);
- progress against the plan's targets (``targets`` in document.yaml).

The file is read as a stream (only the counters are kept). The output is
deterministic: the same decisions file gives the same bytes, in text,
Markdown or a self-contained HTML page with inline SVG charts (no script, no
external resource).

The report is in Chinese by default (``lang="en"`` for English): programs by
their titles, money with thousands separators; its title and the note on what
it counts are the policy's words (document.yaml ``report``).

Public API:
  Target, targets_of(policy)
  read_report(path, policy) -> Report      (build_report(lines, policy, name) for an iterable)
  render(report, fmt, lang) with fmt in text | md | html, lang in zh | en
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dsl.errors import CaseError, PolicyFileError, Position
from dsl.visible import visible, visible_lines
from interpreter.display import money_figures

from . import charts
from .batch import NO_LEVEL

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
    programs: tuple[str, ...] | None  # None: every program
    cite: tuple[tuple[str, str | None], ...] = ()

    def period(self) -> str:
        if (
            self.start.month == 1
            and self.start.day == 1
            and self.end == _dt.date(self.start.year, 12, 31)
        ):
            return str(self.start.year)
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31):
            return f"{self.start.year}–{self.end.year}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def counts(self, program: str, day: _dt.date | None) -> bool:
        return (
            day is not None
            and self.start <= day <= self.end
            and (self.programs is None or program in self.programs)
        )


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
            raise PolicyFileError(
                f"targets[{i}] ({t['id']}) names no program of this policy: " + ", ".join(unknown),
                position=Position(f"{policy.root}/document.yaml"),
            )
        cite = tuple((c["clause"], c.get("quote")) for c in t.get("cite") or ())
        out.append(
            Target(
                t["id"],
                t["label"],
                t.get("label_en"),
                start,
                end,
                int(t["person_times"]),
                programs,
                cite,
            )
        )
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
    program_titles_en: dict[str, str] = field(default_factory=dict)
    words: dict = field(default_factory=dict)  # document.yaml `report`
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
        self.policies[line.get("policy") or "?"] = (
            self.policies.get(line.get("policy") or "?", 0) + 1
        )
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
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
            out.append((t, n, pct))
        return out


def period_name(p: Period, lang: str = "en") -> str:
    if lang == "zh":
        return "日期不明" if p[0] == UNKNOWN else f"{p[0]}年第{p[1]}季度"
    return "unknown date" if p[0] == UNKNOWN else f"{p[0]}-Q{p[1]}"


def read_lines(path: str, digest=None) -> Iterator[tuple[int, dict]]:
    """The decision lines of a batch output file, streaming; CaseError (exit 2)
    for a line that is not one, or longer than a batch line may be.
    ``digest``: a hashlib object fed every byte read (the file is read once)."""
    from .batch import MAX_LINE_BYTES, LongLine, bounded_lines

    name = "<stdin>" if path == "-" else path
    try:
        f = open(0 if path == "-" else path, "rb", closefd=path != "-")  # noqa: SIM115 - `with f` below
    except OSError as exc:
        raise CaseError(
            f"cannot read the decisions file: {exc.strerror}", position=Position(name)
        ) from None
    with f:
        for n, raw in enumerate(bounded_lines(f, MAX_LINE_BYTES), 1):
            if isinstance(raw, LongLine):
                raise CaseError(
                    f"the line is {raw.length} bytes long; a decision line of "
                    f"`policy batch` is at most {MAX_LINE_BYTES}",
                    position=Position(name, n),
                )
            if digest is not None:
                digest.update(raw)
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise CaseError(f"not a line of JSON: {exc}", position=Position(name, n)) from None
            except RecursionError:
                raise CaseError("the JSON nests too deeply", position=Position(name, n)) from None
            if (
                not isinstance(data, dict)
                or not isinstance(data.get("decisions"), list)
                or "case" not in data
            ):
                raise CaseError(
                    "not a decision line of `policy batch` (no 'case' and 'decisions')",
                    position=Position(name, n),
                    hint="the report reads the --out file of `policy batch`, "
                    "not the cases nor the rejects",
                )
            _check_line(data, Position(name, n))
            yield n, data


# an amount as `policy batch` writes it: yuan, to the fen at most (-0.00 too)
_AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _check_line(line: dict, where: Position) -> None:
    """The fields of a decision line the report reads, checked: a decisions
    file comes from outside (docs/security.md), and a damaged or forged line
    ("NaN" or "1e999999" as an amount, a date that is none, a list where a
    text belongs) stopped the report with an internal error (exit 3)."""

    def bad(field: str, expected: str, value) -> None:
        found = json.dumps(value, ensure_ascii=False)
        found = found if len(found) <= 60 else found[:60] + "…"
        raise CaseError(
            f"expected {expected}, found {found}",
            position=where,
            context=f"field {field}",
            hint="the report reads the --out file of `policy batch`, as it wrote it",
        )

    case = line["case"]
    if not isinstance(case, dict):
        bad("case", "an object", case)
    as_of = case.get("as_of")
    if as_of is not None:
        try:
            ok = isinstance(as_of, str) and bool(_DATE.fullmatch(as_of))
            ok = ok and bool(_dt.date.fromisoformat(as_of))
        except ValueError:
            ok = False
        if not ok:
            bad("case.as_of", "a date YYYY-MM-DD", as_of)
    if not isinstance(line.get("policy"), (str, type(None))):
        bad("policy", "the policy's hash as text", line["policy"])
    for i, d in enumerate(line["decisions"]):
        at = f"decisions[{i}]"
        if not isinstance(d, dict):
            bad(at, "an object", d)
        for key in ("program", "outcome"):
            if not isinstance(d.get(key), str):
                bad(f"{at}.{key}", "a text", d.get(key))
        if not isinstance(d.get("level"), (str, type(None))):
            bad(f"{at}.level", "a text", d["level"])
        amount = d.get("amount")
        if amount is not None and not (isinstance(amount, str) and _AMOUNT.fullmatch(amount)):
            bad(f"{at}.amount", 'an amount in yuan as text, such as "12.30"', amount)


def new_report(policy, source: str = "<decisions>", sha256: str = "") -> Report:
    from .whatif import level_order

    doc = policy.document
    plan = (doc.period_from, doc.period_until) if doc.period_from and doc.period_until else None
    return Report(
        source=source,
        sha256=sha256,
        document={
            "id": doc.id,
            "hash": policy.hash,
            "number": doc.number,
            "title": doc.title,
            "title_en": doc.title_en or doc.title,
            "jurisdiction": doc.jurisdiction,
        },
        program_titles={pid: p.title for pid, p in policy.programs.items()},
        program_titles_en={pid: p.title_en for pid, p in policy.programs.items()},
        words=dict(doc.raw.get("report") or {}),
        program_order=tuple(policy.programs),
        level_order=level_order(policy),
        plan=plan,
        targets=targets_of(policy),
    )


def build_report(
    lines: Iterable[dict], policy, source: str = "<decisions>", sha256: str = ""
) -> Report:
    rep = new_report(policy, source, sha256)
    for line in lines:
        rep.add(line)
    return rep


def read_report(path: str, policy, other_policy: bool = False) -> Report:
    """The report of a decisions file, read once: the hash it names is of the
    very bytes it counted (a file written meanwhile cannot mix two versions).
    A line made under another policy id is refused (identity.OtherPolicyError,
    exit 2) unless ``other_policy``."""
    from interpreter.identity import made_under

    h = hashlib.sha256()
    rep = new_report(policy, "<stdin>" if path == "-" else path)
    for n, line in read_lines(path, h):
        made = line.get("policy_id")
        made_under(
            policy,
            made if isinstance(made, str) else None,
            Position(rep.source, n),
            "decision line",
            other_policy,
        )
        rep.add(line)
    if path != "-":
        rep.sha256 = "sha256:" + h.hexdigest()
    return rep


# -- rendering ------------------------------------------------------------------------

WORDS = {
    "zh": {
        "title": "工作情况季报、年报",
        "policy": "政策",
        "policy_id": "政策标识",
        "file": "决定文件",
        "cases": "案件数",
        "decisions": "决定数",
        "versions": "政策版本",
        "n_cases": "{n} 个案件",
        "eligible": "符合条件",
        "ineligible": "不符合条件",
        "undetermined": "待定",
        "by_quarter": "按季度（人次 = 符合条件的决定数）",
        "by_quarter_program": "按季度和补贴项目",
        "by_quarter_level": "按季度和等级",
        "by_year_program": "按年度和补贴项目",
        "by_year_level": "按年度和等级",
        "targets": "目标完成情况",
        "quarter": "季度",
        "year": "年度",
        "program": "补贴项目",
        "level": "等级",
        "person_times": "人次",
        "amount": "金额（元）",
        "target": "目标",
        "period": "期间",
        "target_n": "目标人次",
        "achieved": "已完成",
        "progress": "进度",
        "status": "状态",
        "reached": "已完成",
        "to_go": "尚差 {n} 人次",
        "year_total": "{y}年合计",
        "all": "总计",
        "none": "（无）",
        "chart_people": "每季度补贴人次",
        "chart_money": "每季度补贴金额",
        "unit_people": "人次",
        "unit_money": "元",
        "quarter_short": "{q}季度",
        "year_label": "{y}年",
        "no_targets": "本政策的 document.yaml 未规定目标。",
        "counts": "{label}：计入{programs}在{start}至{end}之间的符合条件的决定",
        "every_program": "所有补贴项目",
        "list_sep": "、",
        "colon": "：",
        "required": "依据",
        "of": "{n} / {t}（{pct}）",
    },
    "en": {
        "title": "Quarterly and yearly report",
        "policy": "policy",
        "policy_id": "policy id",
        "file": "decisions file",
        "cases": "cases",
        "decisions": "decisions",
        "versions": "policy versions",
        "n_cases": "{n} cases",
        "eligible": "eligible",
        "ineligible": "ineligible",
        "undetermined": "undetermined",
        "by_quarter": "By quarter (person-times = eligible decisions)",
        "by_quarter_program": "By quarter and program",
        "by_quarter_level": "By quarter and level",
        "by_year_program": "By year and program",
        "by_year_level": "By year and level",
        "targets": "Progress against the plan's targets",
        "quarter": "quarter",
        "year": "year",
        "program": "program",
        "level": "level",
        "person_times": "person-times",
        "amount": "amount (yuan)",
        "target": "target",
        "period": "period",
        "target_n": "person-times",
        "achieved": "achieved",
        "progress": "progress",
        "status": "status",
        "reached": "reached",
        "to_go": "{n} to go",
        "year_total": "{y} total",
        "all": "all",
        "none": "(none)",
        "chart_people": "Person-times per quarter",
        "chart_money": "Amounts per quarter",
        "unit_people": "eligible decisions",
        "unit_money": "yuan",
        "quarter_short": "Q{q}",
        "year_label": "{y}",
        "no_targets": "The policy's document.yaml states no targets.",
        "counts": "{label}: eligible decisions of {programs} dated {start} – {end}",
        "every_program": "every program",
        "list_sep": ", ",
        "colon": ": ",
        "required": "required by",
        "of": "{n} of {t} ({pct})",
    },
}

LANGS = tuple(WORDS)


class _View:
    """The report's words and labels in one language."""

    def __init__(self, rep: Report, lang: str):
        self.rep, self.lang = rep, lang if lang in WORDS else "zh"
        self.w = WORDS[self.lang]

    def title(self) -> str:
        t = self.rep.words.get("title") or {}
        return t.get(self.lang) or self.w["title"]

    def note(self) -> str | None:
        n = self.rep.words.get("note") or {}
        text = n.get(self.lang)
        cites = list(self.rep.words.get("cite") or [])
        if cites:
            src = "；".join(
                f"{self.rep.document['number']} {c['clause']}"
                + (f"「{c['quote']}」" if c.get("quote") else "")
                for c in cites
            )
            text = ((text + " ") if text else "") + f"{self.w['required']}{self.w['colon']}{src}"
        return text

    def program(self, key: str) -> str:
        titles = (
            self.rep.program_titles
            if self.lang == "zh"
            else (self.rep.program_titles_en or self.rep.program_titles)
        )
        return titles.get(key) or self.rep.program_titles.get(key) or key

    def period(self, p: Period) -> str:
        return period_name(p, self.lang)

    def money(self, v: Decimal) -> str:
        return money_figures(v)

    def target_label(self, t: Target) -> str:
        return (t.label_en or t.label) if self.lang == "en" else t.label

    def target_period(self, t: Target) -> str:
        text = t.period()
        return text.replace("–", "—") if self.lang == "zh" else text

    def outcome(self, o) -> str:
        return self.w.get(str(o), str(o))

    def paren(self, text: str) -> str:
        return f"（{text}）" if self.lang == "zh" else f" ({text})"


def _pct(p: Decimal) -> str:
    return f"{p}%"


def _tables(v: _View) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table, shared by text, Markdown and HTML."""
    rep, w = v.rep, v.w
    periods = rep.periods()
    years = rep.years()
    tables = []
    rows = []
    for y in years:
        for p in rep.year_periods(y):
            c = rep.quarter_cell(p)
            rows.append(
                [v.period(p), f"{rep.all_decisions.get(p, 0):,}", f"{c.count:,}", v.money(c.amount)]
            )
        if y != UNKNOWN:
            c = rep.cell(rep.by_program, rep.year_periods(y))
            rows.append(
                [
                    w["year_total"].format(y=y),
                    f"{sum(rep.all_decisions.get(p, 0) for p in rep.year_periods(y)):,}",
                    f"{c.count:,}",
                    v.money(c.amount),
                ]
            )
    c = rep.cell(rep.by_program, periods)
    rows.append([w["all"], f"{rep.decisions:,}", f"{c.count:,}", v.money(c.amount)])
    tables.append(
        (w["by_quarter"], [w["quarter"], w["decisions"], w["person_times"], w["amount"]], rows)
    )

    def label(k, kind):
        return v.program(k) if kind == "program" else k

    for title, table, keys, kind in (
        (w["by_quarter_program"], rep.by_program, rep.programs(), "program"),
        (w["by_quarter_level"], rep.by_level, rep.levels(), "level"),
    ):
        rows = []
        for p in periods:
            for k in keys:
                c = rep.cell(table, [p], k)
                if c.count:
                    rows.append([v.period(p), label(k, kind), f"{c.count:,}", v.money(c.amount)])
        tables.append((title, [w["quarter"], w[kind], w["person_times"], w["amount"]], rows))

    for title, table, keys, kind in (
        (w["by_year_program"], rep.by_program, rep.programs(), "program"),
        (w["by_year_level"], rep.by_level, rep.levels(), "level"),
    ):
        rows = []
        for y in years:
            for k in keys:
                c = rep.cell(table, rep.year_periods(y), k)
                if c.count:
                    name = v.period((y, 0)) if y == UNKNOWN else w["year_label"].format(y=y)
                    rows.append([name, label(k, kind), f"{c.count:,}", v.money(c.amount)])
        for k in keys:
            c = rep.cell(table, periods, k)
            rows.append([w["all"], label(k, kind), f"{c.count:,}", v.money(c.amount)])
        tables.append((title, [w["year"], w[kind], w["person_times"], w["amount"]], rows))

    rows = []
    for t, n, pct in rep.progress():
        status = (
            w["reached"] if n >= t.person_times else w["to_go"].format(n=f"{t.person_times - n:,}")
        )
        row = [
            v.target_label(t),
            v.target_period(t),
            f"{t.person_times:,}",
            f"{n:,}",
            _pct(pct),
            status,
        ]
        # the target's id only in English (a machine-ish name; Chinese readers get the label)
        rows.append([t.id] + row if v.lang == "en" else row)
    header = [w["target"], w["period"], w["target_n"], w["achieved"], w["progress"], w["status"]]
    tables.append((w["targets"], (["id"] + header) if v.lang == "en" else header, rows))
    return tables


def _target_notes(v: _View) -> list[str]:
    """What each target counts (shown under the targets table)."""
    w, out = v.w, []
    for t in v.rep.targets:
        programs = (
            w["list_sep"].join(v.program(p) for p in t.programs)
            if t.programs
            else w["every_program"]
        )
        cite = "；".join(
            f"{v.rep.document['number']} {c}" + (f"「{q}」" if q else "") for c, q in t.cite
        )
        text = w["counts"].format(
            label=v.target_label(t),
            programs=programs,
            start=t.start.isoformat(),
            end=t.end.isoformat(),
        )
        out.append(
            text + (f"（{cite}）" if cite and v.lang == "zh" else f" ({cite})" if cite else "")
        )
    return out


def _head(v: _View) -> list[tuple[str, str]]:
    rep, w = v.rep, v.w
    doc = rep.document
    outcomes = w["list_sep"].join(
        f"{v.outcome(k)} {rep.outcomes[k]:,}" for k in sorted(rep.outcomes, key=str)
    )
    title = doc["title"] if v.lang == "zh" else doc.get("title_en") or doc["title"]
    return [
        (w["policy"], f"{doc['number']} {title}"),
        (w["policy_id"], f"{doc['id']}" + v.paren(doc["hash"])),
        (w["file"], rep.source + (v.paren(rep.sha256) if rep.sha256 else "")),
        (w["cases"], f"{rep.lines:,}"),
        (w["decisions"], f"{rep.decisions:,}" + (v.paren(outcomes) if outcomes else "")),
        (
            w["versions"],
            ", ".join(
                h + v.paren(w["n_cases"].format(n=f"{n:,}"))
                for h, n in sorted(rep.policies.items())
            )
            or "—",
        ),
    ]


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _is_number(v: str) -> bool:
    try:
        Decimal(v.rstrip("%").replace(",", ""))
        return True
    except Exception:  # noqa: BLE001
        return False


def render_text(rep: Report, lang: str = "zh") -> str:
    v = _View(rep, lang)
    out = [v.title(), ""]
    for k, val in _head(v):
        out.append(f"{k}{v.w['colon']}{val}")
    tables = _tables(v)
    for title, header, rows in tables:
        rows = [[visible(x) for x in r] for r in rows]
        out += ["", title]
        if not rows:
            out.append("  " + v.w["none"])
            continue
        widths = [max(_width(r[i]) for r in [header] + rows) for i in range(len(header))]
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        for r in [header] + rows:
            cells = []
            for i, val in enumerate(r):
                pad = " " * (widths[i] - _width(val))
                cells.append(pad + val if numeric[i] else val + pad)
            out.append("  " + "  ".join(cells).rstrip())
        if title == tables[-1][0]:
            out += ["  " + n for n in _target_notes(v)]
    note = v.note()
    if note:
        out += ["", note]
    # every value from the decisions file shown escaped (dsl.visible): a newline
    # or a terminal escape in it cannot forge a line
    return visible_lines(out) + "\n"


def _md(v: str) -> str:
    from .charts import md

    return md(v)


def render_md(rep: Report, lang: str = "zh") -> str:
    v = _View(rep, lang)
    out = [f"# {v.title()}", ""]
    for k, val in _head(v):
        out.append(f"- **{k}**{v.w['colon']}{_md(val)}")
    tables = _tables(v)
    for title, header, rows in tables:
        out += ["", f"## {title}", ""]
        if not rows:
            out.append(v.w["none"])
            continue
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        out.append("| " + " | ".join(_md(h) for h in header) + " |")
        out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        for r in rows:
            out.append("| " + " | ".join(_md(x) for x in r) + " |")
        if title == tables[-1][0]:
            out += [""] + [f"- {_md(n)}" for n in _target_notes(v)]
    note = v.note()
    if note:
        out += ["", _md(note)]
    return "\n".join(out) + "\n"


# -- HTML with inline SVG ---------------------------------------------------------------


def _quarter_chart(v: _View, title: str, unit: str, value) -> str:
    rep = v.rep
    groups = []
    for y in rep.years():
        if y == UNKNOWN:
            continue
        cols = [
            (
                v.w["quarter_short"].format(q=p[1]),
                {k: value(rep.cell(rep.by_program, [p], k)) for k in rep.programs()},
            )
            for p in rep.year_periods(y)
        ]
        groups.append((v.w["year_label"].format(y=y), cols))
    series = [(k, v.program(k)) for k in rep.programs()]
    return charts.stacked_columns(title, unit, groups, series, charts.tick_text)


def _progress_chart(v: _View) -> str:
    prog = v.rep.progress()
    if not prog:
        return f"<p>{charts.e(v.w['no_targets'])}</p>"
    rows = [
        (
            f"{v.target_label(t)}（{v.target_period(t)}）"
            if v.lang == "zh"
            else f"{v.target_label(t)} ({v.target_period(t)})",
            n,
            t.person_times,
            v.w["of"].format(n=f"{n:,}", t=f"{t.person_times:,}", pct=_pct(pct)),
            n >= t.person_times,
        )
        for t, n, pct in prog
    ]
    return charts.progress_bars(v.w["targets"], rows)


CSS = (
    """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f3f3f3;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}
svg{max-width:100%;height:auto}
.note{color:#555;font-size:.9em}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}svg,tr{break-inside:avoid}
thead{display:table-header-group}}
@page{size:A4;margin:15mm}
"""
    + charts.CSS
)


def render_html(rep: Report, lang: str = "zh") -> str:
    v = _View(rep, lang)
    e, w = charts.e, v.w
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if v.lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(rep.document['number'])} — {e(v.title())}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(v.title())}</h1>",
        "<dl>",
    ]
    for k, val in _head(v):
        out.append(f"<dt>{e(k)}</dt><dd>{e(val)}</dd>")
    out.append("</dl>")
    out.append(f"<h2>{e(w['chart_people'])}</h2>")
    out.append(_quarter_chart(v, w["chart_people"], w["unit_people"], lambda c: Decimal(c.count)))
    out.append(f"<h2>{e(w['chart_money'])}</h2>")
    out.append(_quarter_chart(v, w["chart_money"], w["unit_money"], lambda c: c.amount))
    out.append(f"<h2>{e(w['targets'])}</h2>")
    out.append(_progress_chart(v))
    tables = _tables(v)
    for title, header, rows in tables:
        out.append(f"<h2>{e(title)}</h2>")
        if not rows:
            out.append(f"<p>{e(w['none'])}</p>")
            continue
        numeric = [all(_is_number(r[i]) for r in rows) for i in range(len(header))]
        out.append(
            "<table><thead><tr>"
            + "".join(f"<th>{e(h)}</th>" for h in header)
            + "</tr></thead><tbody>"
        )
        for r in rows:
            out.append(
                "<tr>"
                + "".join(
                    f'<td class="n">{e(x)}</td>' if numeric[i] else f"<td>{e(x)}</td>"
                    for i, x in enumerate(r)
                )
                + "</tr>"
            )
        out.append("</tbody></table>")
        if title == tables[-1][0] and rep.targets:
            out.append(
                '<ul class="note">'
                + "".join(f"<li>{e(n)}</li>" for n in _target_notes(v))
                + "</ul>"
            )
    note = v.note()
    if note:
        out.append(f'<p class="note">{e(note)}</p>')
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "md": render_md, "html": render_html}


def render(rep: Report, fmt: str = "text", lang: str = "zh") -> str:
    return RENDERERS[fmt](rep, lang)
