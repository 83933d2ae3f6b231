"""Lint: what is legal but probably wrong in a policy, found before it is issued.

Findings are warnings (``--strict`` makes them errors) or notes. Each carries
file:line:col and a stable code for tools:

- ``unused-fact``       a fact declared but read by no expression
- ``unused-definition`` a definition or let name used nowhere
- ``uncited-clause``    (note) a clause of the source text no rule cites
- ``not-applicable``    a program a case cannot apply for (not in the enum of
                        ``programs_applied``), or an enum value naming no program
- ``standard-periods``  dated values of a standard that leave a gap (values that
                        overlap are an error of the loader)
- ``no-citation``       a clause without a citation
- ``constant``          a clause whose value does not depend on the case
- ``unsatisfiable``     a program whose clauses can never all hold together
- ``number-in-text``    an explanation that writes a number equal to a standard's
                        value instead of naming the standard (``{standards.NAME}``):
                        it would not follow a revision
"""

from __future__ import annotations

import datetime as _dt
import itertools
from decimal import Decimal

from dsl import Context, ast
from dsl import types as T
from dsl.errors import EvaluationError, PolicyError, Position
from dsl.visitor import mentions, walk_through
from interpreter.model import FactDecl, Policy, Program, Rule

SEARCH_LIMIT = 20000  # evaluations per program in the satisfiability search


def finding(
    code: str,
    message: str,
    position: Position | None,
    severity="warning",
    context: str | None = None,
    hint: str | None = None,
) -> PolicyError:
    err = PolicyError(message, position=position, context=context, hint=hint)
    err.severity = severity
    err.code = code
    err.kind = "lint"
    return err


def all_rules(policy: Policy):
    """(rule, program or None, context) for every expression of the policy."""
    if policy.decision_date:
        yield policy.decision_date, None, "decision_date"
    if policy.programs_applied:
        yield policy.programs_applied, None, "programs_applied"
    for name in ("case_id", "report_level"):
        if getattr(policy, name) is not None:
            yield getattr(policy, name), None, name
    for d in policy.definitions.values():
        yield d.rule, None, f"definition {d.id}"
    for p in policy.programs.values():
        for let in p.lets:
            yield let.rule, p, f"let {p.id}.{let.id}"
        for c in p.clauses:
            yield c.rule, p, f"clause {p.id}.{c.id}"
        if p.level is not None:
            yield p.level, p, f"level of {p.id}"
        a = p.amount
        yield a.rule, p, f"amount of {p.id}"
        if a.cap:
            yield a.cap, p, f"cap of {p.id}"
        if a.floor:
            yield a.floor, p, f"floor of {p.id}"
        for inst in a.installments:
            for r in (inst.share, inst.amount, inst.when):
                if r is not None:
                    yield r, p, f"installment {p.id}.{inst.id}"


def lint(policy: Policy) -> list[PolicyError]:
    out: list[PolicyError] = []
    out += _unused_facts(policy)
    out += _unused_names(policy)
    out += _uncited_clauses(policy)
    out += _applicable_programs(policy)
    out += _standard_periods(policy)
    out += _numbers_in_texts(policy)
    for p in policy.programs.values():
        out += _clause_findings(policy, p)
        out += _unsatisfiable(policy, p)
    return out


def _explanations(policy: Policy):
    """(text, where it is written, context) for every explanation shown with
    a decision."""
    for d in policy.definitions.values():
        if d.label is not None:
            yield d.label, d.rule.position, f"definition {d.id}"
    for p in policy.programs.values():
        yield p.payee, p.payee.position or p.position, f"payee of {p.id}"
        if p.interpretation is not None:
            yield p.interpretation, p.interpretation.position or p.position, f"program {p.id}"
        for let in p.lets:
            if let.label is not None:
                yield let.label, let.rule.position, f"let {p.id}.{let.id}"
        for c in p.clauses:
            if c.requirement:
                continue  # written by the loader from a real-name check's label
            for text in (c.explain, c.interpretation):
                if text is not None:
                    yield text, text.position or c.rule.position, f"clause {p.id}.{c.id}"
        a = p.amount
        for text in (a.explain, a.interpretation):
            if text is not None:
                yield text, text.position or a.rule.position, f"amount of {p.id}"
        for inst in a.installments:
            yield (
                inst.label,
                inst.label.position or a.rule.position,
                f"installment {p.id}.{inst.id}",
            )


