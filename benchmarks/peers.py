"""The same rule — 职业培训补贴 (vocational_training): all twelve clauses and
the amount — in three other rule engines, for the benchmark's comparison:

- zen-engine (GoRules, Rust): one compiled ZEN expression
  (``zen.compile_expression``), and a JDM decision graph (an expression node
  for the clauses and the outcome, a decision table for the standard) run
  with tracing off and on;
- rule-engine (zeroSteiner): one ``rule_engine.Rule``;
- JsonLogic (panzi-json-logic): one JsonLogic tree.

Every peer decides like the policy, missing facts included: each clause is
written three-valued (``null`` for unknown, as the rule language's Kleene
logic) and the outcome is ineligible if a clause is false, undetermined if
one is unknown, else eligible with the standard of its tier. The catalogues
(courses, institution status periods, approvals) are written into the rules
as literals when the peer is built, as they would be in a rule file; for
``institution_approved`` with a missing fact, the peers look up
(institution, course, level) keys with ``*`` for the unknown parts in a list
of the approvals' projections built from the catalogue.

What a peer cannot express is computed before timing and given to it as input
(``Peer.precomputed`` says what; the benchmark prints it):

- JsonLogic cannot refer to the case from inside ``some``/``filter``/``reduce``
  (the item replaces the data), so it gets the count of this year's
  vocational-training subsidies (``_pre.vt_in_year``) and whether one was
  already received for the same occupation and level (``_pre.repeated``),
  both three-valued; it has no dates either, and compares "YYYY-MM-DD" text
  (which orders like the dates).
- zen and rule-engine compute everything from the case.

Inputs, prepared before timing as each engine takes them: zen and JsonLogic
read the case JSON as generated (dates as text, missing facts absent);
rule-engine reads the converted facts (dates as ``datetime.date``, numbers as
``Decimal``), as its date operators need.

``available()`` lists the peers whose package is installed; ``build(name,
catalog)`` returns a ``Peer`` with ``prepare(raw, facts)`` (untimed) and
``decide(prepared) -> (outcome, amount)`` (timed).
"""

from __future__ import annotations

import datetime as _dt
import json
from decimal import Decimal
from importlib.util import find_spec

from .floor import (
    BASIC_LEVELS,
    CERTIFICATE_KINDS,
    LEVELLED_KINDS,
    MAX_PER_YEAR,
    PERIOD_END,
    PERIOD_START,
    PROGRAM,
    STANDARD,
    STANDARDS_FROM,
    TRAINING_KINDS,
    UNLEVELLED_KINDS,
    count_in_year,
    subsidised_before,
)

PEERS = ("zen_expression", "zen_graph", "zen_graph_trace", "rule_engine", "json_logic")
PACKAGE = {
    "zen_expression": ("zen", "zen-engine"),
    "zen_graph": ("zen", "zen-engine"),
    "zen_graph_trace": ("zen", "zen-engine"),
    "rule_engine": ("rule_engine", "rule-engine"),
    "json_logic": ("json_logic", "panzi-json-logic"),
}
CLAUSE_ORDER = (
    "in_force",
    "trained_in_district",
    "training_kind",
    "not_project_based",
    "course_in_catalogue",
    "institution_active",
    "institution_approved",
    "certificate_obtained",
    "certificate_level",
    "no_monthly_pension",
    "yearly_limit",
    "not_repeated",
    "real_name_same_occupation_level",
    "real_name_three_per_year",
)


def available() -> list[str]:
    return [p for p in PEERS if find_spec(PACKAGE[p][0]) is not None]


def requirements() -> list[str]:
    return sorted({pip for _mod, pip in PACKAGE.values()})


def _q(s: str) -> str:
    """A string literal for zen, rule-engine (JSON quoting)."""
    return json.dumps(s, ensure_ascii=False)


def _qlist(items) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _sorted(items) -> list:
    return sorted(items)


