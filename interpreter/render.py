"""Decisions as a caseworker reads them (text, Chinese or English) and as
machines read them (JSON, stable keys, money as strings).

Rendering is separate from evaluation: the evaluator records dataclasses,
this module only formats them.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast, overload

from dsl import types as T
from dsl.functions import ROUNDING_MODES
from dsl.values import NONE, Unknown, show, to_json
from dsl.visible import visible_lines

from . import display
from .cases import NONE_PATHS, facts_json
from .decision import ELIGIBLE, INELIGIBLE, UNDETERMINED, CaseResult, ClauseResult, Decision
from .model import Citation, Clause, Definition, Policy, Program, Text
from .plain_text import wrap
from .texts import fill

JSON_FORMAT_VERSION = 1


@overload
def money(value: Decimal) -> str: ...
@overload
def money(value: Decimal | None) -> str | None: ...
def money(value: Decimal | None) -> str | None:
    """Money as text, with exactly two decimals ("1234.50"). The evaluator has
    already rounded every amount as the policy says (document.yaml money)."""
    if value is None:
        return None
    return format(value.quantize(_FEN, rounding=ROUND_HALF_UP), "f")


_FEN = Decimal("0.01")


def computed_value(policy: Policy, let: Definition, value: Any) -> Any:
    """A labelled intermediate value as shown: an amount of money rounded as
    the policy pays money (its exact value is what the amount was computed
    from), anything else as it is."""
    if (
        isinstance(value, Decimal)
        and not isinstance(value, bool)
        and let.rule.expression.type == T.MONEY
    ):
        m = policy.document.money
        return value.quantize(Decimal(1).scaleb(-m.places), rounding=ROUNDING_MODES[m.rounding])
    return value


WORDS = {
    "zh": {
        ELIGIBLE: "符合条件",
        INELIGIBLE: "不符合条件",
        UNDETERMINED: "待定（缺少事实）",
        "case": "案件",
        "as_of": "决定日期",
        "program": "补贴项目",
        "outcome": "结论",
        "amount": "补贴金额",
        "payee": "领取方",
        "clauses": "条款",
        "standards": "适用标准",
        "citations": "政策依据",
        "missing": "缺少的事实",
        "failing": "未满足的条款",
        "needed": "需满足",
        "since": "自",
        "until": "至",
        "yuan": "元",
        "installments": "拨付",
        "payable": "可拨付",
        "pending": "待定",
        "refused": "不拨付",
        "interpretation": "解释",
        "from_option": "（由 --as-of 指定）",
        "from_case": "（取自案件）",
        "unknown_date": "未知",
        "capped": "已按上限",
        "floored": "已按下限",
        "formula": "计算",
        "responsible": "责任单位",
        "policy": "政策",
        "also_cites": "并依据",
        "unknown": "未知",
        "check": "请核实",
        "revision": "修订",
        "computed": "计算值",
        "no_rows": "目录中没有相应记录",
        "no_programs": "本案件未申请任何补贴项目，未作判定。",
        "none": "无",
        "period": "期间",
    },
    "en": {
        ELIGIBLE: "eligible",
        INELIGIBLE: "ineligible",
        UNDETERMINED: "undetermined (facts missing)",
        "case": "Case",
        "as_of": "Decision date",
        "program": "Program",
        "outcome": "Outcome",
        "amount": "Amount",
        "payee": "Payee",
        "clauses": "Clauses",
        "standards": "Standards applied",
        "citations": "Citations",
        "missing": "Missing facts",
        "failing": "Clauses not met",
        "needed": "needed",
        "since": "since",
        "until": "until",
        "yuan": "yuan",
        "installments": "Payments",
        "payable": "payable",
        "pending": "pending",
        "refused": "not payable",
        "interpretation": "Interpretation",
        "from_option": "(from --as-of)",
        "from_case": "(from the case)",
        "unknown_date": "unknown",
        "capped": "capped at",
        "floored": "raised to the floor",
        "formula": "Computed",
        "responsible": "Responsible units",
        "policy": "Policy",
        "also_cites": "Also cites",
        "unknown": "unknown",
        "check": "to check",
        "revision": "Revision",
        "computed": "Computed values",
        "no_rows": "no such row in the catalogue",
        "no_programs": "The case applies for no program: nothing was decided.",
        "none": "none",
        "period": "period",
    },
}

MARK = {True: "✓", False: "✗", None: "?"}

# a line's lead: its indent and the mark it opens with (✓ ✗ ? ↳ ■)
_LEAD = re.compile(r"^( *)([✓✗?↳■] )?")


def hanging(lines: list[str], limit: int = 80) -> list[str]:
    """Each line in lines of at most ``limit`` columns (a CJK character is
    two), continued under its text with a hanging indent: an officer's
    terminal never wraps a long clause back to column 1."""
    out: list[str] = []
    for line in lines:
        m = cast("re.Match[str]", _LEAD.match(line))  # every line: both groups may be empty
        # under the text after a mark; two columns in otherwise (a value line
        # below a clause starts deeper than the clause's own continuation)
        hang = " " * (len(m.group(1)) + 2)
        out += wrap(line[m.end() :], line[: m.end()], hang, limit)
    return out


# -- JSON ---------------------------------------------------------------------------


def citation_json(policy: Policy, cite: Citation) -> dict:
    clause = policy.clause(cite)
    return {
        "clause": cite.clause,
        "document": (clause.document if clause and clause.document else policy.document.number),
        "title": clause.title if clause else None,
        "quote": cite.quote or (clause.text if clause else None),
    }


@overload
def filled(policy: Policy, text: Text, day: Any) -> Text: ...
@overload
def filled(policy: Policy, text: Text | None, day: Any) -> Text | None: ...
def filled(policy: Policy, text: Text | None, day: Any) -> Text | None:
    """An explanation with the standards it names put in, as in force on
    ``day`` (interpreter/texts.py): it stays true after a revision."""
    if text is None:
        return None
    return Text(fill(text.zh, policy.standards, day), fill(text.en, policy.standards, day))


def decision_json(
    policy: Policy, d: Decision, explain: bool = True, day: _dt.date | None = None
) -> dict:
    """``day``: the decision date, for the standards the texts name."""
    p = d.program

    def f(text: Text) -> Text:
        return filled(policy, text, day)

    out: dict[str, Any] = {
        "program": p.id,
        "title": p.title,
        "title_en": p.title_en,
        "outcome": d.outcome,
        "amount": money(d.amount),
        "failing": d.failing,
        "missing": d.missing,
    }
    if d.installments:
        out["installments"] = [
            {
                "id": i.installment.id,
                "label": f(i.installment.label).zh,
                "label_en": f(i.installment.label).en,
                "amount": money(i.amount),
                "status": i.status,
                "missing": list(i.missing),
            }
            for i in d.installments
        ]
    if d.capped_at is not None:
        out["capped_at"] = money(d.capped_at)
        out["formula_amount"] = money(d.formula_amount)
    if d.floored_at is not None:
        out["floored_at"] = money(d.floored_at)
        out["formula_amount"] = money(d.formula_amount)
    if not explain:
        return out
    if d.amount_values:
        # the case values the amount and its cap read (an approved total)
        out["amount_values"] = {k: to_json(v) for k, v in d.amount_values.items()}
    if any(i.values for i in d.installments):
        # the case values each installment's condition and share read (the
        # employment rate a balance waits for)
        out["installment_values"] = {
            i.installment.id: {k: to_json(v) for k, v in i.values.items()}
            for i in d.installments
            if i.values
        }
    out["payee"] = {"zh": f(p.payee).zh, "en": f(p.payee).en}
    out["clauses"] = [
        {
            "id": r.id,
            "result": r.result,
            "expr": r.clause.rule.text,
            "at": str(r.clause.rule.position),
            "explain": {"zh": f(r.clause.explain).zh, "en": f(r.clause.explain).en},
            "values": {k: to_json(v) for k, v in r.values.items()},
            "missing": list(r.missing),
            **(
                {
                    "catalog": [
                        {"table": t, "match": to_json(m), "rows": to_json(rows)}
                        for t, m, rows in r.catalog_rows
                    ]
                }
                if r.catalog_rows
                else {}
            ),
            "cite": [citation_json(policy, c) for c in r.clause.cite],
            **(
                {
                    "interpretation": {
                        "zh": f(r.clause.interpretation).zh,
                        "en": f(r.clause.interpretation).en,
                    }
                }
                if r.clause.interpretation
                else {}
            ),
        }
        for r in _ordered(d)
    ]
    out["standards"] = [
        {
            "id": s.id,
            "key": s.key,
            "value": money(s.value) if policy.standards[s.id].type == "money" else to_json(s.value),
            "from": s.start.isoformat(),
            "until": s.until.isoformat() if s.until else None,
            "source": s.source,
            "revision": s.revision,
            "label": policy.standards[s.id].label,
            "label_en": policy.standards[s.id].label_en,
            **({"cite": [citation_json(policy, c) for c in s.cite]} if s.cite else {}),
        }
        for s in d.standards
    ]
    cites = list(p.cite) + list(p.amount.cite)
    labels = {l.id: l.label for l in p.lets}
    lets = {l.id: l for l in p.lets}
    out["computed"] = {
        k: {
            "value": _computed_json(policy, lets[k], v),
            "label": f(label).zh if (label := labels.get(k)) else None,
            "label_en": f(label).en if (label := labels.get(k)) else None,
        }
        for k, v in d.lets.items()
        if labels.get(k) is not None
    }
    out["citations"] = [citation_json(policy, c) for c in _unique(cites)]
    interp = [x for x in (p.interpretation, p.amount.interpretation) if x]
    if interp:
        out["interpretation"] = [{"zh": f(x).zh, "en": f(x).en} for x in interp]
    out["responsible"] = list(p.responsible)
    return out


def _computed_json(policy: Policy, let: Definition, value: Any) -> Any:
    value = computed_value(policy, let, value)
    if isinstance(value, Decimal) and let.rule.expression.type == T.MONEY:
        return money(value)
    return to_json(value)


def result_json(policy: Policy, res: CaseResult, explain: bool = True) -> dict:
    return {
        "format": JSON_FORMAT_VERSION,
        "policy": {
            "id": policy.document.id,
            "number": policy.document.number,
            "title": policy.document.title,
            "hash": policy.hash,
            "files": {k: "sha256:" + v for k, v in sorted(policy.files.items())},
            "revisions": policy.revisions,
            **(
                {
                    "documents": [
                        {
                            "id": k,
                            "number": v["number"],
                            "title": v["title"],
                            "example": bool(v.get("example", False)),
                        }
                        for k, v in policy.documents.items()
                    ]
                }
                if policy.documents
                else {}
            ),
        },
        "case": {
            "file": res.case_name,
            "sha256": res.case_sha256,
            "as_of": res.as_of.isoformat() if res.as_of else None,
            "as_of_source": res.as_of_source,
            "as_of_missing": list(res.as_of_missing),
            # the facts as read (numbers as exact text), so the decision can be replayed
            # a decided case carries the facts it was decided on
            "facts": facts_json(cast(dict, res.facts)),
        },
        "decisions": [decision_json(policy, d, explain, res.as_of) for d in res.decisions],
    }


def dumps(data: Any) -> str:
    """Byte-stable JSON: sorted keys, no floats (money is already text)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def _ordered(d: Decision) -> list[ClauseResult]:
    """Failing clauses first for a refusal, then unknown, then the rest."""
    if d.outcome == INELIGIBLE:
        rank = {False: 0, None: 1, True: 2}
        return sorted(d.clauses, key=lambda r: rank[r.result])
    if d.outcome == UNDETERMINED:
        rank = {None: 0, False: 1, True: 2}
        return sorted(d.clauses, key=lambda r: rank[r.result])
    return d.clauses


