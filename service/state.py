"""What one worker process holds: the policy, loaded and compiled once, its
evaluators, the decision log; and the work of the decision endpoints.

Decisions run on two threads of a process, each with an evaluator of its own
(an evaluator remembers catalogue look-ups across cases, and is used by one
thread only, so no lock is needed and none can stall the event loop):

- an ordinary case is decided on the event loop's thread (``evaluator``):
  the decision costs less than a hop to another thread would;
- a large case and every block of a batch go to the process's decision
  thread (``Service.run``, ``thread_evaluator``), so the loop keeps serving
  other requests between the GIL's turns while they are decided.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor

from dsl.errors import CaseError

from .decisionlog import DecisionLog, now
from .operations import REJECTED, count_decisions
from .problems import Problem
from .problems import log as server_log
from .settings import Settings

SOURCE = "request"  # how a request's case is named in messages


def decide_body(evaluator, body: bytes, **options):
    """``evaluator.decide`` for a case sent as bytes (a request's body), the
    facts read by ``CaseReader.read_text``, as `policy batch` reads a line:
    by the case's text reader (interpreter/jsonreader.py: the JSON decoded
    and typed in one pass, about half the usual path's time) when it takes
    the text, else parsed and read the usual way (``parse_case_bytes``),
    which gives the same facts and says what, if anything, is wrong.
    ``options``: as ``Evaluator.decide``."""
    facts = evaluator.reader.read_text(body, SOURCE)
    return evaluator.decide(facts, converted=True, case_name=SOURCE, **options)


def new_id() -> str:
    """32 random hex digits (as uuid4().hex, without building a UUID: a third
    of the cost, once per decision)."""
    return os.urandom(16).hex()


class Service:
    def __init__(self, settings: Settings, policy=None):
        from interpreter.evaluate import Evaluator
        from interpreter.render import result_json
        from population.batch import compact

        # bound once: an import statement in a function costs each call
        self.result_json = result_json
        self.compact = compact

        self.settings = settings
        self.policy = policy if policy is not None else load(settings)
        self.evaluator = Evaluator(self.policy)  # the event loop's
        self.thread_evaluator = Evaluator(self.policy)  # the decision thread's
        for ev in (self.evaluator, self.thread_evaluator):
            ev.reader.text_reader()  # generated now, not on the first request
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="policy-decide")
        self.log = DecisionLog(settings.decision_log, self.policy, settings.log_input)
        from .answer import BatchLog, LeanAnswer

        # the lean answer and the log line written from parts (None: the
        # writer disagreed with the general path at start, see service.answer)
        lean = LeanAnswer(self.policy, self.log)
        self.lean = lean if lean.usable else None
        self.batch_log = BatchLog(self.log)  # a batch's log lines, from parts
        self.ledger = None  # with a database: ledger.api.Ledger, and its tokens
        self.tokens = None
        if settings.db_url:
            from ledger.api import Ledger

            from .tokens import TokenStore

            self.ledger = Ledger.open(settings.db_url, policy=self.policy)
            self.tokens = TokenStore(self.ledger)

    async def run(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on the process's decision thread."""
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, functools.partial(fn, *args, **kwargs)
        )

    async def run_io(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` in the thread pool: database work, which
        waits rather than computes, and must not queue behind decisions."""
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(fn, *args, **kwargs)

    # -- readiness ----------------------------------------------------------------
    def readiness(self) -> dict:
        checks = {"policy": "ok" if self.policy is not None else "not loaded"}
        if self.settings.db_url:
            checks["database"] = self._database_check()
        return checks

    def _database_check(self) -> str:
        if self.ledger is None:
            return "not configured"
        try:
            self.ledger.ping()
            return "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
            return f"unreachable: {type(exc).__name__}"

    # -- one case -----------------------------------------------------------------
    def decide(
        self,
        body: bytes,
        *,
        as_of=None,
        programs=None,
        explain=True,
        user: str | None = None,
        on_thread: bool = False,
        as_json: bool = True,
    ) -> tuple[bytes | None, object, str]:
        """The JSON of `policy eval --format json` (compact, UTF-8) for the
        case in ``body`` (bytes as sent; None with ``as_json`` false: the
        caller writes another answer), the CaseResult, and the decision id; logged.
        ``on_thread``: called on the decision thread (its own evaluator)."""
        evaluator = self.thread_evaluator if on_thread else self.evaluator
        try:
            res = decide_body(
                evaluator, body, as_of=as_of, programs=programs or None, explain=explain
            )
        except CaseError:
            REJECTED.labels("decisions").inc()
            raise
        res.case_name = None
        res.case_sha256 = "sha256:" + hashlib.sha256(body).hexdigest()
        lean = self.lean
        out = decided = None
        text = None
        if as_json:
            if not explain and lean is not None:
                decided = lean.decisions(res)
                text = lean.answer(res, decided)
            else:
                out = self.result_json(self.policy, res, explain)
                text = self.compact(out).encode()
        decision_id = new_id()
        tallies: dict = {}
        for d in res.decisions:
            key = (d.program.id, d.outcome)
            tallies[key] = tallies.get(key, 0) + 1
        count_decisions(tallies)
        log = self.log
        if log.enabled:
            if lean is not None and not log.log_input:
                line = lean.log_line(res, decision_id, user, "decisions", now(), decided)
                log.write_text(line + "\n")
            else:
                if out is None:
                    out = self.result_json(self.policy, res, False)
                case = {k: v for k, v in out["case"].items() if k not in ("facts", "file")}
                log.write(
                    [
                        log.entry(
                            decision_id=decision_id,
                            user=user,
                            endpoint="decisions",
                            case=case,
                            decisions=out["decisions"],
                            facts=out["case"]["facts"],
                        )
                    ]
                )
        return text, res, decision_id

    # -- a claim the ledger decided ---------------------------------------------------
    def log_ledger_decision(self, app, user: str | None, endpoint: str) -> None:
        """Log and count the decision the ledger made for a claim (submitted,
        or decided again when a fact was recorded)."""
        data = app.decision
        tallies: dict = {}
        for d in data["decisions"]:
            key = (d["program"], d["outcome"])
            tallies[key] = tallies.get(key, 0) + 1
        count_decisions(tallies)
        if self.log.enabled:
            case = {k: v for k, v in data["case"].items() if k not in ("facts", "file")}
            entry = self.log.entry(
                decision_id=new_id(),
                user=user,
                endpoint=endpoint,
                case=case,
                decisions=data["decisions"],
                facts=data["case"].get("facts"),
            )
            entry["application"] = app.id
            entry["decision_seq"] = app.decision_seq
            try:
                self.log.write([entry])
            except Problem as problem:
                # the claim and its decision are recorded, in the ledger's audit
                # chain: the answer says so (a 503 would have the client submit
                # it again); the log's failure goes to the server's log
                server_log.error(
                    "the decision of application %s is recorded in the ledger, but "
                    "the decision log cannot be written: %s",
                    app.id,
                    getattr(problem, "reason", problem.detail),
                )

    # -- a batch ------------------------------------------------------------------
    def batch_worker(self, as_of, explain):
        """A batch Worker (the code of `policy batch`) deciding with the
        decision thread's evaluator, whose compiled programs it shares."""
        from population.batch import BatchSpec, Worker

        worker = Worker(BatchSpec(as_of=as_of, explain=explain, source=SOURCE), self.policy)
        worker.evaluator = self.thread_evaluator
        return worker

    def registry(self):
        """The real-name checks of one batch request (as `policy batch` runs them
        over one file)."""
        from population.realname import Registry, checks_of

        return Registry(checks_of(self.policy))

    def run_block(
        self, worker, registry, first: int, block: bytes, *, user=None, request_id=None
    ) -> bytes:
        """One block of JSON Lines decided: the output lines, decisions and
        rejects in input order, as `policy batch` writes them. Decided as
        `policy batch` decides a block (``Worker.block``: without an Outcome
        per line), each output line's number and tally kept for its
        decision-log entry; with ``--log-input`` line by line, since an entry
        then holds the case as sent."""
        if self.settings.log_input and self.log.enabled:
            return self._run_records(worker, registry, first, block, user, request_id)
        lines: list = []
        _cases, ok, rejects, claims, tallies = worker.block(first, block, lines)
        compact = self.compact
        for i, n, found in claims:
            flags = registry.add(SOURCE, n, found)
            if flags:
                data = json.loads(ok[i])
                data["flags"] = flags
                ok[i] = compact(data)
        count_decisions({key: t[0] for key, t in tallies.items()})
        if rejects:
            REJECTED.labels("decisions:batch").inc(len(rejects))
        if self.log.enabled:
            when = now()  # one time for the block's lines: they were decided together
            parts = self.batch_log
            text = parts.lines(lines, ok, request_id, user, when) if parts.usable else ""
            if text or not ok:
                self.log.write_text(text)
            else:
                self.log.write(
                    [
                        self._batch_entry(n, tally, line, None, user, request_id, when)
                        for (n, tally), line in zip(lines, ok)
                    ]
                )
        out = ok
        if rejects:
            # the rejects among the output lines, in input order
            out, j, r = [], 0, len(rejects)
            for (n, _tally), text in zip(lines, ok):
                while j < r and rejects[j][0] < n:
                    out.append(rejects[j][1])
                    j += 1
                out.append(text)
            out.extend(reject[1] for reject in rejects[j:])
        return ("\n".join(out) + "\n").encode() if out else b""

    def _run_records(self, worker, registry, first, block, user, request_id) -> bytes:
        """``run_block`` record by record, each entry with the case as sent."""
        from population.batch import block_records

        records = block_records(first, block)
        outcomes = worker.run(records)
        out = []
        tallies: dict = {}
        entries = []
        rejected = 0
        when = now()
        for record, o in zip(records, outcomes):
            text = o.text
            if not o.ok:
                rejected += 1
                out.append(text)
                continue
            if o.claims:
                flags = registry.add(SOURCE, o.line, o.claims)
                if flags:
                    data = json.loads(text)
                    data["flags"] = flags
                    text = self.compact(data)
            out.append(text)
            for program, outcome, _amount, _level in o.tally:
                key = (program, outcome)
                tallies[key] = tallies.get(key, 0) + 1
            entries.append(self._batch_entry(o.line, o.tally, text, record, user, request_id, when))
        count_decisions(tallies)
        if rejected:
            REJECTED.labels("decisions:batch").inc(rejected)
        self.log.write(entries)
        return ("\n".join(out) + "\n").encode() if out else b""

    def _batch_entry(self, line: int, tally, text: str, record, user, request_id, when) -> dict:
        """The decision-log entry of output line ``text`` (input line
        ``line``, its decisions' ``tally``); ``record``: the input line, when
        the input is logged."""
        if record is not None:
            # the whole line is needed (failing clauses) and the case as sent:
            # parsed only when the input is logged
            from dsl.values import to_json
            from interpreter.cases import parse_json_text

            data = json.loads(text)
            case = {k: v for k, v in data["case"].items() if k != "facts"}
            facts = to_json(parse_json_text(record.text, SOURCE))
            decisions = data["decisions"]
        else:
            case = {}
            facts = None
            decisions = [{"program": p, "outcome": r, "amount": a} for p, r, a, _level in tally]
            # the input's hash is in the line (cheap to find, no parse)
            at = text.find('"sha256":"')
            if at >= 0:
                case["sha256"] = text[at + 10 : text.index('"', at + 10)]
        # a line's decision id is the request's and the line's number: unique, and
        # cheaper than a random id per line
        return self.log.entry(
            decision_id=f"{request_id}-{line}",
            user=user,
            endpoint="decisions:batch",
            case=case,
            decisions=decisions,
            facts=facts,
            line=line,
            request_id=request_id,
            time=when,
        )


def load(settings: Settings):
    """The policy as `policy eval` loads it (with the catalogues it declares)."""
    from interpreter.loader import load_policy

    return load_policy(settings.policy_dir, revisions=list(settings.revisions))
