"""Evaluate a case against a loaded policy: one decision per program applied for.

The policy is loaded and compiled once (``Evaluator(policy)``); ``decide``
runs any number of cases. Each program is decided by one function generated
from its AST (``dsl.codegen``): the clauses, then the amount when they all
hold. With ``explain=False`` nothing but the outcome, the amount, the failing
clauses and the missing facts is built; with explanations the same function
traces the facts and standards it reads, and the clause results are made
from that trace. An evaluation error is located from the generated code
itself (``dsl.codegen.failed_node``: the clause, amount, cap, floor or
installment whose line raised it), not by running the case again.
"""

from __future__ import annotations

import datetime as _dt
import gc
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from dsl import Context, EvaluationError, Unknown
from dsl.functions import ROUNDING_MODES
from dsl.values import NONE, merge

from .cases import CaseReader
from .decision import (
    ELIGIBLE,
    INELIGIBLE,
    UNDETERMINED,
    CaseResult,
    ClauseResult,
    Decision,
    InstallmentResult,
    StandardUse,
)

if TYPE_CHECKING:
    from dsl import ast

from .model import Amount, Installment, Policy, Program, Rule, StandardVersion

_NO_DATE = Unknown(("as_of",))
_NO_STANDARDS: dict = {}


class Evaluator:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.reader = CaseReader(policy)
        self._by_day: dict = {}  # day → (values, versions) in force
        self._periods: dict[tuple, tuple] = {}  # the versions in force → (values, versions)
        # what each rule, clause or program reads, worked out once: keyed by
        # id(rule) or by a tuple naming what was asked ("amount", program id)
        self._reads: dict[Any, Any] = {}
        self._fast: dict = {}  # program id → generated functions
        # every program, listed when first needed: a command that decides a
        # few builds only those (interpreter.lazyprograms)
        self._every: list[Program] | None = None
        self._selections: dict[tuple, list[Program]] = {}
        self._pending_cache: dict[tuple, tuple] = {}
        self._document: Callable[..., Any] | None = None  # generated, when first needed
        self._functions: dict = {}  # program id → its generated function
        self._plans: dict[str, tuple] = {}  # program id → what explaining it needs (_plan)
        # program id → (quantum, rounding) of an amount without cap, floor or
        # installments (rounded in place by _decision), or () for the others
        self._plain_amounts: dict[str, tuple] = {}
        self._failed: object = None  # dsl.codegen.FAILED, once a plan has imported it
        # id(standard version) → key → the StandardUse an explanation shows (_uses)
        self._uses_made: dict[int, dict] = {}
        # programs_applied is computed with the decision date, unless it does
        # not read it (then once, with the date itself)
        rule = policy.programs_applied
        self._applied_reads_date = rule is not None and _reads_date(rule.expression.node, policy)

    # -- standards in force on a date -------------------------------------------------
    def _standards_at(self, day: _dt.date) -> tuple[dict[str, Any], dict[str, StandardVersion]]:
        """(standard id → value, standard id → version) in force on ``day``."""
        got = self._by_day.get(day)
        if got is None:
            if len(self._by_day) >= 4096:
                self._by_day.clear()
            got = self._by_day[day] = self._resolve_standards(day)
        return got

    def _resolve_standards(
        self, day: _dt.date
    ) -> tuple[dict[str, Any], dict[str, StandardVersion]]:
        values, versions = {}, {}
        for sid, std in self.policy.standards.items():
            v = std.at(day)
            if v is not None:
                values[sid] = v.value
                versions[sid] = v
        # the days of one period share one pair of dicts (fewer, warmer objects)
        key = tuple(id(v) for v in versions.values())
        shared = self._periods.get(key)
        if shared is None:
            shared = self._periods[key] = (values, versions)
        return shared

    # -- a case -------------------------------------------------------------------------
    def decide(
        self,
        case: dict,
        *,
        as_of: _dt.date | None = None,
        programs: list[str] | None = None,
        explain: bool = True,
        case_name: str | None = None,
        converted: bool = False,
    ) -> CaseResult:
        """Decide ``case`` (parsed JSON; with ``converted``, facts as
        ``CaseReader.convert`` returns them) for ``programs``, else the
        programs it applies for, else all. ``as_of`` overrides the decision
        date; ``explain`` adds the clause results, the values they read, the
        standards used and the catalogue rows of a refusal."""
        facts = case if converted else self.reader.convert(case, case_name or "<case>")
        catalogs = self.policy.catalog_values
        as_of_missing: tuple[str, ...] = ()
        applied = None
        if as_of is not None:
            source = "--as-of"
        elif self.policy.decision_date is not None:
            # the document's generated rules called here, not through
            # _document_rules: a call less per case (an error is located there)
            document = self._document or self._document_fn()
            try:
                value, applied = document(facts, _NO_DATE, _NO_STANDARDS, catalogs)
            except EvaluationError as exc:
                raise self._document_error(document, exc) from None
            if value is NONE:
                # read from a fact stated none (no certificate, no date): the
                # date is still to be given, by the facts that are missing
                value = Unknown(())
            if type(value) is Unknown:
                # any of the facts the rule reads would settle the date: name them all
                read = [
                    f
                    for f, parts in self._date_reads()
                    if type(_lookup(facts, parts, f)) is Unknown
                ]
                as_of_missing = tuple(sorted(set(read) | value.missing)) or ("as_of",)
                source = "unknown"
            else:
                as_of, source = value, "decision_date"
        else:
            source = "unknown"
        day: _dt.date | Unknown  # unknown: the facts that would give the date are missing
        if as_of is not None:
            day = as_of
            standards, versions = self._by_day.get(as_of) or self._standards_at(as_of)
        else:
            day, standards = self._pending(as_of_missing)
            versions = _NO_STANDARDS
        if (
            programs is None
            and self.policy.programs_applied is not None
            and (applied is None or self._applied_reads_date)
        ):
            applied = self._document_rules(facts, day, standards, catalogs)[1]
        selected = (
            programs is not None and self._selections.get(tuple(programs))
        ) or self._selected(programs, applied)
        if explain:
            args: tuple[Any, ...] = (facts, day, standards, catalogs, [])
            # every object an explanation builds (some thirty a program: its
            # clauses' results and values) lives until the decisions are
            # returned, so a collection in the middle frees none of them: it
            # walks and ages them. With tens of programs a case passes the
            # collector's threshold several times (70 programs: about 1,900
            # objects, 7: about 215), which made explaining 70 programs cost
            # 13x explaining 7 (issue 21); not collecting while it builds them
            # and the result that holds them keeps it linear. Left off if the
            # collector was off.
            collecting = gc.isenabled()
            if collecting:
                gc.disable()
            try:
                decisions = [self._program(p, args, versions) for p in selected]
                return CaseResult(decisions, as_of, source, as_of_missing, case_name, None, facts)
            finally:
                if collecting:
                    gc.enable()
        else:
            # the path of a batch: nothing but the generated function and the decision
            decisions = []
            functions = self._functions
            for p in selected:
                fn = functions.get(p.id)
                if fn is None:
                    fn = self._fast_functions(p)[0]
                try:
                    values, rest = fn(facts, day, standards, catalogs, None)
                except EvaluationError as exc:
                    raise self._located(p, fn, exc) from None
                decisions.append(
                    Decision(p, INELIGIBLE, None, values, [])
                    if rest is False
                    else self._decision(p, values, rest)
                )
        return CaseResult(decisions, as_of, source, as_of_missing, case_name, None, facts)

    def forget(self) -> None:
        """Forget what the generated functions remember across cases (catalogue
        look-ups by key): the next case starts as the first did."""
        from dsl.codegen import forget

        for fn in self._functions.values():
            forget(fn)

    def _date_reads(self) -> list:
        got = self._reads.get("date")
        if got is None:
            rule = self.policy.decision_date
            assert rule is not None  # asked only of a policy with a decision date
            got = self._reads["date"] = [
                (f, tuple(f.split("."))) for f in self.facts_read(rule, None)
            ]
        return got

    def _pending(self, missing: tuple) -> tuple[Unknown, dict[str, Unknown]]:
        """The unknown decision date and the standards it leaves unknown."""
        got = self._pending_cache.get(missing)
        if got is None:
            day = Unknown(missing or ("as_of",))
            got = (day, dict.fromkeys(self.policy.standards, day))
            if len(self._pending_cache) < 256:
                self._pending_cache[missing] = got
        return got

    def _document_fn(self) -> Callable[..., Any]:
        """Generated code for the document's decision_date and programs_applied."""
        fn = self._fast.get(("document",))
        if fn is None:
            from dsl import ast
            from dsl.codegen import generate_function

            nodes = [
                r.expression.node if r is not None else ast.Bool(False)
                for r in (self.policy.decision_date, self.policy.programs_applied)
            ]
            fn = self._fast[("document",)] = generate_function(
                self.policy.env, nodes, compiled=self.policy.compiled
            )[0]
            self._document = fn
        return fn

    def _document_rules(
        self, facts: dict, day: Any, standards: dict[str, Any], catalogs: Any
    ) -> tuple:
        """(decision_date, programs_applied) of the case; an evaluation error
        is located at the rule whose line of the generated code raised it."""
        fn = self._document or self._document_fn()
        try:
            return fn(facts, day, standards, catalogs)
        except EvaluationError as exc:
            raise self._document_error(fn, exc) from None

    def _document_error(self, fn: Callable[..., Any], exc: EvaluationError) -> EvaluationError:
        """``exc``, raised by the document's generated rules, located at the
        rule whose line of the generated code raised it."""
        from dsl.codegen import failed_node

        names = ("decision_date", "programs_applied")
        index = failed_node(fn, exc)
        rules = (self.policy.decision_date, self.policy.programs_applied)
        rule = rules[index] if index is not None else None
        if rule is not None:
            # a rule found: index is set
            where = names[cast(int, index)]
            exc.with_context(position=rule.position, context=where, snippet=rule.text)
        return exc

    def _selected(self, programs: list[str] | None, applied: Any) -> list[Program]:
        """The programs to decide: ``programs`` (--program), else the ones the
        case applies for (the document's programs_applied), else all."""
        ids = programs
        if ids is None and applied is not None and type(applied) is not Unknown:
            # the case says what it applies for: an empty list applies for
            # nothing (never for everything)
            ids = applied
            if not ids:
                return []
        if not ids:
            if self._every is None:
                self._every = list(self.policy.programs.values())
            return self._every
        key = tuple(ids)
        chosen = self._selections.get(key)
        if chosen is not None:
            return chosen
        unknown = [i for i in ids if i not in self.policy.programs]
        if unknown:
            from dsl.errors import CaseError, Position

            where = "--program" if programs is not None else "application.programs"
            raise CaseError(
                f"no program '{unknown[0]}' in this policy; programs: "
                + ", ".join(self.policy.programs),
                position=Position(where),
            )
        chosen = [self.policy.programs[i] for i in dict.fromkeys(ids)]
        if len(self._selections) < 1024:
            self._selections[key] = chosen
        return chosen

    def _context(self, args: tuple) -> Context:
        """The closures' view of a case (for the catalogue rows of an
        explanation)."""
        facts, day, standards, catalogs, trace = args
        ctx = Context(facts, day, standards, catalogs, trace)
        return ctx

    def _program(
        self, program: Program, args: tuple, versions: dict[str, StandardVersion]
    ) -> Decision:
        """One program's decision from its generated function; with a trace
        list in ``args``, explained too."""
        plan = self._plans.get(program.id) or self._plan(program)
        fn, labelled, read, probes = plan
        try:
            got = fn(*args)
        except EvaluationError as exc:
            raise self._located(program, fn, exc) from None
        if labelled:
            # the labelled lets, computed after the decision by the same
            # function: one that fails leaves them all unshown
            values, rest, shown = got
            decision = self._decision(program, values, rest)
            decision.lets = {} if self._failed in shown else dict(zip(labelled, shown))
        else:
            values, rest = got
            decision = self._decision(program, values, rest)
        trace = args[4]
        if trace is None:
            return decision
        found: dict[str, Any] = {}
        leaves = None
        for entry in trace:
            if entry[0] == "facts":  # values the generated code read
                found.update(zip(entry[1], entry[2]))
                leaves = entry[1]
        # the paths shown that the generated code did not look up before the
        # clauses (read inside a condition over a list): the same every case
        extra = read.get("extra")
        if extra is None or extra[0] is not leaves:
            extra = read["extra"] = (
                leaves,
                [(p, parts) for p, parts in read["all"] if p not in found],
            )
        for path, parts in extra[1]:
            found[path] = _lookup(args[0], parts, path)
        new = tuple.__new__  # a ClauseResult without a Python call (see its class)
        clauses = []
        ctx = None
        for c, v, paths in zip(program.clauses, decision.values, read["by_clause"]):
            values = (found, paths)  # the clause's values, made into a dict when shown
            if v is True:
                clauses.append(new(ClauseResult, (c, True, (), values, ())))
            elif v is False:
                # a refusal: show what the catalogue holds (the rows its
                # conditions look up, when it looks any up)
                rows: list = []
                looks = probes.get(id(c))
                if looks is None:
                    looks = probes[id(c)] = bool(self._catalog_probes(c.rule, program))
                if looks:
                    if ctx is None:
                        ctx = self._context(args[:4] + (None,))
                    rows = self.catalog_rows(c.rule, program, ctx)
                clauses.append(new(ClauseResult, (c, False, (), values, rows)))
            else:
                clauses.append(new(ClauseResult, (c, None, tuple(sorted(v.missing)), values, ())))
        decision._clauses = clauses
        if decision.amount is not None or decision.installments:
            decision.amount_values = {
                path: found[path]
                if path in found
                else _lookup(args[0], tuple(path.split(".")), path)
                for path in self._amount_paths(program)
            }
        for part in decision.installments:
            part.values = {
                path: found[path]
                if path in found
                else _lookup(args[0], tuple(path.split(".")), path)
                for path in self._installment_paths(program, part.installment)
            }
        decision.standards = self._uses(trace, versions)
        del trace[:]
        return decision

    def _plan(self, program: Program) -> tuple:
        """What explaining the program needs besides the case, worked out
        once: its generated functions, the ids of its labelled lets, the fact
        paths each clause shows, and whether each clause looks catalogue rows
        up (a refusal shows them; no closures' context is made for one that
        does not). One look-up a program and case instead of
        one for each (issue 21, point 4: with 70 programs the lookups and the
        lists made again for every program were a share of the growth)."""
        labelled = self._labelled(program)
        if labelled:
            # its labelled lets computed after the decision by the program's
            # own function (generate_function's ``after``), sharing the facts
            # it looked up and the definitions it computed, not by a second
            # function that looked them up again
            from dsl.codegen import FAILED, generate_function

            self._failed = FAILED  # what a let that failed gives
            nodes, lets = self._nodes(program)
            shown = [d.rule.expression.node for d in program.lets if d.label is not None]
            fn = generate_function(
                self.policy.env,
                nodes + shown,
                lets,
                gate=len(program.clauses),
                after=len(shown),
                compiled=self.policy.compiled,
            )[0]
        else:
            fn = self._fast_functions(program)[0]
        plan = self._plans[program.id] = (
            fn,
            labelled,
            self._paths_read(program),
            {},  # id(clause) → whether it looks catalogue rows up: at its first refusal
        )
        return plan

    def _amount_paths(self, program: Program) -> list[str]:
        """The fact paths the amount and its cap read (e.g. an approved total)."""
        key = ("amount", program.id)
        got = self._reads.get(key)
        if got is None:
            got = []
            for rule in (program.amount.rule, program.amount.cap):
                if rule is not None:
                    got += [
                        p for p in self.facts_read(rule, program) if "[]" not in p and p not in got
                    ]
            self._reads[key] = got
        return got

    def _installment_paths(self, program: Program, inst: Installment) -> list[str]:
        """The fact paths an installment's condition, share and amount read."""
        key = ("installment", program.id, inst.id)
        got = self._reads.get(key)
        if got is None:
            got = []
            for rule in (inst.when, inst.share, inst.amount):
                if rule is not None:
                    got += [
                        p for p in self.facts_read(rule, program) if "[]" not in p and p not in got
                    ]
            self._reads[key] = got
        return got

    def _labelled(self, program: Program) -> list[str]:
        return [d.id for d in program.lets if d.label is not None]

    def _decision(self, program: Program, values: tuple, rest: Any) -> Decision:
        """The decision from the generated function's result: ``rest`` is the
        amount's values when every clause held, False when one failed."""
        if rest is False:
            return Decision(program, INELIGIBLE, None, values, [])
        if rest is None:
            missing = set()
            for v in values:
                if v is not True:
                    missing |= v.missing
            return Decision(program, UNDETERMINED, None, values, sorted(missing))
        plain = self._plain_amounts.get(program.id)
        if plain is None:
            plain = self._plain_amounts[program.id] = self._plain_amount(program)
        if plain:
            # an amount alone (no cap, floor or installments), computed and
            # not negative: rounded here as _round rounds it, without the
            # checks _amount makes for the others (a negative amount, one
            # that cannot be rounded, none, unknown: _amount says so)
            value = rest[0]
            if value.__class__ is Decimal and not value < 0:
                try:
                    rounded = value.quantize(plain[0], rounding=plain[1])
                except InvalidOperation:
                    pass
                else:
                    return Decision(program, ELIGIBLE, rounded, values, [])
        decision = Decision(program, ELIGIBLE, None, values, [])
        a = program.amount
        if a.cap is None and a.floor is None and not a.installments:
            self._amount(program, decision, (rest[0], None, None, ()))
            return decision
        i = 1
        cap = floor = None
        if a.cap is not None:
            cap, i = rest[i], i + 1
        if a.floor is not None:
            floor, i = rest[i], i + 1
        parts = rest[i:]
        self._amount(
            program,
            decision,
            (
                rest[0],
                cap,
                floor,
                [(parts[2 * j], parts[2 * j + 1]) for j in range(len(a.installments))],
            ),
        )
        return decision

    def _located(
        self, program: Program, fn: Callable[..., Any], exc: EvaluationError
    ) -> EvaluationError:
        """``exc``, raised by the program's generated function, with the rule
        it was computing (its line in the generated code) attached."""
        from dsl.codegen import failed_node

        index = failed_node(fn, exc)
        if index is None:
            return exc.with_context(context=f"program {program.id}")
        rule, where = self._rule_at(program, index)
        return exc.with_context(position=rule.position, context=where, snippet=rule.text)

    @staticmethod
    def _rule_at(program: Program, index: int) -> tuple[Rule, str]:
        """The rule computed by node ``index`` of the program's generated
        function (the order of ``_fast_functions``) and how to name it."""
        if index < len(program.clauses):
            c = program.clauses[index]
            return c.rule, f"clause {program.id}.{c.id}"
        index -= len(program.clauses)
        a = program.amount
        parts: list[tuple[Rule, str]] = [(a.rule, f"amount of {program.id}")]
        if a.cap is not None:
            parts.append((a.cap, f"cap of {program.id}"))
        if a.floor is not None:
            parts.append((a.floor, f"floor of {program.id}"))
        for inst in a.installments:
            where = f"installment {program.id}.{inst.id}"
            part_rule = cast(Rule, inst.amount or inst.share)  # the loader requires one
            parts.append((part_rule, where))
            parts.append((inst.when or part_rule, where))
        return parts[index]

    def _program_reference(self, program: Program, ctx: Context) -> Decision:
        """The program decided by the reference closures (dsl.compiler), rule
        by rule: what tests compare the generated code with."""
        values = [self._run(c.rule, ctx, f"clause {program.id}.{c.id}") for c in program.clauses]
        decision = self._clauses(program, values)
        if decision.outcome == ELIGIBLE:
            self._amount(program, decision, self._amount_values(program, ctx))
        return decision

    def _fast_functions(
        self, program: Program
    ) -> tuple[Callable[..., Any], Callable[..., Any] | None]:
        """The program's generated function (clauses, then the amount when
        every clause holds) and the one for its labelled lets (explanations)."""
        fns = self._fast.get(program.id)
        if fns is None:
            from dsl.codegen import generate_function

            env = self.policy.env
            nodes, lets = self._nodes(program)
            compiled = self.policy.compiled
            fn, _src = generate_function(
                env, nodes, lets, gate=len(program.clauses), compiled=compiled
            )
            labelled = [d.rule.expression.node for d in program.lets if d.label is not None]
            lets_fn = (
                generate_function(env, labelled, lets, compiled=compiled)[0] if labelled else None
            )
            fns = self._fast[program.id] = (fn, lets_fn)
            self._functions[program.id] = fn
        return fns

    @staticmethod
    def _nodes(program: Program) -> tuple[list[ast.Node], dict[str, ast.Node]]:
        """The nodes of the program's generated function (its clauses, its
        amount, cap, floor and installments: the order of ``_rule_at``) and
        its lets."""
        from dsl import ast

        nodes = [c.rule.expression.node for c in program.clauses]
        a = program.amount
        nodes.append(a.rule.expression.node)
        if a.cap is not None:
            nodes.append(a.cap.expression.node)
        if a.floor is not None:
            nodes.append(a.floor.expression.node)
        for inst in a.installments:
            part_rule = inst.amount or inst.share
            assert part_rule is not None  # the loader requires a share or an amount
            nodes.append(part_rule.expression.node)
            nodes.append(inst.when.expression.node if inst.when else ast.Bool(True))
        return nodes, {d.id: d.rule.expression.node for d in program.lets}

    def compiled_size(self, program: Program) -> int:
        """Characters of the code the program compiles to (interpreter.sizes)."""
        return sum(
            len(fn.__globals__["__source__"])
            for fn in self._fast_functions(program)
            if fn is not None
        )

    def _clauses(self, program: Program, values: Iterable[Any]) -> Decision:
        values = tuple(values)
        missing = None
        for v in values:
            if v is True:
                continue
            if v is False:
                return Decision(program, INELIGIBLE, None, values, [])
            missing = v.missing if missing is None else missing | v.missing
        if missing:
            return Decision(program, UNDETERMINED, None, values, sorted(missing))
        return Decision(program, ELIGIBLE, None, values, [])

    def _run(self, rule: Rule, ctx: Context, where: str) -> Any:
        try:
            return rule.expression.fn(ctx)
        except EvaluationError as exc:
            exc.with_context(position=rule.position, context=where, snippet=rule.text)
            raise

    def _amount_values(
        self, program: Program, ctx: Context
    ) -> tuple[Any, Any, Any, list[tuple[Any, Any]]]:
        """(amount, cap, floor, [(share or amount, condition) per installment])."""
        a = program.amount
        value = self._run(a.rule, ctx, f"amount of {program.id}")
        cap = self._run(a.cap, ctx, f"cap of {program.id}") if a.cap is not None else None
        floor = self._run(a.floor, ctx, f"floor of {program.id}") if a.floor is not None else None
        parts = []
        for inst in a.installments:
            where = f"installment {program.id}.{inst.id}"
            part_rule = inst.amount or inst.share
            assert part_rule is not None  # the loader requires a share or an amount
            part = self._run(part_rule, ctx, where)
            cond = True if inst.when is None else self._run(inst.when, ctx, where)
            parts.append((part, cond))
        return value, cap, floor, parts

    def _amount(self, program: Program, decision: Decision, computed: tuple) -> None:
        """The amount from the values computed for it: rounded as the policy
        says (document.yaml ``money``, or the program's ``round``), then held
        to the floor and the cap, so a cap or an approved total is never
        exceeded by rounding; installments are shares of it, each rounded
        and together never more than it."""
        a = program.amount
        value, cap, floor, parts = computed
        if any(v is NONE for v in (value, cap, floor)) or any(p is NONE for p, _c in parts):
            raise EvaluationError(
                f"the amount of {program.id} reads a fact the case states "
                "none: a clause should refuse such a case first",
                position=a.rule.position,
                context=f"amount of {program.id}",
            )
        unknown = [v for v in (value, cap, floor) if type(v) is Unknown]
        if unknown:
            decision.outcome = UNDETERMINED
            decision.missing = sorted(merge(*unknown).missing)
            return
        if value < 0:
            raise EvaluationError(
                f"the amount of {program.id} came out negative ({value})",
                position=a.rule.position,
                context=f"amount of {program.id}",
            )
        value = self._round(value, a, program)
        if cap is not None or floor is not None:
            decision.formula_amount = value  # shown next to the floor or cap
        if floor is not None and value < floor:
            value = decision.floored_at = floor
        if cap is not None and value > cap:
            value = decision.capped_at = cap
        if not a.installments:
            decision.amount = value
            return
        total = Decimal(0)
        allotted = Decimal(0)  # every installment's part so far
        pending: set[str] = set()
        decision.installments = []
        for inst, (part, cond) in zip(a.installments, parts):
            if inst.amount is None and type(part) is not Unknown:
                part = value * part  # a share of the amount
            if type(part) is not Unknown:
                # rounded, and never past the amount: two halves that both
                # round up would pay a fen more than was approved
                part = min(self._round(part, a, program), max(value - allotted, Decimal(0)))
                allotted += part
            if type(part) is Unknown or type(cond) is Unknown:
                miss = tuple(sorted(merge(part, cond).missing))
                status = "refused" if cond is False else "pending"
                decision.installments.append(
                    InstallmentResult(
                        inst,
                        None if type(part) is Unknown else part,
                        status,
                        miss if status == "pending" else (),
                    )
                )
                if status == "pending":
                    pending |= set(miss)
                continue
            if cond:
                total += part
                decision.installments.append(InstallmentResult(inst, part, "payable"))
            else:
                decision.installments.append(InstallmentResult(inst, part, "refused"))
        decision.amount = total
        decision.missing = sorted(pending)

    def _plain_amount(self, program: Program) -> tuple:
        """(the quantum, the rounding) _round rounds the program's amount
        with, when it has no cap, floor or installments; else ()."""
        a = program.amount
        if a.cap is not None or a.floor is not None or a.installments:
            return ()
        places = self.policy.document.money.places
        return Decimal(1).scaleb(-places), ROUNDING_MODES[a.rounding]

    def _round(self, value: Decimal, a: Amount, program: Program) -> Decimal:
        places = self.policy.document.money.places
        try:
            return value.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING_MODES[a.rounding])
        except InvalidOperation:
            raise EvaluationError(
                f"the amount of {program.id} ({value}) cannot be rounded to "
                f"{places} decimal places",
                position=a.rule.position,
                context=f"amount of {program.id}",
            ) from None

    # -- explanation helpers ----------------------------------------------------------
    def _uses(self, trace: list[tuple], versions: dict[str, StandardVersion]) -> list[StandardUse]:
        seen: dict[tuple, StandardUse] = {}
        for entry in trace:
            if entry[0] != "standard":
                continue
            _kind, sid, key, value = entry
            if (sid, key) in seen:
                continue
            v = versions.get(sid)
            if v is None:
                continue
            # the same version read at the same key is the same use in every
            # case: made once (nothing changes a decision's uses once made)
            made = self._uses_made.get(id(v))
            if made is None:
                made = self._uses_made[id(v)] = {}
            use = made.get(key)
            if use is None or use.value is not value:
                if len(made) >= 1024:
                    made.clear()
                use = made[key] = StandardUse(
                    sid, key, value, v.start, v.until, v.source, v.revision, v.cite
                )
            seen[(sid, key)] = use
        return list(seen.values())

    def facts_read(self, rule: Rule, program: Program | None) -> list[str]:
        """The fact paths a rule reads, through definitions and lets too."""
        key = id(rule)
        if key in self._reads:
            return self._reads[key]
        out: list[str] = []
        seen_defs: set[str] = set()
        lets = {d.id: d for d in program.lets} if program else {}

        def collect(r: Rule) -> None:
            for f in sorted(r.expression.check.facts):
                if f not in out:
                    out.append(f)
            for name in sorted(r.expression.check.definitions):
                if name in seen_defs:
                    continue
                seen_defs.add(name)
                d = lets.get(name) or self.policy.definitions.get(name)
                if d is not None:
                    collect(d.rule)

        collect(rule)
        # a path and its own prefix: keep the longer one only
        out = [p for p in out if not any(q != p and q.startswith(p + ".") for q in out)]
        self._reads[key] = out
        return out

    def catalog_rows(self, rule: Rule, program: Program, ctx: Context) -> list:
        """For a clause that failed: the catalogue rows its conditions
        looked up (any/count over catalog.X with item.f == key conjuncts), so
        the caseworker sees, say, the institution's status periods."""
        probes = self._catalog_probes(rule, program)
        out = []
        for table, fields, key_fns in probes:
            rows = ctx.catalogs.get(table)
            try:
                keys = tuple(f(ctx) for f in key_fns)
            except EvaluationError:
                continue
            if not isinstance(rows, list) or any(type(k) is Unknown for k in keys):
                continue
            from dsl.indexing import candidates

            found = list(candidates(rows, fields, keys))[:10]
            out.append((table, dict(zip(fields, keys)), found))
        return out

    def _catalog_probes(self, rule: Rule, program: Program) -> list[tuple]:
        key = ("probes", id(rule))
        known = self._reads.get(key)
        if known is not None:
            return known
        from dsl import ast
        from dsl.indexing import equality_probes
        from dsl.visitor import walk_through

        lets = {d.id: d for d in program.lets}
        got: list[tuple] = []

        def definition(name: str) -> ast.Node | None:
            d = lets.get(name) or self.policy.definitions.get(name)
            return d.rule.expression.node if d is not None else None

        try:
            for n in walk_through(rule.expression.node, definition):
                if (
                    isinstance(n, ast.Call)
                    and n.func in ("any", "count")
                    and len(n.args) == 2
                    and isinstance(n.args[1], ast.Lambda)
                ):
                    path = ast.path_of(n.args[0])
                    probes = equality_probes(n.args[1])
                    if path and path[0] == "catalog" and len(path) == 2 and probes:
                        fns = [
                            self.policy.env.compile_node(
                                k, {d.id: d.rule.expression.fn for d in program.lets}
                            )
                            for _f, k in probes
                        ]
                        got.append((path[1], tuple(f for f, _k in probes), fns))
        except Exception:  # noqa: BLE001 - an explanation aid, never a failure
            got = []
        self._reads[key] = got
        return got

    def _paths_read(self, program: Program) -> dict:
        """The fact paths each clause shows in its explanation (computed once)."""
        key = ("paths", program.id)
        got = self._reads.get(key)
        if got is None:
            by_clause = [
                [p for p in self.facts_read(c.rule, program) if "[]" not in p]
                for c in program.clauses
            ]
            every = dict.fromkeys(p for ps in by_clause for p in ps)
            got = self._reads[key] = {
                "by_clause": by_clause,
                "all": [(p, tuple(p.split("."))) for p in every],
            }
        return got


def _reads_date(node: ast.Node, policy: Policy, seen: set[str] | None = None) -> bool:
    """Whether an expression reads as_of or the standards (through definitions too)."""
    from dsl import ast
    from dsl.visitor import walk_through

    def definition(name: str) -> ast.Node | None:
        d = policy.definitions.get(name)
        return d.rule.expression.node if d is not None else None

    return any(
        isinstance(n, ast.Name) and n.id in ("as_of", "standards")
        for n in walk_through(node, definition, seen)
    )


def _lookup(facts: dict, parts: tuple, path: str) -> Any:
    v: Any = facts
    for p in parts:
        if v.__class__ is not dict:
            return Unknown((path,))
        v = v.get(p)
        if v is None:
            return Unknown((path,))
    return v


def lookup(facts: dict, path: str) -> Any:
    """The value at a dotted fact path, or Unknown naming the path."""
    return _lookup(facts, tuple(path.split(".")), path)
