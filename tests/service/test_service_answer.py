"""The lean answer and the decision log's line written from parts
(service.answer): the same bytes as the general path — result_json encoded,
the log's entry encoded — for every example case and for generated ones, on
their own dates, with --as-of and with chosen programs; the check at start
that stands the writer aside when it would differ; and over real HTTP, the
bytes a server answers and logs."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.errors import CaseError
from interpreter.cases import parse_case_bytes
from interpreter.render import result_json
from population.batch import compact
from population.synthetic import dumps_case, generate
from service.answer import LeanAnswer
from service.decisionlog import DecisionLog
from service.state import SOURCE, decide_body
from tests.helpers import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.fixture(scope="module")
def lean(bundled_policy):
    return LeanAnswer(bundled_policy, DecisionLog("", bundled_policy))


def decided(evaluator, body: bytes, name, **kw):
    res = evaluator.decide(parse_case_bytes(body, "request"), explain=False, **kw)
    res.case_name = name
    res.case_sha256 = "sha256:" + hashlib.sha256(body).hexdigest()
    return res


def general_log_line(log, res, policy, decision_id, user, endpoint, time) -> str:
    """The log line as the service writes it without the parts (state.Service.decide)."""
    out = result_json(policy, res, False)
    case = {k: v for k, v in out["case"].items() if k not in ("facts", "file")}
    return log.encode(
        log.entry(
            decision_id=decision_id,
            user=user,
            endpoint=endpoint,
            case=case,
            decisions=out["decisions"],
            facts=out["case"]["facts"],
            time=time,
        )
    )


def bodies(bundled_policy) -> list[bytes]:
    generated = generate(300, 31, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    return [p.read_bytes() for p in EXAMPLES] + [dumps_case(c).encode() for c in generated]


def test_the_writer_is_used_on_the_bundled_policy(lean):
    assert lean.usable


def test_answers_and_log_lines_are_the_general_paths_bytes(bundled_policy, evaluator, lean):
    policy = bundled_policy
    seen_outcomes, installments = set(), 0
    programs = list(policy.programs)
    for i, body in enumerate(bodies(policy)):
        for kw in ({}, {"as_of": _dt.date(2021, 2, 1)}, {"programs": programs[i % 3 :: 3]}):
            for name in (None, "request"):
                res = decided(evaluator, body, name, **kw)
                want = compact(result_json(policy, res, explain=False)).encode()
                assert lean.answer(res) == want, (i, kw)
                # what the answer says, as `policy eval --format json` says it
                assert json.loads(lean.answer(res)) == json.loads(want)
            seen_outcomes |= {d.outcome for d in res.decisions}
            installments += sum(1 for d in res.decisions if d.installments)
            for user in (None, "张三"):
                got = lean.log_line(
                    res, "ab" * 16, user, "decisions", "2026-01-02T03:04:05.678+00:00"
                )
                assert got == general_log_line(
                    lean.log,
                    res,
                    policy,
                    "ab" * 16,
                    user,
                    "decisions",
                    "2026-01-02T03:04:05.678+00:00",
                ), (i, kw)
    # the cases reach every outcome and the decisions paid in installments
    assert seen_outcomes == {"eligible", "ineligible", "undetermined"}
    assert installments > 0


def test_a_case_with_no_decision_date(bundled_policy, evaluator, lean):
    body = json.dumps({"applicant": {"name": "某人"}}, ensure_ascii=False).encode()
    res = decided(evaluator, body, None)
    assert res.as_of is None
    assert lean.answer(res) == compact(result_json(bundled_policy, res, explain=False)).encode()


def test_the_check_at_start_finds_a_writer_that_differs(bundled_policy, lean):
    assert lean._agrees()
    drifted = LeanAnswer(bundled_policy, DecisionLog("", bundled_policy))
    drifted.tail = drifted.tail.replace(b'"format":', b'"format_version":')
    assert not drifted._agrees()
    drifted = LeanAnswer(bundled_policy, DecisionLog("", bundled_policy))
    drifted.log_middle = drifted.log_middle.replace('"format":', '"version":')
    assert not drifted._agrees()


# -- over real HTTP --------------------------------------------------------------------


@pytest.fixture(scope="module")
def lean_server(serve):
    """Decisions open to anyone, logged without the facts: the log's lines
    are written from parts."""
    return serve("--anonymous-decisions")


def test_a_server_answers_and_logs_the_general_paths_bytes(lean_server, bundled_policy, evaluator):
    policy = bundled_policy
    log = DecisionLog("", policy)
    for example in EXAMPLES:
        body = example.read_bytes()
        r = lean_server.client.post("/v1/decisions", params={"explain": "false"}, content=body)
        assert r.status_code == 200, r.text
        res = decided(evaluator, body, None)
        assert r.content == compact(result_json(policy, res, explain=False)).encode()
        lines = lean_server.log.read_text(encoding="utf-8").splitlines()
        entry = json.loads(lines[-1])
        assert entry["decision_id"] == r.headers["decision-id"]
        assert lines[-1] == general_log_line(
            log, res, policy, entry["decision_id"], None, "decisions", entry["time"]
        )
    # the explained answer is logged the same way (the log keeps the lean keys)
    body = EXAMPLES[0].read_bytes()
    r = lean_server.client.post("/v1/decisions", content=body)
    full = r.json()
    assert "clauses" in full["decisions"][0]
    line = lean_server.log.read_text(encoding="utf-8").splitlines()[-1]
    entry = json.loads(line)
    assert line == general_log_line(
        log,
        decided(evaluator, body, None),
        policy,
        entry["decision_id"],
        None,
        "decisions",
        entry["time"],
    )


def test_the_log_time_is_written_as_datetime_writes_it():
    from service.decisionlog import now

    before = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    got = now()
    after = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")
    assert before <= got <= after
    assert _dt.datetime.fromisoformat(got).utcoffset() == _dt.timedelta(0)
    assert len(got) == len(before) and got[10] == "T" and got[19] == "."


# -- reading the body ------------------------------------------------------------------


def usual(evaluator, body: bytes, **kw):
    return evaluator.decide(parse_case_bytes(body, SOURCE), case_name=SOURCE, **kw)


def test_the_body_is_read_as_the_usual_path_reads_it(bundled_policy, evaluator):
    policy = bundled_policy
    read = evaluator.reader.text_reader()
    assert read is not None
    taken = 0
    for i, body in enumerate(bodies(policy)):
        taken += read(body.decode()).__class__ is dict
        for kw in ({"explain": False}, {"explain": True, "as_of": _dt.date(2021, 2, 1)}):
            got = result_json(policy, decide_body(evaluator, body, **kw), kw["explain"])
            assert got == result_json(policy, usual(evaluator, body, **kw), kw["explain"]), i
    # the text reader takes the common case: most of them went its way
    assert taken > len(bodies(policy)) * 0.8


ODD_BODIES = [
    "\ufeff" + (ROOT / "examples/apprenticeship_typical.json").read_text(encoding="utf-8"),
    '{"applicant": {"name": "某人", "note": null}}',
    '{"applicant": {"name": "某人"}, "_note": "a note"}',
    '{"applicant": {"name": "某人"}, "apprenticeship": {"none": true}}',
    '{"applicant": {"name": "某: 人"}}',
    '{"applicant": {"name": "某人", "name": "又一人"}}',
    '{"applicant": {"nmae": "某人"}}',
    '{"applicant": {"name": "某人"}',
    "[]",
    "",
    "   ",
]


@pytest.mark.parametrize("text", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_an_odd_body_gets_the_usual_paths_answer_or_message(bundled_policy, evaluator, text):
    for body in (text.encode(), text.encode("utf-16") if text.strip() else b"\xff"):
        try:
            want = result_json(bundled_policy, usual(evaluator, body, explain=False), False)
        except CaseError as exc:
            with pytest.raises(CaseError) as got:
                decide_body(evaluator, body, explain=False)
            said = (exc.message, exc.position, exc.hint, exc.context)
            assert (
                got.value.message,
                got.value.position,
                got.value.hint,
                got.value.context,
            ) == said
            continue
        got_res = decide_body(evaluator, body, explain=False)
        assert result_json(bundled_policy, got_res, False) == want


# -- the facts' JSON -------------------------------------------------------------------

JSON_DATA = st.recursive(
    st.none() | st.booleans() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def test_every_character_is_escaped_as_compact_escapes_it(lean):
    for cp in [*range(0x800), 0x2028, 0x2029, 0xFEFF, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF]:
        data = {"k" + chr(cp): [chr(cp), "a" + chr(cp) + "b"]}
        assert lean.encode_facts(data) == compact(data).encode(), hex(cp)


@settings(max_examples=300, deadline=None)
@given(JSON_DATA)
def test_the_facts_json_is_compacts(data):
    from service.answer import _sorted_json

    assert _sorted_json()(data) == compact(data).encode()
