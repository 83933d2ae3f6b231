"""A restartable `policy batch` (issue 20, point 1): a real run is stopped
with SIGINT sent to its whole process group, as a terminal's Ctrl-C is, at
several points, with one and two worker processes; each stop leaves a
partial output that ends at a complete line, one line on stderr saying how
to go on, exit 130, no worker traces; `--resume` finishes it into the same
bytes as a run that was never stopped (decisions, rejects, summary, with
real-name flags that name lines on both sides of every stop). A changed
input, policy or option is refused (exit 2); a partial run is never
overwritten without --resume or --force."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import ROOT, with_repeated_persons

BAD = '{"applicant": {"insured_months": "twenty"}, "application": {"date": "2020-05-01"}}'
N = 12000


def command(*args) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", *map(str, args)]


def policy(*args, timeout=300):
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def stopped(args, watch: Path, at_bytes: int, sig=signal.SIGINT):
    """Run `policy ARGS` in a process group of its own and send ``sig`` to the
    whole group (the parent and its workers, as Ctrl-C at a terminal does)
    once ``watch`` holds ``at_bytes`` bytes (0: once it exists)."""
    p = subprocess.Popen(
        command(*args),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while p.poll() is None and time.monotonic() < deadline:
        try:
            if watch.stat().st_size >= at_bytes:
                break
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    if p.poll() is None:
        os.killpg(p.pid, sig)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # never leave a hung run behind
        raise
    return p.returncode, out, err


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    """N generated cases with repeated persons all over the file, and two bad lines."""
    d = tmp_path_factory.mktemp("resume")
    raw = d / "generated.jsonl"
    r = policy("generate", N, "--seed", 20, "--out", raw)
    assert r.returncode == 0, r.stderr
    lines = with_repeated_persons(raw.read_text(encoding="utf-8").splitlines(), seed=20)
    lines[17] = BAD
    lines[N - 40] = BAD
    cases = d / "cases.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ref = d / "ref.jsonl"
    r = policy(
        "batch", cases, "--out", ref, "--summary-json", d / "ref.summary.json", "--chunk-size", 100
    )
    assert r.returncode == 0, r.stderr
    decided = ref.read_bytes()
    flagged = [json.loads(x) for x in decided.splitlines() if b'"flags"' in x]
    # the flags reach far back: both checks, and conflicts thousands of lines apart
    assert {f["check"] for x in flagged for f in x["flags"]} == {
        "same_occupation_level",
        "three_per_year",
    }
    assert (
        max(
            x["line"] - int(f["conflicts_with"][0].rsplit(":", 1)[1])
            for x in flagged
            for f in x["flags"]
        )
        > N // 2
    )
    return cases, d


def manifest(out: Path) -> dict:
    return json.loads(Path(str(out) + ".manifest.json").read_text(encoding="utf-8"))


def check_stop(rc, err, out: Path, resumed: bool):
    """What a stopped run leaves: exit 130, one line (after the resuming
    note), no traceback, a partial file of complete lines that the manifest
    accounts for."""
    assert rc == 130, err
    assert "Traceback" not in err and "ForkPoolWorker" not in err and "Aborted" not in err
    lines = [x for x in err.strip().splitlines() if not x.startswith("rejected: ")]
    if resumed and lines and lines[0].startswith("resuming after line"):
        lines = lines[1:]
    assert len(lines) == 1, err
    assert lines[0].startswith("interrupted") and "--resume" in lines[0], err
    partial = Path(str(out) + ".partial")
    data = partial.read_bytes()
    m = manifest(out)
    assert len(data) == m["files"]["decisions"]["bytes"]
    assert data == b"" or data.endswith(b"\n")
    decided = [json.loads(x) for x in data.splitlines()]  # every line complete
    assert len(decided) == m["summary"]["decided"]
    if decided:
        assert decided[-1]["line"] < m["done"]["line"]
    return m


@pytest.mark.parametrize("jobs", [1, 2])
def test_stopped_at_several_points_and_resumed_gives_the_same_bytes(population, tmp_path, jobs):
    cases, ref_dir = population
    ref = (ref_dir / "ref.jsonl").read_bytes()
    out = tmp_path / "d.jsonl"
    args = [
        "batch",
        cases,
        "--out",
        out,
        "--jobs",
        jobs,
        "--chunk-size",
        100,
        "--summary-json",
        tmp_path / "summary.json",
    ]
    partial = Path(str(out) + ".partial")
    seen = []
    for i, share in enumerate((0, 0.15, 0.5, 0.85)):
        watch = partial if share else Path(str(out) + ".manifest.json")
        rc, _out, err = stopped(args + (["--resume"] if i else []), watch, int(len(ref) * share))
        m = check_stop(rc, err, out, resumed=bool(i))
        seen.append(m["done"]["line"])
        assert not out.exists()
    assert seen == sorted(seen) and seen[-1] > N // 2  # each run went further
    r = policy(*args, "--resume")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == ref
    assert (tmp_path / "d.rejects.jsonl").read_bytes() == (
        ref_dir / "ref.rejects.jsonl"
    ).read_bytes()
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    expected = json.loads((ref_dir / "ref.summary.json").read_text(encoding="utf-8"))
    for s in (summary, expected):
        s.pop("output"), s.pop("rejects")
    assert summary == expected
    # nothing of the resume is left
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "d.jsonl",
        "d.rejects.jsonl",
        "summary.json",
    ]


def test_killed_outright_and_stopped_by_sigterm_resume_too(population, tmp_path):
    """SIGKILL leaves the partial file possibly past the last manifest (a
    chunk half written): --resume cuts it back. SIGTERM stops like Ctrl-C."""
    cases, ref_dir = population
    ref = (ref_dir / "ref.jsonl").read_bytes()
    out = tmp_path / "d.jsonl"
    args = ["batch", cases, "--out", out, "--jobs", 2, "--chunk-size", 100]
    partial = Path(str(out) + ".partial")
    rc, _o, _e = stopped(args, partial, len(ref) // 3, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert partial.stat().st_size >= manifest(out)["files"]["decisions"]["bytes"] > 0
    rc, _o, err = stopped(args + ["--resume"], partial, 2 * len(ref) // 3, signal.SIGTERM)
    check_stop(rc, err, out, resumed=True)
    r = policy(*args, "--resume")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == ref


# -- refusals, in-process (the stop is a KeyboardInterrupt after the third chunk) ----------


def run(*args):
    from cli import cli

    return CliRunner().invoke(cli, ["batch", *map(str, args)])


@pytest.fixture
def interrupted(population, tmp_path, monkeypatch):
    """A small batch stopped after three chunks of 50 cases, with its case file."""
    from population.resume import ResumableBatch

    cases, _ = population
    small = tmp_path / "cases.jsonl"
    small.write_text(
        "".join(cases.read_text(encoding="utf-8").splitlines(True)[:600]), encoding="utf-8"
    )
    commit = ResumableBatch.commit
    calls = []

    def stop_after_three(self, *a):
        commit(self, *a)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(ResumableBatch, "commit", stop_after_three)
    out = tmp_path / "d.jsonl"
    r = run(small, "--out", out, "--chunk-size", 50)
    assert r.exit_code == 130, r.output
    assert r.stderr.strip().splitlines()[-1] == (
        f"interrupted: 150 case(s) up to line 150 of {small} are kept "
        f"in {out}.partial; to go on, run the same command again "
        "with --resume"
    )
    monkeypatch.setattr(ResumableBatch, "commit", commit)
    return small, out


def test_a_partial_run_is_not_replaced_without_resume_or_force(interrupted, tmp_path):
    small, out = interrupted
    before = Path(str(out) + ".partial").read_bytes()
    r = run(small, "--out", out, "--chunk-size", 50)
    assert r.exit_code == 2
    assert f"an interrupted batch into {out} stopped after line 150 of {small}" in r.stderr
    assert "give --resume to go on from there, or --force to start again" in r.stderr
    assert Path(str(out) + ".partial").read_bytes() == before
    r = run(small, "--out", out, "--force")  # starts again, from line 1
    assert r.exit_code == 0 and "resuming" not in r.stderr
    ref = tmp_path / "ref.jsonl"
    assert run(small, "--out", ref).exit_code == 0
    assert out.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize("change", ["input", "policy", "as_of", "explain", "history"])
def test_resuming_against_a_change_is_refused(interrupted, tmp_path, policy_copy, change):
    small, out = interrupted
    extra = []
    if change == "input":
        with open(small, "a", encoding="utf-8") as f:
            f.write(BAD + "\n")
        why = "the case file has changed since the interrupted run"
    elif change == "policy":
        p = policy_copy / "standards.yaml"
        p.write_text(
            p.read_text(encoding="utf-8") + "\n# a comment changes the hash\n", encoding="utf-8"
        )
        extra = ["--policy", policy_copy]
        why = "the policy has changed since the interrupted run"
    elif change == "as_of":
        extra = ["--as-of", "2021-12-31"]
        why = "--as-of differs"
    elif change == "explain":
        extra = ["--explain"]
        why = "--explain differs"
    else:
        h = tmp_path / "history.jsonl"
        h.write_text("", encoding="utf-8")
        extra = ["--history", h]
        why = "the history file has changed"
    before = Path(str(out) + ".partial").read_bytes()
    r = run(small, "--out", out, "--resume", *extra)
    assert r.exit_code == 2, r.output
    assert f"cannot resume: {why}" in r.stderr and "--force" in r.stderr
    assert Path(str(out) + ".partial").read_bytes() == before
    assert not out.exists()


def test_resume_without_a_partial_run_starts_from_the_first_line(population, tmp_path):
    cases, ref_dir = population
    out = tmp_path / "d.jsonl"
    r = run(cases, "--out", out, "--resume", "--jobs", 2)
    assert r.exit_code == 0 and "resuming" not in r.stderr
    assert out.read_bytes() == (ref_dir / "ref.jsonl").read_bytes()


def test_resume_needs_files(population, tmp_path):
    cases, _ = population
    r = run("-", "--out", tmp_path / "d.jsonl", "--resume")
    assert r.exit_code == 2 and "cannot be resumed" in r.output
    r = run(cases, "--out", "-", "--resume")
    assert r.exit_code == 2 and "cannot be resumed" in r.output


def test_a_damaged_partial_file_is_refused(interrupted):
    small, out = interrupted
    partial = Path(str(out) + ".partial")
    partial.write_bytes(partial.read_bytes()[:100])
    r = run(small, "--out", out, "--resume")
    assert r.exit_code == 2
    assert "shorter" in r.stderr and "--force" in r.stderr


def test_csv_resumes_at_a_record_with_a_quoted_line_break(tmp_path, monkeypatch, bundled_policy):
    """CSV goes on at the byte where the last finished row ended, even when
    rows hold line breaks in quoted cells (a note column)."""
    from population.batch import csv_columns
    from population.resume import ResumableBatch
    from population.synthetic import generate, write_csv

    cases = list(generate(300, 4, policy=bundled_policy, catalog=bundled_policy.catalog_values))
    for i, c in enumerate(cases):
        c["_note"] = f"row {i}\nsecond line" if i % 7 == 0 else ""
    f = tmp_path / "cases.csv"
    with open(f, "w", encoding="utf-8", newline="") as fh:
        write_csv(cases, fh, csv_columns(bundled_policy) + ["_note"])
    ref = tmp_path / "ref.jsonl"
    assert run(f, "--out", ref).exit_code == 0
    commit = ResumableBatch.commit
    calls = []

    def stop(self, *a):
        commit(self, *a)
        calls.append(1)
        if len(calls) in (2, 5):
            raise KeyboardInterrupt

    monkeypatch.setattr(ResumableBatch, "commit", stop)
    out = tmp_path / "d.jsonl"
    assert run(f, "--out", out, "--chunk-size", 30).exit_code == 130
    assert run(f, "--out", out, "--chunk-size", 30, "--resume").exit_code == 130
    assert run(f, "--out", out, "--chunk-size", 45, "--resume").exit_code == 0
    assert out.read_bytes() == ref.read_bytes()
    assert out.read_bytes().count(b"\n") == 300


def test_a_failure_after_chunks_were_done_keeps_them(interrupted, tmp_path, monkeypatch):
    """A bug (exit 3) in a resumed run loses nothing of the earlier run: the
    chunks done stay for the next --resume (a fresh batch that fails before
    any chunk keeps nothing: tests/test_batch.py)."""
    from interpreter.evaluate import Evaluator
    from population.batchline import BatchLine

    small, out = interrupted
    ref = tmp_path / "ref.jsonl"
    assert run(small, "--out", ref).exit_code == 0
    decide, short = Evaluator.decide, BatchLine.decide_text
    # the bug on both paths of a line: the general one and the short one
    monkeypatch.setattr(Evaluator, "decide", lambda self, *a, **k: 1 / 0)
    monkeypatch.setattr(BatchLine, "decide_text", lambda self, *a, **k: 1 / 0)
    r = run(small, "--out", out, "--resume", "--chunk-size", 50)
    assert r.exit_code == 3, r.output
    assert f"stopped: 150 case(s) up to line 150 of {small} are kept in {out}.partial" in r.stderr
    assert "internal error" in r.stderr
    monkeypatch.setattr(Evaluator, "decide", decide)
    monkeypatch.setattr(BatchLine, "decide_text", short)
    r = run(small, "--out", out, "--resume")
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == ref.read_bytes()
