"""Every line `policy batch` writes is, byte for byte, the line the general
path makes of the case: the standard library's JSON reader, the case reader,
the evaluator, ``render.result_json``, the level and case id evaluated by
the rules' closures, ``json.dumps``. The batch takes short cuts on its own
path (one decoder and one encoder built once, the imports hoisted, the
garbage collector told about the policy); this says they change no byte."""

import json
from decimal import Decimal

import pytest

from interpreter.render import result_json
from population import batch as B
from population.synthetic import dumps_case, generate
from tests.helpers import ROOT, with_repeated_persons

pytestmark = pytest.mark.usefixtures("reuse_bundled_policy")


def general_line(policy, evaluator, line: int, text: str) -> str:
    import hashlib

    case = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    res = evaluator.decide(case, explain=False, case_name=f"cases.jsonl:{line}")
    data = result_json(policy, res, explain=False)
    for d, dj in zip(res.decisions, data["decisions"]):
        dj["level"] = B.decision_level(policy, d, res.facts, res.as_of)
    case_info = {k: data["case"][k] for k in B.CASE_KEYS}
    case_info["sha256"] = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    out = {
        "format": data["format"],
        "line": line,
        "id": B.case_id(policy, res.facts),
        "policy": policy.hash,
        "policy_id": policy.document.id,
        "case": case_info,
        "decisions": data["decisions"],
    }
    return json.dumps(
        out, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=B._json_default
    )


