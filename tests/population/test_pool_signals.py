"""The worker processes of `policy batch --jobs 2` (population/pool.py) under
signals, in real runs: SIGTERM sent to the whole process group (what
`kill -TERM -PGID`, a job scheduler or systemd sends) stops the batch as
Ctrl-C does, every time — a worker killed by it while writing its result
used to leave the parent waiting for the rest of the message for ever; a
worker killed on its own (out of memory) stops the batch with exit 3, and
does not hang it; a Ctrl-C while click reads the command line is one line
and 130, not click's "Aborted!" and 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import ROOT

N = 20000


def command(*args) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", *map(str, args)]


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("signals") / "cases.jsonl"
    r = subprocess.run(
        command("generate", N, "--seed", 31, "--out", path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return path


def start(*args) -> subprocess.Popen:
    """`policy ARGS` in a process group of its own (as a shell's job is)."""
    return subprocess.Popen(
        command(*args),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(p: subprocess.Popen, path: Path, size: int) -> None:
    deadline = time.monotonic() + 240
    while p.poll() is None and time.monotonic() < deadline:
        try:
            if path.stat().st_size >= size:
                return
        except FileNotFoundError:
            pass
        time.sleep(0.005)


def finish(p: subprocess.Popen, seconds: float = 60) -> tuple[int, str]:
    """The exit code and stderr; a run still going after ``seconds`` is a
    hang: killed, and the test fails."""
    try:
        _out, err = p.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"the command did not stop within {seconds} s: it hung")
    return p.returncode, err


def workers(pid: int) -> list[int]:
    """The pool's worker processes: the parent's children that run its
    command line (forked), not a helper such as multiprocessing's tracker."""
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if Path(f"/proc/{c}/cmdline").read_bytes() == cmdline]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_to_the_group_stops_the_batch_every_time(cases, tmp_path):
    """Eight stops at different points of the run (a run that hung failed 2
    in 12 before the workers ignored SIGTERM); each is resumable, and the
    resumed run writes what a run never stopped writes."""
    ref = tmp_path / "ref.jsonl"
    r = subprocess.run(
        command("batch", cases, "--out", ref, "--chunk-size", 100),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    size = ref.stat().st_size
    for k in range(8):
        out = tmp_path / f"d{k}.jsonl"
        args = ["batch", cases, "--out", out, "--jobs", 2, "--chunk-size", 100]
        p = start(*args)
        wait_for(p, Path(str(out) + ".partial"), size * (k + 1) // 10)
        assert p.poll() is None, "the batch ended before it was stopped"
        os.killpg(p.pid, signal.SIGTERM)
        rc, err = finish(p)
        assert rc == 130, err
        assert "Traceback" not in err, err
        assert err.strip().splitlines()[-1].startswith("interrupted"), err
        if k in (2, 7):
            r = subprocess.run(
                command(*args, "--resume"), cwd=ROOT, capture_output=True, text=True, timeout=300
            )
            assert r.returncode == 0, r.stderr
            assert out.read_bytes() == ref.read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_alone_stops_the_batch_with_exit_3(cases, tmp_path):
    out = tmp_path / "d.jsonl"
    p = start("batch", cases, "--out", out, "--jobs", 2, "--chunk-size", 100)
    wait_for(p, Path(str(out) + ".partial"), 1)
    assert p.poll() is None, "the batch ended before a worker was killed"
    found = workers(p.pid)
    assert len(found) == 2, found
    os.kill(found[0], signal.SIGKILL)
    rc, err = finish(p)
    assert rc == 3, err
    # the chunks finished are kept for --resume, and the cause is said: not a bug
    lines = err.strip().splitlines()
    assert lines[0].startswith("stopped: ") and "--resume" in lines[0], err
    assert lines[1].startswith("stopped: a worker process stopped unexpectedly"), err
    assert "Traceback" not in err and "bug" not in err, err
    # no worker is left behind
    for pid in found:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_ctrl_c_while_the_command_line_is_read_is_one_line_and_130(monkeypatch):
    from cli import cli
    from commands.group import LazyGroup

    def interrupted(self, ctx, name):
        raise KeyboardInterrupt

    monkeypatch.setattr(LazyGroup, "get_command", interrupted)
    r = CliRunner().invoke(cli, ["batch", "--help"])
    assert r.exit_code == 130, r.output
    assert r.output.strip() == "interrupted"


def test_a_stop_swallowed_where_it_was_raised_still_stops_the_batch(cases, tmp_path, monkeypatch):
    """SIGTERM's handler raises KeyboardInterrupt wherever the main thread is;
    raised inside a callback Python runs after a fork (as when the pool
    starts a worker), it is printed as "Exception ignored" and swallowed: the
    batch used to run to its end (exit 0). The stop is remembered and acted on
    after the chunk."""
    import population.batch as B
    from cli import cli

    small = tmp_path / "cases.jsonl"
    small.write_bytes(b"".join(cases.read_bytes().splitlines(keepends=True)[:2000]))
    write_chunk = B._write_chunk
    calls = []

    def swallowing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.01)  # the handler runs here, and its exception is swallowed
            except KeyboardInterrupt:
                pass
        return write_chunk(*args, **kwargs)

    monkeypatch.setattr(B, "_write_chunk", swallowing)
    out = tmp_path / "d.jsonl"
    r = CliRunner().invoke(cli, ["batch", str(small), "--out", str(out), "--chunk-size", "100"])
    assert r.exit_code == 130, r.output
    assert "interrupted: 300 case(s) up to line 300" in r.output, r.output
    assert len(Path(str(out) + ".partial").read_bytes().splitlines()) == 300


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_to_the_group_stops_policy_diff_and_its_workers(cases):
    """`policy diff --jobs 2` has no SIGTERM handler of its own: the pool's
    parent stops as on Ctrl-C (killed by the signal, it left its workers,
    which ignore it, running with nothing to do, holding its output open)."""
    p = start("diff", cases, "--revision", "examples/revisions/raise-junior-2021.yaml", "--jobs", 2)
    deadline = time.monotonic() + 120
    found: list[int] = []
    while p.poll() is None and len(found) < 2 and time.monotonic() < deadline:
        found = workers(p.pid)
        time.sleep(0.01)
    time.sleep(0.3)  # the workers are deciding
    assert p.poll() is None, "the diff ended before it was stopped"
    os.killpg(p.pid, signal.SIGTERM)
    rc, err = finish(p)
    assert rc == 130, err
    assert err.strip() == "interrupted", err
    time.sleep(0.5)
    alive = [
        pid
        for pid in found
        if Path(f"/proc/{pid}").exists()
        and Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    ]
    assert alive == [], "workers left running"


def die_writing_the_result(n: int) -> int:
    """A chunk function for ``in_order``: the second task writes half of a
    result message to the executor's result pipe and is killed, as a worker
    the out-of-memory killer stops while it sends its result."""
    if n != 1:
        return n
    import struct

    frame = sys._getframe()
    while frame is not None and "result_queue" not in frame.f_locals:
        frame = frame.f_back
    assert frame is not None, "not run by a ProcessPoolExecutor worker"
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 100_000) + b"x" * 10)
    os.kill(os.getpid(), signal.SIGKILL)
    return n  # pragma: no cover - killed above


