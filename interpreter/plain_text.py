"""The default text of `policy eval`: a decision as an applicant can follow
it, in lines of at most 80 columns (a CJK character is two) with a hanging
indent.

For each program: the conclusion and the amount first; then, for a refusal
or an incomplete application, each condition that failed or lacks a fact,
with the values that decided it, the catalogue records it compared and its
quoted source; for a grant, how the amount was made (the values it read, the
standards applied, every cap as a step) and the payments. No rule code, no
clause or program ids, no fact paths: `--full` shows those, clause by clause.

Built from the decision JSON through ``plain`` (the same words as the
decision notice).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from dsl.visible import visible

from . import display, who
from .model import Policy
from .plain import FAILED, Plain, PlainDecision, Quote

WIDTH = 80

# language → word → a phrase (or a pair of phrases)
WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "policy": "政策",
        "applicant": "申请人",
        "as_of": "判定日期",
        "from_case": "（取自案件）",
        "from_option": "（由 --as-of 指定）",
        "unknown_date": "未知，缺少",
        "eligible": "符合条件",
        "ineligible": "不符合条件，不予补贴",
        "undetermined": "暂不能决定，缺少事实",
        "amount": "补贴金额",
        "failed": "未满足的条件",
        "missing_items": "缺少事实的条件",
        "missing": "缺少",
        "met": "已满足的条件",
        "others_met": "其余 {n} 项条件均已满足（--full 逐条列出）。",
        "all_met": "已满足全部 {n} 项条件：",
        "payee": "领取方",
        "computation": "金额计算",
        "standards": "适用标准",
        "payments": "拨付",
        "basis": "依据",
        "records": "目录记载",
        "status": {"payable": "可拨付", "pending": "待定", "refused": "不拨付"},
        "no_programs": "本案件未申请任何补贴项目，未作判定。",
        "colon": "：",
        "sep": "，",
        "full": "逐条条款、规则和事实路径见 --full。",
    },
    "en": {
        "policy": "Policy",
        "applicant": "Applicant",
        "as_of": "Decision date",
        "from_case": " (from the case)",
        "from_option": " (from --as-of)",
        "unknown_date": "unknown, missing",
        "eligible": "eligible",
        "ineligible": "not eligible, no subsidy",
        "undetermined": "cannot be decided yet, facts missing",
        "amount": "amount",
        "failed": "Conditions not met",
        "missing_items": "Conditions lacking a fact",
        "missing": "missing",
        "met": "Conditions met",
        "others_met": "The other {n} conditions are met (--full lists each).",
        "all_met": "All {n} conditions are met:",
        "payee": "Paid to",
        "computation": "How the amount was made",
        "standards": "Standards applied",
        "payments": "Payments",
        "basis": "Source",
        "records": "Catalogue records",
        "status": {"payable": "payable", "pending": "pending", "refused": "not payable"},
        "no_programs": "The case applies for no program: nothing was decided.",
        "colon": ": ",
        "sep": ", ",
        "full": "--full shows every clause, its rule and the fact paths.",
    },
}

MARK = {"failed": "✗", "missing": "?", "held": "✓"}


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


_CLOSING = set("，。；：、）」』】》〉！？,.;:)]!?%")
_OPENING = set("（「『【《〈“‘")


def _tokens(text: str) -> list[str]:
    """Words to wrap: a run of Latin letters, digits and their punctuation is
    one word; each CJK character is its own; closing punctuation stays with
    what it closes, opening punctuation with what it opens."""
    out: list[str] = []
    word = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if ch == " ":
            if word:
                out.append(word)
                word = ""
            out.append(" ")
        elif wide:
            if word:
                out.append(word)
                word = ""
            if ch in _CLOSING and out and out[-1] != " ":
                out[-1] += ch
            else:
                out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    # an opening bracket or quote stays with what it opens: none ends a line
    joined: list[str] = []
    for tok in out:
        if joined and joined[-1] and joined[-1][-1] in _OPENING and tok != " ":
            joined[-1] += tok
        else:
            joined.append(tok)
    return joined


def wrap(text: str, indent: str, hang: str, limit: int = WIDTH) -> list[str]:
    """``text`` in lines of at most ``limit`` columns: the first after
    ``indent``, the others after ``hang``. A word longer than a line is cut.
    Control characters are shown escaped, and text that holds one is not
    wrapped: no part of it can stand on a line of its own, looking like a
    line of the explanation."""
    shown = visible(text)
    if shown != text:
        return [indent + shown]
    lines: list[str] = []
    line, used = indent, width(indent)
    for tok in _tokens(text):
        w = width(tok)
        if tok == " " and line.strip() == "":
            continue
        if used + w > limit and line.strip():
            lines.append(line.rstrip())
            line, used = hang, width(hang)
            if tok == " ":
                continue
        while used + w > limit:  # a word longer than the line: cut it
            room = limit - used
            head, hw = "", 0
            for ch in tok:
                cw = width(ch)
                if hw + cw > room:
                    break
                head += ch
                hw += cw
            lines.append((line + head).rstrip())
            tok = tok[len(head) :]
            w = width(tok)
            line, used = hang, width(hang)
        line += tok
        used += w
    if line.strip():
        lines.append(line.rstrip())
    return lines or [indent.rstrip()]


class PlainTextRenderer:
    """``render(decision_json)``: the default text of `policy eval`."""

    def __init__(self, policy: Policy, lang: str = "zh"):
        self.policy = policy
        self.lang = lang if lang in WORDS else "zh"
        self.w = WORDS[self.lang]
        self.plain = Plain(policy, self.lang)

    def render(self, doc: dict) -> str:
        w, policy = self.w, self.policy
        out: list[str] = []
        d = policy.document
        title = d.title if self.lang == "zh" else (d.title_en or d.title)
        out += wrap(f"{w['policy']}{w['colon']}{d.number} {title}", "", "  ")
        who = self.applicant((doc.get("case") or {}).get("facts") or {})
        if who:
            out += wrap(f"{w['applicant']}{w['colon']}{who}", "", "  ")
        case = doc.get("case") or {}
        if case.get("as_of"):
            src = w["from_option"] if case.get("as_of_source") == "--as-of" else w["from_case"]
            out.append(
                f"{w['as_of']}{w['colon']}{display.date_text(case['as_of'], self.lang)}{src}"
            )
        else:
            missing = "、".join(self.plain.label(m) for m in case.get("as_of_missing") or [])
            out += wrap(f"{w['as_of']}{w['colon']}{w['unknown_date']} {missing}", "", "  ")
        decisions = doc.get("decisions") or []
        for dec in decisions:
            out.append("")
            out += self.decision(self.plain.decision(dec))
        if not decisions:
            out += ["", w["no_programs"]]
        out += ["", w["full"]]
        return "\n".join(out) + "\n"

    def applicant(self, facts: dict) -> str:
        """Who the case is about: document.yaml's case_name and case_id, the id
        masked by its declared format."""
        return who.from_facts(self.policy, facts)

    def decision(self, p: PlainDecision) -> list[str]:
        w, lang = self.w, self.lang
        head = f"■ {p.program}{w['colon']}{w[p.outcome]}"
        if p.amount_figures is not None:
            head += f"{w['sep']}{w['amount']} {self.plain.money(p.amount)}"
        out = wrap(head, "", "  ")
        if p.outcome == "eligible":
            if p.payee:
                out += wrap(f"{w['payee']}{w['colon']}{p.payee}", "  ", "    ")
            out += self.computation(p)
            out += self.payments(p)
            out += wrap(w["all_met"].format(n=len(p.held)), "  ", "    ")
            for item in p.held:
                out += wrap(item.text, f"  {MARK['held']} ", "    ")
            for q in p.quotes:
                out += self.quote(q, "  ")
            return out
        failed = [i for i in p.decisive if i.status == FAILED]
        lacking = [i for i in p.decisive if i.status != FAILED]
        for heading, items in ((w["failed"], failed), (w["missing_items"], lacking)):
            if not items:
                continue
            out += wrap(heading + w["colon"].rstrip(), "  ", "    ")
            for item in items:
                out += wrap(item.text, f"  {MARK[item.status]} ", "    ")
                for label, value in item.values:
                    out += wrap(f"{label}{w['colon']}{value}", "      ", "        ")
                for label, rows in item.records:
                    out += wrap(
                        f"{label}{w['colon']}" + ("；" if lang == "zh" else "; ").join(rows),
                        "      ",
                        "        ",
                    )
                if item.missing:
                    out += wrap(
                        f"{w['missing']}{w['colon']}" + "、".join(item.missing)
                        if lang == "zh"
                        else f"{w['missing']}: " + ", ".join(item.missing),
                        "      ",
                        "        ",
                    )
                for q in item.quotes:
                    out += self.quote(q, "      ")
        if p.held:
            out += wrap(w["others_met"].format(n=len(p.held)), "  ", "    ")
        return out

    def computation(self, p: PlainDecision) -> list[str]:
        w = self.w
        lines = [(l.label, l.text) for l in p.basis] + [(l.label, l.text) for l in p.computed]
        lines += [(self.plain.w["cap"], s) for s in p.steps]
        out = []
        if lines:
            out += wrap(w["computation"] + w["colon"].rstrip(), "  ", "    ")
            for label, text in lines:
                out += wrap(f"{label}{w['colon']}{text}", "    ", "      ")
        if p.standards:
            out += wrap(w["standards"] + w["colon"].rstrip(), "  ", "    ")
            for s in p.standards:
                out += wrap(f"{s.label}{w['colon']}{s.text}", "    ", "      ")
        return out

    def payments(self, p: PlainDecision) -> list[str]:
        w = self.w
        if not p.payments:
            return []
        out = wrap(w["payments"] + w["colon"].rstrip(), "  ", "    ")
        for pay in p.payments:
            text = f"{pay.label}{w['colon']}{pay.amount or '—'}{w['sep']}{w['status'][pay.status]}"
            extra = [f"{label}{w['colon']}{value}" for label, value in pay.values]
            if pay.missing:
                extra.append(f"{w['missing']}{w['colon']}" + "、".join(pay.missing))
            if extra:
                text += self.plain.paren(("；" if self.lang == "zh" else "; ").join(extra))
            out += wrap(text, "    ", "      ")
        return out

    def quote(self, q: Quote, indent: str) -> list[str]:
        w = self.w
        quote = q.text
        if self.lang == "zh":
            text = f"{w['basis']}{w['colon']}{q.document} {q.clause}「{quote}」"
        else:
            text = f"{w['basis']}{w['colon']}{q.document} {q.clause} “{quote}”"
        return wrap(text, indent, indent + "  ")