@pytest.mark.parametrize("short", [True, False], ids=["short path", "general path"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_every_line_is_the_general_paths_line(
    tmp_path, bundled_policy, evaluator, jobs, short, monkeypatch
):
    """Over both paths of a batch line: the short one (population.batchline,
    taken by most lines) and the general one alone."""
    from click.testing import CliRunner

    from commands.population import batch as batch_cmd

    monkeypatch.setattr(B, "SHORT_PATH", short)

    texts = with_repeated_persons(
        [
            dumps_case(c)
            for c in generate(
                1500, 21, policy=bundled_policy, catalog=bundled_policy.catalog_values
            )
        ],
        4,
    )
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    r = CliRunner().invoke(batch_cmd, [str(cases), "--out", str(out), "--jobs", str(jobs)])
    assert r.exit_code == 0, r.output
    written = out.read_text(encoding="utf-8").splitlines()
    assert len(written) == len(texts)
    flagged = 0
    for n, (text, got) in enumerate(zip(texts, written), 1):
        want = general_line(bundled_policy, evaluator, n, text)
        if '"flags":' in got:  # the real-name flags: added after, in input order
            flagged += 1
            data = json.loads(got)
            del data["flags"]
            got = B.compact(data)
        assert got == want, f"line {n}"
    assert flagged > 0


def test_claims_from_generated_code_are_the_closures_claims(bundled_policy, evaluator):
    """The real-name claims a batch line makes (person and key values from
    the checks' generated code) are the ones the closures give, case by case."""
    from population.realname import checks_of, claims, compiled_checks

    checks = checks_of(bundled_policy)
    compiled = compiled_checks(bundled_policy, checks)
    assert compiled  # the bundled checks read neither the date nor the standards
    catalogs = bundled_policy.catalog_values
    found = 0
    from interpreter.cases import parse_json_text

    for case in generate(1500, 22, policy=bundled_policy, catalog=catalogs):
        res = evaluator.decide(parse_json_text(dumps_case(case), "c"), explain=False)
        got = claims(checks, res, catalogs, compiled)
        assert got == claims(checks, res, catalogs)
        found += len(got)
    assert found > 300


def test_the_short_path_takes_the_common_lines_and_leaves_the_rest(bundled_policy):
    """Generated lines take the short path (population.batchline); a bad
    line, a line with a note or a null, and one whose decision date is
    unknown are each decided as the general path decides them."""
    from population.batchline import BatchLine

    texts = [
        dumps_case(c)
        for c in generate(400, 23, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    ]
    worker = B.Worker(B.BatchSpec(source="cases.jsonl"), bundled_policy)
    assert BatchLine.usable(worker)
    short = BatchLine(worker)
    records = [B.Record(n, t) for n, t in enumerate(texts, 1)]
    taken = [short.line(r) for r in records]
    assert sum(o is not None for o in taken) > 0.9 * len(texts)
    for r, o in zip(records, taken):
        want = worker.decide_general(r)
        if o is not None:
            assert (o.text, o.tally, o.claims) == (want.text, want.tally, want.claims)
    odd = [
        '{"applicant": {"name": "a", "name": "b"}}',  # a key twice: refused
        '{"applicant": {"name": "a:b", "_note": 1, "insured_months": null}}',
        '{"applicant": {"name": "a"}}',  # no date: unknown
        '{"application": {"date": "2020-01-05", "programs": ["no_such_program"]}}',
        "not json",
    ]
    for n, text in enumerate(odd, 1):
        r = B.Record(n, text)
        want = worker.decide_general(r)
        got = worker.decide(r)
        assert (got.ok, got.text, got.message) == (want.ok, want.text, want.message)
    assert short.line(B.Record(3, odd[2])) is None
    assert short.line(B.Record(1, odd[0])) is None


def test_a_block_by_the_short_path_is_packed_as_record_by_record(bundled_policy):
    """``Worker.block`` (the short path's block, no Outcome per line) packs a
    block of lines as ``pack`` packs the Outcomes of its records decided one
    by one by the general path: the same output lines, rejects and messages,
    real-name claims, counts and amounts, with blank lines, CRLF endings,
    bad lines and lines the short path leaves among the common ones."""
    texts = with_repeated_persons(
        [
            dumps_case(c)
            for c in generate(600, 24, policy=bundled_policy, catalog=bundled_policy.catalog_values)
        ],
        4,
    )
    odd = [
        "",
        "   ",
        '{"applicant": {"name": "a", "name": "b"}}',
        '{"applicant": {"name": "a:b", "_note": 1, "insured_months": null}}',
        '{"applicant": {"name": "a"}}',
        "not json",
        "\ufeff" + texts[0],
        texts[1].replace('"amount":1000', '"amount":-0'),
        "\u3000",  # blank: an ideographic space
        texts[2].replace('"name":"', '"name":"\\u5f20'),  # an escape: the general path
    ]
    for i, o in enumerate(odd):
        texts.insert(37 * i + 5, o)
    blocks = [("\n".join(texts) + "\n").encode("utf-8")]
    blocks.append(blocks[0].replace(b"\n", b"\r\n"))
    # a line not UTF-8: the block is read line by line, to say which
    blocks.append(blocks[0].replace(b"\n", b"\n\xff\xfe\n", 1))
    blocks.append(blocks[0].replace(b"\n", b'\n{"applicant": {"name": "\xff"}}\n', 1))
    blocks.append(blocks[0].replace(b"\n", b'\n{"applicant": {"name": 1, "x": "\xff"}}\n', 1))
    for block in blocks:
        short = B.Worker(B.BatchSpec(source="cases.jsonl"), bundled_policy)
        got = short.block(11, block)
        assert short._line is not None  # the short path took the block
        general = B.Worker(B.BatchSpec(source="cases.jsonl"), bundled_policy)
        general._line = None
        want = B.pack(general.run(B.block_records(11, block)))
        assert got == want
        assert got[2] and got[3]  # rejects and claims among them


def test_the_standards_of_a_day_are_looked_up_once_per_period(bundled_policy):
    """The short path looks the standards up once per period between the
    days a version of a standard starts or ends: every day from 2018 to
    2023 (with a revision's versions too) gets what the evaluator gives for
    that very day, and the line's head is LineParts.head's."""
    import datetime as dt

    from interpreter.decision import CaseResult
    from interpreter.model import StandardVersion
    from population.batchline import BatchLine

    revised = B.load_policy_with(
        None, [str(ROOT / "examples" / "revisions" / "raise-junior-2021.yaml")]
    )
    # a value for a few months only, over the standing one: the day after
    # it ends, the standing value is in force again
    ended = B.load_policy_with(None, [])
    std = next(s for s in ended.standards.values() if s.key is None)
    std.versions.append(
        StandardVersion(
            dt.date(2020, 3, 1), dt.date(2020, 6, 30), std.versions[-1].value * 2, "test"
        )
    )
    for policy in (bundled_policy, revised, ended):
        worker = B.Worker(B.BatchSpec(source="cases.jsonl"), policy)
        short = BatchLine(worker)
        assert short.bounds  # the bundled standards have dated versions
        day = dt.date(2018, 1, 1)
        while day < dt.date(2024, 1, 1):
            head, standards = short._day(day)
            assert standards == worker.evaluator._resolve_standards(day)[0], day
            assert head == worker._parts.head(CaseResult([], day, "decision_date", ()))
            day += dt.timedelta(days=1)
        assert len(short.periods) <= len(short.bounds) + 1


def test_a_second_worker_compiles_nothing(bundled_policy, monkeypatch):
    """The short path's code — the programs' functions with their level and
    case id, the case readers, the levels — is kept with the policy's
    compiled code: a second batch of the same policy in the process (or,
    with the per-user cache, in the next process) compiles none of it."""
    import builtins

    texts = [
        dumps_case(c)
        for c in generate(200, 25, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    ]
    block = ("\n".join(texts) + "\n").encode("utf-8")
    want = B.Worker(B.BatchSpec(source="cases.jsonl"), bundled_policy).block(1, block)
    compiled: list[str] = []
    real = builtins.compile

    def counting(source, name, *a, **k):
        compiled.append(name)
        return real(source, name, *a, **k)

    monkeypatch.setattr(builtins, "compile", counting)
    assert B.Worker(B.BatchSpec(source="cases.jsonl"), bundled_policy).block(1, block) == want
    assert compiled == []


def test_a_remembered_decision_keeps_the_sign_of_a_zero_amount(bundled_policy):
    """LineParts remembers a decision's JSON under the values it was made
    from. Decimal 0 and -0 are equal (and hash alike) but are written 0.00 and
    -0.00: whichever came first must not be written for the other, in either
    order (the service's lean answer and the general path use these parts)."""
    import datetime as dt

    from interpreter.decision import Decision
    from interpreter.render import JSON_FORMAT_VERSION, decision_json

    program = bundled_policy.programs["apprenticeship"]
    values = tuple(True for _ in program.clauses)
    day = dt.date(2021, 9, 15)
    for first, second in ((Decimal("0"), Decimal("-0")), (Decimal("-0"), Decimal("0"))):
        parts = B.LineParts(bundled_policy, JSON_FORMAT_VERSION, decision_json)
        for amount in (first, second, first):
            text, written = parts.decision(
                Decision(program, "eligible", amount, values, []), "x", day
            )
            want = decision_json(
                bundled_policy, Decision(program, "eligible", amount, values, []), False, day
            )
            want["level"] = "x"
            assert written == want["amount"] == ("-0.00" if amount.is_signed() else "0.00")
            assert json.loads(text) == want
