"""The `policy` command.

Exit codes (stable, documented in the README):
  0  done (a case was evaluated, whatever the outcome; the policy checks clean)
  1  the policy is broken, a check found errors, or a policy test failed
  2  bad input: an unreadable or malformed case file, or a bad command line
  3  an internal error (a bug: please report it with POLICY_DEBUG=1 output)

Imports of the engine are inside the commands so that `policy --help` is quick.
"""
from __future__ import annotations

import datetime as _dt
import functools
import os
import sys

import click

EXIT_OK, EXIT_POLICY, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _fail(err) -> None:
    click.echo(err.render(), err=True)
    sys.exit(err.exit_code)


def guarded(fn):
    """Turn PolicyError into its message and exit code; never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from dsl.errors import PolicyError
        try:
            return fn(*args, **kwargs)
        except PolicyError as err:
            _fail(err)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - last line of defence for users
            if os.environ.get("POLICY_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "  this is a bug in `policy`; run again with POLICY_DEBUG=1 "
                       "to see where it happened", err=True)
            sys.exit(EXIT_INTERNAL)
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
    "--policy", "policy_dir", type=click.Path(file_okay=False, exists=True),
    default=None, metavar="DIR",
    help="Policy folder to use (default: the bundled 台政办发〔2020〕4号 policy).")


REVISION_OPTION = click.option(
    "--revision", "revisions", multiple=True, metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Also apply this revision file (repeatable), as if it were in the policy's "
         "revisions/ folder: a what-if before it is issued.")


def load(policy_dir, revisions=()):
    from interpreter.loader import load_policy
    return load_policy(policy_dir, revisions=list(revisions))


class LazyGroup(click.Group):
    """Commands from other modules, imported only when they are run (or listed
    in --help), so `policy eval` does not pay for `policy catalog`."""

    lazy = {
        "catalog": "catalogs.cli:catalog",
        "batch": "interpreter.batch_cli:batch",
        "diff": "interpreter.batch_cli:diff",
        "generate": "interpreter.batch_cli:generate",
        "report": "interpreter.batch_cli:report",
    }

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            import importlib
            module, attr = self.lazy[name].split(":")
            try:
                cmd = getattr(importlib.import_module(module), attr)
            except ImportError:      # an optional part that is not installed
                return None
            self.add_command(cmd, name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy", prog_name="policy")
def cli():
    """Vocational-training subsidies as data: evaluate cases and explain the
    decisions, citing 台政办发〔2020〕4号.

    \b
    Examples:
      policy eval examples/skill_upgrade_intermediate.json
      policy eval case.json --format json --lang en
      policy check
      policy schema > case.schema.json
    """


@cli.command("eval")
@click.argument("case_file", metavar="CASE.json", required=False,
                type=click.Path(dir_okay=False, allow_dash=True))
@POLICY_OPTION
@REVISION_OPTION
@click.option("--as-of", type=DATE, default=None, metavar="DATE",
              help="Read the standards in force on this date (YYYY-MM-DD) instead of the "
                   "case's own decision date (its application date, else its certificate date).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for machines (stable keys).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the text report.")
@click.option("--program", "programs", multiple=True, metavar="ID",
              help="Evaluate only this program (repeatable). Default: the programs the case "
                   "applies for, or all.")
@click.option("--replay", "replay_file", metavar="DECISION.json", default=None,
              type=click.Path(dir_okay=False, exists=True),
              help="Re-evaluate a decision stored by `policy eval --format json` against the "
                   "policy as it is now and report whether it still holds (exit 0 if it "
                   "holds, 1 if it does not).")
@guarded
def eval_cmd(case_file, policy_dir, revisions, as_of, fmt, lang, programs, replay_file):
    """Evaluate CASE.json and explain each decision.

    For every program the case applies for, prints the outcome (eligible,
    ineligible or undetermined), the amount, each clause with the case values
    it used, the standard applied and since when, and the quoted source text.
    Exit 0 whatever the outcome; 2 for a bad case file; 1 for a broken policy.
    """
    import hashlib

    from interpreter.cases import read_case_file
    from interpreter.evaluate import Evaluator
    from interpreter.render import TextRenderer, dumps, result_json

    if replay_file is not None:
        return _replay(replay_file, policy_dir, revisions, fmt)
    if case_file is None:
        raise click.UsageError("give a CASE.json (or --replay DECISION.json)")
    policy = load(policy_dir, revisions)
    data, raw = read_case_file(case_file)
    name = "<stdin>" if case_file == "-" else case_file
    res = Evaluator(policy).decide(data, as_of=as_of, programs=list(programs) or None,
                                   case_name=name)
    res.case_sha256 = "sha256:" + hashlib.sha256(raw).hexdigest()
    if fmt == "json":
        click.echo(dumps(result_json(policy, res)))
    else:
        click.echo(TextRenderer(policy, lang).render(res), nl=False)


def _replay(path, policy_dir, revisions, fmt):
    import json

    from interpreter.replay import replay, stored_revisions

    policy = load(policy_dir, list(revisions) or stored_revisions(path))
    r = replay(policy, path)
    if fmt == "json":
        click.echo(json.dumps({"holds": r.holds, "differences": r.differences,
                               "changed_files": r.changed_files}, ensure_ascii=False, indent=2))
    else:
        for f in r.changed_files:
            click.echo(f"policy file changed since the decision: {f}")
        for d in r.differences:
            click.echo(f"differs: {d}")
        click.echo("the decision still holds" if r.holds else "the decision no longer holds")
    if not r.holds:
        sys.exit(EXIT_POLICY)


@cli.command("schema")
@POLICY_OPTION
@REVISION_OPTION
@guarded
def schema_cmd(policy_dir, revisions):
    """Print the JSON Schema of a case, generated from the policy's facts.yaml."""
    import json

    from interpreter.cases import case_schema
    click.echo(json.dumps(case_schema(load(policy_dir, revisions)), ensure_ascii=False, indent=2))


