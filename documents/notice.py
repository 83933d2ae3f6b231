"""The decision notice (审核结果通知书) an applicant receives, as HTML or PDF.

A notice is made from a decision as `policy eval --format json` writes it
(or as the ledger stores it): the decision's own record says what was
decided and why, the policy's notice.yaml supplies every word of the notice
(title, issuer, sentences, how to ask for a review), and the Jinja2 template
in documents/templates lays it out. The PDF is the same HTML printed by
WeasyPrint with the Noto CJK fonts.

    render_notice(decision_json, policy, lang="zh", format="pdf") -> bytes
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dsl.errors import CaseError, PolicyError, Position
from interpreter import display
from interpreter.masks import mask_in_text, mask_of, mask_paths, spellings
from interpreter.model import Policy
from interpreter.plain import Plain, PlainDecision

TEMPLATES = Path(__file__).parent / "templates"
FORMATS_OUT = ("html", "pdf")
LANGS = ("zh", "en")

# Typography of each language (not policy: how punctuation is written).
PUNCT = {
    "zh": {
        "colon": "：",
        "semicolon": "；",
        "open": "（",
        "close": "）",
        "lquote": "「",
        "rquote": "」",
        "list": "、",
    },
    "en": {
        "colon": ": ",
        "semicolon": "; ",
        "open": " (",
        "close": ")",
        "lquote": "“",
        "rquote": "”",
        "list": ", ",
    },
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class NoticeError(PolicyError):
    """A notice that cannot be made: the input is not a decision, or the
    policy has no notice.yaml (exit 2 for the first, 1 for the second)."""


def fill(text: str, values: dict) -> str:
    """Put the decision's values into a sentence of notice.yaml. The schema
    allows only known placeholders; one without a value reads as —."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1)) or "—"), text)


def get_path(facts: dict | None, path: str):
    value = facts
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@dataclass
class NoticeView:
    """One program's notice: what the template shows."""

    program: str
    program_id: str
    outcome: str
    outcome_word: str
    number: str
    draft: bool
    header: list[tuple[str, str]]
    application_date: str | None
    decision_date: str | None
    issue_date: str
    amount_figures: str | None
    amount_in_words: str | None
    greeting: str
    opening: str
    conclusion: str
    reasons_heading: str
    also_met: str
    decisive: list
    held: list
    standards: list
    basis: list
    computed: list
    steps: list
    payments: list
    status_words: dict
    payee: str | None
    quotes: list
    notes: list
    remedy: str
    closing: str
    policy_hash: str
    case_digest: str | None


def words(policy: Policy, lang: str) -> dict:
    """notice.yaml in one language: every {zh, en} pair becomes its text."""
    if policy.notice is None:
        raise NoticeError(
            "this policy has no notice.yaml: it does not say how a decision notice reads",
            position=Position(str(Path(policy.root) / "notice.yaml")),
            hint="copy policy/notice.yaml of the bundled policy and adapt it",
        )

    def pick(v):
        if isinstance(v, dict):
            if set(v) == {"zh", "en"}:
                return v[lang]
            return {k: pick(x) for k, x in v.items()}
        if isinstance(v, list):
            return [pick(x) for x in v]
        return v

    return pick(policy.notice)


# an amount as `policy eval` writes it: yuan, to the fen (-0.00 too)
_AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,2})?")


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_decision(data) -> bool:
    """A decision document (`policy eval --format json`) rather than a case."""
    return isinstance(data, dict) and "decisions" in data and "policy" in data


def check_decision(policy: Policy, decision: dict, name: str = "decision") -> None:
    """A decision document of `policy eval --format json`, made under this policy."""
    ok = (
        isinstance(decision, dict)
        and isinstance(decision.get("decisions"), list)
        and isinstance(decision.get("policy"), dict)
        and isinstance(decision.get("case"), dict)
    )
    if not ok:
        raise CaseError(
            "not a decision: expected the JSON written by `policy eval --format json`",
            position=Position(name),
        )
    # the values a notice states, as `policy eval` writes them: an amount
    # "NaN" made an eligible notice grant "人民币—（¥—）", a date that is none
    # was printed as it came
    as_of = decision["case"].get("as_of")
    if as_of is not None and not (isinstance(as_of, str) and _is_date(as_of)):
        raise CaseError(
            f"expected a date YYYY-MM-DD, found {json.dumps(as_of, ensure_ascii=False)[:60]}",
            position=Position(name),
            context="field case.as_of",
        )
    for i, d in enumerate(decision["decisions"]):
        amount = d.get("amount") if isinstance(d, dict) else None
        if amount is not None and not (isinstance(amount, str) and _AMOUNT.fullmatch(amount)):
            raise CaseError(
                'expected an amount in yuan as text, such as "12.30", found '
                + json.dumps(amount, ensure_ascii=False)[:60],
                position=Position(name),
                context=f"field decisions[{i}].amount",
            )
    made_under = decision["policy"].get("id")
    if made_under != policy.document.id:
        raise CaseError(
            f"this decision was made under policy '{made_under}', not '{policy.document.id}'",
            position=Position(name),
            hint="give the policy it was made under with --policy DIR",
        )


