"""The `policy` command: the entry point, mounting the sub-commands of
``commands/`` (the click group: ``commands.group``).

Every sub-command follows ``commands.conventions`` (one ``guarded`` wrapper,
one set of exit codes, the shared options); the exit codes are documented in
the README. Sub-command modules are imported only when they are run (or
listed in --help), so `policy --help` is quick and `policy eval` does not pay
for `policy catalog`.

The command officers run most, a plain `policy eval CASE.json` (with
--format, --lang, --full, --program, --policy), is read without importing
click at all (``commands.quickeval``: a third of a warm start-up went to
click); it runs the same work under the same error handling as the click
command, and anything else on its command line (--help, another option, a
value click would refuse) goes to click as before.
"""

from __future__ import annotations

import sys


def main():
    _sigterm_interrupts()
    try:
        _main()
    except KeyboardInterrupt:
        # a Ctrl-C before a command's own handling (while the engine is
        # imported): one line and 130, as a command reports it, not a traceback
        from commands.guard import EXIT_INTERRUPTED, echo_err

        echo_err("interrupted")
        sys.exit(EXIT_INTERRUPTED)


def _sigterm_interrupts() -> None:
    """SIGTERM (`kill`, a scheduler or systemd stopping a job) stops any
    command as Ctrl-C does: what it was writing is removed (an output is
    written to a temporary file renamed into place at the end), one line
    "interrupted", exit 130. Killed by the signal outright, `policy generate
    200000 --out g.jsonl` left its hidden temporary file (.g.jsonl.….tmp)
    behind. `policy serve` puts uvicorn's own handler in its place (a
    graceful shutdown); `policy batch` its own (the chunks finished are
    kept). The C module, not ``signal``: that one builds enums on import,
    half a millisecond of a warm `policy eval`."""
    try:
        import _signal as signals  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - another Python than CPython
        import signal as signals
    if signals.getsignal(signals.SIGTERM) == signals.SIG_DFL:
        signals.signal(signals.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _main():
    if sys.argv[1:2] == ["eval"]:
        import gc

        from commands.quickeval import run

        # one case, then the process ends: what it builds lives to the end,
        # so the garbage collector has nothing to free and would only walk
        # it (some 20 collections while the engine is imported, ~4 ms of a
        # cold start); the policy it loads is kept to the end, frozen out of
        # the collector's way (load_policy(keep=True): the collection at
        # exit walked it too, ~20 ms). On again afterwards, whatever happens
        # (and for any other command line, which click reads)
        gc.disable()
        try:
            code = run(sys.argv[2:], keep=True)
        finally:
            gc.enable()
        if code is not None:
            sys.exit(code)
    from commands.group import cli

    cli(prog_name="policy")


def __getattr__(name: str):
    """``from cli import cli`` (the click group) and ``LazyGroup``, imported
    when asked for: the quick `policy eval` never imports click."""
    if name in ("cli", "LazyGroup"):
        from commands import group

        return getattr(group, name)
    raise AttributeError(f"module 'cli' has no attribute {name!r}")


if __name__ == "__main__":
    main()