class CatalogLiterals:
    """The catalogues as the peers' rules write them."""

    def __init__(self, catalog: dict):
        self.courses = _sorted(
            set(catalog.get("key_industry", ())) | set(catalog.get("general", ()))
        )
        self.course_rows = [(c["code"], list(c["levels"])) for c in catalog.get("courses", ())]
        self.zx_courses = _sorted(c for c, levels in self.course_rows if "专项" in levels)
        self.status = [
            (s["institution"], s["status"], s["from"], s["until"])
            for s in catalog.get("institution_status", ())
        ]
        triples = [
            (a["institution"], a["course"], a["level"]) for a in catalog.get("approvals", ())
        ]
        self.triples = _sorted({"|".join(t) for t in triples})
        proj = set()
        for i, c, lv in triples:
            for a in (i, "*"):
                for b in (c, "*"):
                    for d in (lv, "*"):
                        proj.add(f"{a}|{b}|{d}")
        self.projections = _sorted(proj)


def _amount_of(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


class Peer:
    name = ""
    label = ""
    engine = ""
    precomputed = ""  # what the peer is given precomputed ("" = nothing)
    input_form = ""

    def prepare(self, raw: dict, facts: dict):
        return raw

    def decide(self, prepared) -> tuple:
        raise NotImplementedError


# -- zen -----------------------------------------------------------------------------------


def _zen_parts(cat: CatalogLiterals) -> dict:
    """ZEN expressions: intermediate values and the clauses. ``{AS}``, ``{TL}``
    and ``{LK}`` stand for the decision date, the training level and the
    level compared with earlier subsidies."""
    courses = (
        "["
        + ", ".join(f"{{code: {_q(c)}, levels: {_qlist(lv)}}}" for c, lv in cat.course_rows)
        + "]"
    )
    status = (
        "["
        + ", ".join(
            f"{{institution: {_q(i)}, status: {_q(s)}, from: {_q(f.isoformat())}, "
            f"until: {_q(u.isoformat())}}}"
            for i, s, f, u in cat.status
        )
        + "]"
    )
    vt = _q(PROGRAM)
    t = {
        "as_of": "(application.date ?? certificate.date)",
        # definitions.yaml certificate_level: decided by the certificate's kind
        "level_key": (
            f"(certificate.kind == null ? null : (certificate.kind in"
            f" {_qlist(sorted(LEVELLED_KINDS))} ? certificate.level : {_q('初级')}))"
        ),
        "training_level": (
            "(training.project_based == null ? null : (training.project_based == true ? project.level"
            f" : (training.kind == null ? null : (training.kind == {_q('创业培训')} ? {_q('创业培训')}"
            f" : (certificate.kind == null ? null : (certificate.kind in {_qlist(sorted(LEVELLED_KINDS))}"
            f" ? certificate.level : (training.course == null ? (some({courses}, {_q('专项')} in #.levels)"
            f" ? null : {_q('初级')}) : (some({courses}, #.code == training.course and {_q('专项')} in #.levels)"
            f" ? {_q('专项')} : {_q('初级')}))))))))"
        ),
    }
    c = {
        "in_force": (
            "({AS} == null ? null : (date({AS}) >= date("
            + _q(PERIOD_START.isoformat())
            + ") and date({AS}) <= date("
            + _q(PERIOD_END.isoformat())
            + ")))"
        ),
        "trained_in_district": "(training.in_district == null ? null : training.in_district == true)",
        "training_kind": f"(training.kind == null ? null : training.kind in {_qlist(sorted(TRAINING_KINDS))})",
        "not_project_based": "(training.project_based == null ? null : training.project_based == false)",
        "course_in_catalogue": f"(training.course == null ? null : training.course in {_qlist(cat.courses)})",
        "institution_active": (
            "((training.institution != null and training.start_date != null and training.end_date != null)"
            f' ? some({status}, #.institution == training.institution and #.status == "active"'
            " and date(#.from) <= date(training.start_date) and date(training.end_date) <= date(#.until))"
            f" : (some({status}, (training.institution == null or #.institution == training.institution)"
            ' and #.status == "active" and (training.start_date == null or date(#.from) <= date(training.start_date))'
            " and (training.end_date == null or date(training.end_date) <= date(#.until))) ? null : false))"
        ),
        # {L}: the training level; keys with * for unknown parts
        "institution_approved": (
            '(((training.institution == null ? "*" : training.institution) + "|"'
            ' + (training.course == null ? "*" : training.course) + "|" + ({L} == null ? "*" : {L}))'
            f" in {_qlist(cat.projections)} ? ((training.institution == null or training.course == null"
            " or {L} == null) ? null : true) : false)"
        ),
        "certificate_obtained": f"(certificate.kind == null ? null : certificate.kind in {_qlist(sorted(CERTIFICATE_KINDS))})",
        "certificate_level": f"({{LK}} == null ? null : {{LK}} in {_qlist(sorted(BASIC_LEVELS))})",
        "no_monthly_pension": "(applicant.pension_eligible == null ? null : applicant.pension_eligible == false)",
        "yearly_limit": (
            "((history == null or {AS} == null or date({AS}) < date("
            + _q(STANDARDS_FROM.isoformat())
            + "))"
            f" ? null : (some(history, (#.program == null or #.program == {vt})"
            " and (#.date == null or year(date(#.date)) == year(date({AS})))"
            " and (#.program == null or #.date == null)) ? null"
            f" : count(history, #.program == {vt} and year(date(#.date)) == year(date({{AS}})))"
            f" < {MAX_PER_YEAR}))"
        ),
        "not_repeated": (
            f"(history == null ? null : (some(history, #.program == {vt} and #.occupation != null"
            " and certificate.occupation != null and #.occupation == certificate.occupation"
            " and #.level != null and {LK} != null and #.level == {LK}) ? false"
            f" : (some(history, (#.program == null or #.program == {vt})"
            " and (#.occupation == null or certificate.occupation == null or #.occupation == certificate.occupation)"
            " and (#.level == null or {LK} == null or #.level == {LK})) ? null : true)))"
        ),
        "real_name_same_occupation_level": (
            "((applicant.id != null and certificate.occupation != null and {LK} != null)"
            " ? true : null)"
        ),
        "real_name_three_per_year": "(applicant.id != null ? true : null)",
    }
    std = {k: int(v) for k, v in STANDARD.items()}
    standard_key = (
        f"(training.kind == {_q('创业培训')} ? {_q('创业培训')} : (certificate.kind in"
        f" {_qlist(sorted(UNLEVELLED_KINDS))} ? {_q('初级')} : certificate.level))"
    )
    amount = (
        f"(training.kind == {_q('创业培训')} ? {std['创业培训']} : (certificate.kind in"
        f" {_qlist(sorted(UNLEVELLED_KINDS))} ? {std['初级']}"
        f" : (certificate.level == {_q('初级')} ? {std['初级']} : (certificate.level == {_q('中级')}"
        f" ? {std['中级']} : (certificate.level == {_q('高级')} ? {std['高级']} : null)))))"
    )
    return {"derived": t, "clauses": c, "amount": amount, "standard_key": standard_key, "std": std}


def _fill(expr: str, **subs) -> str:
    for k, v in subs.items():
        expr = expr.replace("{" + k + "}", v)
    return expr


def zen_expression_text(cat: CatalogLiterals) -> str:
    """One ZEN expression: -> [outcome, amount]."""
    p = _zen_parts(cat)
    d = p["derived"]
    clauses = []
    for cid in CLAUSE_ORDER:
        e = p["clauses"][cid]
        if cid == "institution_approved":
            # bind the training level once (map over a one-item list)
            e = f"map([{d['training_level']}], {_fill(e, L='#')})[0]"
        clauses.append(_fill(e, AS=d["as_of"], LK=d["level_key"]))
    return (
        "map([[" + ", ".join(clauses) + ']], some(#, # == false) ? ["ineligible", null]'
        ' : (some(#, # == null) ? ["undetermined", null] : ["eligible", ' + p["amount"] + "]))[0]"
    )


def zen_graph(cat: CatalogLiterals) -> dict:
    """The JDM graph: input -> clauses (expression node) -> standard (decision
    table) -> output."""
    p = _zen_parts(cat)
    d = p["derived"]
    exprs = [
        ("as_of", d["as_of"]),
        ("level_key", d["level_key"]),
        ("training_level", d["training_level"]),
    ]
    for cid in CLAUSE_ORDER:
        exprs.append(
            (cid, _fill(p["clauses"][cid], AS="$.as_of", LK="$.level_key", L="$.training_level"))
        )
    refs = ", ".join(f"$.{cid}" for cid in CLAUSE_ORDER)
    exprs.append(
        (
            "outcome",
            (
                f'map([[{refs}]], some(#, # == false) ? "ineligible"'
                ' : (some(#, # == null) ? "undetermined" : "eligible"))[0]'
            ),
        )
    )
    exprs.append(("standard_key", p["standard_key"]))
    rules = [
        {"_id": f"r{i}", "outcome": '"eligible"', "key": _q(k), "amount": str(v)}
        for i, (k, v) in enumerate(p["std"].items())
    ]
    rules.append({"_id": "otherwise", "outcome": "", "key": "", "amount": "null"})
    pos = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": pos},
            {
                "id": "clauses",
                "type": "expressionNode",
                "name": "Clauses",
                "position": pos,
                "content": {"expressions": [{"id": k, "key": k, "value": v} for k, v in exprs]},
            },
            {
                "id": "standard",
                "type": "decisionTableNode",
                "name": "Standard",
                "position": pos,
                "content": {
                    "hitPolicy": "first",
                    "passThrough": True,
                    "inputs": [
                        {"id": "outcome", "name": "Outcome", "field": "outcome"},
                        {"id": "key", "name": "Tier", "field": "standard_key"},
                    ],
                    "outputs": [{"id": "amount", "name": "Amount", "field": "amount"}],
                    "rules": rules,
                },
            },
            {"id": "response", "type": "outputNode", "name": "Response", "position": pos},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "clauses", "type": "edge"},
            {"id": "e2", "sourceId": "clauses", "targetId": "standard", "type": "edge"},
            {"id": "e3", "sourceId": "standard", "targetId": "response", "type": "edge"},
        ],
    }