def _numbers_in_texts(policy: Policy):
    from interpreter.texts import standard_numbers

    values: dict[Decimal, list[str]] = {}
    for s in policy.standards.values():
        for v in s.versions:
            for key, x in v.value.items() if isinstance(v.value, dict) else [(None, v.value)]:
                name = f"{{standards.{s.id}" + (f"[{key}]" if key else "") + "}"
                values.setdefault(x, [])
                if name not in values[x]:
                    values[x].append(name)
    seen = set()
    for text, position, context in _explanations(policy):
        for lang, words in (("zh", text.zh), ("en", text.en)):
            for number in standard_numbers(words, set(values)):
                said = (str(position), context, lang, number)
                if said in seen:
                    continue
                seen.add(said)
                n = Decimal(number.rstrip("%")) / (100 if number.endswith("%") else 1)
                yield finding(
                    "number-in-text",
                    f"the explanation ({lang}) writes {number}, the value of "
                    f"{values[n][0]}: after a revision it would still say {number}",
                    position,
                    context=context,
                    hint="write "
                    + " or ".join(values[n][:3])
                    + (
                        " (a share as a percentage: {standards.NAME%})"
                        if number.endswith("%")
                        else ""
                    ),
                )


def _unused_facts(policy: Policy):
    read: set[str] = set()
    for rule, _p, _c in all_rules(policy):
        for f in rule.expression.check.facts:
            parts = f.split(".")
            for i in range(1, len(parts) + 1):
                read.add(".".join(parts[:i]))

    def leaves(decl: FactDecl):
        if decl.type == "record":
            for d in decl.fields.values():
                yield from leaves(d)
        elif decl.type == "list" and decl.items is not None and decl.items.type == "record":
            if decl.path not in read:
                yield decl
            else:
                for d in decl.items.fields.values():
                    yield from leaves(d)
        else:
            yield decl

    for root in policy.facts.values():
        for decl in leaves(root):
            if decl.path in read or decl.informational:
                continue
            yield finding(
                "unused-fact",
                f"the fact {decl.path} is declared but no rule reads it",
                decl.position,
                hint="mark it `informational: true` if it is kept "
                "only for the record (identification, audit)",
            )


def _unused_names(policy: Policy):
    used: set[str] = set()
    for rule, p, _c in all_rules(policy):
        for name in rule.expression.check.definitions:
            used.add(name if p is None or name not in {l.id for l in p.lets} else f"{p.id}.{name}")
    for d in policy.definitions.values():
        if d.id not in used:
            yield finding(
                "unused-definition", f"the definition '{d.id}' is used nowhere", d.rule.position
            )
    for p in policy.programs.values():
        for let in p.lets:
            if f"{p.id}.{let.id}" not in used and let.label is None:  # labelled: shown
                yield finding(
                    "unused-definition",
                    f"the let '{let.id}' of {p.id} is used nowhere",
                    let.rule.position,
                )


def _cites(policy: Policy):
    for s in policy.standards.values():
        yield from s.cite
    for p in policy.programs.values():
        yield from p.cite
        yield from p.amount.cite
        for c in p.clauses:
            yield from c.cite
        for i in p.amount.installments:
            yield from i.cite


def _uncited_clauses(policy: Policy):
    cited = {c.clause for c in _cites(policy)}
    for clause in policy.clauses.values():
        if clause.id not in cited:
            yield finding(
                "uncited-clause",
                f"no rule cites clause {clause.id}"
                + (f" ({clause.title})" if clause.title else ""),
                clause.position,
                severity="note",
            )


