"""Deciding one case: `policy eval` (and `--replay`), `policy schema`."""

from __future__ import annotations

import sys

import click

from interpreter.identity import OTHER_POLICY_OPTION

from .conventions import (
    DATE,
    EXIT_POLICY,
    FORCE_OPTION,
    POLICY_OPTION,
    REVISION_OPTION,
    guarded,
    load,
)


class EvalFormat(click.Choice):
    """text or json. A document of the decision (HTML, PDF) is the notice the
    applicant receives: asked for one, eval names the command that makes it
    rather than only listing its own formats."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.lower() in ("html", "pdf"):
            self.fail(
                f"eval writes text or json; the decision as a document ({value}) is the "
                f"decision notice: policy notice CASE.json --format {value.lower()} --out FILE",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


@click.command("eval")
@click.argument(
    "case_file",
    metavar="CASE.json",
    required=False,
    type=click.Path(dir_okay=False, allow_dash=True),
)
@POLICY_OPTION
@REVISION_OPTION
@click.option(
    "--as-of",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Read the standards in force on this date (YYYY-MM-DD) instead of the "
    "case's own decision date (its application date, else its certificate date).",
)
@click.option(
    "--format",
    "fmt",
    type=EvalFormat(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for machines (stable keys). The decision notice "
    "as HTML or PDF: `policy notice`.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the text report.",
)
@click.option(
    "--program",
    "programs",
    multiple=True,
    metavar="ID",
    help="Evaluate only this program (repeatable). Default: the programs the case "
    "applies for, or all.",
)
@click.option(
    "--full",
    is_flag=True,
    help="The text clause by clause: every clause with its id, result, the case "
    "values it read (by fact path), the rule a refusal needed, every standard "
    "and citation. Default: the explanation an applicant can follow.",
)
@click.option(
    "--replay",
    "replay_file",
    metavar="DECISION.json",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="Re-evaluate a decision stored by `policy eval --format json` against the "
    "policy as it is now (--policy, --revision: the revisions are the ones you "
    "give, never the files the decision names), compare the hashes it records, "
    "and report whether it still holds (exit 0 if it holds, 1 if it does not). "
    "A decision made under another policy id is refused (exit 2).",
)
@click.option(
    "--out",
    "out_path",
    default="-",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the decision to FILE (default: standard output). An existing file "
    "is replaced only with --force, the case file never.",
)
@FORCE_OPTION
@OTHER_POLICY_OPTION
@guarded
def eval_cmd(
    case_file,
    policy_dir,
    revisions,
    as_of,
    fmt,
    lang,
    programs,
    full,
    replay_file,
    out_path,
    force,
    other_policy,
):
    """Evaluate CASE.json and explain each decision.

    For every program the case applies for, prints the outcome (eligible,
    ineligible or undetermined), the amount, each clause with the case values
    it used, the standard applied and since when, and the quoted source text.
    Exit 0 whatever the outcome; 2 for a bad case file; 1 for a broken policy.
    """
    from .evaluation import evaluate_case

    if replay_file is not None:
        return _replay(replay_file, policy_dir, revisions, fmt, out_path, force, other_policy)
    if case_file is None:
        raise click.UsageError("give a CASE.json (or --replay DECISION.json)")
    evaluate_case(
        case_file, policy_dir, revisions, as_of, fmt, lang, programs, full, out_path, force
    )


def _replay(path, policy_dir, revisions, fmt, out_path, force, other_policy=False):
    import json

    from interpreter.outputs import Outputs
    from interpreter.replay import replay

    with Outputs(inputs=[path, *revisions], force=force) as outs:
        out = outs.open(out_path, "replay report")
        # the caller's policy and revisions (or the bundled ones): never files
        # the decision names (docs/security.md)
        policy = load(policy_dir, revisions, lazy=True)
        r = replay(policy, path, other_policy)
        if fmt == "json":
            out.write(json.dumps(r.to_json(), ensure_ascii=False, indent=2) + "\n")
        else:
            from dsl.visible import visible_lines

            out.write(visible_lines(r.lines()) + "\n")  # the stored values, escaped
    if not r.holds:
        sys.exit(EXIT_POLICY)


@click.command("schema")
@POLICY_OPTION
@REVISION_OPTION
@guarded
def schema_cmd(policy_dir, revisions):
    """Print the JSON Schema of a case, generated from the policy's facts.yaml."""
    import json

    from interpreter.cases import case_schema

    click.echo(json.dumps(case_schema(load(policy_dir, revisions)), ensure_ascii=False, indent=2))