class ZenExpression(Peer):
    name = "zen_expression"
    label = "zen-engine: compiled expression"
    engine = "zen-engine"
    input_form = "the case JSON as a dict"

    def __init__(self, catalog: dict):
        import zen

        self.text = zen_expression_text(CatalogLiterals(catalog))
        self.expr = zen.compile_expression(self.text)

    def decide(self, prepared):
        outcome, amount = self.expr.evaluate(prepared)
        return outcome, _amount_of(amount)


class ZenGraph(Peer):
    name = "zen_graph"
    label = "zen-engine: JDM graph, trace off"
    engine = "zen-engine"
    input_form = "the case JSON as a dict"
    trace = False

    def __init__(self, catalog: dict):
        import zen

        self.graph = zen_graph(CatalogLiterals(catalog))
        content = json.dumps(self.graph, ensure_ascii=False)
        # the engine loads the graph once through its loader and keeps it;
        # (in zen-engine 2.1, ZenEngine.evaluate(key) is faster than
        # create_decision(content).evaluate())
        self.zen_engine = zen.ZenEngine({"loader": lambda key: content})
        self.evaluate = self.zen_engine.evaluate
        self.options = {"trace": self.trace}

    def decide(self, prepared):
        response = self.evaluate("vocational_training", prepared, self.options)
        result = response["result"]
        return result["outcome"], _amount_of(result.get("amount"))