class NoticeBuilder:
    def __init__(self, policy: Policy, lang: str = "zh", masked: bool = False):
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}")
        self.policy = policy
        self.lang = lang
        # masked: every fact with a mask is shown masked, not only the lines
        # that say `mask: true` (interpreter.masks: the one rule)
        self.masked = masked
        self.w = words(policy, lang)
        # a fact a line of the header or the addressee masks (notice.yaml
        # `mask: true`) is masked wherever the notice shows it: the header and
        # the explanations agree
        marked = {
            line["fact"] for line in [*self.w["header"], *self.w["addressee"]] if line.get("mask")
        }
        self.marked = marked
        self.plain = Plain(
            policy,
            lang,
            records=(policy.notice or {}).get("records"),
            masked=True if masked else marked,
        )

    def masked_text(self, text: str | None, facts: dict | None) -> str | None:
        """Free text (the reviewer's reason) with the values of the facts the
        notice masks masked where it quotes them as the case has them."""
        if not text:
            return text
        pairs: dict[str, str] = {}
        paths = sorted(mask_paths(self.policy) if self.masked else self.marked)
        for path in paths:
            decl = self.policy.fact(path)
            mask = mask_of(decl)
            value = get_path(facts, path)  # a list's items are not looked for
            if mask is None or not isinstance(value, str) or len(value.strip()) < 2:
                continue
            for spelling in spellings(decl, value):
                pairs[spelling] = mask(value)
        return mask_in_text(text, pairs)

    def shown(self, line: dict, facts: dict | None) -> str | None:
        """A fact of the case as a header line says to show it: masked, or
        with its name from a catalogue; None when the case does not have it."""
        value = get_path(facts, line["fact"])
        if value is None:
            return None
        if line.get("mask") or self.masked:
            # the loader checked that a masked line's fact declares a mask
            # or a format that masks (interpreter.masks: the one rule)
            mask = mask_of(self.policy.fact(line["fact"]))
            if mask is not None:
                return mask(str(value))
        text = self.plain.value(line["fact"], value)
        look = line.get("catalog")
        if look:
            rows = self.policy.catalog_values.get(look["table"]) or []
            for row in rows if isinstance(rows, list) else ():
                if isinstance(row, dict) and row.get(look["key"]) == value:
                    name = row.get(look["field"])
                    if name:
                        p = PUNCT[self.lang]
                        return f"{name}{p['open']}{text}{p['close']}"
        return text

    def addressee(self, facts: dict | None) -> str:
        for line in self.w["addressee"]:
            shown = self.shown(line, facts)
            if shown:
                return shown
        return ""

    def header(self, facts: dict | None) -> list[tuple[str, str]]:
        """The header table's facts (notice.yaml `header`); absent ones left out."""
        out = []
        for h in self.w["header"]:
            shown = self.shown(h, facts)
            if shown is not None:
                out.append((h.get("label") or self.plain.label(h["fact"]), shown))
        return out

    def view(
        self,
        doc: dict,
        d: dict,
        facts: dict | None,
        number: str | None,
        issued: _dt.date,
        rejected: str | None = None,
    ) -> NoticeView:
        w, lang = self.w, self.lang
        rejected = self.masked_text(rejected, facts)
        plain: PlainDecision = self.plain.decision(d)
        app_path = w.get("application_date")
        app_date = get_path(facts, app_path) if app_path else None
        as_of = (doc.get("case") or {}).get("as_of")
        remedy = w["remedy"]
        values = {
            "applicant": self.addressee(facts),
            "program": plain.program,
            "application_date": display.date_text(app_date, lang) if app_date else None,
            "decision_date": display.date_text(as_of, lang) if as_of else None,
            "issue_date": display.date_text(issued, lang),
            "amount": plain.amount_figures,
            "amount_in_words": plain.amount_in_words,
            "issuer": w["issuer"],
            "document": self.policy.document.number,
            "year": str(issued.year),
            "serial": number,
            "review_days": str(remedy["review_days"]),
            "review_body": remedy["review_body"],
            "litigation_months": str(remedy["litigation_months"]),
            "court": remedy["court"],
            "reason": rejected,
        }
        s = w["sentences"]
        outcome = plain.outcome
        conclusion = fill(s["conclusion"][outcome], values)
        outcome_word = w["outcomes"].get(outcome, outcome)
        if rejected is not None and outcome == "eligible":
            # the rules held but the reviewer said no: the notice says that, with
            # the reviewer's reason, and grants nothing
            conclusion = fill(s.get("rejected_on_review") or s["conclusion"]["ineligible"], values)
            outcome_word = w["outcomes"]["ineligible"]
            plain.amount_figures = plain.amount_in_words = None
            plain.payments, plain.steps = [], []
        return NoticeView(
            program=plain.program,
            program_id=plain.program_id,
            outcome=outcome,
            outcome_word=outcome_word,
            number=fill(w["number"], values) if number else w["unnumbered"],
            draft=not number,
            header=self.header(facts)
            + [
                (w["labels"][k], v)
                for k, v in (
                    ("program", plain.program),
                    ("application_date", values["application_date"]),
                    ("decision_date", values["decision_date"]),
                )
                if v
            ],
            application_date=values["application_date"],
            decision_date=values["decision_date"],
            issue_date=values["issue_date"],
            amount_figures=plain.amount_figures,
            amount_in_words=plain.amount_in_words,
            greeting=fill(s["greeting"], values),
            opening=fill(s["opening"], values),
            conclusion=conclusion,
            reasons_heading=fill(s["reasons"][outcome], values),
            also_met=fill(s["also_met"], values),
            decisive=plain.decisive,
            held=plain.held,
            standards=plain.standards,
            basis=plain.basis,
            computed=plain.computed,
            steps=plain.steps,
            payments=plain.payments,
            status_words=w["installment_status"],
            payee=plain.payee,
            quotes=plain.quotes,
            notes=plain.notes,
            remedy=fill(remedy["text"], values),
            closing=fill(s["closing"], values),
            policy_hash=str((doc.get("policy") or {}).get("hash") or ""),
            case_digest=(doc.get("case") or {}).get("sha256"),
        )


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page_css(template: str) -> str:
    """notice.yaml's page line ("第{page}页 共{pages}页") as CSS content."""
    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", template):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            # a CSS string inside <style>: no quote, backslash or "<" can end it
            parts.append(
                '"'
                + piece.replace("\\", "\\\\")
                .replace('"', '\\"')
                .replace("<", "\\3C ")
                .replace("\n", " ")
                + '"'
            )
    return " ".join(parts) or '""'


