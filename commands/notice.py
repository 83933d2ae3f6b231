"""`policy notice`: the decision notice of a case or of a stored decision."""

from __future__ import annotations

import sys

import click

from .conventions import DATE, FORCE_OPTION, POLICY_OPTION, REVISION_OPTION, guarded, load


@click.command("notice")
@click.argument(
    "input_file",
    metavar="DECISION.json|CASE.json",
    type=click.Path(dir_okay=False, allow_dash=True),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf"]),
    default="html",
    show_default=True,
    help="html for a browser, pdf to print or send.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the notice.",
)
@click.option(
    "--out",
    "out",
    metavar="FILE",
    default=None,
    type=click.Path(dir_okay=False, writable=True),
    help="Write the notice to FILE (default: standard output; a PDF only when it "
    "is not a terminal).",
)
@click.option(
    "--program",
    "programs",
    multiple=True,
    metavar="ID",
    help="The notice of this program's decision only (repeatable). Default: one "
    "notice per decision, each starting a page.",
)
@click.option(
    "--number",
    metavar="SERIAL",
    default=None,
    help="The notice's serial number (the ledger gives it). Without it the notice "
    "is unnumbered and marked as a draft.",
)
@click.option(
    "--date",
    "issued",
    type=DATE,
    default=None,
    metavar="DATE",
    help="The date printed at the foot of the notice (YYYY-MM-DD; default: today).",
)
@click.option(
    "--as-of",
    type=DATE,
    default=None,
    metavar="DATE",
    help="For a CASE.json: read the standards in force on this date instead of "
    "the case's own decision date.",
)
@POLICY_OPTION
@REVISION_OPTION
@FORCE_OPTION
@guarded
def notice(
    input_file, fmt, lang, out, programs, number, issued, as_of, policy_dir, revisions, force
):
    """The decision notice (审核结果通知书) of a decision, as HTML or PDF.

    The input is either a decision written by `policy eval --format json`
    (the notice then says what was decided then, whatever the policy says
    now) or a case, which is decided first. The notice names the applicant
    (ID masked), the program, the conclusion and the amount in figures and
    in Chinese capitals, the reasons with the quoted clauses, the payments,
    the issuing body and date, and how to ask for a review. Its words are
    the policy's (notice.yaml); the PDF is printed with the Noto CJK fonts.

    \b
    Examples:
      policy notice examples/apprenticeship_capped.json --format pdf --out notice.pdf
      policy eval case.json --format json > decision.json
      policy notice decision.json --lang en --out notice.html
    """
    import hashlib

    from documents.notice import is_decision, render_notice
    from interpreter.cases import read_case_file
    from interpreter.evaluate import Evaluator
    from interpreter.render import result_json

    if fmt == "pdf" and out is None and sys.stdout.isatty():
        raise click.UsageError(
            "a PDF is not for the terminal: give --out FILE (or redirect the output)"
        )
    from interpreter.outputs import Outputs

    with Outputs(inputs=[input_file, *revisions], force=force) as outs:
        # written whole or not at all, never over the input or an existing
        # file without --force (interpreter/outputs.py)
        sink = outs.open(out, "notice") if out is not None else None
        policy = load(policy_dir, revisions)
        data, raw = read_case_file(input_file)
        name = "<stdin>" if input_file == "-" else input_file
        if is_decision(data):
            if as_of is not None:
                raise click.UsageError(
                    "--as-of is for a CASE.json; a stored decision keeps the date it was taken on"
                )
            decision = data
        else:
            res = Evaluator(policy).decide(
                data, as_of=as_of, programs=list(programs) or None, case_name=name
            )
            res.case_sha256 = "sha256:" + hashlib.sha256(raw).hexdigest()
            decision = result_json(policy, res)
        try:
            body = render_notice(
                decision,
                policy=policy,
                lang=lang,
                format=fmt,
                programs=list(programs) or None,
                number=number,
                issued=issued,
                name=name,
            )
        except (TypeError, AttributeError, KeyError, IndexError, ValueError, ArithmeticError):
            if decision is not data:
                raise  # decided here: a bug
            # a stored decision comes from outside: one damaged or forged (an
            # outcome that is a list, an amount "1e999999", clauses that are
            # text) stopped the command with "internal error" (exit 3)
            from dsl.errors import CaseError, Position

            raise CaseError(
                "not a decision as `policy eval --format json` writes it: "
                "a field holds a value of another kind",
                position=Position(name),
                hint="write it again with `policy eval CASE.json --format json`, "
                "or give the case itself",
            ) from None
        if sink is not None:
            sink.write_bytes(body)
            return
    sys.stdout.buffer.write(body)
    sys.stdout.flush()