class ZenGraphTrace(ZenGraph):
    name = "zen_graph_trace"
    label = "zen-engine: JDM graph, trace on"
    trace = True


# -- rule-engine ---------------------------------------------------------------------------


def _re_date(d: _dt.date) -> str:
    return f'd"{d.isoformat()}"'


def rule_engine_text(cat: CatalogLiterals) -> str:
    """One rule-engine expression -> [outcome, amount]. ``a`` is the decision
    date, ``tl`` the training level (bound by one-item comprehensions);
    ``x&["key"]`` reads a field, null when it (or x) is missing."""
    vt = _q(PROGRAM)
    courses = (
        "["
        + ", ".join(
            f'{{"code": {_q(c)}, "zx": {"true" if "专项" in lv else "false"}}}'
            for c, lv in cat.course_rows
        )
        + "]"
    )
    status = (
        "["
        + ", ".join(
            f'{{"institution": {_q(i)}, "active": {"true" if s == "active" else "false"}, '
            f'"from": {_re_date(f)}, "until": {_re_date(u)}}}'
            for i, s, f, u in cat.status
        )
        + "]"
    )

    def rset(items):
        return "{" + ", ".join(_q(i) for i in items) + "}"

    def f(obj, *keys):
        return obj + "".join(f"&[{_q(k)}]" for k in keys)

    def t(key):
        return f("training", key)

    def c(key):
        return f("certificate", key)

    def h(key):
        return f("h", key)

    tl = (
        f"({t('project_based')} == null ? null : ({t('project_based')} == true ? {f('project', 'level')}"
        f" : ({t('kind')} == null ? null : ({t('kind')} == {_q('创业培训')} ? {_q('创业培训')}"
        f" : ({c('kind')} == null ? null : ({c('kind')} in {rset(sorted(LEVELLED_KINDS))} ? {c('level')}"
        f' : ({t("course")} == null ? ($any([x["zx"] for x in {courses}]) ? null : {_q("初级")})'
        f' : ($any([x["code"] == {t("course")} and x["zx"] for x in {courses}])'
        f" ? {_q('专项')} : {_q('初级')}))))))))"
    )
    key = (
        f'({t("institution")} == null ? "*" : {t("institution")}) + "|" + ({t("course")} == null'
        f' ? "*" : {t("course")}) + "|" + (tl == null ? "*" : tl)'
    )
    approved = (
        f"[({key}) in {rset(cat.projections)} ? (({t('institution')} == null"
        f" or {t('course')} == null or tl == null) ? null : true) : false for tl in [{tl}]][0]"
    )
    lk = (
        f"({c('kind')} == null ? null : ({c('kind')} in {rset(sorted(LEVELLED_KINDS))}"
        f" ? {c('level')} : {_q('初级')}))"
    )
    inst, start, end = t("institution"), t("start_date"), t("end_date")
    clauses = [
        f"(a == null ? null : ({_re_date(PERIOD_START)} <= a and a <= {_re_date(PERIOD_END)}))",
        f"({t('in_district')} == null ? null : {t('in_district')} == true)",
        f"({t('kind')} == null ? null : {t('kind')} in {rset(sorted(TRAINING_KINDS))})",
        f"({t('project_based')} == null ? null : {t('project_based')} == false)",
        f"({t('course')} == null ? null : {t('course')} in {rset(cat.courses)})",
        (
            f"(({inst} != null and {start} != null and {end} != null)"
            f' ? $any([s["institution"] == {inst} and s["active"] and s["from"] <= {start}'
            f' and {end} <= s["until"] for s in {status}])'
            f' : ($any([({inst} == null or s["institution"] == {inst}) and s["active"]'
            f' and ({start} == null or s["from"] <= {start})'
            f' and ({end} == null or {end} <= s["until"]) for s in {status}]) ? null : false))'
        ),
        approved,
        f"({c('kind')} == null ? null : {c('kind')} in {rset(sorted(CERTIFICATE_KINDS))})",
        f"({lk} == null ? null : {lk} in {rset(sorted(BASIC_LEVELS))})",
        (
            f"({f('applicant', 'pension_eligible')} == null ? null"
            f" : {f('applicant', 'pension_eligible')} == false)"
        ),
        (
            f"((history == null or a == null or a < {_re_date(STANDARDS_FROM)}) ? null"
            f" : ($any([({h('program')} == null or {h('program')} == {vt})"
            f" and ({h('date')} == null or {h('date')}.year == a.year)"
            f" and ({h('program')} == null or {h('date')} == null) for h in history]) ? null"
            f" : [h for h in history if {h('program')} == {vt} and {h('date')}.year == a.year].length"
            f" < {MAX_PER_YEAR}))"
        ),
        (
            f"(history == null ? null : ($any([{h('program')} == {vt} and {h('occupation')} != null"
            f" and {c('occupation')} != null and {h('occupation')} == {c('occupation')}"
            f" and {h('level')} != null and {lk} != null"
            f" and {h('level')} == {lk} for h in history]) ? false"
            f" : ($any([({h('program')} == null or {h('program')} == {vt})"
            f" and ({h('occupation')} == null or {c('occupation')} == null"
            f" or {h('occupation')} == {c('occupation')})"
            f" and ({h('level')} == null or {lk} == null or {h('level')} == {lk})"
            f" for h in history]) ? null : true)))"
        ),
        (
            f"(({f('applicant', 'id')} != null and {c('occupation')} != null and {lk} != null)"
            f" ? true : null)"
        ),
        f"({f('applicant', 'id')} != null ? true : null)",
    ]
    std = {k: int(v) for k, v in STANDARD.items()}
    amount = (
        f"({t('kind')} == {_q('创业培训')} ? {std['创业培训']} : ({c('kind')} in"
        f" {rset(sorted(UNLEVELLED_KINDS))} ? {std['初级']} : {{"
        + ", ".join(f"{_q(k)}: {v}" for k, v in std.items() if k != "创业培训")
        + f"}}[{c('level')}]))"
    )
    decide = (
        f'(false in v) ? ["ineligible", null] : ((null in v) ? ["undetermined", null]'
        f' : ["eligible", {amount}])'
    )
    return (
        f"[[{decide} for v in [[" + ", ".join(clauses) + "]]][0]"
        f" for a in [{f('application', 'date')} ?? {c('date')}]][0]"
    )


