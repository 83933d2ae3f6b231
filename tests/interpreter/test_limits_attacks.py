"""Bounded work for bounded input (issue 12, 5, and issue 13, 6), attacked:
numbers limited as text before any arithmetic, batch lines limited in length
and rejected (never aborting the batch), definitions compiled once however
often they are used, and the size of a policy bounded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from interpreter.cases import MAX_FRACTION_DIGITS
from population.batch import MAX_LINE_BYTES
from tests.helpers import ROOT

GOOD = json.dumps(
    json.loads((ROOT / "examples" / "skill_upgrade_senior.json").read_text(encoding="utf-8")),
    ensure_ascii=False,
)


def policy(*args, stdin=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *map(str, args)],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def peak_rss_kb(*args) -> tuple[subprocess.CompletedProcess, int]:
    """Run the command in a child of a fresh interpreter and give the child's
    peak resident memory."""
    code = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(r.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.stderr.write(r.stderr)"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            sys.executable,
            "-c",
            "import cli; cli.main()",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    rc, rss = r.stdout.split()
    r.returncode = int(rc)
    return r, int(rss)


# -- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number,why",
    [
        ("1e-99999999", "the 44-byte case of the issue: 100 MB of digits, 1 GB of memory"),
        ("1E9999999999999999999", "an exponent Decimal cannot hold: exit 3"),
        ("1e-999999999999999999999", "both"),
        ("0." + "0" * MAX_FRACTION_DIGITS + "1", "one digit too many after the point"),
        ("9" * 65, "65 characters"),
    ],
)
def test_a_number_is_refused_as_text_before_any_arithmetic(tmp_path, number, why):
    f = tmp_path / "case.json"
    f.write_text(f'{{"applicant":{{"insured_months":{number}}}}}', encoding="utf-8")
    t = time.monotonic()
    r = policy("eval", f)
    assert time.monotonic() - t < 30
    assert r.returncode == 2, (why, r.stderr)
    assert r.stdout == "" and "field applicant.insured_months" in r.stderr
    assert len(r.stderr) < 500 and "Traceback" not in r.stderr


def test_twelve_digits_after_the_point_are_fine(tmp_path):
    case = json.loads(GOOD)
    case["applicant"]["insured_months"] = 38
    f = tmp_path / "case.json"
    f.write_text(
        json.dumps(case).replace('"insured_months": 38', '"insured_months": 38.000000000000'),
        encoding="utf-8",
    )
    assert policy("eval", f).returncode == 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_bad_numbers_and_lone_surrogates_are_rejected_lines_not_a_stopped_batch(tmp_path, jobs):
    """Issue 13 point 6: one such line aborted the batch (after 1,000 lines)."""
    bad = {
        1200: '{"applicant":{"insured_months":1E9999999999999999999}}',
        1201: '{"applicant":{"insured_months":1e-99999999}}',
        1500: '{"\\ud800":1}',
        1501: '{"applicant":{"\\udfff":1}}',
    }
    lines = [bad.get(n, GOOD) for n in range(1, 2001)]
    cases = tmp_path / "c.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "d.jsonl"
    r = policy("batch", cases, "--out", out, "--jobs", jobs)
    assert r.returncode == 0, r.stderr
    assert "2000 case(s): 1996 decided, 4 rejected" in r.stderr
    rejects = [
        json.loads(x)
        for x in (tmp_path / "d.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [x["line"] for x in rejects] == sorted(bad)
    assert rejects[2]["context"] == "field \ud800"  # a valid JSON escape, read back
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1996


def test_a_csv_cell_with_a_bad_number_is_a_rejected_row(tmp_path):
    cases = tmp_path / "c.csv"
    cases.write_text(
        "applicant.insured_months,application.date\n"
        "38,2020-10-09\n1e-99999999,2020-10-09\n1E9999999999999999999,2020-10-09\n",
        encoding="utf-8",
    )
    r = policy("batch", cases, "--out", tmp_path / "d.jsonl")
    assert r.returncode == 0, r.stderr
    assert "3 case(s): 1 decided, 2 rejected" in r.stderr
    assert "is not a usable number" in r.stderr


# -- batch lines --------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_line_over_the_limit_is_rejected_with_memory_flat(tmp_path, jobs):
    """A 99 MB line took 1.15 GB; here a 40 MB line, with the peak memory of a
    batch of small lines as the yardstick."""
    small = tmp_path / "small.jsonl"
    small.write_text((GOOD + "\n") * 3, encoding="utf-8")
    r0, base = peak_rss_kb("batch", small, "--out", tmp_path / "s.jsonl", "--jobs", jobs)
    assert r0.returncode == 0, r0.stderr

    big = tmp_path / "big.jsonl"
    with open(big, "w", encoding="utf-8") as f:
        f.write(GOOD + "\n")
        long_line = '{"applicant": {"name": "' + "x" * (40 * 1024 * 1024) + '"}}'
        f.write(long_line + "\n")
        f.write(GOOD + "\n")
    r, peak = peak_rss_kb("batch", big, "--out", tmp_path / "d.jsonl", "--jobs", jobs)
    assert r.returncode == 0, r.stderr
    assert "3 case(s): 2 decided, 1 rejected" in r.stderr
    assert f"the line is {len(long_line)} bytes long; the limit is {MAX_LINE_BYTES}" in r.stderr
    assert peak - base < 20 * 1024, (base, peak)  # kB: nowhere near 40 MB more
    reject = json.loads((tmp_path / "d.rejects.jsonl").read_text(encoding="utf-8"))
    assert reject["line"] == 2 and len(reject["text"]) <= 1001  # its start only


def test_a_csv_row_over_the_limit_is_rejected(tmp_path):
    cases = tmp_path / "c.csv"
    with open(cases, "w", encoding="utf-8") as f:
        f.write("applicant.name,application.date\n")
        f.write("张三,2020-10-09\n")
        f.write("x" * (MAX_LINE_BYTES + 10) + ",2020-10-09\n")
        f.write("李四,2020-10-09\n")
    r = policy("batch", cases, "--out", tmp_path / "d.jsonl")
    assert r.returncode == 0, r.stderr
    assert "3 case(s): 2 decided, 1 rejected" in r.stderr
    assert "c.csv:3" in r.stderr and "bytes long" in r.stderr


def test_a_decisions_file_with_a_line_over_the_limit(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(
        '{"case": {}, "decisions": [], "x": "' + "y" * (MAX_LINE_BYTES + 1) + '"}\n',
        encoding="utf-8",
    )
    r = policy("report", f)
    assert r.returncode == 2 and "bytes long" in r.stderr and "Traceback" not in r.stderr


# -- definitions compiled once, however often they are used -------------------------------


def chain_revision(n: int, step: str, clause: str) -> str:
    """A revision of n+1 definitions, each using the one before twice, and a
    program whose one clause uses the last: 885 bytes made 735 MB of code at
    14 links, doubling with each."""
    defs = ["  - id: d0\n    expr: applicant.insured_months"]
    defs += [f"  - id: d{i}\n    expr: '{step.format(p=f'd{i - 1}')}'" for i in range(1, n + 1)]
    return (
        "revision:\n  id: chain\n  issued: 2021-02-01\n  amends: taierzhuang-2020-4\n"
        "clauses:\n  - id: X-1\n    text: chain\ndefinitions:\n" + "\n".join(defs) + "\n"
        "programs:\n  - id: chain_prog\n    title: chain\n    title_en: chain\n"
        "    cite: [{clause: X-1}]\n    payee: {zh: a, en: a}\n    responsible: [a]\n"
        f"    clauses:\n      - id: big\n        expr: '{clause.format(last=f'd{n}')}'\n"
        "        cite: [{clause: X-1}]\n        explain: {zh: a, en: a}\n"
        "    amount:\n      expr: 1\n      explain: {zh: a, en: a}\n"
    )


CHAINS = {
    "safe": ("{p} + {p}", "{last} > 0"),  # hoisted, computed once
    "division": ("({p} + {p}) / 2", "{last} == applicant.insured_months"),  # remembered
    "in a lambda": ("max({p}, {p}) * 1", "count(history, h -> {last} > 0) >= 0"),
}


@pytest.mark.parametrize("kind", list(CHAINS))
def test_a_chain_of_definitions_costs_in_proportion_to_its_length(tmp_path, kind):
    step, clause = CHAINS[kind]
    case = tmp_path / "case.json"
    case.write_text(
        '{"applicant": {"insured_months": 3}, "history": [], '
        '"application": {"date": "2021-03-01"}}',
        encoding="utf-8",
    )
    sizes = {}
    for n in (10, 40):
        rev = tmp_path / f"chain{n}.yaml"
        rev.write_text(chain_revision(n, step, clause), encoding="utf-8")
        t = time.monotonic()
        r = policy("check", "--revision", rev)
        assert r.returncode == 0, r.stderr
        r = policy("eval", case, "--revision", rev, "--program", "chain_prog", "--format", "json")
        assert time.monotonic() - t < 60
        assert r.returncode == 0, r.stderr
        d = json.loads(r.stdout)["decisions"][0]
        assert d["outcome"] == "eligible", d
        from interpreter.evaluate import Evaluator
        from tests.helpers import load_policy

        p = load_policy(revisions=[rev])
        sizes[n] = Evaluator(p).compiled_size(p.programs["chain_prog"])
    assert sizes[40] < 6 * sizes[10], sizes  # linear: four times the links


def test_the_closures_compute_a_definition_once_too():
    """The reference backend (dsl/compiler.py) on a chain of 60 links."""
    from dsl import Context, Environment, parse
    from dsl import types as T

    env = Environment(facts={"x": T.NUMBER})
    env.define("d0", parse("x"))
    for i in range(1, 61):
        env.define(f"d{i}", parse(f"d{i - 1} + d{i - 1}"))
    t = time.monotonic()
    assert env.check(parse("d60 > 0")).type == T.BOOLEAN
    fn = env.compile_node(parse("d60"))
    assert fn(Context({"x": 1})) == 2**60
    assert time.monotonic() - t < 5


def test_check_reports_a_program_over_the_compiled_size_limit(monkeypatch):
    from click.testing import CliRunner

    from cli import cli
    from interpreter import sizes

    monkeypatch.setattr(sizes, "MAX_COMPILED_CHARS", 3000)
    r = CliRunner().invoke(cli, ["check"])
    assert r.exit_code == 1
    assert re.search(
        r"program vocational_training compiles to \d+ characters of code; "
        r"the limit is 3000",
        r.output,
    )


# -- the size of a policy ------------------------------------------------------------------


def test_a_revision_of_600000_empty_programs_is_refused_quickly(tmp_path):
    rev = tmp_path / "many.yaml"
    rev.write_text(
        "revision: {id: many, issued: 2021-02-01, amends: taierzhuang-2020-4}\n"
        "programs: [" + "{}," * 600_000 + "]\n",
        encoding="utf-8",
    )
    t = time.monotonic()
    r, peak = peak_rss_kb("check", "--revision", rev)
    assert time.monotonic() - t < 60
    assert r.returncode == 1
    assert "the file holds more than 100000 values; the limit is 100000" in r.stderr
    assert peak < 400 * 1024, peak  # kB (it took 4 GB)


@pytest.mark.parametrize(
    "what,body,message",
    [
        ("programs", "programs: [" + "{}," * 250 + "]", "250 programs; the limit is 200"),
        (
            "definitions",
            "definitions:\n" + "".join(f"  - {{id: x{i}, expr: '1'}}\n" for i in range(501)),
            "501 definitions; the limit is 500",
        ),
        (
            "clauses",
            "programs:\n  - id: p\n    clauses:\n"
            + "".join(f"      - {{id: c{i}, expr: 'true'}}\n" for i in range(101)),
            "101 clauses in the program; the limit is 100",
        ),
    ],
)
def test_counts_in_a_policy_are_bounded(tmp_path, what, body, message):
    rev = tmp_path / "rev.yaml"
    rev.write_text(
        "revision: {id: many, issued: 2021-02-01, amends: taierzhuang-2020-4}\n" + body + "\n",
        encoding="utf-8",
    )
    t = time.monotonic()
    r = policy("check", "--revision", rev)
    assert time.monotonic() - t < 30
    assert r.returncode == 1 and message in r.stderr, r.stderr


def test_definitions_nested_too_deep_are_reported_at_the_outermost(tmp_path):
    rev = tmp_path / "deep.yaml"
    rev.write_text(chain_revision(60, "{p} + 1", "{last} > 0"), encoding="utf-8")
    r = policy("check", "--revision", rev)
    assert r.returncode == 1
    errors = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, r.stderr
    assert "definition d60: definitions nest 61 deep here" in errors[0]
    assert "the limit is 50" in errors[0]
