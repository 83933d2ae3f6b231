"""Errors into a message and an exit code, never a traceback — without click.

``conventions.guarded`` (every click command) and ``quickeval`` (`policy eval`
read without click, for a quick start) both run a command's work through
``run_guarded``, so an error reads the same and exits with the same code
whichever of the two read the command line. The exit codes are
``conventions``'s (documented in the README).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

EXIT_OK, EXIT_POLICY, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def echo_err(message: str) -> None:
    """One message on standard error, as ``click.echo(message, err=True)``
    writes it (a line, flushed)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_guarded(
    work: Callable[[], object],
    echo: Callable[[str], None] = echo_err,
    passthrough: tuple[type[BaseException], ...] = (SystemExit,),
):
    """``work()``, with a PolicyError turned into its message and exit code, an
    interruption into one line and 130, a write error on standard output into
    one line and 2, any other error into one line naming a bug and 3 (the
    traceback with POLICY_DEBUG=1). ``passthrough``: what goes up untouched
    (click's own exits and usage errors, for click to report)."""
    from dsl.errors import PolicyError
    from interpreter.outputs import WRITE_ERRORS, OutputError, silence_stdout, write_error

    try:
        result = work()
        sys.stdout.flush()  # a full disk under `> file` is found here, not at exit
        return result
    except PolicyError as err:
        if isinstance(err, OutputError):
            silence_stdout()
        _fail(err, echo)
    except passthrough:
        raise
    except KeyboardInterrupt:
        # one line and 130, not click's "Aborted!" and 1 (a broken policy)
        echo("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno not in WRITE_ERRORS:
            if os.environ.get("POLICY_DEBUG") or isinstance(exc, BrokenPipeError):
                raise
            internal(exc, echo)
        # standard output could not be written (`policy eval case > /dev/full`)
        silence_stdout()
        _fail(write_error(exc, "output", "<stdout>", partial=True), echo)
    except Exception as exc:
        if _aborted(exc):
            # click.prompt turns a Ctrl-C at its prompt (a password) into
            # click's Abort: it was "internal error: Abort", exit 3
            echo("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        if os.environ.get("POLICY_DEBUG"):
            raise
        internal(exc, echo)


def _aborted(exc: BaseException) -> bool:
    """Whether ``exc`` is click's Abort (click is not imported for it: a
    command that did not import click cannot have raised it)."""
    click = sys.modules.get("click")
    return click is not None and isinstance(exc, click.exceptions.Abort)


def _fail(err, echo: Callable[[str], None]) -> None:
    echo(err.render())
    sys.exit(err.exit_code)


def internal(exc: BaseException, echo: Callable[[str], None] = echo_err) -> None:
    echo(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "  this is a bug in `policy`; run again with POLICY_DEBUG=1 "
        "to see where it happened"
    )
    sys.exit(EXIT_INTERNAL)
