"""Bounded work for bounded input (issue 12, 5, and issue 13, 6), attacked:
numbers limited as text before any arithmetic, batch lines limited in length
and rejected (never aborting the batch), definitions compiled once however
often they are used, and the size of a policy bounded."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from interpreter.cases import MAX_FRACTION_DIGITS
from population.batch import MAX_LINE_BYTES

ROOT = Path(__file__).resolve().parent.parent
GOOD = json.dumps(json.loads((ROOT / "examples" / "skill_upgrade_senior.json")
                             .read_text(encoding="utf-8")), ensure_ascii=False)


def policy(*args, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *map(str, args)],
                          stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def peak_rss_kb(*args) -> tuple[subprocess.CompletedProcess, int]:
    """Run the command in a child of a fresh interpreter and give the child's
    peak resident memory."""
    code = ("import resource, subprocess, sys; "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(r.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(r.stderr)")
    r = subprocess.run([sys.executable, "-c", code, sys.executable, "-c",
                        "import cli; cli.main()", *map(str, args)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    rc, rss = r.stdout.split()
    r.returncode = int(rc)
    return r, int(rss)


# -- numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("number,why", [
    ("1e-99999999", "the 44-byte case of the issue: 100 MB of digits, 1 GB of memory"),
    ("1E9999999999999999999", "an exponent Decimal cannot hold: exit 3"),
    ("1e-999999999999999999999", "both"),
    ("0." + "0" * MAX_FRACTION_DIGITS + "1", "one digit too many after the point"),
    ("9" * 65, "65 characters"),
])
def test_a_number_is_refused_as_text_before_any_arithmetic(tmp_path, number, why):
    f = tmp_path / "case.json"
    f.write_text('{"applicant":{"insured_months":%s}}' % number, encoding="utf-8")
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
    f.write_text(json.dumps(case).replace('"insured_months": 38',
                                          '"insured_months": 38.000000000000'), encoding="utf-8")
    assert policy("eval", f).returncode == 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_bad_numbers_and_lone_surrogates_are_rejected_lines_not_a_stopped_batch(tmp_path, jobs):
    """Issue 13 point 6: one such line aborted the batch (after 1,000 lines)."""
    bad = {1200: '{"applicant":{"insured_months":1E9999999999999999999}}',
           1201: '{"applicant":{"insured_months":1e-99999999}}',
           1500: '{"\\ud800":1}',
           1501: '{"applicant":{"\\udfff":1}}'}
    lines = [bad.get(n, GOOD) for n in range(1, 2001)]
    cases = tmp_path / "c.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "d.jsonl"
    r = policy("batch", cases, "--out", out, "--jobs", jobs)
    assert r.returncode == 0, r.stderr
    assert "2000 case(s): 1996 decided, 4 rejected" in r.stderr
    rejects = [json.loads(x) for x in (tmp_path / "d.rejects.jsonl")
               .read_text(encoding="utf-8").splitlines()]
    assert [x["line"] for x in rejects] == sorted(bad)
    assert rejects[2]["context"] == "field \ud800"          # a valid JSON escape, read back
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1996


def test_a_csv_cell_with_a_bad_number_is_a_rejected_row(tmp_path):
    cases = tmp_path / "c.csv"
    cases.write_text("applicant.insured_months,application.date\n"
                     "38,2020-10-09\n1e-99999999,2020-10-09\n1E9999999999999999999,2020-10-09\n",
                     encoding="utf-8")
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
    assert peak - base < 20 * 1024, (base, peak)            # kB: nowhere near 40 MB more
    reject = json.loads((tmp_path / "d.rejects.jsonl").read_text(encoding="utf-8"))
    assert reject["line"] == 2 and len(reject["text"]) <= 1001      # its start only


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
    f.write_text('{"case": {}, "decisions": [], "x": "' + "y" * (MAX_LINE_BYTES + 1) + '"}\n',
                 encoding="utf-8")
    r = policy("report", f)
    assert r.returncode == 2 and "bytes long" in r.stderr and "Traceback" not in r.stderr
