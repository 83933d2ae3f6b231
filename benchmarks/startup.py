"""Start-up and a policy ten times larger (issue 21, points 3 and 4): rows f2
and g of benchmarks/run.py, each with its targets.

f2. ``policy eval`` on one example against ``python -c "import yaml,
    jsonschema, click, lark"``: CPU time (user + system) of each whole process,
    as the operating system accounts the finished child. The two commands take
    turns (A B, then B A), the ratio is taken pair by pair and the median ratio
    counts, so a change in the machine's load moves both sides of a ratio
    alike. Warm: the policy cache filled by an earlier run; cold: an empty
    cache folder for every run (the bytecode cache is warm in both).
g.  the bundled policy against one with ten copies of each program, both
    generated afresh by benchmarks/big_policy.py into the run's temporary
    folder (the 7-program one with one copy, so both are read the same way):
    load and first ``policy eval`` of the same example, paired as in f2 (warm
    caches, a cache folder each; a cold pair is reported too); and per case with every program
    decided, explanations off and full, in this process (the median CPU time
    of passes that take turns), after checking that every copy decides every
    case as its original does and that the seven originals decide as in the
    bundled policy. The loaded policies and the converted cases are then
    frozen out of the garbage collector's way (``gc.freeze``), as ``policy
    batch`` freezes its policy.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

TARGETS = {
    "f2_warm": ("policy eval, warm cache <= 0.6x the bare imports (CPU)", 0.6),
    "f2_cold": ("policy eval, cold cache <= 2x the bare imports (CPU)", 2.0),
    "g_load": ("70 programs: load and first policy eval <= 1.5x the 7 (CPU, warm)", 1.5),
    "g_off": ("70 programs: per case, every program decided <= 11x the 7", 11.0),
    "g_full": ("70 programs: per case, every program, full explanations <= 11x the 7", 11.0),
}
IMPORTS = "import yaml, jsonschema, click, lark"


def cpu_seconds(cmd: list[str], env: dict, cwd: Path) -> tuple[float, int]:
    """(user + system CPU seconds, exit code) of one run of ``cmd``."""
    p = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, p.returncode


def paired(a, b, runs: int, cwd: Path) -> dict:
    """``a`` and ``b``: (run number) -> (cmd, env). Taking turns, A B then B A."""
    ratios, ta, tb, failed = [], [], [], []
    for i in range(runs):
        order = ("a", "b") if i % 2 == 0 else ("b", "a")
        got = {}
        for side in order:
            cmd, env = (a if side == "a" else b)(i)
            got[side], code = cpu_seconds(cmd, env, cwd)
            if code != 0:
                failed.append(f"{' '.join(cmd[-3:])}: exit {code}")
        ta.append(got["a"])
        tb.append(got["b"])
        ratios.append(got["a"] / got["b"] if got["b"] else float("inf"))
    return {
        "runs": runs,
        "a_ms": statistics.median(ta) * 1000,
        "b_ms": statistics.median(tb) * 1000,
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "failed": failed,
    }


def _target(tid: str, value, detail: str) -> dict:
    what, limit = TARGETS[tid]
    status = "n/a" if value is None else ("PASS" if value <= limit else "MISS")
    return {"id": tid, "target": what, "value": value, "status": status, "detail": detail}


# -- f2: start-up --------------------------------------------------------------------------------


def bench_startup(
    policy_cmd: list[str],
    python: str,
    env: dict,
    example: Path,
    runs: int,
    tmp: Path,
    cwd: Path,
    log,
) -> dict:
    log(
        f"f2. policy eval {example.name}, warm and cold cache, against `{IMPORTS}`: "
        f"{runs} pairs each ..."
    )
    imports = ([python, "-c", IMPORTS], env)
    warm_env = dict(env, POLICY_CACHE_DIR=str(tmp / "cache-f2"))
    eval_cmd = policy_cmd + ["eval", str(example)]
    for _ in range(2):  # fills the policy cache and the bytecode cache
        cpu_seconds(eval_cmd, warm_env, cwd)
        cpu_seconds(imports[0], env, cwd)
    warm = paired(lambda i: (eval_cmd, warm_env), lambda i: imports, runs, cwd)
    cold = paired(
        lambda i: (eval_cmd, dict(env, POLICY_CACHE_DIR=str(tmp / f"cache-f2-cold-{i}"))),
        lambda i: imports,
        runs,
        cwd,
    )
    out = {"example": example.name, "warm": warm, "cold": cold, "targets": []}
    for tid, r in (("f2_warm", warm), ("f2_cold", cold)):
        out["targets"].append(
            _target(
                tid,
                None if r["failed"] else r["ratio"],
                f"{r['a_ms']:.0f} ms vs {r['b_ms']:.0f} ms CPU; ratio median of {r['runs']} pairs "
                f"{r['ratio']:.2f} ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})"
                + (f"; FAILED: {r['failed'][0]}" if r["failed"] else ""),
            )
        )
    return out


# -- g: ten times the policy ---------------------------------------------------------------------


def _outcome(d):
    return (d.outcome, None if d.amount is None else str(d.amount))


def bench_ten_times(
    policy_cmd: list[str],
    env: dict,
    example: Path,
    runs: int,
    tmp: Path,
    cwd: Path,
    n_cases: int,
    repeats: int,
    seed: int,
    log,
) -> dict:
    from benchmarks.big_policy import generate
    from benchmarks.cases import generate as generate_cases
    from interpreter.cases import parse_json_text
    from interpreter.evaluate import Evaluator
    from interpreter.loader import load_policy

    seven = generate(tmp / "policy-7", copies=1)
    big = generate(tmp / "policy-70", copies=10)
    failures: list[str] = []
    # load and first eval, whole processes
    log(f"g. policy eval {example.name} under 70 programs against 7: {runs} pairs, warm ...")
    # a cache folder each, so that neither run reads the other's entries
    genv = {
        big: dict(env, POLICY_CACHE_DIR=str(tmp / "cache-g70")),
        seven: dict(env, POLICY_CACHE_DIR=str(tmp / "cache-g7")),
    }

    def cmd(folder):
        return policy_cmd + ["eval", "--policy", str(folder), str(example)]

    outs = {}
    for folder in (big, seven, big, seven):  # fills the caches; the outputs compared
        r = subprocess.run(cmd(folder), cwd=cwd, env=genv[folder], capture_output=True)
        outs[folder] = r.stdout
        if r.returncode != 0:
            failures.append(f"policy eval --policy {folder.parent.name}: exit {r.returncode}")
    if outs.get(big) != outs.get(seven):
        failures.append("policy eval: the 70-program policy decides the example differently")
    warm = paired(lambda i: (cmd(big), genv[big]), lambda i: (cmd(seven), genv[seven]), runs, cwd)
    cold_runs = max(1, min(runs, 3))
    log(f"   ... and cold, {cold_runs} pairs ...")
    cold = paired(
        lambda i: (cmd(big), dict(env, POLICY_CACHE_DIR=str(tmp / f"cache-g-cold-a{i}"))),
        lambda i: (cmd(seven), dict(env, POLICY_CACHE_DIR=str(tmp / f"cache-g-cold-b{i}"))),
        cold_runs,
        cwd,
    )
    failures += warm["failed"] + cold["failed"]

    # per case, in this process
    log(f"   ... per case, every program decided: {n_cases} cases, {repeats} passes ...")
    p7 = load_policy(seven)
    p70 = load_policy(big)
    ev7, ev70 = Evaluator(p7), Evaluator(p70)
    _source, raw = generate_cases(n_cases, seed, p7.catalog_values)
    parsed = [
        parse_json_text(json.dumps(c, ensure_ascii=False), f"case {i}") for i, c in enumerate(raw)
    ]
    f7 = [ev7.reader.convert(p, f"case {i}") for i, p in enumerate(parsed)]
    f70 = [ev70.reader.convert(p, f"case {i}") for i, p in enumerate(parsed)]
    all7, all70 = list(p7.programs), list(p70.programs)
    mismatches = 0
    for a, b in zip(f7, f70):
        d7 = {
            d.program.id: _outcome(d)
            for d in ev7.decide(a, programs=all7, explain=False, converted=True).decisions
        }
        d70 = {
            d.program.id: _outcome(d)
            for d in ev70.decide(b, programs=all70, explain=False, converted=True).decisions
        }
        for pid, got in d70.items():
            original = pid.split("_copy")[0]
            if d7.get(original) != got:
                mismatches += 1
    if mismatches:
        failures.append(f"70 programs: {mismatches} decisions differ from their original's")
    # as `policy batch` does once its policy is loaded (population/batch.py,
    # _freeze_once): what lives as long as the process — here the two
    # policies with their compiled code, and the cases converted in advance
    # (batch holds only the chunk it decides) — is moved out of the garbage
    # collector's way. Without it every full collection walks all of it again,
    # and ten times the policy is ten times the walk: with full explanations a
    # case of 70 programs leaves some 1,900 tracked objects alive until it is
    # done (7 programs: some 215, under the collector's threshold of 700), so
    # its collections come every case (issue 21, point 5)
    gc.collect()
    gc.freeze()
    rows = {
        "7_off": (ev7, f7, all7, False),
        "70_off": (ev70, f70, all70, False),
        "7_full": (ev7, f7, all7, True),
        "70_full": (ev70, f70, all70, True),
    }
    samples: dict[str, list[float]] = {k: [] for k in rows}
    for ev, facts, programs, explain in rows.values():  # warm-up pass
        for f in facts:
            ev.decide(f, programs=programs, explain=explain, converted=True)
    for _ in range(repeats):
        for k, (ev, facts, programs, explain) in rows.items():
            gc.collect()
            ev.forget()  # each pass as cold as the first (as rows b and d)
            t0 = time.process_time_ns()
            for f in facts:
                ev.decide(f, programs=programs, explain=explain, converted=True)
            samples[k].append((time.process_time_ns() - t0) / len(facts) / 1000)
    gc.unfreeze()  # the rows after these collect as usual
    us = {k: statistics.median(v) for k, v in samples.items()}
    out = {
        "programs": [len(all7), len(all70)],
        "load_first_eval_warm": warm,
        "load_first_eval_cold": cold,
        "per_case_us": us,
        "per_case_us_all": {k: [round(x, 1) for x in v] for k, v in samples.items()},
        "cases": n_cases,
        "copies_checked": mismatches == 0,
        "failures": failures,
        "targets": [],
    }
    out["targets"].append(
        _target(
            "g_load",
            None if warm["failed"] else warm["ratio"],
            f"{warm['a_ms']:.0f} ms vs {warm['b_ms']:.0f} ms CPU; ratio median of {warm['runs']} pairs "
            f"{warm['ratio']:.2f} ({warm['ratio_min']:.2f}–{warm['ratio_max']:.2f}); cold "
            f"{cold['a_ms']:.0f} vs {cold['b_ms']:.0f} ms ({cold['ratio']:.2f})",
        )
    )
    for tid, kind in (("g_off", "off"), ("g_full", "full")):
        r = us[f"70_{kind}"] / us[f"7_{kind}"]
        out["targets"].append(
            _target(
                tid, r, f"{us[f'70_{kind}']:.0f} µs vs {us[f'7_{kind}']:.0f} µs per case ({r:.1f}x)"
            )
        )
    return out


def print_section(startup: dict | None, ten: dict | None) -> None:
    if startup and "warm" in startup:
        for kind in ("warm", "cold"):
            r = startup[kind]
            print(
                f"f2. policy eval {startup['example']}, {kind} cache: {r['a_ms']:.0f} ms CPU; "
                f"`{IMPORTS}`: {r['b_ms']:.0f} ms; ratio {r['ratio']:.2f} "
                f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}, median of {r['runs']} pairs)"
            )
    if ten and "per_case_us" in ten:
        n7, n70 = ten["programs"]
        for kind in ("warm", "cold"):
            r = ten[f"load_first_eval_{kind}"]
            print(
                f"g. load and first policy eval, {kind}: {n70} programs {r['a_ms']:.0f} ms, "
                f"{n7} programs {r['b_ms']:.0f} ms CPU; ratio {r['ratio']:.2f} "
                f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}, median of {r['runs']} pairs)"
            )
        us = ten["per_case_us"]
        for kind, label in (("off", "explanations off"), ("full", "full explanations")):
            print(
                f"g. per case, every program decided, {label}: {n70} programs "
                f"{us[f'70_{kind}']:.0f} µs, {n7} programs {us[f'7_{kind}']:.0f} µs "
                f"({us[f'70_{kind}'] / us[f'7_{kind}']:.1f}x; {ten['cases']} cases)"
            )
        print(
            "g. every copy decides every case as its original: "
            + ("yes" if ten["copies_checked"] else "NO")
        )
