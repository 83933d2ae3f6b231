"""Worker processes for the population commands (batch, diff, report).

Each command cuts its input into chunks (a block of the file's bytes, or
parsed CSV rows) and has a chunk function decide, compare or count a chunk
into plain data; ``in_order`` runs those functions in ``jobs`` worker
processes and gives the results back in input order, so the output never
depends on the number of jobs. A worker loads and compiles the policy once
(its ``initializer``), or inherits it from the parent where the platform
forks; at most ``IN_FLIGHT_PER_JOB`` chunks per job are in flight, so memory
stays bounded however long the input.

The workers are a ProcessPoolExecutor, not a multiprocessing.Pool: a Pool
whose worker is killed while it holds the task queue's lock hangs for ever
when it is stopped; the executor notices a dead worker and stops the others.

A worker ignores SIGINT and SIGTERM: a Ctrl-C at a terminal, and a SIGTERM
sent to the whole process group (``kill -TERM -PGID``, a scheduler stopping
a job, systemd stopping a service's control group), reach every process,
and the parent stops the pool: the workers finish the chunk they hold and
go. Killed by the signal instead, a worker could die while writing its
result to the executor's pipe; the executor then reads half a message and
waits for the rest for ever (CPython 3.11's concurrent.futures), and the
batch hung instead of stopping (2 runs in 12 under `kill -TERM`). A worker
that dies anyway (killed on its own, out of memory) breaks the pool: the
executor would stop the others with SIGTERM, which they ignore, so they are
killed (``_kill_workers``).
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable

from dsl.errors import PolicyError

IN_FLIGHT_PER_JOB = 4  # chunks queued per worker: bounds memory with --jobs


class InternalError(Exception):
    """A bug met while deciding a record (not a problem of the record)."""


class WorkerLost(PolicyError):
    """A worker process died on its own (killed, out of memory): not a bug
    of ``policy`` nor a problem of the input; exit 3 and one line."""

    kind = "stopped"
    exit_code = 3

    def __init__(self) -> None:
        super().__init__(
            "a worker process stopped unexpectedly (killed, or out of memory? "
            "fewer --jobs use less memory)"
        )

    def render(self) -> str:
        return f"stopped: {self.message}"


def ignore_interrupts() -> None:
    """In a worker: Ctrl-C at a terminal, or SIGTERM to the process group,
    goes to every process of the group; the worker ignores it and the
    parent, which stops the pool, decides what is kept."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


LOST_GRACE = 2.0  # seconds a result may take to arrive after its worker died


def wait(future, pool=None):
    """A worker's result. Waits in short steps: a signal the system gave to
    one of the pool's threads rather than the main one is acted on within a
    moment, not after a result that may never come. ``pool``: the executor,
    watched for a worker that died without the executor noticing
    (``_unblock``)."""
    from concurrent.futures import TimeoutError as Timeout
    from concurrent.futures.process import BrokenProcessPool

    died_at = None
    while True:
        try:
            return future.result(0.25)
        except Timeout:
            if pool is None or not _a_worker_died(pool):
                continue
            if died_at is None:
                died_at = time.monotonic()
            elif time.monotonic() - died_at > LOST_GRACE:
                _unblock(pool)
                died_at = time.monotonic()  # the executor now finds the pool broken
        except BrokenProcessPool:
            # a worker was killed: by the signal that stops us all (SIGTERM
            # to the process group), or by something else
            time.sleep(0.5)  # our own handler runs here if it is the former
            raise WorkerLost() from None


def _a_worker_died(pool) -> bool:
    """Whether a worker process has ended (they end only when the pool is
    shut down)."""
    return any(p.exitcode is not None for p in (getattr(pool, "_processes", None) or {}).values())