def _unique(cites: Iterable[Citation]) -> list[Citation]:
    seen: set[tuple] = set()
    out: list[Citation] = []
    for c in cites:
        if (c.clause, c.quote) not in seen:
            seen.add((c.clause, c.quote))
            out.append(c)
    return out


# -- text ---------------------------------------------------------------------------


class TextRenderer:
    def __init__(self, policy: Policy, lang: str = "zh"):
        self.policy = policy
        self.lang = lang if lang in WORDS else "zh"
        self.w = WORDS[self.lang]

    def label(self, path: str) -> str:
        decl = self.policy.fact(path)
        name = decl.label_for(self.lang) if decl else None
        return (
            f"{name}（{path}）"
            if name and self.lang == "zh"
            else (f"{name} ({path})" if name else path)
        )

    def value(self, path: str, value: Any) -> str:
        """A fact's value as the officer reads it: unknown, or none with what
        none means for it (facts.yaml ``none``, of the fact or its record)."""
        if type(value) is Unknown:
            return self.w["unknown"]
        if value is NONE:
            # the record the case stated none (no certificate), else the fact itself
            parts = path.split(".")
            stated: list[tuple[str, ...]] = [
                p for p in self._nones if tuple(parts[: len(p)]) == tuple(p)
            ]
            shortest = min(stated, key=len) if stated else None
            decl = self.policy.fact(".".join(shortest) if shortest is not None else path)
            if decl is None or decl.none is None:
                return self.w["none"]
            meaning = decl.none.get(self.lang)
            return (
                f"{self.w['none']}（{meaning}）"
                if self.lang == "zh"
                else f"{self.w['none']} ({meaning})"
            )
        decl = self.policy.fact(path) if path else None
        if decl is not None and display.to_decimal(value) is not None:
            # money and shares as people read them (the JSON keeps 0.72, 7333)
            if decl.type == "money":
                return f"{display.money_figures(value)} {self.w['yuan']}"
            if getattr(decl, "display", None) == "percent":
                return display.percent_text(value)
        return show(value)

    _nones: tuple[tuple[str, ...], ...] = ()
    day = None  # the decision date, for the standards texts name

    def t(self, text: Text) -> str:
        """An explanation in this language, the standards it names put in."""
        return fill(text.get(self.lang), self.policy.standards, self.day)

    def render(self, res: CaseResult) -> str:
        w, doc = self.w, self.policy.document
        self._nones = (res.facts or {}).get(NONE_PATHS, ())
        self.day = res.as_of
        title = doc.title if self.lang == "zh" else (doc.title_en or doc.title)
        lines = [f"{w['policy']}: {doc.number} {title}"]
        for other in self.policy.documents.values():
            title = other["title"] if self.lang == "zh" else other.get("title_en", other["title"])
            mark = (
                ""
                if not other.get("example") or "示例" in title or "example" in title
                else ("（示例）" if self.lang == "zh" else " (example)")
            )
            lines.append(f"{w['also_cites']}: {other['number']} {title}{mark}")
        for r in self.policy.revisions:
            lines.append(f"{w['revision']}: {r['number'] or r['id']} ({r['issued']}; {r['file']})")
        if res.case_name:
            lines.append(f"{w['case']}: {res.case_name}")
        if res.as_of is not None:
            src = w["from_option"] if res.as_of_source == "--as-of" else w["from_case"]
            lines.append(f"{w['as_of']}: {res.as_of.isoformat()} {src}")
        else:
            lines.append(
                f"{w['as_of']}: {w['unknown_date']} — {w['missing']}: "
                + ", ".join(self.label(m) for m in res.as_of_missing)
            )
        for d in res.decisions:
            lines.append("")
            lines.extend(self.decision(d))
        if not res.decisions:
            lines += ["", w["no_programs"]]
        # a newline or a terminal escape in a case value, a file name or a
        # revision's label is shown escaped: it cannot forge a line
        return visible_lines(hanging(lines)) + "\n"

    def decision(self, d: Decision) -> list[str]:
        w, p = self.w, d.program
        title = p.title if self.lang == "zh" else p.title_en
        head = f"■ {title} ({p.id}) — {w[d.outcome]}"
        if d.amount is not None:
            head += f"    {w['amount']}: {self.money(d.amount)}"
        lines = [head]
        if d.outcome == ELIGIBLE:
            lines.append(f"  {w['payee']}: {self.t(p.payee)}")
        if d.outcome == INELIGIBLE:
            lines.append(f"  {w['failing']}: " + ", ".join(d.failing))
        if d.missing:
            lines.append(f"  {w['missing']}: " + "; ".join(self.label(m) for m in d.missing))
        lines.append(f"  {w['clauses']}:")
        for r in _ordered(d):
            lines.append(f"   {MARK[r.result]} {r.id}: {self.t(r.clause.explain)}")
            if r.result is False:
                lines.append(f"       {w['needed']}: {self.needed(r.clause, d.program)}")
            for path, value in r.values.items():
                if type(value) is Unknown and r.result is not None:
                    # a fact the clause did not need (a branch not taken, the
                    # other side of an `or` that held): its absence decided
                    # nothing, and "= unknown" would read as if it had
                    continue
                shown = self.value(path, value)
                lines.append(f"       {self.label(path)} = {shown}")
            for table, match, rows in r.catalog_rows:
                cond = ", ".join(f"{k} = {show(v)}" for k, v in match.items())
                if not rows:
                    lines.append(f"       catalog.{table} ({cond}): {w['no_rows']}")
                for row in rows:
                    lines.append(f"       catalog.{table} ({cond}): {self.row(row, match)}")
            # missing facts not already shown above as "= unknown"
            unshown = [m for m in r.missing if m not in r.values]
            if r.result is None and unshown:
                lines.append(f"       {w['missing']}: " + "; ".join(self.label(m) for m in unshown))
            if r.clause.interpretation:
                lines.append(f"       {w['interpretation']}: {self.t(r.clause.interpretation)}")
            for c in r.clause.cite:
                lines.append(f"       ↳ {self.cite(c)}")
        if d.standards:
            lines.append(f"  {w['standards']}:")
            for s in d.standards:
                std = self.policy.standards[s.id]
                name = (std.label if self.lang == "zh" else std.label_en) or s.id
                key = f"[{s.key}]" if s.key is not None else ""
                if std.type == "money":
                    value = self.money(s.value)
                elif getattr(std, "display", None) == "percent":
                    value = display.percent_text(s.value)
                else:
                    value = show(s.value)
                period = f"{w['since']} {s.start.isoformat()}"
                if s.until:
                    period += f" {w['until']} {s.until.isoformat()}"
                rev = f", {s.revision}" if s.revision else ""
                lines.append(f"   {name}{key} = {value}  ({period}; {s.source}{rev})")
                lines.extend(f"     ↳ {self.cite(c)}" for c in s.cite)
        computed = [(l, d.lets[l.id]) for l in p.lets if l.label is not None and l.id in d.lets]
        if computed:
            lines.append(f"  {w['computed']}:")
            for let, value in computed:
                assert let.label is not None  # only the labelled ones are shown
                value = computed_value(self.policy, let, value)
                text = (
                    self.money(value)
                    if isinstance(value, Decimal) and let.rule.expression.type == T.MONEY
                    else self.value("", value)
                )
                lines.append(f"   {self.t(let.label)} = {text}")
        if d.installments:
            lines.append(f"  {w['installments']}:")
            for i in d.installments:
                amt = self.money(i.amount) if i.amount is not None else "—"
                # the values its condition read: the employment rate a
                # balance is withheld for is shown beside the refusal
                read = "".join(
                    f"; {self.label(k)} = {self.value(k, v)}"
                    for k, v in (i.values or {}).items()
                    if type(v) is not Unknown
                )
                extra = (
                    " — " + w["missing"] + ": " + "; ".join(self.label(m) for m in i.missing)
                    if i.missing
                    else ""
                )
                lines.append(
                    f"   {self.t(i.installment.label)}: {amt} ({w[i.status]}{read}){extra}"
                )
        if d.amount is not None and p.amount.explain:
            note = self.t(p.amount.explain)
            if d.floored_at is not None:
                note += (
                    f"; {self.money(d.formula_amount)} → {w['floored']} {self.money(d.floored_at)}"
                )
            if d.capped_at is not None:
                note += (
                    f"; {self.money(d.formula_amount)} → {w['capped']} {self.money(d.capped_at)}"
                )
            lines.append(f"  {w['formula']}: {note}")
        if p.amount.interpretation and d.outcome == ELIGIBLE:
            lines.append(f"  {w['interpretation']}: {self.t(p.amount.interpretation)}")
        if p.interpretation:
            lines.append(f"  {w['interpretation']}: {self.t(p.interpretation)}")
        lines.append(f"  {w['citations']}:")
        for c in _unique(list(p.cite) + list(p.amount.cite)):
            lines.append(f"   ↳ {self.cite(c)}")
        return lines

    def money(self, value: Any) -> str:
        """An amount as people read it: 1,500.00 元."""
        return f"{display.money_figures(money(value))} {self.w['yuan']}"

    def row(self, row: dict, match: dict) -> str:
        """A catalogue row's other fields; its period in words, an open end
        (9999-12-31) as "from ... on"."""
        rest = {k: v for k, v in row.items() if k not in match}
        parts = []
        if "from" in rest:
            period = display.period_text(rest.pop("from"), rest.pop("until", None), self.lang)
            parts.append(f"{self.w['period']}: {period}")
        parts += [f"{k}: {show(v)}" for k, v in rest.items()]
        return ", ".join(parts)

    def needed(self, clause: Clause, program: Program) -> str:
        """The clause's condition; a bare definition or let name is spelled out."""
        text = clause.rule.text.strip()
        lets = {d.id: d for d in program.lets}
        d = lets.get(text) or self.policy.definitions.get(text)
        return f"{text}（{d.rule.text.strip()}）" if d is not None else text

    def cite(self, c: Citation) -> str:
        clause = self.policy.clause(c)
        quote = c.quote or (clause.text if clause else "")
        if len(quote) > 120:
            quote = quote[:118] + "……"
        number = clause.document if clause and clause.document else self.policy.document.number
        return f"{number} {c.clause}「{quote}」"