def _applicable_programs(policy: Policy):
    rule = policy.programs_applied
    if rule is None:
        return
    t = rule.expression.type
    item = t.item if isinstance(t, T.ListType) else t
    if not isinstance(item, T.EnumType):
        return
    for pid, p in policy.programs.items():
        if pid not in item.values:
            yield finding(
                "not-applicable",
                f"program {pid} is not a value of enum {item.name}, so no case can apply for it",
                p.position,
                hint=f"add '{pid}' to enum {item.name}",
            )
    for v in sorted(item.values - set(policy.programs)):
        yield finding(
            "not-applicable", f"enum {item.name} names '{v}', which is no program", rule.position
        )


def _standard_periods(policy: Policy):
    for s in policy.standards.values():
        by_source: dict[str, list] = {}
        for v in s.versions:
            by_source.setdefault(v.source, []).append(v)
        for versions in by_source.values():
            versions = sorted(versions, key=lambda v: v.start)
            for a, b in itertools.pairwise(versions):
                # (values that overlap are an error of the loader)
                if a.until is not None and a.until + _dt.timedelta(days=1) < b.start:
                    yield finding(
                        "standard-periods",
                        f"standard {s.id}: no value from {a.until + _dt.timedelta(days=1)}"
                        f" to {b.start - _dt.timedelta(days=1)}",
                        b.position,
                    )


def _clause_findings(policy: Policy, p: Program):
    lets = {l.id: l for l in p.lets}
    if not p.cite:
        yield finding(
            "no-citation",
            f"program {p.id} cites no part of the source text",
            p.position,
            hint="add cite: [{clause: ..., quote: ...}]",
        )
    for c in p.clauses:
        where = f"clause {p.id}.{c.id}"
        if not c.cite:
            yield finding(
                "no-citation",
                "the clause cites no part of the source text",
                c.rule.position,
                context=where,
            )
        if not _depends_on_case(policy, c.rule, lets, set()):
            yield finding(
                "constant",
                "the clause does not depend on the case: it is always true or always false",
                c.rule.position,
                context=where,
            )


def _depends_on_case(policy, rule: Rule, lets, seen) -> bool:
    check = rule.expression.check
    if check.facts or check.catalogs:
        return True
    if mentions(rule.expression.node, "as_of"):
        return True
    for name in check.definitions:
        if name in seen:
            continue
        seen.add(name)
        d = lets.get(name) or policy.definitions.get(name)
        if d is not None and _depends_on_case(policy, d.rule, lets, seen):
            return True
    return False


# -- can the clauses of a program all hold? ------------------------------------------------


def _candidates(policy: Policy, program: Program):
    """Fact path → values worth trying, from the program's own literals."""
    numbers: set[Decimal] = {Decimal(0), Decimal(1)}
    dates: set[_dt.date] = set()
    strings: set[str] = {"x"}
    rules = [c.rule for c in program.clauses] + [l.rule for l in program.lets]
    rules += [d.rule for d in policy.definitions.values()]
    for rule in rules:
        for n in ast.walk(rule.expression.node):
            if isinstance(n, ast.Number):
                numbers |= {n.value, n.value + 1, max(n.value - 1, Decimal(0))}
            elif isinstance(n, ast.Date):
                dates |= {n.value, n.value + _dt.timedelta(days=1), n.value - _dt.timedelta(days=1)}
            elif isinstance(n, ast.String):
                strings.add(n.value)
    for s in policy.standards.values():
        for v in s.versions:
            dates.add(v.start)
            vals = v.value.values() if isinstance(v.value, dict) else [v.value]
            for x in vals:
                numbers |= {x, x + 1, max(x - 1, Decimal(0))}
    for d in list(dates):
        dates |= {_dt.date(d.year, 1, 1), _dt.date(d.year, 12, 31)}
    return sorted(numbers), sorted(dates), sorted(strings)