def _unblock(pool) -> None:
    """A worker that died while writing its result to the executor's pipe
    (killed on its own: the out-of-memory killer, `kill -9`) leaves half a
    message there; CPython 3.11's executor reads the half and waits for the
    rest for ever, so it never finds the pool broken and the batch hung. The
    other workers are killed and the parent's copy of the pipe's writing end
    is closed (the parent never writes to it: the executor wakes itself
    through a pipe of its own): with no writer left, the read ends, and the
    executor finds the pool broken as for any dead worker. ``_processes`` and
    ``_result_queue`` are the executor's own (CPython 3.8 to 3.13); without
    them nothing is done."""
    _kill_workers(pool)
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        p.join(5)
    queue = getattr(pool, "_result_queue", None)
    writer = getattr(queue, "_writer", None)
    if writer is not None and not writer.closed:
        writer.close()


def in_order(
    tasks: Iterable[tuple],
    jobs: int,
    initializer: Callable,
    initargs: tuple = (),
) -> Generator[tuple, None, None]:
    """(fn(*args), tag) for each task (fn, args, tag), in the order of the
    tasks, computed in ``jobs`` worker processes (``fn``: a module-level
    function, run in a worker set up by ``initializer(*initargs)``)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    stopped, restore = _stop_on_sigterm()
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context(),
        initializer=initializer,
        initargs=initargs,
    )
    try:
        pending: deque = deque()
        limit = jobs * IN_FLIGHT_PER_JOB
        for fn, args, tag in tasks:
            pending.append((_submit(pool, fn, args), tag))
            while len(pending) >= limit:
                future, at = pending.popleft()
                got = wait(future, pool)
                if stopped:
                    raise KeyboardInterrupt
                yield got, at
        while pending:
            future, at = pending.popleft()
            got = wait(future, pool)
            if stopped:
                raise KeyboardInterrupt
            yield got, at
    finally:
        restore()
        # workers ignore Ctrl-C and SIGTERM: they finish the chunk they hold
        # (or are dead already) and the rest is cancelled
        if getattr(pool, "_broken", False):
            _kill_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool, fn: Callable, args: tuple):
    """``pool.submit``; a pool a dead worker broke says so as ``wait`` does.
    The first submit starts the workers (forked): Ctrl-C and SIGTERM are held
    meanwhile, so that a worker never runs this process's handler before its
    initializer ignores them (it died by it, with a traceback, and the batch
    stopped as for a lost worker); held, not ignored, they reach this process
    as soon as the workers are started."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        if getattr(pool, "_processes", None):
            return pool.submit(fn, *args)
        with _signals_held():
            return pool.submit(fn, *args)
    except BrokenProcessPool:
        time.sleep(0.5)  # as in wait: our own handler runs here if SIGTERM killed it
        raise WorkerLost() from None


@contextlib.contextmanager
def _signals_held():
    """SIGINT and SIGTERM blocked for this thread (and inherited so by the
    processes it forks and the threads it starts), then delivered."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _stop_on_sigterm() -> tuple[list, Callable[[], None]]:
    """While the pool runs, SIGTERM stops the parent as Ctrl-C does
    (KeyboardInterrupt: the pool is stopped, the command says "interrupted"),
    unless the command handles SIGTERM itself (`policy batch`). Killed by it
    instead, the parent would leave its workers, which ignore it, running
    with nothing to do. Returns the signals received (a stop swallowed where
    it was raised, in a callback after a fork, is acted on after the next
    chunk) and the function that puts the default back."""
    import signal
    import threading

    stopped: list = []
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        return stopped, lambda: None

    def stop(signum, frame):
        stopped.append(signum)
        raise KeyboardInterrupt

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, stop)
    return stopped, restore


def _kill_workers(pool) -> None:
    """The workers of a broken pool (one died) killed: the executor stops
    them with SIGTERM, which they ignore, and would wait for them for ever.
    ``_processes`` is the executor's own (CPython 3.8 to 3.13); without it
    there is nothing to kill."""
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        if p.is_alive():
            p.kill()