class RuleEngine(Peer):
    name = "rule_engine"
    label = "rule-engine: one rule"
    engine = "rule-engine"
    input_form = "the converted facts (dates as datetime.date, numbers as Decimal)"

    def __init__(self, catalog: dict):
        import rule_engine

        self.text = rule_engine_text(CatalogLiterals(catalog))
        try:
            ctx = rule_engine.Context(default_value=None, mapping_attribute_lookup=False)
        except TypeError:  # rule-engine before 5.1
            ctx = rule_engine.Context(default_value=None)
        self.rule = rule_engine.Rule(self.text, context=ctx)

    def prepare(self, raw, facts):
        return facts

    def decide(self, prepared):
        outcome, amount = self.rule.evaluate(prepared)
        return outcome, _amount_of(amount)


# -- JsonLogic -------------------------------------------------------------------------------


def _v(path):
    return {"var": path}


def _null(x):
    return {"===": [x, None]}


def _if(*args):
    return {"if": list(args)}


def json_logic_rule(cat: CatalogLiterals) -> dict:
    """One JsonLogic tree -> [[outcome, amount]]."""
    as_of = _if(_null(_v("application.date")), _v("certificate.date"), _v("application.date"))
    inst, start, end = (
        _v("training.institution"),
        _v("training.start_date"),
        _v("training.end_date"),
    )
    course = _v("training.course")
    kind, pb = _v("training.kind"), _v("training.project_based")
    ck, cl = _v("certificate.kind"), _v("certificate.level")
    # definitions.yaml certificate_level: decided by the certificate's kind
    cert_level = _if(_null(ck), None, {"in": [ck, sorted(LEVELLED_KINDS)]}, cl, "初级")
    active_rows = [(i, f.isoformat(), u.isoformat()) for i, s, f, u in cat.status if s == "active"]
    known = {"and": [{"!==": [inst, None]}, {"!==": [start, None]}, {"!==": [end, None]}]}
    active_known = (
        {
            "or": [
                {"and": [{"===": [inst, i]}, {"<=": [f, start]}, {"<=": [end, u]}]}
                for i, f, u in active_rows
            ]
        }
        if active_rows
        else False
    )
    active_open = (
        {
            "or": [
                {
                    "and": [
                        {"or": [_null(inst), {"===": [inst, i]}]},
                        {"or": [_null(start), {"<=": [f, start]}]},
                        {"or": [_null(end), {"<=": [end, u]}]},
                    ]
                }
                for i, f, u in active_rows
            ]
        }
        if active_rows
        else False
    )
    any_zx = bool(cat.zx_courses)
    level = _if(
        _null(pb),
        None,
        {"===": [pb, True]},
        _v("project.level"),
        _null(kind),
        None,
        {"===": [kind, "创业培训"]},
        "创业培训",
        _null(ck),
        None,
        {"in": [ck, sorted(LEVELLED_KINDS)]},
        cl,
        _null(course),
        None if any_zx else "初级",
        {"in": [course, cat.zx_courses]},
        "专项",
        "初级",
    )
    key = {
        "cat": [
            _if(_null(inst), "*", inst),
            "|",
            _if(_null(course), "*", course),
            "|",
            {"or": [level, "*"]},
        ]
    }
    # a one-item `some` binds the key: {"var": ""} is the key inside it
    approved = _if(
        {
            "some": [
                [key],
                {"and": [{"in": [_v(""), cat.projections]}, {"!": {"in": ["*", _v("")]}}]},
            ]
        },
        True,
        {"some": [[key], {"in": [_v(""), cat.projections]}]},
        None,
        False,
    )
    count = _v("_pre.vt_in_year")
    clauses = [
        _if(_null(as_of), None, {"<=": [PERIOD_START.isoformat(), as_of, PERIOD_END.isoformat()]}),
        _if(_null(_v("training.in_district")), None, {"===": [_v("training.in_district"), True]}),
        _if(_null(kind), None, {"in": [kind, sorted(TRAINING_KINDS)]}),
        _if(_null(pb), None, {"===": [pb, False]}),
        _if(_null(course), None, {"in": [course, cat.courses]}),
        _if(known, {"!!": active_known}, {"!!": active_open}, None, False),
        approved,
        _if(_null(ck), None, {"in": [ck, sorted(CERTIFICATE_KINDS)]}),
        _if(_null(cert_level), None, {"in": [cert_level, sorted(BASIC_LEVELS)]}),
        _if(
            _null(_v("applicant.pension_eligible")),
            None,
            {"===": [_v("applicant.pension_eligible"), False]},
        ),
        _if(
            {"or": [_null(as_of), {"<": [as_of, STANDARDS_FROM.isoformat()]}, _null(count)]},
            None,
            {"<": [count, MAX_PER_YEAR]},
        ),
        _if(_null(_v("_pre.repeated")), None, {"!": _v("_pre.repeated")}),
        _if(
            {
                "or": [
                    _null(_v("applicant.id")),
                    _null(_v("certificate.occupation")),
                    _null(cert_level),
                ]
            },
            None,
            True,
        ),
        _if(_null(_v("applicant.id")), None, True),
    ]
    std = {k: int(v) for k, v in STANDARD.items()}
    amount = _if(
        {"===": [kind, "创业培训"]},
        std["创业培训"],
        {"in": [ck, sorted(UNLEVELLED_KINDS)]},
        std["初级"],
        {"===": [cl, "初级"]},
        std["初级"],
        {"===": [cl, "中级"]},
        std["中级"],
        {"===": [cl, "高级"]},
        std["高级"],
        None,
    )
    return {
        "map": [
            [[clauses, amount]],
            _if(
                {"in": [False, _v("0")]},
                ["ineligible", None],
                {"in": [None, _v("0")]},
                ["undetermined", None],
                ["eligible", _v("1")],
            ),
        ]
    }


