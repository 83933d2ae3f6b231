#!/usr/bin/env python3
"""Benchmark of `policy` (issue 7, point 2): one run, the same seeded cases.

    pip install '.[bench]'
    python benchmarks/run.py            # full: a-f, batch over 1,000,000 cases
    python benchmarks/run.py --quick    # a few seconds per row, batch over 20,000 cases

What it times (µs per case, median of several passes after a warm-up pass,
CPU time of this process, time.process_time_ns; rows a-d run in this process,
on the same cases, and the policy forgets its remembered look-ups before
each pass):

 a. the floor: 职业培训补贴 (vocational_training) written by hand in plain
    Python (benchmarks/floor.py);
 b. `policy` deciding that program: explanations off and on, on converted
    facts and with case validation (CaseReader.convert);
 c. the same rule in zen-engine (compiled expression; JDM graph, trace off
    and on), rule-engine and JsonLogic (benchmarks/peers.py);
 d. the whole bundled policy (every program) per case, explanations off and on;
 e. `policy batch` over generated cases, --jobs 1 and 2, and --engine dask
    on a LocalCluster of 2 worker processes: cases per second and peak memory
    of all processes;
 f. `policy eval` on one example, wall time, against the bare imports.

Every result of a and c is checked against the policy's decision on every
case (outcome, amount; the floor also the failing clauses): a mismatch fails
the run (exit 1). The targets of the issue are printed with PASS or MISS.
See benchmarks/README.md for how to read the table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark the checkout this script is in

PROGRAM = "vocational_training"
EXAMPLE = "examples/vocational_training_intermediate.json"

TARGETS = {
    "b_off": "explanations off <= 3x the floor",
    "b_full": "full explanations <= 10x the floor",
    "c_peers": "explanations off faster than every peer",
    "e_memory": "batch peak memory < 200 MB",
    "e_scaling": "batch --jobs 2 >= 1.7x --jobs 1 (cases/s)",
    "f_startup": "policy eval <= 2.5x the bare imports (wall time)",
}
LIMITS = {"b_off": 3.0, "b_full": 10.0, "e_memory": 200.0, "e_scaling": 1.7, "f_startup": 2.5}


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Benchmark policy against a hand-written floor and peer rule engines.",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="fewer passes, batch over 20,000 cases (a fast, rougher run)",
    )
    ap.add_argument(
        "--n",
        type=int,
        default=None,
        metavar="N",
        help="cases for rows a-d (default 2000, --quick too: the policy forgets "
        "its remembered look-ups every round, which fewer cases amortise worse)",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=None,
        metavar="R",
        help="timed passes per row, the median is reported (default 5; --quick 3)",
    )
    ap.add_argument("--seed", type=int, default=2020, help="seed of the synthetic cases")
    ap.add_argument(
        "--cases",
        type=int,
        default=None,
        metavar="N",
        help="cases for `policy batch` (default 1,000,000; --quick 20,000)",
    )
    ap.add_argument(
        "--jobs",
        default="1,2",
        metavar="LIST",
        help="--jobs values for `policy batch` (default 1,2)",
    )
    ap.add_argument(
        "--dask-jobs",
        default="2",
        metavar="LIST",
        help="worker processes of a Dask LocalCluster for `policy batch --engine "
        "dask` (default 2; empty to skip)",
    )
    ap.add_argument(
        "--batch-runs",
        type=int,
        default=None,
        metavar="K",
        help="runs of `policy batch` per --jobs value, taking turns; the fastest "
        "counts (default 2; --quick 1)",
    )
    ap.add_argument(
        "--cli-runs",
        type=int,
        default=None,
        metavar="K",
        help="runs of `policy eval` and of the bare imports (default 15; --quick 5)",
    )
    ap.add_argument(
        "--slow-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a row whose pass takes longer is timed on a prefix of the cases "
        "(default 4; --quick 1)",
    )
    ap.add_argument("--skip-batch", action="store_true", help="skip e (policy batch)")
    ap.add_argument("--skip-cli", action="store_true", help="skip f (policy eval start-up)")
    ap.add_argument("--no-peers", action="store_true", help="skip c (the peer engines)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also profile the policy path (cProfile) and print the top costs",
    )
    ap.add_argument(
        "--json",
        dest="json_path",
        default=str(ROOT / "benchmarks" / "results.json"),
        metavar="FILE",
        help="write the results as JSON (default benchmarks/results.json)",
    )
    args = ap.parse_args(argv)
    q = args.quick
    args.n = args.n or 2000
    args.repeats = args.repeats or (3 if q else 5)
    args.cases = args.cases if args.cases is not None else (20_000 if q else 1_000_000)
    args.cli_runs = args.cli_runs or (5 if q else 15)
    args.batch_runs = max(1, args.batch_runs or (1 if q else 2))
    args.slow_budget = args.slow_budget or (1.0 if q else 4.0)
    try:
        args.jobs = [int(j) for j in args.jobs.split(",") if j.strip()]
        args.dask_jobs = [int(j) for j in args.dask_jobs.split(",") if j.strip()]
    except ValueError:
        ap.error("--jobs, --dask-jobs: a comma-separated list of numbers, e.g. 1,2")
    return args


# -- rows a-d ------------------------------------------------------------------------------


class Row:
    def __init__(self, rid, section, label, fn, inputs, note="", before=None):
        self.id, self.section, self.label = rid, section, label
        self.fn, self.inputs, self.note = fn, inputs, note
        # run before each timed pass: the policy forgets what it remembered of
        # the previous pass, so that every pass is timed as the first one
        self.before = before
        self.timed = inputs
        self.samples: list[int] = []  # ns per pass over the timed cases
        self.rounds = 1  # rounds over the cases per pass (warm sets it)
        self.error = None

    @property
    def us(self):
        if not self.samples:
            return None
        return statistics.median(self.samples) / len(self.timed) / 1000

    def spread(self):
        if not self.samples:
            return None, None
        n = len(self.timed) * 1000
        return min(self.samples) / n, max(self.samples) / n


# a timed pass lasts at least this long: a row faster than that goes over its
# cases several times per pass (a pass of a few milliseconds is at the mercy
# of any hiccup of the machine)
MIN_PASS_S = 0.25


def warm(row: Row, budget: float) -> list:
    """The warm-up pass over every case: returns the results (for the checks)
    and, for a row slower than ``budget`` seconds a pass, times it on a prefix;
    for a row faster than MIN_PASS_S, sets how many rounds make one pass."""
    fn = row.fn
    t0 = time.perf_counter()
    out = [fn(x) for x in row.inputs]
    took = time.perf_counter() - t0
    if took > budget and len(row.inputs) > 100:
        k = max(100, int(len(row.inputs) * budget / took))
        row.timed = row.inputs[:k]
        row.note = (row.note + "; " if row.note else "") + f"timed on the first {k} cases"
    row.rounds = max(1, min(50, int(MIN_PASS_S / max(took, 1e-6)) + 1))
    return out


def time_rows(rows: list[Row], repeats: int, progress) -> None:
    """Round-robin passes (each row once per round), so that a change in the
    machine's load spreads over every row rather than hitting one."""
    for r in range(repeats):
        for row in rows:
            if row.error:
                continue
            fn, xs = row.fn, row.timed
            gc.collect()
            total = 0
            for _round in range(row.rounds):
                if row.before is not None:
                    row.before()  # each round as cold as the first
                t0 = time.process_time_ns()
                for x in xs:
                    fn(x)
                total += time.process_time_ns() - t0
            row.samples.append(total // row.rounds)
        progress(f"  pass {r + 1}/{repeats} done")


class Check:
    def __init__(self, what):
        self.what = what
        self.compared = 0
        self.mismatches = 0
        self.examples: list = []

    def compare(self, got, want, case_index):
        self.compared += 1
        if got != want:
            self.mismatches += 1
            if len(self.examples) < 3:
                self.examples.append(
                    {"case": case_index, "got": _jsonable(got), "expected": _jsonable(want)}
                )

    def to_json(self):
        return {
            "what": self.what,
            "compared": self.compared,
            "mismatches": self.mismatches,
            "examples": self.examples,
        }


def _jsonable(v):
    return json.loads(json.dumps(v, default=str, ensure_ascii=False))


def _vt(result):
    from benchmarks.floor import policy_result

    for d in result.decisions:
        if d.program.id == PROGRAM:
            return policy_result(d)
    raise LookupError(PROGRAM)


# -- e: policy batch ---------------------------------------------------------------------------


def policy_command(env) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from cli import main; sys.argv[0] = 'policy'; sys.exit(main())",
    ]


