"""The lean answer of POST /v1/decisions (``explain=false``) and the decision
log's line, written as JSON text from parts.

The answer is ``compact(result_json(policy, res, explain=False))`` (in UTF-8), the JSON of
`policy eval --format json` without explanations, and the log line is
``DecisionLog.entry`` as the log writes it; both bytes for bytes. Built as
dicts and encoded, the two cost more than the decision itself (measured in a
tight loop: 33 µs for the answer, 13 µs for the log line, against 21 µs for
the decision; in a worker, between requests, each step costs two to four
times that). Most of their text is the same for every case: the policy block
(its files and their hashes, two thirds of a lean answer), the keys, a
decision's JSON for the same program, outcome and amount. So the text is put
together from:

- what every answer shares, made once (``tail``, the log line's middle);
- the case's head (its decision date and where it came from) and each
  decision's JSON, remembered by ``population.batch.LineParts`` as for a
  batch line (the same parts, without the batch line's level);
- what is the case's own: its facts as read, its hash, the decision id, the
  time.

One writer serves the event loop and the decision thread: its memories are
dicts, whose single look-ups and stores are atomic under the GIL; two threads
may make the same part twice, never a wrong one.

At start the writer checks itself against the general path on a made-up case
(``_agrees``) and stands aside when the two differ (a key added to
``result_json`` or to the log's entry that the parts do not know): then the
service builds the dicts as before. tests/service/test_service_answer.py
compares both texts with the general path's for every example case and
many generated ones.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

# where LineParts.head ends: the case's hash follows it in a batch line
_SHA = ',"sha256":"sha256:'
LOG_KEYS = {"case", "decision_id", "decisions", "endpoint", "format", "policy", "time", "user"}


def _sorted_json():
    """JSON data (dicts, lists, text, true, false, null: the facts as
    ``facts_json`` gives them) to UTF-8 bytes as ``compact()`` writes it:
    sorted keys, no spaces, text as is. msgspec's encoder (a dependency, the
    case's text reader uses it) does it in an eighth of the time (1.2 against
    9.3 µs for an example's facts); it escapes every character as ``json``
    does (tests/service/test_service_answer.py checks every character of the
    first 2,048 and arbitrary data)."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - a dependency
        from population.batch import compact

        return lambda data: compact(data).encode()
    return msgspec.json.Encoder(order="sorted").encode


