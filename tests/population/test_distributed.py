"""`policy batch --engine dask` (issue 20, points 2 to 4): the same decisions as
the local batch, on a real Dask cluster on loopback — a LocalCluster of two
worker processes that the command starts, or a `dask scheduler` and `dask
worker` started here as an operator would — with the real-name checks run
as a global step over claims shuffled across partitions. Each test runs the
real command in a process of its own and compares its part files with the
local `policy batch` output of the same cases, byte for byte."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, with_repeated_persons

pytest.importorskip("distributed")

BAD = '{"applicant": {"insured_months": "twenty"}, "application": {"date": "2020-05-01"}}'


def command(*args) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", *map(str, args)]


def policy(*args, timeout=600):
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def parts(folder: Path, suffix=".jsonl") -> bytes:
    """The part files of an output folder, in order."""
    names = sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith("part-")
        and p.name.endswith(suffix)
        and (suffix != ".jsonl" or not p.name.endswith(".rejects.jsonl"))
    )
    return b"".join((folder / n).read_bytes() for n in names)


def population(folder: Path, n: int, seed: int, bad=(17,)) -> Path:
    raw = folder / "generated.jsonl"
    r = policy("generate", n, "--seed", seed, "--out", raw)
    assert r.returncode == 0, r.stderr
    lines = with_repeated_persons(raw.read_text(encoding="utf-8").splitlines(), seed=seed)
    for i in bad:
        lines[i] = BAD
    cases = folder / "cases.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw.unlink()
    return cases


def local(cases, out: Path, *extra) -> bytes:
    r = policy(
        "batch",
        cases,
        "--out",
        out,
        "--jobs",
        2,
        "--summary-json",
        str(out) + ".summary.json",
        *extra,
    )
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


def summary_of(path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in ("input", "output", "rejects"):
        data.pop(key)
    return data


def flags_across_partitions(decided: bytes, size: int) -> int:
    """How many flags name a line of another partition of ``size`` lines."""
    n = 0
    for x in decided.splitlines():
        if b'"flags"' not in x:
            continue
        line = json.loads(x)
        for f in line["flags"]:
            for place in f["conflicts_with"]:
                other = int(place.rsplit(":", 1)[1])
                n += (other - 1) // size != (line["line"] - 1) // size
    return n


@pytest.fixture(scope="module")
def cases_20k(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask")
    cases = population(d, 20_000, 31, bad=(17, 12_345))
    ref = d / "ref.jsonl"
    return cases, ref, local(cases, ref)


def test_dask_output_is_the_local_output(cases_20k, tmp_path):
    """20,000 cases in 20 partitions on a LocalCluster of two worker
    processes: the part files in order are the local output, byte for byte,
    real-name flags included (hundreds of them naming lines of other
    partitions); the rejects and the summary too."""
    cases, ref, expected = cases_20k
    out = tmp_path / "decisions"
    r = policy(
        "batch",
        cases,
        "--engine",
        "dask",
        "--jobs",
        2,
        "--chunk-size",
        1000,
        "--out",
        out,
        "--summary-json",
        tmp_path / "summary.json",
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert parts(out) == expected
    assert flags_across_partitions(expected, 1000) > 100
    assert (
        parts(out, ".rejects.jsonl")
        == Path(str(ref).replace(".jsonl", ".rejects.jsonl")).read_bytes()
    )
    assert summary_of(tmp_path / "summary.json") == summary_of(str(ref) + ".summary.json")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is True and len(manifest["partitions"]) == 20
    assert manifest["identity"]["policy"] == json.loads(expected.split(b"\n")[0])["policy"]
    assert [p["first_line"] for p in manifest["partitions"]] == list(range(1, 20_000, 1000))
    # only the part files and the manifest are left
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json"]
        + [f"part-{i:05d}{s}" for i in range(20) for s in (".jsonl", ".rejects.jsonl")]
    )
    assert not Path(str(out) + ".partial").exists()


@pytest.mark.slow
def test_200000_cases_on_dask_are_decided_and_flagged_as_locally(tmp_path):
    """The issue's test: 200,000 generated cases with persons repeated all over
    the file; the Dask output, sorted by line, is the local output."""
    cases = population(tmp_path, 200_000, 20, bad=(5, 150_001))
    expected = local(cases, tmp_path / "ref.jsonl")
    out = tmp_path / "decisions"
    r = policy("batch", cases, "--engine", "dask", "--jobs", 2, "--out", out)
    assert r.returncode == 0, r.stderr
    got = parts(out)
    by_line = sorted(got.splitlines(), key=lambda x: json.loads(x)["line"])
    assert by_line == expected.splitlines()
    assert got == expected
    assert flags_across_partitions(expected, 10_000) > 1000


def test_history_and_csv_as_locally(cases_20k, tmp_path, bundled_policy):
    """--history counts earlier claims in the global step as it does
    locally; CSV partitions are the local CSV chunks."""
    from population.batch import csv_columns
    from population.synthetic import write_csv

    cases, _ref, _expected = cases_20k
    lines = cases.read_text(encoding="utf-8").splitlines()
    good = [json.loads(x) for x in lines[:3000] if x != BAD]
    history = tmp_path / "history.jsonl"
    with open(history, "w", encoding="utf-8") as f:
        for c in good[:400]:
            if (
                "vocational_training" in c["application"].get("programs", [])
                and c.get("certificate", {}).get("occupation")
                and c["application"].get("date")
            ):
                f.write(
                    json.dumps(
                        {
                            "id": c["applicant"]["id"],
                            "program": "vocational_training",
                            "date": c["application"]["date"],
                            "occupation": c["certificate"]["occupation"],
                            "level": c["certificate"].get("level") or "初级",
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
    csv_path = tmp_path / "cases.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        write_csv(good, f, csv_columns(bundled_policy))
    expected = local(csv_path, tmp_path / "ref.jsonl", "--history", history)
    assert expected.count(b"history.jsonl:") > 10  # the history flags lines
    out = tmp_path / "decisions"
    r = policy(
        "batch",
        csv_path,
        "--engine",
        "dask",
        "--jobs",
        2,
        "--chunk-size",
        500,
        "--history",
        history,
        "--out",
        out,
    )
    assert r.returncode == 0, r.stderr
    assert parts(out) == expected


def test_a_folder_of_case_files_is_one_population(cases_20k, tmp_path):
    """A folder (or a glob) of case files: read in order of name, each line
    named by its file; a person's claims in two files are checked together.
    Compared with the local batch of the files put end to end, lines and
    places renamed."""
    cases, _ref, _expected = cases_20k
    lines = cases.read_text(encoding="utf-8").splitlines(True)[:6000]
    folder = tmp_path / "cases"
    folder.mkdir()
    bounds = [0, 2500, 4000, 6000]
    for k in range(3):
        (folder / f"{k}.jsonl").write_text(
            "".join(lines[bounds[k] : bounds[k + 1]]), encoding="utf-8"
        )
    whole = tmp_path / "whole.jsonl"
    whole.write_text("".join(lines), encoding="utf-8")
    expected = local(whole, tmp_path / "ref.jsonl")

    def renamed(place_line: int) -> str:
        k = max(i for i in range(3) if bounds[i] < place_line)
        return f"{folder / f'{k}.jsonl'}:{place_line - bounds[k]}"

    want = []
    for x in expected.splitlines():
        d = json.loads(x)
        d["line"] = int(renamed(d["line"]).rsplit(":", 1)[1])
        for f in d.get("flags", []):
            f["conflicts_with"] = [renamed(int(p.rsplit(":", 1)[1])) for p in f["conflicts_with"]]
        want.append(d)
    assert any(
        f["conflicts_with"][0].split(":")[0] != str(folder / "2.jsonl")
        for d in want[4000:]
        for f in d.get("flags", [])
    )  # across files
    for given in (folder, f"{folder}/*.jsonl"):
        out = tmp_path / f"decisions-{len(str(given))}"
        r = policy(
            "batch", given, "--engine", "dask", "--jobs", 2, "--chunk-size", 1000, "--out", out
        )
        assert r.returncode == 0, r.stderr
        got = [json.loads(x) for x in parts(out).splitlines()]
        assert got == want


def stopped(args, watch: Path, count: int, sig=signal.SIGINT):
    """Run `policy ARGS` in a process group of its own; SIGINT to the group
    (as a terminal's Ctrl-C; or ``sig``) once ``watch`` holds ``count``
    finished partitions."""
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
        if watch.is_dir() and sum(n.endswith(".done.json") for n in os.listdir(watch)) >= count:
            break
        time.sleep(0.02)
    if p.poll() is None:
        os.killpg(p.pid, sig)
    try:
        _out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        raise
    return p.returncode, err


def test_stopped_and_resumed_by_partition(cases_20k, tmp_path):
    """Ctrl-C stops the client and the cluster: one line, exit 130, no
    worker traces; --resume decides only the partitions not done and gives
    the same bytes; a changed input is refused."""
    cases, _ref, expected = cases_20k
    out = tmp_path / "decisions"
    partial = Path(str(out) + ".partial")
    args = ["batch", cases, "--engine", "dask", "--jobs", 2, "--chunk-size", 1000, "--out", out]
    rc, err = stopped(args, partial, 4)
    assert rc == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    (line,) = [x for x in err.splitlines() if x.strip() and not x.startswith("rejected: ")]
    assert line.startswith("interrupted: ") and "--resume" in line, err
    done = sum(n.endswith(".done.json") for n in os.listdir(partial))
    assert 4 <= done < 20
    assert not out.exists()
    # without --resume: refused, the partial folder untouched
    r = policy(*args)
    assert r.returncode == 2 and "give --resume to go on" in r.stderr
    r = policy(*args, "--resume")
    assert r.returncode == 0, r.stderr
    assert f"resuming: {done} partition(s) already done" in r.stderr
    assert parts(out) == expected
    assert not partial.exists()

    # a changed input: refused, the partial output kept; stopped by SIGTERM
    # to the group (a scheduler stopping the job) this time
    rc, err = stopped(args + ["--force"], partial, 2, signal.SIGTERM)
    assert rc == 130, err
    assert "Traceback" not in err and "AllExit" not in err, err
    cases_copy = cases.read_bytes()
    try:
        with open(cases, "ab") as f:
            f.write(BAD.encode() + b"\n")
        r = policy(*args, "--resume", "--force")
        assert r.returncode == 2
        assert f"cannot resume: the case file {cases} has changed" in r.stderr
        assert partial.exists()
    finally:
        cases.write_bytes(cases_copy)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A Dask scheduler and one worker process, started with Dask's own
    commands on 127.0.0.1 as docs/batch.md tells an operator to."""
    d = tmp_path_factory.mktemp("cluster")
    bindir = Path(sys.executable).parent
    dask = str(bindir / "dask") if (bindir / "dask").exists() else shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command is not installed")
    info = d / "scheduler.json"
    # the checkout's code, as the command under test runs it (cwd=ROOT)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            cwd=d,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        # the scheduler creates the file, then writes it: read it once whole
        deadline = time.monotonic() + 60
        address = None
        while address is None and time.monotonic() < deadline:
            try:
                address = json.loads(info.read_text())["address"]
            except (FileNotFoundError, ValueError, KeyError):
                time.sleep(0.1)
        assert address is not None, "the scheduler wrote no address in 60 s"
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                cwd=d,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_running_scheduler_and_its_workers_decide(cases_20k, tmp_path, scheduler):
    cases, _ref, _expected = cases_20k
    lines = cases.read_bytes().splitlines(True)[:3000]
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"".join(lines))
    want = local(small, tmp_path / "ref.jsonl")
    out = tmp_path / "decisions"
    r = policy("batch", small, "--scheduler", scheduler, "--chunk-size", 700, "--out", out)
    assert r.returncode == 0, r.stderr
    assert parts(out) == want