@cli.command("check")
@click.argument("policy_dir", metavar="[DIR]", required=False,
                type=click.Path(file_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: every finding with file, line, column, "
                                      "severity and code, for tools.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--notes", "show_notes", is_flag=True,
              help="Also list notes (e.g. clauses of the source text no rule cites).")
@REVISION_OPTION
@guarded
def check_cmd(policy_dir, fmt, strict, show_notes, revisions):
    """Validate every policy file, type-check every expression, and lint.

    Lists all findings at once, each as file:line:col with the clause it
    concerns. Errors make the policy unusable; warnings are legal but
    probably wrong (a fact no rule reads, overlapping dated values, a
    constant clause, a program whose clauses can never all hold...); notes
    are for information. Exit 1 when there is an error (or, with --strict,
    a warning).
    """
    import json

    from dsl.errors import ErrorList, PolicyError
    from interpreter.lint import lint

    policy = None
    try:
        policy = load(policy_dir, revisions)
        findings = list(policy.warnings) + lint(policy)
        errors = []
    except ErrorList as exc:
        errors, findings = exc.errors, []
    except PolicyError as exc:
        errors, findings = [exc], []
    warnings = [f for f in findings if f.severity == "warning"]
    notes = [f for f in findings if f.severity == "note"]
    if fmt == "json":
        click.echo(json.dumps({
            "errors": [e.to_json() for e in errors],
            "warnings": [w.to_json() for w in warnings],
            "notes": [n.to_json() for n in notes],
        }, ensure_ascii=False, indent=2))
    else:
        for e in errors:
            click.echo("error: " + e.render(), err=True)
        for w in warnings:
            click.echo(f"warning[{w.code}]: " + w.render(), err=True)
        if show_notes:
            for n in notes:
                click.echo(f"note[{n.code}]: " + n.render(), err=True)
        summary = f"{len(errors)} error(s), {len(warnings)} warning(s), {len(notes)} note(s)"
        if policy is not None:
            summary = (f"policy {policy.document.number}: {len(policy.programs)} programs, "
                       f"{sum(len(p.clauses) for p in policy.programs.values())} clauses, "
                       f"{len(policy.standards)} standards checked; " + summary)
        click.echo(summary)
    if errors or (strict and warnings):
        sys.exit(EXIT_POLICY)


@cli.command("test")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@POLICY_OPTION
@REVISION_OPTION
@click.option("-k", "pattern", default=None, metavar="PATTERN",
              help="Run only tests whose name matches (substring or glob).")
@click.option("--coverage", is_flag=True,
              help="Report, for every clause, whether a test saw it true, false and unknown, "
                   "and which standard values were used.")
@click.option("--fail-under", type=float, default=None, metavar="PERCENT",
              help="With --coverage: exit 1 when clause coverage is below PERCENT.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the explanation printed for a failing test.")
@guarded
def test_cmd(paths, policy_dir, revisions, pattern, coverage, fail_under, fmt, lang):
    """Run the policy tests in PATH (files or folders; default: the policy's tests/).

    A failing test prints what was expected against what came out, and the
    explanation of the actual decision. Exit 1 when a test fails.
    """
    import json

    from interpreter.evaluate import Evaluator
    from interpreter.policytests import (Coverage, collect, default_test_dir,
                                         explain_failure, run_test)

    policy = load(policy_dir, revisions)
    tests = collect(paths or [default_test_dir(policy)], pattern)
    evaluator = Evaluator(policy)
    cov = Coverage(policy) if coverage else None
    outcomes = []
    show_progress = fmt == "text" and sys.stderr.isatty() and len(tests) > 20
    with click.progressbar(tests, label="policy tests", file=sys.stderr,
                           show_pos=True) if show_progress else _null(tests) as bar:
        for t in bar:
            outcomes.append(run_test(evaluator, t, cov))
    failed = [o for o in outcomes if not o.passed]
    below = (cov is not None and fail_under is not None and cov.percent() < fail_under)
    if fmt == "json":
        click.echo(json.dumps({
            "passed": len(outcomes) - len(failed), "failed": len(failed),
            "failures": [{"name": o.test.name, "file": o.test.file, "line": o.test.line,
                          "problems": o.problems} for o in failed],
            **({"coverage": cov.to_json()} if cov else {}),
        }, ensure_ascii=False, indent=2))
    else:
        for o in failed:
            click.echo(explain_failure(policy, o, lang))
        if cov is not None:
            click.echo(cov.render())
        click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if not tests:
        click.echo("no policy test matched", err=True)
        sys.exit(EXIT_POLICY)
    if failed or below:
        if below:
            click.echo(f"clause coverage {cov.percent()}% is below {fail_under}%", err=True)
        sys.exit(EXIT_POLICY)


@cli.command("fmt")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; exit 1 when some expression is not in canonical form "
                   "(for CI).")
@guarded
def fmt_cmd(paths, check_only):
    """Rewrite every expression of the policy YAML in canonical form.

    PATH is a policy folder or YAML files (default: the bundled policy folder).
    Only the expression strings change: comments, key order and the rest of
    each file are kept as they are.
    """
    from pathlib import Path

    from interpreter.fmt import format_paths, policy_files
    from interpreter.loader import bundled_policy_dir

    files = []
    for p in (paths or [bundled_policy_dir()]):
        p = Path(p)
        files.extend(policy_files(p) if p.is_dir() else [p])
    changes = format_paths(files, write=not check_only)
    for c in changes:
        verb = "would reformat" if check_only else "reformatted"
        click.echo(f"{c.file}:{c.line}: {verb}\n  - {c.before}\n  + {c.after}")
    click.echo(f"{len(changes)} expression(s) {'to reformat' if check_only else 'reformatted'} "
               f"in {len(files)} file(s)")
    if check_only and changes:
        sys.exit(EXIT_POLICY)


class _null:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


def main():
    cli(prog_name="policy")


if __name__ == "__main__":
    main()