class LeanAnswer:
    """The lean answer's text and the log line's, for one policy and log."""

    LIMIT = 1 << 12  # remembered lean log decisions

    def __init__(self, policy, log):
        from interpreter.cases import facts_json
        from interpreter.render import JSON_FORMAT_VERSION, decision_json, result_json
        from population.batch import LineParts, compact

        self.policy, self.log = policy, log
        self.parts = LineParts(policy, JSON_FORMAT_VERSION, decision_json)
        self.facts_json, self.encode = facts_json, compact
        self.encode_facts = _sorted_json()
        self.heads: dict = {}  # LineParts' head → the answer's, in UTF-8
        self.result_json = result_json
        empty = result_json(policy, self._sample(), explain=False)
        # the tail as UTF-8 bytes: joined to the case's part as text, its 2 kB
        # of ASCII would be copied wide (the case's Chinese) and encoded again
        self.tail = (
            '],"format":' + compact(empty["format"]) + ',"policy":' + compact(empty["policy"]) + "}"
        ).encode()
        # the log line: everything between its decisions and its time is the
        # same for every line of an endpoint
        self.line_encode = log.encode
        entry = log.entry(decision_id="", user=None, endpoint="", case={}, decisions=[], time="")
        self.log_keys_known = set(entry) == LOG_KEYS
        self.log_middle = (
            ',"format":'
            + log.encode(entry["format"])
            + ',"policy":'
            + log.encode(entry["policy"])
            + ',"time":"'
        )
        self.log_decisions: dict = {}
        self.endpoints: dict = {}  # endpoint → its part of the line
        self.usable = self._agrees()

    def _sample(self, decisions=()):
        from interpreter.decision import CaseResult

        # facts of every kind a case reader gives, with text JSON escapes
        facts = {
            "b": {"text": 'a"b\\c\n\x01\u2028中', "on": True, "off": False},
            "a": [Decimal("1.50"), _dt.date(2000, 1, 2), "x"],
        }
        return CaseResult(
            list(decisions),
            _dt.date(2000, 1, 1),
            "decision_date",
            ("a",),
            None,
            "sha256:" + "0" * 64,
            facts,
        )

    # -- the answer -------------------------------------------------------------------
    def decisions(self, res) -> list[tuple[str, str | None]]:
        """Each decision's JSON text and its amount as text (LineParts, no level)."""
        day = res.as_of
        decision = self.parts.decision
        return [decision(d, None, day) for d in res.decisions]

    def answer(self, res, decided: list | None = None) -> bytes:
        """``compact(result_json(policy, res, explain=False))`` in UTF-8, from
        parts; ``decided``: ``decisions(res)``, when the caller has them."""
        if decided is None:
            decided = self.decisions(res)
        line_head = self.parts.head(res)
        head = self.heads.get(line_head)
        if head is None:
            head = (line_head[: -len(_SHA)] + ',"facts":').encode()
            if len(self.heads) < self.parts.LIMIT:
                self.heads[line_head] = head
        return (
            head
            + self.encode_facts(self.facts_json(res.facts))
            + (
                ',"file":'
                + self.encode(res.case_name)
                + ',"sha256":'
                + self.encode(res.case_sha256)
                + '},"decisions":['
                + ",".join([text for text, _amount in decided])
            ).encode()
            + self.tail
        )

    # -- the log line -----------------------------------------------------------------
    def log_line(
        self,
        res,
        decision_id: str,
        user: str | None,
        endpoint: str,
        time: str,
        decided: list | None = None,
    ) -> str:
        """The decision log's line for ``res`` (without its newline): the
        text of ``DecisionLog.entry`` for it, as the log writes entries, when
        the facts are not logged. ``decided``: as for ``answer``."""
        if decided is None:
            decided = self.decisions(res)
        lean = self.log_decisions
        decisions = []
        # a decision's JSON text names its program, outcome, amount, failing and
        # missing clauses: it is the key of its lean log entry (the same text
        # object for a remembered decision, its hash computed once)
        for d, (text, amount) in zip(res.decisions, decided):
            got = lean.get(text)
            if got is None:
                got = self.line_encode(
                    {
                        "amount": amount,
                        "failing": list(d.failing),
                        "missing": list(d.missing),
                        "outcome": d.outcome,
                        "program": d.program.id,
                    }
                )
                if len(lean) < self.LIMIT:
                    lean[text] = got
            decisions.append(got)
        said = self.endpoints.get(endpoint)
        if said is None:
            said = self.endpoints[endpoint] = '],"endpoint":' + self.line_encode(endpoint)
        return (
            # LineParts.head is the log line's head too: {"case":{as_of...,"sha256":"sha256:
            self.parts.head(res)
            + res.case_sha256[7:]
            + '"},"decision_id":"'
            + decision_id
            + '","decisions":['
            + ",".join(decisions)
            + said
            + self.log_middle
            + time
            + '","user":'
            + ("null" if user is None else self.line_encode(user))
            + "}"
        )

    # -- the check at start -------------------------------------------------------------
    def _agrees(self) -> bool:
        """Whether the parts write what the general path writes, for a
        made-up case with a decision of each outcome of the policy's first
        program (no decision is needed: the keys are what could drift)."""
        from interpreter.decision import ELIGIBLE, INELIGIBLE, Decision

        if not self.log_keys_known or not self.policy.programs:
            return False
        program = next(iter(self.policy.programs.values()))
        clauses = program.clauses
        res = self._sample(
            [
                Decision(program, ELIGIBLE, Decimal("1"), tuple(True for _ in clauses), []),
                Decision(program, INELIGIBLE, None, tuple(False for _ in clauses), ["a"]),
            ]
        )
        want = self.encode(self.result_json(self.policy, res, explain=False)).encode()
        if self.answer(res) != want:
            return False
        case = {"as_of": "2000-01-01", "as_of_missing": ["a"], "as_of_source": "decision_date"}
        case["sha256"] = res.case_sha256
        entry = self.log.entry(
            decision_id="0",
            user="u",
            endpoint="decisions",
            case=case,
            decisions=self.encode_decisions(res),
            time="t",
        )
        return self.log_line(res, "0", "u", "decisions", "t") == self.log.encode(entry)

    def encode_decisions(self, res) -> list[dict]:
        from interpreter.render import decision_json

        return [decision_json(self.policy, d, False, res.as_of) for d in res.decisions]