def render_notice(
    decision: dict,
    policy: Policy,
    *,
    facts: dict | None = None,
    lang: str = "zh",
    format: str = "html",
    programs: list[str] | None = None,
    number: str | None = None,
    issued: _dt.date | None = None,
    name: str = "decision",
    rejected: str | None = None,
    masked: bool = False,
) -> bytes:
    """The notice of a decision, as HTML (UTF-8) or PDF bytes.

    ``decision``: the JSON document of `policy eval --format json` (as the
    ledger stores it); ``policy``: the loaded policy it was made under (its
    notice.yaml gives the words, facts.yaml the labels). ``facts``: the case
    facts (default: those recorded in the decision). ``programs``: which of
    its decisions (default: all, one notice each, each starting a page).
    ``number``: the serial the ledger gives; without it the notice is marked
    as a draft. ``issued``: the date printed at the foot (default: today).
    ``rejected``: the reviewer's reason when the ledger's review rejected the
    claim (an eligible decision then reads as refused, with that reason).
    ``masked``: every fact that declares a mask (a name) or a format that
    masks (an ID number) shown masked wherever the notice shows it, for one
    who may not see it whole (the officer pages' read-only role).
    """
    if format not in FORMATS_OUT:
        raise ValueError(f"unknown format {format!r}")
    check_decision(policy, decision, name)
    if facts is None:
        facts = (decision.get("case") or {}).get("facts")
    issued = issued or _dt.date.today()
    builder = NoticeBuilder(policy, lang, masked=masked)
    chosen = [d for d in decision["decisions"] if not programs or d.get("program") in programs]
    if not chosen:
        raise CaseError(
            "the decision has no program "
            + ", ".join(programs or [])
            + "; it has "
            + ", ".join(str(d.get("program")) for d in decision["decisions"]),
            position=Position(name),
        )
    views = [builder.view(decision, d, facts, number, issued, rejected) for d in chosen]
    html = (
        _environment()
        .get_template("notice.html.j2")
        .render(
            notices=views,
            w=builder.w,
            p=PUNCT[lang],
            html_lang="zh-CN" if lang == "zh" else "en",
            page_css=_page_css(builder.w["labels"]["page"]),
        )
    )
    if format == "html":
        return html.encode("utf-8")
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    """Print HTML to PDF with WeasyPrint (fonts from fontconfig: Noto CJK)."""
    import logging

    from weasyprint import HTML

    # WeasyPrint logs every CSS property it ignores (e.g. the screen-only
    # ones) as a warning; they are not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
