"""A batch line without explanations in one pass (issue 21): the short path
of ``policy batch`` for a JSON Lines case whose every step is the common one.

Per line: the JSON text parsed by the case decoder, the facts read by the
generated case reader (``interpreter.readers``), the decision date and the
programs applied for by the document's generated rules, then one generated
function per program (``dsl.codegen.generate_function(..., after=n)``) that
decides the program and, sharing the facts it looked up, gives the level
the line counts it under and the case id, which the general path computes
again by other functions. The line is written from ``LineParts``.

Whatever is not the common case goes back to the general path
(``Worker.decide``), which reads the line again from its text: a line the
decoder or the reader refuses or does not take, an unknown decision date,
an error in any rule, a program this path does not know. Nothing here has an
effect but the caches the general path fills the same way, so the general
path's answer, message and bytes are the line's.
tests/population/test_batch_lines.py runs over both paths and compares every
line with what the general path writes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import TYPE_CHECKING, Any

from dsl.errors import PolicyError
from interpreter.decision import ELIGIBLE, INELIGIBLE, CaseResult, Decision
from interpreter.readers import SLOW

if TYPE_CHECKING:
    from .batch import Record, Worker

TAKE_GENERAL = None  # what ``BatchLine.line`` gives for the general path to decide


class BatchLine:
    """The short path of one Worker (JSON Lines, no --explain, no --as-of)."""

    def __init__(self, worker: Worker):
        from dsl.codegen import FAILED
        from interpreter.cases import _DECODER
        from interpreter.evaluate import _NO_DATE, _NO_STANDARDS

        from .batch import _COMPACT, NO_LEVEL, Outcome

        self.outcome, self.encode, self.no_level = Outcome, _COMPACT, NO_LEVEL
        self.worker = worker
        ev = self.evaluator = worker.evaluator
        self.policy = worker.policy
        self.catalogs = self.policy.catalog_values
        self.decode = _DECODER.decode
        self.read = ev.reader.fast_reader()
        self.read_text = ev.reader.text_reader() or self._read_parsed
        self.document = ev._document_fn()
        self.no_date, self.no_standards = _NO_DATE, _NO_STANDARDS
        self.failed = FAILED
        self.by_day = ev._by_day
        self.parts = worker._parts
        self.values = worker.line_values
        # program id -> (program, fn, level, case id): kept with the
        # evaluator's own generated functions, so that the Workers sharing an
        # evaluator (the service's batch requests) generate them once
        self.programs: dict[str, tuple] = ev._fast.setdefault(("batch line",), {})
        self.selections: dict[tuple, list[tuple]] = {}
        # the programs a real-name check counts: a case eligible for none of
        # them makes no claim, and its claims are not looked for
        self.claimed = frozenset(p for c in worker.checks for p in c.programs)
        self.heads: dict = {}

    @staticmethod
    def usable(worker: Worker) -> bool:
        """Whether the short path can decide this worker's lines: JSON Lines,
        no explanations, no --as-of, a document with a decision date whose
        programs_applied does not read it, a case reader generated."""
        spec, policy, ev = worker.spec, worker.policy, worker.evaluator
        return (
            worker.layout is None
            and not spec.explain
            and spec.as_of is None
            and policy.decision_date is not None
            and not ev._applied_reads_date
            and ev.reader.fast_reader() is not None
        )

    # -- one program's function ------------------------------------------------------
    def _program(self, program) -> tuple:
        """(program, its generated function, where the level is (index in the
        values computed after the decision, or None: LineValues computes it),
        where the case id is (likewise), whether a real-name check counts
        its eligible decisions)."""
        got = self.programs.get(program.id)
        if got is None:
            got = self.programs[program.id] = self._build(program)
        return got

    def _build(self, program) -> tuple:
        from dsl import ast
        from dsl.codegen import generate_function
        from interpreter.evaluate import _reads_date

        policy = self.policy
        lets = {d.id: d.rule.expression.node for d in program.lets}
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
        after: list = []
        level = case_id = None
        # the level: the program's own (read with its lets, as LineValues
        # does), or the document's report_level when no let of the program
        # could change what its names mean
        if program.level is not None:
            level = len(after)
            after.append(program.level.expression.node)
        elif policy.report_level is not None and not self._shadowed(
            policy.report_level.expression.node, lets
        ):
            level = len(after)
            after.append(policy.report_level.expression.node)
        rule = policy.case_id
        if (
            rule is not None
            and not _reads_date(rule.expression.node, policy)
            and not self._shadowed(rule.expression.node, lets)
        ):
            case_id = len(after)
            after.append(rule.expression.node)
        fn = generate_function(
            policy.env, nodes + after, lets, gate=len(program.clauses), after=len(after)
        )[0]
        return program, fn, level, case_id, program.id in self.claimed

    def _shadowed(self, node, lets: dict) -> bool:
        """Whether a let of the program has the name of anything ``node``
        reads (through the definitions it uses)."""
        from dsl import ast
        from dsl.visitor import walk_through

        if not lets:
            return False

        def definition(name: str):
            d = self.policy.definitions.get(name)
            return d.rule.expression.node if d is not None else None

        return any(
            isinstance(n, ast.Name) and n.id in lets for n in walk_through(node, definition, None)
        )

    def _selection(self, applied: Any) -> list[tuple]:
        key = tuple(applied) if applied.__class__ is list else None
        got = self.selections.get(key) if key is not None else None
        if got is None:
            chosen = self.evaluator._selected(None, applied)
            got = [self._program(p) for p in chosen]
            if key is not None and len(self.selections) < 1024:
                self.selections[key] = got
        return got

    # -- a line ----------------------------------------------------------------------
    def _read_parsed(self, text: str) -> Any:
        """The facts of a line the text reader does not take, by the case
        decoder and the generated case reader; SLOW: the general path."""
        try:
            case = self.decode(text)
        except Exception:  # noqa: BLE001 - any refusal: the general path says why
            return SLOW
        return self.read(case)

    def line(self, record: Record):
        """The Outcome of a record, or TAKE_GENERAL."""
        text = record.text
        if record.error or text.startswith("\ufeff"):
            return TAKE_GENERAL
        facts = self.read_text(text)
        if facts.__class__ is not dict:  # a note, a null, a colon in a text...
            facts = self._read_parsed(text)
            if facts.__class__ is not dict:  # SLOW: the checking path
                return TAKE_GENERAL
        catalogs = self.catalogs
        try:
            day, applied = self.document(facts, self.no_date, self.no_standards, catalogs)
            if day.__class__ is not _dt.date:
                return TAKE_GENERAL  # unknown, or stated none
            selected = self._selection(applied)
            standards = (self.by_day.get(day) or self.evaluator._standards_at(day))[0]
            decisions, levels, cid = [], [], None
            claim = False  # eligible for a program a real-name check counts
            decide = self.evaluator._decision
            for program, fn, at_level, at_id, claimed in selected:
                values, rest, after = fn(facts, day, standards, catalogs, None)
                if rest is False:
                    d = Decision(program, INELIGIBLE, None, values, [])
                else:
                    d = decide(program, values, rest)
                    if claimed and d.outcome == ELIGIBLE:
                        claim = True
                decisions.append(d)
                levels.append(after[at_level] if at_level is not None else self)
                if at_id is not None and cid is None:
                    cid = after[at_id]
        except PolicyError:
            return TAKE_GENERAL
        parts, tally = [], []
        render = self.parts.decision
        no_level, failed = self.no_level, self.failed
        for d, level in zip(decisions, levels):
            if level is self:  # not computed with the decision
                level = self.values.level(d, facts, day)
            elif level is failed or level.__class__ is not str:
                level = no_level
            part, amount = render(d, level, day)
            parts.append(part)
            tally.append((d.program.id, d.outcome, amount, level))
        if cid is None:  # no program computed it
            cid = self.values.case_id(facts)
        elif cid is failed or cid.__class__ is not str:
            cid = None
        found: tuple = ()
        if claim:
            worker = self.worker
            res = CaseResult(decisions, day, "decision_date", (), None, None, facts)
            found = worker._claims(worker.checks, res, catalogs, worker._compiled_checks)
        head = self.heads.get(day)
        if head is None:
            head = self.parts.head(CaseResult([], day, "decision_date", ()))
            if len(self.heads) < self.parts.LIMIT:
                self.heads[day] = head
        lp = self.parts
        return self.outcome(
            record.line,
            True,
            head
            + hashlib.sha256(text.encode("utf-8")).hexdigest()
            + lp.middle
            + ",".join(parts)
            + lp.after_decisions
            # an ID of ASCII letters and digits is its own JSON, quoted
            + ('"' + cid + '"' if cid and cid.isascii() and cid.isalnum() else self.encode(cid))
            + ',"line":'
            + str(record.line)
            + lp.end,
            tuple(tally),
            claims=found,
        )