def test_a_worker_with_another_policy_refuses_to_decide(bundled_policy):
    from population.batch import BatchSpec, decide_block
    from population.distributed import PolicyMismatch, decide_partition

    spec = BatchSpec()
    with pytest.raises(PolicyMismatch) as err:
        decide_partition(spec, "sha256:" + "0" * 64, decide_block, 1, b"{}\n")
    assert "the workers must have the same policy folder" in err.value.render()
    packed = decide_partition(spec, bundled_policy.hash, decide_block, 1, b"{}\n")
    assert packed[0] == 1  # the same chunk function as the local batch


def test_usage_errors(cases_20k, tmp_path):
    cases, _ref, _ = cases_20k
    for args, words in (
        ([cases, "--engine", "dask", "--out", "-"], "give --out FOLDER"),
        (
            [cases, "--engine", "dask", "--out", tmp_path / "o", "--rejects", tmp_path / "r"],
            "the rejected lines are part files",
        ),
        (["-", "--engine", "dask", "--out", tmp_path / "o"], "not standard input"),
        ([tmp_path, "--out", tmp_path / "o.jsonl"], "needs --engine dask"),
        (
            [tmp_path / "nothing-*.jsonl", "--engine", "dask", "--out", tmp_path / "o"],
            "no case file matches",
        ),
    ):
        r = policy("batch", *args)
        assert r.returncode == 2 and words in r.stderr, (args, r.stderr)
    # an output folder that holds an input is refused
    inside = tmp_path / "in"
    inside.mkdir()
    shutil.copy(cases, inside / "c.jsonl")
    r = policy("batch", inside, "--engine", "dask", "--out", inside, "--force")
    assert r.returncode == 2 and "holds the input" in r.stderr


