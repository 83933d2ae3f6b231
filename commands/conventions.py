"""The conventions every `policy` command follows.

Exit codes (stable, documented in the README):
  0  done (a case was evaluated, whatever the outcome; the policy checks clean)
  1  the policy is broken, a check found errors, or a policy test failed
  2  bad input: an unreadable or malformed case file, or a bad command line
  3  an internal error (a bug: please report it with POLICY_DEBUG=1 output)
  130 interrupted (Ctrl-C, or SIGTERM where a command catches it)
"""

from __future__ import annotations

import datetime as _dt
import functools

import click

from .guard import (  # noqa: F401 - the exit codes, named here for every command
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_POLICY,
    run_guarded,
)


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def guarded(fn):
    """Turn PolicyError into its message and exit code; never a traceback
    (``guard.run_guarded``; click's own exits and usage errors go up to click)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return run_guarded(
            lambda: fn(*args, **kwargs),
            _echo_err,
            (click.exceptions.Exit, click.ClickException, SystemExit),
        )

    return wrapper


class _Date(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, _dt.date):
            return value
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date of the form YYYY-MM-DD", param, ctx)


DATE = _Date()

POLICY_OPTION = click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    metavar="DIR",
    help="Policy folder to use (default: the bundled policy).",
)


REVISION_OPTION = click.option(
    "--revision",
    "revisions",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Also apply this revision file (repeatable), as if it were in the policy's "
    "revisions/ folder: a what-if before it is issued.",
)


FORCE_OPTION = click.option(
    "--force",
    is_flag=True,
    help="Replace output files that already exist (without it an existing file is never "
    "overwritten; an output that is one of the inputs is refused even with it).",
)


def catalogues():
    """What the commands hand the engine besides the policy: nothing. Every
    policy declares its own catalogues (catalogs.yaml), the bundled one
    included; a policy that declares none has none."""
    return None


def load(policy_dir, revisions=(), lazy=False):
    """The policy of ``policy_dir`` (default: bundled) with its revisions (and
    the catalogues it declares in catalogs.yaml). ``lazy``: each program
    compiled when first needed, once the cache knows these files load without
    an error (``load_policy``): for a command that decides, not for one that
    reports warnings."""
    from interpreter.loader import load_policy

    return load_policy(policy_dir, revisions=list(revisions), lazy=lazy)