def no_setup() -> None:
    from population.pool import ignore_interrupts

    ignore_interrupts()


CHILD = """
from population.pool import WorkerLost, in_order
from tests.population.test_pool_signals import die_writing_the_result, no_setup
try:
    for got, tag in in_order(((die_writing_the_result, (n,), n) for n in range(6)), 2, no_setup):
        print("result", got, flush=True)
except WorkerLost as exc:
    print("lost:", exc.render(), flush=True)
"""


def test_a_worker_killed_in_the_middle_of_its_result_does_not_hang_the_pool():
    """CPython 3.11's executor reads half a message from a worker killed
    while it wrote it and waits for the rest for ever (the batch hung); the
    pool finds the dead worker and stops with WorkerLost."""
    r = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=90
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # the first result, if it was read before the pool broke, and the loss
    assert lines[:-1] in ([], ["result 0"]), r.stdout
    assert lines[-1].startswith("lost: stopped: a worker process stopped unexpectedly"), r.stdout


def blocked_signals(conn) -> None:
    conn.send(sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_the_pool_starts_its_workers_with_the_stops_held():
    """While the first chunk is submitted (the workers forked), SIGINT and
    SIGTERM are held: a forked worker does not run the parent's handler
    before its initializer ignores them, and a stop sent meanwhile reaches
    the parent once the workers are started, not lost."""
    import multiprocessing

    from population.pool import _signals_held

    got: list[int] = []
    old = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    try:
        with _signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            assert got == []  # held
            ctx = multiprocessing.get_context("fork")
            here, there = ctx.Pipe()
            child = ctx.Process(target=blocked_signals, args=(there,))
            child.start()
            mask = here.recv()
            child.join()
        time.sleep(0.05)
        assert got == [signal.SIGTERM]  # delivered once released
    finally:
        signal.signal(signal.SIGTERM, old)
    assert {int(signal.SIGINT), int(signal.SIGTERM)} <= set(mask)