def test_the_local_cluster_listens_on_loopback_only():
    """No network beyond loopback: every socket the LocalCluster listens on
    (scheduler, workers, the scheduler's HTTP server) is on 127.0.0.1."""
    import psutil

    from population.distributed import connect

    client, cluster = connect(None, 2)
    try:
        pids = {os.getpid(), *client.run(os.getpid).values()}
        listening = [
            c.laddr
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in pids
        ]
        assert len(listening) >= 4
        assert {a.ip for a in listening} == {"127.0.0.1"}, listening
    finally:
        client.close()
        cluster.close()


def test_the_clients_unretrieved_all_exit_is_not_logged(caplog):
    """Stopped while it gathers, distributed's Client leaves a task whose
    AllExit nobody retrieves; asyncio logs it as a traceback when the task is
    collected (seen at SIGTERM late in a run, above the "interrupted" line).
    connect() drops that record, and only it, from asyncio's log."""
    import asyncio
    import gc

    from distributed.client import AllExit

    from population.distributed import _quiet_all_exit

    _quiet_all_exit()

    async def fail(exc):
        raise exc

    async def leave_two_failed_tasks():
        tasks = [asyncio.ensure_future(fail(e)) for e in (AllExit(), ValueError("kept"))]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert all(t.done() for t in tasks)

    with caplog.at_level("ERROR", logger="asyncio"):
        asyncio.run(leave_two_failed_tasks())
        gc.collect()
    logged = [r for r in caplog.records if r.name == "asyncio"]
    assert [type(r.exc_info[1]).__name__ for r in logged] == ["ValueError"]