def precompute_history(facts: dict) -> dict:
    """What JsonLogic is given: three-valued, as the rule language computes it.

    vt_in_year: count(history, h -> h.program == "vocational_training" and
    year(h.date) == year(as_of)), None when unknown; repeated: any(history, h ->
    same program, occupation and level), None when unknown."""
    history = facts.get("history")
    certificate = facts.get("certificate") or {}
    application = facts.get("application") or {}
    as_of = application.get("date") or certificate.get("date")
    out = {"vt_in_year": None, "repeated": None}
    if history is None:
        return out
    if as_of is not None:
        out["vt_in_year"] = count_in_year(history, as_of.year)
    kind = certificate.get("kind")
    level = (
        None if kind is None else (certificate.get("level") if kind in LEVELLED_KINDS else "初级")
    )
    out["repeated"] = subsidised_before(history, certificate.get("occupation"), level)
    return out


class JsonLogic(Peer):
    name = "json_logic"
    label = "JsonLogic (panzi-json-logic)"
    engine = "panzi-json-logic"
    precomputed = (
        "history: this year's vocational-training subsidies (_pre.vt_in_year) and "
        "an earlier one for the same occupation and level (_pre.repeated), "
        "three-valued"
    )
    input_form = "the case JSON as a dict, plus _pre"

    def __init__(self, catalog: dict):
        from json_logic import jsonLogic

        self.apply = jsonLogic
        self.rule = json_logic_rule(CatalogLiterals(catalog))

    def prepare(self, raw, facts):
        data = dict(raw)
        data["_pre"] = precompute_history(facts)
        return data

    def decide(self, prepared):
        outcome, amount = self.apply(self.rule, prepared)[0]
        return outcome, _amount_of(amount)


_CLASSES = {
    "zen_expression": ZenExpression,
    "zen_graph": ZenGraph,
    "zen_graph_trace": ZenGraphTrace,
    "rule_engine": RuleEngine,
    "json_logic": JsonLogic,
}


def build(name: str, catalog: dict) -> Peer:
    return _CLASSES[name](catalog)
