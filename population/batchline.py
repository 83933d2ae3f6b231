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
from bisect import bisect_right
from decimal import Decimal
from hashlib import sha256 as _sha256
from typing import TYPE_CHECKING, Any

from dsl.errors import PolicyError
from interpreter.decision import ELIGIBLE, INELIGIBLE, CaseResult, Decision
from interpreter.readers import SLOW

if TYPE_CHECKING:
    from .batch import Record, Worker

TAKE_GENERAL = None  # what ``BatchLine.line`` gives for the general path to decide
_BOM = b"\xef\xbb\xbf"


class BatchLine:
    """The short path of one Worker (JSON Lines, no --explain, no --as-of)."""

    def __init__(self, worker: Worker):
        from dsl.codegen import FAILED
        from interpreter.cases import _DECODER
        from interpreter.evaluate import _NO_DATE, _NO_STANDARDS

        from .batch import _COMPACT, NO_LEVEL, Outcome, Record

        self.outcome, self.encode, self.no_level = Outcome, _COMPACT, NO_LEVEL
        self.record = Record
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
        self.days: dict = {}  # day -> (the head of its lines, its standards): _day
        self.bounds = self._bounds(self.policy)
        self.periods: dict[int, dict] = {}  # the standards of each period between bounds
        self.seen: dict[str, dict] = {}

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
            policy.env,
            nodes + after,
            lets,
            gate=len(program.clauses),
            after=len(after),
            compiled=policy.compiled,
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

    def _seen(self, program_id: str) -> dict:
        """The program's decisions remembered with their JSON, by the values
        they were made from (``decide_text``)."""
        got = self.seen.get(program_id)
        if got is None:
            got = self.seen[program_id] = {}
        return got

    def _selection(self, applied: Any) -> list[tuple]:
        key = tuple(applied) if applied.__class__ is list else None
        got = self.selections.get(key) if key is not None else None
        if got is None:
            chosen = self.evaluator._selected(None, applied)
            got = [(*self._program(p), self._seen(p.id)) for p in chosen]
            if key is not None and len(self.selections) < 1024:
                self.selections[key] = got
        return got

    # -- a line ----------------------------------------------------------------------
    def _read_parsed(self, text: str | bytes) -> Any:
        """The facts of a line the text reader does not take, by the case
        decoder and the generated case reader; SLOW: the general path.
        Bytes not UTF-8 raise UnicodeDecodeError (``block`` leaves the block
        to ``block_records``, which says which line)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        try:
            case = self.decode(text)
        except Exception:  # noqa: BLE001 - any refusal: the general path says why
            return SLOW
        return self.read(case)

    def line(self, record: Record):
        """The Outcome of a record, or TAKE_GENERAL."""
        if record.error:
            return TAKE_GENERAL
        got = self.decide_text(record.line, record.text)
        if got is None:
            return TAKE_GENERAL
        text, counted, found = got
        return self.outcome(record.line, True, text, counted, claims=found)

    def block(self, first: int, block: bytes, numbered: list | None = None) -> tuple | None:
        """A block of JSON Lines (``CaseFile.raw_blocks``) decided and packed
        as ``batch.pack`` packs the Outcomes of ``block_records``: the same
        lines, rejects, claims and tallies, without an Outcome per line. A
        line this path does not take is decided by the general path in its
        place. None: a block with a line over the limit or not UTF-8, which
        ``block_records`` reads line by line. ``numbered``: given a list, each
        output line's (line number, tally) is added to it, in output order
        (the service's batch logs each line's decisions).

        A line is taken as bytes: msgspec decodes them (and refuses any that
        are not UTF-8), the line's hash is theirs; only a line the general
        path decides is made text."""
        if getattr(block, "long_lines", None):
            return None
        lines = block.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the block ends with a line ending
        if b"\r" in block:
            lines = [t.rstrip(b"\r") for t in lines]
        ok: list[str] = []
        rejects: list[tuple] = []
        claims: list[tuple] = []
        counts: dict = {}  # tally entry -> lines
        cases = 0
        decide, general = self.decide_text, self.worker.decide_general
        n = first - 1
        try:
            for data in lines:
                n += 1
                if data[:1] != b"{" and not data.decode("utf-8").strip():
                    continue  # a blank line: not a case
                cases += 1
                try:
                    got = decide(n, data)
                except UnicodeDecodeError:
                    raise  # the block is read line by line (below)
                except Exception as exc:
                    self.worker.short_path_failed(n, exc)
                    raise  # pragma: no cover - short_path_failed raises
                if got is None:
                    o = general(self.record(n, data.decode("utf-8")))
                    if not o.ok:
                        rejects.append((o.line, o.text, o.message))
                        continue
                    text, counted, found = o.text, o.tally, o.claims
                else:
                    text, counted, found = got
                if found:
                    claims.append((len(ok), n, found))
                ok.append(text)
                if numbered is not None:
                    numbered.append((n, counted))
                for entry in counted:
                    counts[entry] = counts.get(entry, 0) + 1
        except UnicodeDecodeError:
            return None  # a line not UTF-8: block_records says which
        # the tallies as pack() makes them, in the order first met: the
        # amounts are the money() text of each decision, so one Decimal times
        # the lines is the sum of as many, digit for digit
        tallies: dict = {}
        for (program, result, amount, _level), count in counts.items():
            t = tallies.get((program, result))
            if t is None:
                t = tallies[(program, result)] = [0, Decimal(0)]
            t[0] += count
            if result == ELIGIBLE and amount is not None:
                t[1] += Decimal(amount) * count
        return cases, ok, rejects, claims, tallies

    def decide_text(self, n: int, text: str | bytes) -> tuple | None:
        """(the output line, its tally, its real-name claims) of line ``n``
        (its text, or its bytes as read: UTF-8), or TAKE_GENERAL."""
        data: bytes | None
        if isinstance(text, bytes):
            if text.startswith(_BOM):
                return TAKE_GENERAL
            data = text
        elif text.startswith("\ufeff"):
            return TAKE_GENERAL
        else:
            data = None  # made when the line is hashed
        facts = self.read_text(text)
        if facts.__class__ is not dict:  # a note, a null, a colon in a text...
            facts = self._read_parsed(text)
            if facts.__class__ is not dict:  # SLOW: the checking path
                return TAKE_GENERAL
        catalogs = self.catalogs
        # each program: its remembered (JSON, tally entry, Decision), or what
        # rendering it needs: (program, its decision, its level, its memo, key)
        done: list = []
        claim = False  # eligible for a program a real-name check counts
        cid = None
        failed, no_level = self.failed, self.no_level
        try:
            day, applied = self.document(facts, self.no_date, self.no_standards, catalogs)
            if day.__class__ is not _dt.date:
                return TAKE_GENERAL  # unknown, or stated none
            selected = self._selection(applied)
            # the day's standards and the line's head (the decision date)
            on_day = self.days.get(day)
            if on_day is None:
                on_day = self._day(day)
            standards = on_day[1]
            decide = self.evaluator._decision
            level: Any
            for program, fn, at_level, at_id, claimed, seen in selected:
                values, rest, after = fn(facts, day, standards, catalogs, None)
                if at_id is not None and cid is None:
                    cid = after[at_id]
                if at_level is None:
                    level = self  # LineValues computes it, from the decision
                    key = None
                else:
                    level = after[at_level]
                    if level is failed or level.__class__ is not str:
                        level = no_level
                    # the clauses' values, the amount's and the level decide
                    # the decision and its JSON (an unknown's hash: a call)
                    key = (values, rest, level)
                    try:
                        hit = seen.get(key)
                    except TypeError:  # a value that has no hash: not remembered
                        hit = key = None
                    if hit is not None:
                        done.append(hit)
                        if claimed and hit[2].outcome == ELIGIBLE:
                            claim = True
                        continue
                if rest is False:
                    d = Decision(program, INELIGIBLE, None, values, [])
                else:
                    d = decide(program, values, rest)
                    if claimed and d.outcome == ELIGIBLE:
                        claim = True
                done.append((program, d, level, seen, key))
        except PolicyError:
            return TAKE_GENERAL
        parts, tally, decisions = [], [], []
        for got in done:
            if len(got) == 5:  # not remembered: rendered now
                program, d, level, seen, key = got
                if level is self:
                    level = self.values.level(d, facts, day)
                part, amount = self.parts.decision(d, level, day)
                got = (part, (program.id, d.outcome, amount, level), d)
                if key is not None and self._rememberable(d) and len(seen) < self.parts.LIMIT:
                    seen[key] = got
            parts.append(got[0])
            tally.append(got[1])
            decisions.append(got[2])
        if cid is None:  # no program computed it
            cid = self.values.case_id(facts)
        elif cid is failed or cid.__class__ is not str:
            cid = None
        found: tuple = ()
        if claim:
            worker = self.worker
            res = CaseResult(decisions, day, "decision_date", (), None, None, facts)
            found = worker._claims(worker.checks, res, catalogs, worker._compiled_checks)
        lp = self.parts
        digest = _sha256(data if data is not None else str(text).encode("utf-8")).hexdigest()
        # an ID of ASCII letters and digits is its own JSON, quoted
        cid = f'"{cid}"' if cid and cid.isascii() and cid.isalnum() else self.encode(cid)
        head, middle, after, end = on_day[0], lp.middle, lp.after_decisions, lp.end
        body = ",".join(parts)
        return (
            f'{head}{digest}{middle}{body}{after}{cid},"line":{n}{end}',
            tuple(tally),
            found,
        )

    def _day(self, day: _dt.date) -> tuple:
        """(the head of a line decided on ``day``, the standards in force
        that day), remembered. The standards are looked up once per period
        between two dates on which a version of a standard starts or ends
        (``_periods``): every day of a period has the same versions."""
        period = bisect_right(self.bounds, day)
        standards = self.periods.get(period)
        if standards is None:
            standards = self.periods[period] = self.evaluator._standards_at(day)[0]
        got = (self.parts.dated_head(day), standards)
        if len(self.days) < self.parts.LIMIT:
            self.days[day] = got
        return got

    @staticmethod
    def _bounds(policy) -> list[_dt.date]:
        """The days on which some version of a standard starts, or the day
        after one ends, in order: between two of them (and before the first,
        and from the last on) the versions in force are the same."""
        days = set()
        for std in policy.standards.values():
            for v in std.versions:
                days.add(v.start)
                if v.until is not None and v.until < _dt.date.max:
                    days.add(v.until + _dt.timedelta(days=1))
        return sorted(days)

    @staticmethod
    def _rememberable(d: Decision) -> bool:
        """Whether a decision's JSON may be remembered under the values it
        was made from: not one with installments (their labels name the
        standards as in force on the day), nor one with an amount of zero
        (0 and -0 are equal keys, but -0.00 is written as it is)."""
        if d.installments:
            return False
        return all(v is None or v for v in (d.amount, d.formula_amount, d.capped_at, d.floored_at))