def batch_command(env) -> tuple[list[str] | None, str]:
    """The `policy batch` command, or (None, why not)."""
    cmd = policy_command(env)
    r = subprocess.run(cmd + ["batch", "--help"], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode == 0:
        return cmd + ["batch"], "policy batch"
    return None, f"`policy batch --help` failed (exit {r.returncode}): {r.stderr.strip()[-300:]}"


def _tree_rss_mb(pid: int, include_root: bool = True) -> float:
    """Resident memory of a process and its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/statm", "rb") as f:
                rss[int(entry)] = int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total = rss.get(pid, 0) if include_root else 0
    todo = list(children.get(pid, ()))
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, ()))
    return total / 1e6


# A small launcher runs the command and reports its rusage: the ru_maxrss of a
# process started straight from this (large) process would count this
# process's memory too (Linux records the parent's high-water mark at exec).
LAUNCHER = """
import json, os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(p.pid, 0)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "exit": os.waitstatus_to_exitcode(status),
                  "ru_maxrss": usage.ru_maxrss}))
"""


def run_measured(cmd, env, cwd) -> dict:
    """Run cmd (through LAUNCHER): wall time, exit code, ru_maxrss of the
    command (its largest process, workers included) and, on Linux, the peak of
    the sum over its process tree (sampled every 0.1 s)."""
    peak = [0.0]
    done = threading.Event()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER] + list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def sample():
        while not done.wait(0.1):
            with contextlib.suppress(OSError):
                peak[0] = max(peak[0], _tree_rss_mb(proc.pid, include_root=False))

    sampler = None
    if os.path.isdir("/proc"):
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    out, err = proc.communicate()
    done.set()
    if sampler:
        sampler.join(1)
    try:
        r = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {
            "wall_s": float("nan"),
            "exit": proc.returncode,
            "ru_maxrss_mb": float("nan"),
            "tree_peak_mb": None,
            "stderr": err.decode("utf-8", "replace")[-2000:],
        }
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KB on Linux
    return {
        "wall_s": r["wall_s"],
        "exit": r["exit"],
        "ru_maxrss_mb": r["ru_maxrss"] * scale / 1e6,
        "tree_peak_mb": peak[0] or None,
        "stderr": err.decode("utf-8", "replace")[-2000:],
    }


def _other_id(pid, k: int):
    """Resident ID ``pid`` with its sequence number moved on by ``k`` (and
    the check digit made again): another person born the same day."""
    if not isinstance(pid, str) or len(pid) != 18 or not pid[:17].isdigit():
        return pid
    body = pid[:14] + f"{(int(pid[14:17]) + k) % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def bench_batch(args, policy, env, tmp: Path, log) -> dict:
    from benchmarks.cases import generate

    cmd, how = batch_command(env)
    if cmd is None:
        log(f"e. skipped: {how}")
        return {"skipped": how}
    n = args.cases
    distinct = min(n, 20_000)
    log(
        f"e. {how}: writing {n:,} cases ({distinct:,} distinct, seed {args.seed + 1}, "
        "repeated as other people) ..."
    )
    source, cases = generate(distinct, args.seed + 1, policy.catalog_values)
    path = tmp / "cases.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            c = cases[i % distinct]
            if i >= distinct:
                # a repeated case is another person: the real-name checks
                # would otherwise flag nearly every line, which no caseload does
                c = dict(
                    c,
                    applicant=dict(
                        c.get("applicant") or {},
                        id=_other_id((c.get("applicant") or {}).get("id"), i // distinct),
                    ),
                )
            f.write(json.dumps(c, ensure_ascii=False, separators=(",", ":")) + "\n")
    del cases
    runs = []
    digests = set()
    every = []
    variants = [("local", j) for j in args.jobs] + [("dask", j) for j in args.dask_jobs]
    # the variants take turns, args.batch_runs times: each reports its fastest
    # run (a shared machine slows some runs down, never speeds one up)
    for round_ in range(args.batch_runs):
        for engine, jobs in variants:
            name = f"{engine}-{jobs}"
            out = tmp / (f"decisions-{name}.jsonl" if engine == "local" else f"decisions-{name}")
            summary = tmp / f"summary-{name}.json"
            log(f"   --engine {engine} --jobs {jobs} (run {round_ + 1} of {args.batch_runs}) ...")
            extra = (
                ["--rejects", str(tmp / f"rejects-{name}.jsonl")]
                if engine == "local"
                else ["--engine", "dask"]
            )
            r = run_measured(
                cmd
                + [
                    str(path),
                    "--out",
                    str(out),
                    "--jobs",
                    str(jobs),
                    *extra,
                    "--summary-json",
                    str(summary),
                ],
                env,
                ROOT,
            )
            r["engine"], r["jobs"] = engine, jobs
            r["cases_per_s"] = n / r["wall_s"]
            try:
                s_ = json.loads(summary.read_text())
                r["decided"], r["rejected"] = s_.get("decided"), s_.get("rejected")
                summary.unlink()
            except (OSError, ValueError):
                r["decided"] = r["rejected"] = None
            (tmp / f"rejects-{name}.jsonl").unlink(missing_ok=True)  # no --force next round
            if out.exists():
                import hashlib
                import shutil

                h = hashlib.sha256()
                # the Dask engine's part files, in order, are the local output
                files = (
                    [out]
                    if out.is_file()
                    else sorted(
                        p
                        for p in out.iterdir()
                        if p.name.startswith("part-") and not p.name.endswith(".rejects.jsonl")
                    )
                )
                for file in files:
                    with open(file, "rb") as f:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                digests.add(h.hexdigest())
                if out.is_file():
                    out.unlink()
                else:
                    shutil.rmtree(out)
            if r["exit"] != 0:
                log(
                    f"   --engine {engine} --jobs {jobs} failed (exit {r['exit']}): "
                    f"{r['stderr'].strip()[-500:]}"
                )
            else:
                r.pop("stderr")
            every.append(r)
    for engine, jobs in variants:
        mine = [r for r in every if r["jobs"] == jobs and r["engine"] == engine]
        best = dict(max(mine, key=lambda r: (r["exit"] == 0, r["cases_per_s"])))
        best["cases_per_s_all"] = [round(r["cases_per_s"]) for r in mine]
        # memory: the largest of every run, not only the fastest
        for key in ("ru_maxrss_mb", "tree_peak_mb"):
            if key in best:
                best[key] = max(r.get(key, 0) or 0 for r in mine)
        if any(r["exit"] != 0 for r in mine):
            best["exit"] = next(r["exit"] for r in mine if r["exit"] != 0)
        runs.append(best)
    path.unlink()
    return {
        "command": how,
        "cases": n,
        "distinct_cases": distinct,
        "generator": source,
        "runs": runs,
        "outputs_identical": len(digests) == 1 if len(runs) > 1 else None,
    }


# -- f: policy eval start-up ---------------------------------------------------------------------


def bench_cli(args, env, log) -> dict:
    example = ROOT / EXAMPLE
    if not example.exists():
        found = sorted((ROOT / "examples").glob("*.json"))
        if not found:
            return {"skipped": "no example case in examples/"}
        example = found[0]
    eval_cmd = policy_command(env) + ["eval", str(example)]
    imports_cmd = [sys.executable, "-c", "import yaml, jsonschema, click, lark"]
    log(
        f"f. policy eval {example.relative_to(ROOT)} vs the bare imports, {args.cli_runs} runs each ..."
    )
    for cmd in (eval_cmd, imports_cmd, eval_cmd, imports_cmd):  # warm both caches
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
        if r.returncode != 0:
            return {
                "skipped": f"{' '.join(cmd[-2:])} failed: "
                + r.stderr.decode(errors="replace")[-300:]
            }
    times = {"eval": [], "imports": []}
    for _ in range(args.cli_runs):
        for name, cmd in (("eval", eval_cmd), ("imports", imports_cmd)):
            t0 = time.perf_counter_ns()
            subprocess.run(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            times[name].append((time.perf_counter_ns() - t0) / 1e6)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "example": str(example.relative_to(ROOT)),
        "runs": args.cli_runs,
        "eval_ms": med["eval"],
        "imports_ms": med["imports"],
        "ratio": med["eval"] / med["imports"],
        "eval_ms_all": [round(x, 1) for x in times["eval"]],
        "imports_ms_all": [round(x, 1) for x in times["imports"]],
    }


# -- profile -------------------------------------------------------------------------------------


def _generated_clause_lines(policy) -> dict[int, str]:
    """Line of the program's generated function (dsl/codegen.py, as the
    Evaluator builds it: one line per clause, listed in ``__lines__``) -> the
    vocational_training clause on it, to name the ``<policy rules>:N``
    entries of a profile."""
    try:
        from interpreter.evaluate import Evaluator

        ev = Evaluator(policy)
        program = policy.programs[PROGRAM]
        fn = ev._fast_functions(program)[0]
        lines = fn.__globals__["__lines__"]
    except Exception:  # noqa: BLE001 - only a label
        return {}
    return {
        number: program.clauses[i].id for number, i in lines.items() if i < len(program.clauses)
    }


def profile_rows(rows: list[Row], policy, top: int = 12) -> dict:
    import cProfile
    import pstats

    out = {}
    clause_lines = _generated_clause_lines(policy)
    for row in rows:
        pr = cProfile.Profile()
        fn, xs = row.fn, row.timed
        pr.enable()
        for x in xs:
            fn(x)
        pr.disable()
        st = pstats.Stats(pr)
        total = st.total_tt or 1e-9
        entries = []
        for (file, line, func), (_cc, nc, tt, ct, _callers) in sorted(
            st.stats.items(), key=lambda kv: kv[1][2], reverse=True
        )[:top]:
            where = (
                file
                if file.startswith("<") or file == "~"
                else (
                    os.path.relpath(file, ROOT) if file.startswith(str(ROOT)) else Path(file).name
                )
            )
            name = f"{where}:{line}({func})"
            if where == "<policy rules>" and func == "<lambda>" and line in clause_lines:
                name += f" — clause {clause_lines[line]}"
            entries.append(
                {
                    "function": name,
                    "calls": nc,
                    "tottime_share": tt / total,
                    "cumtime_share": ct / total,
                }
            )
        out[row.id] = {"cases": len(xs), "top_by_tottime": entries}
    return out


# -- the run ---------------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.time()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    from benchmarks import peers as peers_mod
    from benchmarks.cases import generate
    from benchmarks.floor import CLAUSES, Floor
    from catalogs.rules import RuleCatalogs
    from interpreter.cases import parse_json_text
    from interpreter.evaluate import Evaluator
    from interpreter.loader import load_policy

    policy = load_policy(catalogs=RuleCatalogs())
    ev = Evaluator(policy)
    program = policy.programs.get(PROGRAM)
    failures: list[str] = []
    if program is None:
        log(f"FAIL: the bundled policy has no program {PROGRAM}")
        return 1
    ids = tuple(c.id for c in program.clauses)
    if ids != CLAUSES:
        log(
            "FAIL: benchmarks/floor.py is out of sync with policy/programs/vocational_training.yaml:\n"
            f"  program clauses: {', '.join(ids)}\n  floor clauses:   {', '.join(CLAUSES)}"
        )
        return 1
    all_programs = list(policy.programs)

    load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
    log(f"generating {args.n} cases (seed {args.seed}) ...")
    source, raw = generate(args.n, args.seed, policy.catalog_values)
    texts = [json.dumps(c, ensure_ascii=False) for c in raw]
    parsed = [parse_json_text(t, f"case {i}") for i, t in enumerate(texts)]
    facts = [ev.reader.convert(p, f"case {i}") for i, p in enumerate(parsed)]
    floor = Floor(policy.catalog_values)

    vt = [PROGRAM]

    def p_off(f):
        return ev.decide(f, programs=vt, explain=False, converted=True)

    def p_full(f):
        return ev.decide(f, programs=vt, explain=True, converted=True)

    def p_off_valid(p):
        return ev.decide(p, programs=vt, explain=False)

    def p_full_valid(p):
        return ev.decide(p, programs=vt, explain=True)

    def p_off_text(t):
        return ev.decide(parse_json_text(t, "case"), programs=vt, explain=False)

    def all_off(f):
        return ev.decide(f, programs=all_programs, explain=False, converted=True)

    def all_full(f):
        return ev.decide(f, programs=all_programs, explain=True, converted=True)

    rows = [
        Row("a_floor", "a", "floor: hand-written Python", floor.decide, facts, "converted facts"),
        Row(
            "b_off",
            "b",
            "policy, explanations off",
            p_off,
            facts,
            "converted facts (converted=True)",
            before=ev.forget,
        ),
        Row(
            "b_full",
            "b",
            "policy, full explanations",
            p_full,
            facts,
            "converted facts (converted=True)",
            before=ev.forget,
        ),
        Row(
            "b_off_validated",
            "b",
            "policy, explanations off + validation",
            p_off_valid,
            parsed,
            "CaseReader.convert included (converted=False)",
            before=ev.forget,
        ),
        Row(
            "b_full_validated",
            "b",
            "policy, full explanations + validation",
            p_full_valid,
            parsed,
            "CaseReader.convert included (converted=False)",
            before=ev.forget,
        ),
        Row(
            "b_off_json",
            "b",
            "policy, explanations off, from JSON text",
            p_off_text,
            texts,
            "parse_json_text + validation included",
            before=ev.forget,
        ),
    ]
    checks: dict[str, Check] = {}
    peer_rows: list[Row] = []
    peer_notes = {}
    if not args.no_peers:
        for name in peers_mod.available():
            try:
                peer = peers_mod.build(name, policy.catalog_values)
            except Exception as exc:  # noqa: BLE001 - a peer that does not build is reported
                failures.append(f"peer {name} did not build: {type(exc).__name__}: {exc}")
                continue
            prepared = [peer.prepare(c, f) for c, f in zip(raw, facts)]
            note = f"input: {peer.input_form}"
            if peer.precomputed:
                note += f"; PRECOMPUTED: {peer.precomputed}"
            peer_notes[name] = {
                "label": peer.label,
                "input": peer.input_form,
                "precomputed": peer.precomputed or None,
            }
            peer_rows.append(Row(f"c_{name}", "c", peer.label, peer.decide, prepared, note))
        missing = [p for p in peers_mod.PEERS if p not in peers_mod.available()]
        if missing:
            log(
                "peers not installed (skipped): "
                + ", ".join(sorted(set(missing)))
                + f" — pip install {' '.join(peers_mod.requirements())}"
            )
    rows += peer_rows
    rows += [
        Row(
            "d_all_off",
            "d",
            f"whole policy ({len(all_programs)} programs), explanations off",
            all_off,
            facts,
            "every program decided per case",
            before=ev.forget,
        ),
        Row(
            "d_all_full",
            "d",
            f"whole policy ({len(all_programs)} programs), full explanations",
            all_full,
            facts,
            "every program decided per case",
            before=ev.forget,
        ),
    ]

    # warm-up passes, which are also the checks
    log(f"warm-up and cross-checks on {len(facts)} cases ...")
    results = {}
    for row in rows:
        try:
            results[row.id] = warm(row, args.slow_budget)
        except Exception as exc:  # noqa: BLE001 - reported as a failure of the row
            row.error = f"{type(exc).__name__}: {exc}"
            failures.append(f"{row.label}: raised {row.error}")
            log(f"  {row.label}: ERROR {row.error}")
    expected = [_vt(r) for r in results.get("b_off", [])]
    if expected:

        def check(cid, what, got):
            c = checks[cid] = Check(what)
            for i, (g, w) in enumerate(zip(got, expected)):
                c.compare(g, w, i)
            if len(got) != len(expected):
                c.mismatches += abs(len(got) - len(expected))

        if "a_floor" in results:
            check("floor", "floor vs policy (outcome, amount, failing clauses)", results["a_floor"])
        for rid, what in (
            ("b_full", "policy explanations on vs off"),
            ("b_off_validated", "policy with validation vs on converted facts"),
            ("b_full_validated", "policy explained with validation vs off"),
            ("b_off_json", "policy from JSON text vs converted facts"),
            ("d_all_off", "whole policy: its vocational_training decision"),
            ("d_all_full", "whole policy explained: its vocational_training decision"),
        ):
            if rid in results:
                check(rid, what, [_vt(r) for r in results[rid]])
        floor_results = results.get("a_floor", [])
        for row in peer_rows:
            if row.id not in results:
                continue
            c = checks[row.id] = Check(f"{row.label} vs floor (outcome, amount)")
            for i, (g, w) in enumerate(zip(results[row.id], floor_results)):
                c.compare(tuple(g), tuple(w[:2]), i)
    for c in checks.values():
        if c.mismatches:
            failures.append(f"{c.what}: {c.mismatches} of {c.compared} cases differ")
    del results

    log(f"timing: {args.repeats} passes per row, round-robin ...")
    time_rows(rows, args.repeats, log)
    profile = (
        profile_rows([r for r in rows if r.id in ("b_off", "b_full")], policy)
        if args.profile
        else None
    )

    # e, f: subprocesses, with their own caches in a temporary folder
    tmp = Path(tempfile.mkdtemp(prefix="policy-bench-"))
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    env["POLICY_CACHE_DIR"] = str(tmp / "policy-cache")
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")  # a warm bytecode cache, outside the repo
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        batch = (
            None
            if args.skip_batch
            else (
                bench_batch(args, policy, env, tmp, log)
                if args.cases > 0 and (args.jobs or args.dask_jobs)
                else {"skipped": "--cases 0 or no --jobs"}
            )
        )
        cli = None if args.skip_cli else bench_cli(args, env, log)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    if batch and batch.get("runs"):
        for r in batch["runs"]:
            if r["exit"] != 0 or (r.get("decided") is not None and r["decided"] != args.cases):
                failures.append(
                    f"policy batch --engine {r.get('engine', 'local')} "
                    f"--jobs {r['jobs']}: exit {r['exit']}, "
                    f"decided {r.get('decided')} of {args.cases}"
                )
        if batch.get("outputs_identical") is False:
            failures.append("policy batch: the outputs differ between --jobs values or engines")
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else None

    report = build_report(
        args,
        rows,
        checks,
        failures,
        batch,
        cli,
        profile,
        peer_notes,
        source,
        policy,
        load0,
        load1,
        started,
    )
    print_report(report)
    Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
    with open(args.json_path, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"\nwritten: {args.json_path}")
    return 1 if failures else 0


def build_report(
    args,
    rows,
    checks,
    failures,
    batch,
    cli,
    profile,
    peer_notes,
    source,
    policy,
    load0,
    load1,
    started,
) -> dict:
    by_id = {r.id: r for r in rows}
    floor_us = by_id["a_floor"].us
    out_rows = []
    for r in rows:
        lo, hi = r.spread()
        out_rows.append(
            {
                "id": r.id,
                "section": r.section,
                "label": r.label,
                "us_per_case": r.us,
                "ratio_to_floor": (r.us / floor_us) if (r.us and floor_us) else None,
                "min_us": lo,
                "max_us": hi,
                "timed_cases": len(r.timed),
                "passes": len(r.samples),
                "note": r.note,
                "error": r.error,
            }
        )
    targets = []

    def target(tid, value, status, detail):
        targets.append(
            {"id": tid, "target": TARGETS[tid], "value": value, "status": status, "detail": detail}
        )

    def ratio(rid):
        r = by_id.get(rid)
        return (r.us / floor_us) if (r and r.us and floor_us) else None

    for tid in ("b_off", "b_full"):
        x = ratio(tid)
        target(
            tid,
            x,
            "n/a" if x is None else ("PASS" if x <= LIMITS[tid] else "MISS"),
            None if x is None else f"{x:.1f}x the floor ({by_id[tid].us:.1f} vs {floor_us:.1f} µs)",
        )
    peer_us = {
        r.label: r.us for r in rows if r.section == "c" and r.us and "trace on" not in r.label
    }
    off = by_id["b_off"].us
    if peer_us and off:
        fastest = min(peer_us, key=peer_us.get)
        slower = [k for k, v in peer_us.items() if v <= off]
        target(
            "c_peers",
            off / peer_us[fastest],
            "PASS" if not slower else "MISS",
            f"policy {off:.1f} µs; fastest peer {fastest} {peer_us[fastest]:.1f} µs"
            + (f"; not faster than: {', '.join(slower)}" if slower else ""),
        )
    else:
        target("c_peers", None, "n/a", "no peer installed (pip install '.[bench]')")
    runs = (batch or {}).get("runs") or []
    ok_runs = [r for r in runs if r["exit"] == 0 and r.get("engine", "local") == "local"]
    if ok_runs:
        mem = max(max(r["ru_maxrss_mb"], r.get("tree_peak_mb") or 0) for r in ok_runs)
        target(
            "e_memory",
            mem,
            "PASS" if mem < LIMITS["e_memory"] else "MISS",
            "largest of ru_maxrss and the sampled sum over the process tree: "
            + ", ".join(
                f"--jobs {r['jobs']}: ru_maxrss {r['ru_maxrss_mb']:.0f} MB, tree "
                + (f"{r['tree_peak_mb']:.0f} MB" if r.get("tree_peak_mb") else "n/a")
                for r in ok_runs
            ),
        )
    else:
        target("e_memory", None, "n/a", (batch or {}).get("skipped", "skipped (--skip-batch)"))
    by_jobs = {r["jobs"]: r for r in ok_runs}
    if 1 in by_jobs and 2 in by_jobs:
        s = by_jobs[2]["cases_per_s"] / by_jobs[1]["cases_per_s"]
        target(
            "e_scaling",
            s,
            "PASS" if s >= LIMITS["e_scaling"] else "MISS",
            f"{by_jobs[1]['cases_per_s']:.0f} -> {by_jobs[2]['cases_per_s']:.0f} cases/s"
            f" on {os.cpu_count()} CPUs",
        )
    else:
        target("e_scaling", None, "n/a", (batch or {}).get("skipped", "needs --jobs 1 and 2"))
    if cli and "ratio" in cli:
        target(
            "f_startup",
            cli["ratio"],
            "PASS" if cli["ratio"] <= LIMITS["f_startup"] else "MISS",
            f"{cli['eval_ms']:.0f} ms vs {cli['imports_ms']:.0f} ms (median of {cli['runs']})",
        )
    else:
        target("f_startup", None, "n/a", (cli or {}).get("skipped", "skipped (--skip-cli)"))

    def version(dist):
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as v

        try:
            return v(dist)
        except PackageNotFoundError:
            return None

    return {
        "format": 1,
        "when": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_start": load0,
            "loadavg_end": load1,
        },
        "settings": {
            "quick": args.quick,
            "cases": args.n,
            "seed": args.seed,
            "passes": args.repeats,
            "batch_cases": args.cases,
            "jobs": args.jobs,
            "cli_runs": args.cli_runs,
        },
        "generator": source,
        "policy": policy.hash,
        "versions": {
            d: version(d)
            for d in (
                "zen-engine",
                "rule-engine",
                "panzi-json-logic",
                "lark",
                "PyYAML",
                "jsonschema",
                "click",
            )
        },
        "rows": out_rows,
        "peers": peer_notes,
        "checks": [c.to_json() for c in checks.values()],
        "batch": batch,
        "cli": cli,
        "targets": targets,
        "profile": profile,
        "failures": failures,
        "ok": not failures,
    }


SECTION = {
    "a": "a. floor",
    "b": "b. policy: vocational_training",
    "c": "c. peers (same rule)",
    "d": "d. whole policy per case",
}


def print_report(rep: dict) -> None:
    m, s = rep["machine"], rep["settings"]
    print(
        f"policy benchmark — {rep['when']} — Python {m['python']} on {m['platform']}, "
        f"{m['cpus']} CPUs, load {_load(m['loadavg_start'])} -> {_load(m['loadavg_end'])}"
    )
    print(
        f"cases: {s['cases']} from {rep['generator']}; {s['passes']} timed passes per row, "
        "median; rows a-d in this process"
    )
    if (
        m["loadavg_start"]
        and m["cpus"]
        and max(m["loadavg_start"][0], (m["loadavg_end"] or [0])[0]) > 0.5
    ):
        print("note: the machine was busy (load average above); expect noisy numbers")
    width = max(len(r["label"]) for r in rep["rows"]) + 2
    print()
    print(f"{'':{width}}{'µs/case':>10}{'× floor':>10}   range µs       note")
    section = None
    for r in rep["rows"]:
        if r["section"] != section:
            section = r["section"]
            print(SECTION[section])
        if r["error"]:
            print(f"  {r['label']:{width - 2}}{'ERROR':>10}            {r['error']}")
            continue
        ratio = f"{r['ratio_to_floor']:.1f}" if r["ratio_to_floor"] is not None else "-"
        rng = f"{r['min_us']:.1f}–{r['max_us']:.1f}" if r["min_us"] is not None else ""
        print(
            f"  {r['label']:{width - 2}}{r['us_per_case']:>10.1f}{ratio:>10}   {rng:<14} {r['note']}"
        )
    if rep["peers"]:
        pre = [
            f"{v['label']}: {v['precomputed']}" for v in rep["peers"].values() if v["precomputed"]
        ]
        print(
            "peers: the same twelve clauses and amount, three-valued for missing facts; "
            "catalogues written into the rules as literals."
        )
        for p in pre:
            print(f"  precomputed input — {p}")
    print()
    print("cross-checks (every case)")
    for c in rep["checks"]:
        mark = "ok  " if not c["mismatches"] else "FAIL"
        print(f"  {mark} {c['what']}: {c['compared']} compared, {c['mismatches']} mismatches")
        for ex in c["examples"]:
            print(f"       case {ex['case']}: got {ex['got']}, expected {ex['expected']}")
    b = rep.get("batch")
    print()
    if b and b.get("runs"):
        print(f"e. {b['command']} over {b['cases']:,} cases ({b['distinct_cases']:,} distinct)")
        for r in b["runs"]:
            tree = f", tree peak {r['tree_peak_mb']:.0f} MB" if r.get("tree_peak_mb") else ""
            status = "" if r["exit"] == 0 else f"  FAILED exit {r['exit']}"
            others = r.get("cases_per_s_all") or []
            runs = (
                (f" (fastest of {len(others)} runs: " + ", ".join(f"{x:,}" for x in others) + ")")
                if len(others) > 1
                else ""
            )
            engine = "" if r.get("engine", "local") == "local" else f"--engine {r['engine']} "
            print(
                f"  {engine}--jobs {r['jobs']}: {r['cases_per_s']:,.0f} cases/s "
                f"({r['wall_s']:.1f} s)"
                f"{runs}, ru_maxrss {r['ru_maxrss_mb']:.0f} MB{tree}{status}"
            )
        if b.get("outputs_identical") is not None:
            print(
                f"  outputs identical across --jobs and engines: "
                f"{'yes' if b['outputs_identical'] else 'NO'}"
            )
    elif b:
        print(f"e. batch skipped: {b.get('skipped')}")
    c = rep.get("cli")
    if c and "ratio" in c:
        print(
            f"f. policy eval {c['example']}: {c['eval_ms']:.0f} ms; "
            f"python -c 'import yaml, jsonschema, click, lark': {c['imports_ms']:.0f} ms; "
            f"ratio {c['ratio']:.2f} (median of {c['runs']}, warm caches)"
        )
    elif c:
        print(f"f. skipped: {c.get('skipped')}")
    print()
    print("targets (issue 7)")
    for t in rep["targets"]:
        print(f"  {t['status']:<5} {t['target']}" + (f" — {t['detail']}" if t["detail"] else ""))
    if rep.get("profile"):
        print()
        for rid, p in rep["profile"].items():
            print(f"profile {rid} ({p['cases']} cases), top by own time:")
            for e in p["top_by_tottime"][:10]:
                print(
                    f"  {e['tottime_share'] * 100:5.1f}%  (cum {e['cumtime_share'] * 100:5.1f}%)  "
                    f"{e['calls']:>8}  {e['function']}"
                )
    print()
    if rep["failures"]:
        print("FAILED:")
        for f in rep["failures"]:
            print(f"  {f}")
    else:
        print("all cross-checks passed")


def _load(x):
    return "?" if not x else f"{x[0]:.2f}"


if __name__ == "__main__":
    sys.exit(main())