def _probed_values(policy: Policy, program: Program) -> dict[str, set]:
    """Fact path → the values a catalogue row has in the field the path is
    compared with (``a.institution == training.institution``): codes that
    appear in no expression but are the only ones that can make it true."""
    from dsl.indexing import split_condition

    lets = {d.id: d for d in program.lets}
    out: dict[str, set] = {}
    seen: set[str] = set()  # each definition once, across the clauses

    def definition(name: str):
        d = lets.get(name) or policy.definitions.get(name)
        return d.rule.expression.node if d is not None else None

    for c in program.clauses:
        for n in walk_through(c.rule.expression.node, definition, seen):
            if isinstance(n, ast.Call) and len(n.args) == 2 and isinstance(n.args[1], ast.Lambda):
                table = ast.path_of(n.args[0])
                if not table or table[0] != "catalog" or len(table) != 2:
                    continue
                rows = policy.catalog_values.get(table[1])
                for field, key in split_condition(n.args[1])[0]:
                    path = ast.path_of(key)
                    if path and isinstance(rows, list):
                        out.setdefault(".".join(path), set()).update(
                            r.get(field)
                            for r in rows
                            if isinstance(r, dict) and isinstance(r.get(field), str)
                        )
    return out


def _values_for(decl: FactDecl, policy, numbers, dates, strings):
    if decl.type == "boolean":
        return [True, False]
    if decl.type == "enum":
        return list(policy.enums[decl.enum].values)
    if decl.type in ("number", "money"):
        return [
            n
            for n in numbers
            if (decl.minimum is None or n >= decl.minimum)
            and (decl.maximum is None or n <= decl.maximum)
        ] or [Decimal(0)]
    if decl.type == "date":
        return dates or [_dt.date(2020, 1, 1)]
    if decl.type == "list":
        return [[]]
    return strings


def _unsatisfiable(policy: Policy, program: Program):
    from interpreter.evaluate import Evaluator

    ev = Evaluator(policy)
    paths = []
    for c in program.clauses:
        for f in ev.facts_read(c.rule, program):
            if "[]" in f:
                f = f.split("[]")[0]
            if f not in paths:
                paths.append(f)
    decls = [(p, policy.fact(p)) for p in paths]
    found = [(p, d) for p, d in decls if d is not None]
    numbers, dates, strings = _candidates(policy, program)
    probed = _probed_values(policy, program)
    domains = [
        (
            p,
            _values_for(
                d,
                policy,
                numbers,
                dates,
                sorted(probed[p] | set(strings)) if p in probed else strings,
            ),
        )
        for p, d in found
    ]
    as_of_dates = dates or [_dt.date(2020, 1, 1)]
    monotone = not any(
        isinstance(n, ast.Call) and n.func == "present"
        for c in program.clauses
        for n in ast.walk(c.rule.expression.node)
    )
    budget = [SEARCH_LIMIT]

    def evaluate(facts, as_of):
        ctx = Context(facts, catalogs=policy.catalog_values)
        ctx.as_of = as_of
        ctx.standards, _ = ev._standards_at(as_of)
        results = []
        for c in program.clauses:
            try:
                results.append(c.rule.expression.fn(ctx))
            except EvaluationError:
                results.append(False)
        budget[0] -= 1
        return results

    def search(i, facts, as_of) -> bool | None:
        if budget[0] <= 0:
            return None  # gave up: say nothing
        results = evaluate(facts, as_of)
        if any(r is False for r in results) and (monotone or i == len(domains)):
            return False
        if i == len(domains):
            return all(r is True for r in results)
        path, values = domains[i]
        undecided = False
        for v in values:
            found = search(i + 1, _with(facts, path, v), as_of)
            if found:
                return True
            if found is None:
                undecided = True
        return None if undecided else False

    verdicts = []
    for as_of in as_of_dates:
        verdict = search(0, {}, as_of)
        if verdict:
            return
        verdicts.append(verdict)
    if all(v is False for v in verdicts):
        yield finding(
            "unsatisfiable",
            f"the clauses of {program.id} can never all hold: no case could be eligible",
            program.position,
            hint="look for two clauses that ask for different values of one fact",
        )


def _with(facts: dict, path: str, value) -> dict:
    parts = path.split(".")
    out = dict(facts)
    node = out
    for p in parts[:-1]:
        node[p] = dict(node.get(p) or {})
        node = node[p]
    node[parts[-1]] = value
    return out
