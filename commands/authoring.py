"""Authoring a policy: `policy check`, `policy test`, `policy fmt`."""

from __future__ import annotations

import contextlib
import sys

import click

from .conventions import EXIT_POLICY, POLICY_OPTION, REVISION_OPTION, guarded, load


@click.command("check")
@click.argument(
    "policy_dir", metavar="[DIR]", required=False, type=click.Path(file_okay=False, exists=True)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: every finding with file, line, column, severity and code, for tools.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option(
    "--notes",
    "show_notes",
    is_flag=True,
    help="Also list notes (e.g. clauses of the source text no rule cites).",
)
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

    from authoring.lint import lint
    from dsl.errors import ErrorList, PolicyError

    policy = None
    try:
        policy = load(policy_dir, revisions)
        findings = list(policy.warnings) + lint(policy)
        # what each program compiles to, as a decision would compile it: over
        # the limit of docs/limits.md, the policy is refused
        from interpreter.sizes import compiled_problems

        errors = compiled_problems(policy)
        # the ledger section of document.yaml is the ledger's to read: its
        # facts, formats and expressions are checked here with the rest
        from ledger.rules import LedgerRules

        LedgerRules(policy)
        # the policy's population (population.yaml, for `policy generate`),
        # when it has one: its draws against the facts, standards, catalogues
        from population.distributions import population_path

        if population_path(policy).exists():
            from population.distributions import load_population

            load_population(policy, getattr(policy, "catalog_values", None))
    except ErrorList as exc:
        errors, findings = exc.errors, []
    except PolicyError as exc:
        errors, findings = [exc], []
    warnings = [f for f in findings if f.severity == "warning"]
    notes = [f for f in findings if f.severity == "note"]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "errors": [e.to_json() for e in errors],
                    "warnings": [w.to_json() for w in warnings],
                    "notes": [n.to_json() for n in notes],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
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
            summary = (
                f"policy {policy.document.number}: {len(policy.programs)} programs, "
                f"{sum(len(p.clauses) for p in policy.programs.values())} clauses, "
                f"{len(policy.standards)} standards checked; " + summary
            )
        click.echo(summary)
    if errors or (strict and warnings):
        sys.exit(EXIT_POLICY)


@click.command("test")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@POLICY_OPTION
@REVISION_OPTION
@click.option(
    "-k",
    "pattern",
    default=None,
    metavar="PATTERN",
    help="Run only tests whose name matches (substring or glob).",
)
@click.option(
    "--coverage",
    is_flag=True,
    help="Report, for every clause, whether a test saw it true, false and unknown, "
    "and which standard values were used.",
)
@click.option(
    "--fail-under",
    type=float,
    default=None,
    metavar="PERCENT",
    help="With --coverage: exit 1 when clause coverage is below PERCENT.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the explanation printed for a failing test.",
)
@guarded
def test_cmd(paths, policy_dir, revisions, pattern, coverage, fail_under, fmt, lang):
    """Run the policy tests in PATH (files or folders; default: the policy's tests/).

    A failing test prints what was expected against what came out, and the
    explanation of the actual decision. Exit 1 when a test fails.
    """
    import json

    from authoring.policytests import Coverage, collect, default_test_dir, explain_failure, run_test
    from interpreter.evaluate import Evaluator

    policy = load(policy_dir, revisions)
    tests = collect(paths or [default_test_dir(policy)], pattern)
    evaluator = Evaluator(policy)
    cov = Coverage(policy) if coverage else None
    outcomes = []
    show_progress = fmt == "text" and sys.stderr.isatty() and len(tests) > 20
    with (
        click.progressbar(tests, label="policy tests", file=sys.stderr, show_pos=True)
        if show_progress
        else contextlib.nullcontext(tests) as bar
    ):
        for t in bar:
            outcomes.append(run_test(evaluator, t, cov))
    failed = [o for o in outcomes if not o.passed]
    below = cov is not None and fail_under is not None and cov.percent() < fail_under
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "passed": len(outcomes) - len(failed),
                    "failed": len(failed),
                    "failures": [
                        {
                            "name": o.test.name,
                            "file": o.test.file,
                            "line": o.test.line,
                            "problems": o.problems,
                        }
                        for o in failed
                    ],
                    **({"coverage": cov.to_json()} if cov else {}),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
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


@click.command("fmt")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Change nothing; exit 1 when some expression is not in canonical form (for CI).",
)
@guarded
def fmt_cmd(paths, check_only):
    """Rewrite every expression of the policy YAML in canonical form.

    PATH is a policy folder or YAML files (default: the bundled policy folder).
    Only the expression strings change: comments, key order and the rest of
    each file are kept as they are.
    """
    from pathlib import Path

    from authoring.fmt import format_paths, policy_files
    from interpreter.loader import bundled_policy_dir

    files = []
    for p in paths or [bundled_policy_dir()]:
        p = Path(p)
        files.extend(policy_files(p) if p.is_dir() else [p])
    changes = format_paths(files, write=not check_only)
    for c in changes:
        verb = "would reformat" if check_only else "reformatted"
        click.echo(f"{c.file}:{c.line}: {verb}\n  - {c.before}\n  + {c.after}")
    click.echo(
        f"{len(changes)} expression(s) {'to reformat' if check_only else 'reformatted'} "
        f"in {len(files)} file(s)"
    )
    if check_only and changes:
        sys.exit(EXIT_POLICY)