class BatchLog:
    """The decision log's lines for the output lines of a batch request
    (POST /v1/decisions:batch), as text from parts: the text of
    ``DecisionLog.entry`` for each line, as the log writes entries, when the
    facts are not logged. Built as dicts and encoded, a line's entry cost
    about as much as deciding it (10 µs a line in a tight loop); most of it
    is the same for every line of a request (the policy block, the keys),
    and a decision's lean entry is one of few (program, outcome, amount).
    Stands aside (``usable`` false) when a made-up line's entry differs from
    the general path's, as ``LeanAnswer`` does."""

    ENDPOINT = "decisions:batch"
    KEYS = LOG_KEYS | {"line", "request_id"}
    LIMIT = 1 << 12  # remembered lean decisions

    def __init__(self, log):
        self.log = log
        encode = self.encode = log.encode
        entry = log.entry(
            decision_id="",
            user=None,
            endpoint=self.ENDPOINT,
            case={},
            decisions=[],
            line=0,
            request_id="",
            time="",
        )
        self.decisions: dict = {}  # tally entry → its lean entry's text
        self.middle = (
            '],"endpoint":'
            + encode(self.ENDPOINT)
            + ',"format":'
            + encode(entry["format"])
            + ',"line":'
        )
        self.policy = ',"policy":' + encode(entry["policy"]) + ',"request_id":'
        self.usable = set(entry) == self.KEYS and self._agrees()

    def lines(self, numbered: list, texts: list, request_id: str, user, when: str) -> str:
        """The log's lines (each ending with a newline) for output lines
        ``texts``, whose (line number, tally) are ``numbered``."""
        encode, lean, middle = self.encode, self.decisions, self.middle
        # the decision id is the request's and the line's number
        head_id = '"},"decision_id":' + encode(request_id + "-")[:-1]
        tail = self.policy + encode(request_id) + ',"time":' + encode(when) + ',"user":'
        tail += ("null" if user is None else encode(user)) + "}\n"
        out = []
        for (n, tally), text in zip(numbered, texts):
            decisions = []
            for entry in tally:
                got = lean.get(entry)
                if got is None:
                    program, outcome, amount, _level = entry
                    got = encode({"amount": amount, "outcome": outcome, "program": program})
                    if len(lean) < self.LIMIT:
                        lean[entry] = got
                decisions.append(got)
            # the input's hash is in the line (cheap to find, no parse)
            at = text.find('"sha256":"')
            if at < 0:
                return ""  # not a line this writer knows: the caller builds the dicts
            line = str(n)
            out.append(
                '{"case":{"sha256":"'
                + text[at + 10 : text.index('"', at + 10)]
                + head_id
                + line
                + '","decisions":['
                + ",".join(decisions)
                + middle
                + line
                + tail
            )
        return "".join(out)

    def _agrees(self) -> bool:
        """Whether a made-up line's entry is the general path's, byte for byte."""
        tally = (("p", "eligible", "1.00", None), ("q", "ineligible", None, "x"))
        text = '{"case":{"sha256":"sha256:' + "0" * 64 + '"}}'
        entry = self.log.entry(
            decision_id="r\u4e2d-7",
            user='u"',
            endpoint=self.ENDPOINT,
            case={"sha256": "sha256:" + "0" * 64},
            decisions=[{"program": p, "outcome": r, "amount": a} for p, r, a, _l in tally],
            line=7,
            request_id="r\u4e2d",
            time="t",
        )
        got = self.lines([(7, tally)], [text], "r\u4e2d", 'u"', "t")
        self.decisions.clear()
        return got == self.encode(entry) + "\n"
