"""The population commands of `policy`: batch, diff, generate, report.

``cli.py`` mounts them lazily (``LazyGroup``).

They follow ``commands.conventions``: the engine is imported inside each command
(so `policy --help` stays quick), every PolicyError becomes its message and
exit code through ``guarded``, and the exit codes are

  0  done (for batch: even when some lines were rejected — they are in the
     rejects file and counted in the summary)
  1  the policy is broken
  2  bad input: an unreadable case or decisions file, a CSV header naming no
     fact, a bad command line
  3  an internal error (a bug)
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import time

import click

from .conventions import DATE, EXIT_OK, POLICY_OPTION, catalogues, guarded

MAX_REJECTS_SHOWN = 100


def pipe_safe(fn):
    """Stop quietly (exit 0) when the reader of standard output goes away,
    as in `policy generate 1000 | head`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:
            try:        # no second error when Python flushes stdout at exit
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            sys.exit(EXIT_OK)
    return wrapper


class _Utf8Stdout:
    """Standard output as UTF-8 text whatever the locale; never closes it."""

    def __init__(self):
        sys.stdout.flush()
        self.buffer = getattr(sys.stdout, "buffer", None)

    def write(self, text: str) -> None:
        if self.buffer is None:
            sys.stdout.write(text)
        else:
            self.buffer.write(text.encode("utf-8"))

    def flush(self) -> None:
        (self.buffer or sys.stdout).flush()

    def close(self) -> None:
        self.flush()                    # standard output stays open


def _open_out(path: str, what: str):
    from dsl.errors import CaseError, Position
    if path == "-":
        return _Utf8Stdout()
    try:
        return open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise CaseError(f"cannot write the {what}: {exc.strerror}",
                        position=Position(path)) from None


@contextlib.contextmanager
def _writing(path: str, what: str):
    """An output file (``-``: standard output), flushed and closed at the end."""
    out = _open_out(path, what)
    try:
        yield out
    finally:
        out.close()


def _same_file(a: str, b: str) -> bool:
    if a == "-" or b == "-":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


class _RejectPrinter:
    """Reports rejected lines on stderr, at most MAX_REJECTS_SHOWN of them."""

    def __init__(self, rejects_path: str, clear: str = ""):
        self.shown = 0
        self.rejects_path = rejects_path
        self.clear = clear

    def __call__(self, message: str):
        self.shown += 1
        if self.shown <= MAX_REJECTS_SHOWN:
            click.echo(f"{self.clear}rejected: {message}", err=True)
        elif self.shown == MAX_REJECTS_SHOWN + 1:
            click.echo(f"{self.clear}… more rejected lines: see {self.rejects_path}", err=True)


class _Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.on = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, summary, cases):
        if not self.on:
            return
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        frac = cases.progress()
        pct = f"{frac * 100:5.1f}% " if frac is not None else ""
        sys.stderr.write(f"\r\x1b[K{self.label}: {pct}{summary.cases} cases, "
                         f"{summary.rejected} rejected")
        sys.stderr.flush()

    def done(self):
        if self.on:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


# -- batch ----------------------------------------------------------------------------

@click.command("batch")
@click.argument("cases_path", metavar="CASES", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--out", "out_path", required=True, metavar="DECISIONS.jsonl",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the decisions, one JSON object per line ('-': stdout).")
@click.option("--jobs", type=click.IntRange(1, 512), default=1, show_default=True,
              metavar="N", help="Worker processes; each loads the policy once. The output "
                                "is the same, byte for byte, whatever N.")
@POLICY_OPTION
@click.option("--revision", "revisions", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, exists=True),
              help="Decide under the policy plus this revision file (repeatable).")
@click.option("--as-of", type=DATE, default=None, metavar="DATE",
              help="Read the standards in force on this date for every case, instead of "
                   "each case's own decision date.")
@click.option("--rejects", "rejects_path", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Where to write the rejected lines with their error "
                   "(default: DECISIONS.rejects.jsonl next to --out).")
@click.option("--explain/--no-explain", default=False, show_default=True,
              help="Write each decision's full explanation (clauses, values, standards, "
                   "citations), as `policy eval --format json` does. Slower, bigger.")
@click.option("--summary-json", "summary_path", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Also write the summary (cases, rejected, outcomes and amounts per "
                   "program) as JSON to FILE.")
@click.option("--input-format", "input_format", type=click.Choice(["auto", "jsonl", "csv"]),
              default="auto", show_default=True,
              help="Format of CASES; auto: by the file name (.csv, .jsonl), else by its "
                   "first character ('{' is JSON Lines).")
@guarded
@pipe_safe
@click.option("--history", "history_path", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, exists=True),
              help="Earlier claims (JSON Lines: id, program, date and the keys of the "
                   "policy's real_name_checks) to check this batch against (七（三） 实名制).")
def batch(cases_path, out_path, jobs, policy_dir, revisions, as_of, rejects_path, explain,
          summary_path, input_format, history_path):
    """Decide every case of CASES and write one line of JSON per case.

    CASES is JSON Lines (one case object per line, as in `policy eval`) or
    CSV (a header row of fact paths such as applicant.insured_months,
    certificate.level, application.programs with values separated by '|',
    history as JSON; an empty cell is a missing fact). '-' reads
    from standard input. Cases are streamed: memory stays flat whatever the
    number of cases.

    Each output line holds the case's line number, the applicant's id, the
    policy hash, the decision date and the decisions (program, outcome,
    amount, level, failing clauses, missing facts). A line that cannot be
    decided (bad JSON, unknown field, wrong type) is reported on stderr and
    written with its error to the rejects file; the others go on. A summary
    (cases, rejected, outcomes and amounts per program) ends on stderr.

    Exit 0 when done, even with rejected lines; 1 for a broken policy; 2 for
    an unreadable CASES file or a CSV header naming no fact.

    Real-name checks (七（三）): the policy's real_name_checks flag a line
    whose eligible claim repeats one the same person made earlier in the
    batch or in --history (the same occupation and level twice; more than 3
    in a year); the line gets "flags" naming the lines it conflicts with.

    \b
    Examples:
      policy generate 1000 --seed 7 --out cases.jsonl
      policy batch cases.jsonl --out decisions.jsonl
      policy batch cases.jsonl --out decisions.jsonl --jobs 4 --summary-json summary.json
      policy batch cases.csv --out decisions.jsonl --rejects bad.jsonl
      policy generate 100 | policy batch - --out decisions.jsonl --explain
    """
    import json

    from dsl.errors import CaseError, Position
    from population.batch import (default_rejects_path, load_policy_with, open_cases,
                                   run_batch, spec_for)

    rejects_path = rejects_path or default_rejects_path(out_path)
    for path, what in ((out_path, "--out"), (rejects_path, "--rejects")):
        if _same_file(cases_path, path):
            raise CaseError(f"{what} is the CASES file itself; it would be overwritten",
                            position=Position(path))
    if out_path != "-" and _same_file(out_path, rejects_path):
        raise CaseError("--rejects is the --out file", position=Position(rejects_path))
    with open_cases(cases_path, input_format) as cases:
        policy = load_policy_with(policy_dir, revisions, catalogues())
        spec = spec_for(cases, policy, policy_dir=policy_dir, revisions=revisions,
                        catalogs=catalogues(),
                        as_of=as_of, explain=explain)
        progress = _Progress("batch")
        printer = _RejectPrinter(rejects_path, "\r\x1b[K" if progress.on else "")
        with _writing(out_path, "decisions") as out, _writing(rejects_path, "rejects") as rejects:
            try:
                summary = run_batch(cases, out, rejects, spec=spec, policy=policy, jobs=jobs,
                                    on_reject=printer, on_progress=progress,
                                    history=history_path)
            finally:
                progress.done()
    text = summary.render()
    if summary.rejected:
        text += f"\nrejected lines: {rejects_path}"
    click.echo(text, err=True)
    if summary_path:
        data = summary.to_json()
        data.update(input=cases.name, output=out_path, rejects=rejects_path)
        with _writing(summary_path, "summary") as f:
            f.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


# -- diff -----------------------------------------------------------------------------

@click.command("diff")
@click.argument("cases_path", metavar="CASES", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--revision", "revisions", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False, exists=True),
              help="Compare the policy with the policy plus this revision file (repeatable).")
@click.option("--against", "against", default=None, metavar="DIR",
              type=click.Path(file_okay=False, exists=True),
              help="Compare the policy with a second policy folder.")
@POLICY_OPTION
@click.option("--as-of", type=DATE, default=None, metavar="DATE",
              help="Decide every case on this date instead of its own decision date.")
@click.option("--all", "show_all", is_flag=True, help="List every changed case.")
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, metavar="N",
              help="How many changed cases to list.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for machines (stable keys).")
@click.option("--input-format", "input_format", type=click.Choice(["auto", "jsonl", "csv"]),
              default="auto", show_default=True, help="Format of CASES (as for batch).")
@guarded
@pipe_safe
def diff(cases_path, revisions, against, policy_dir, as_of, show_all, limit, fmt,
         input_format):
    """What a revision changes over a population of cases.

    Decides every case of CASES (JSON Lines or CSV, as for `policy batch`)
    under the policy (--policy, default the bundled one) and under the
    revised policy (--revision FILE: the same policy plus a revision file;
    or --against DIR: a second policy folder), then reports how many
    decisions change outcome or amount, the budget (sum of the amounts of
    eligible decisions) before and after, its delta by program and by level
    (the standard key, else certificate.level), and the cases that change:
    the first N (--limit), or all (--all).

    Exit 0 when done; 1 for a broken policy; 2 for an unreadable CASES file
    or a bad command line.

    \b
    Examples:
      policy generate 500 --seed 1 --out cases.jsonl
      policy diff cases.jsonl --against revised-policy/
      policy diff cases.jsonl --revision examples/revisions/raise-junior-2021.yaml --format json
      policy diff cases.jsonl --against revised-policy/ --all
    """
    import json

    from population.batch import load_policy_with, open_cases
    from population.whatif import compare_population

    if bool(revisions) == bool(against):
        raise click.UsageError("give either --revision FILE or --against DIR (one of them)")
    with open_cases(cases_path, input_format) as cases:
        base = load_policy_with(policy_dir, (), catalogues())
        other = (load_policy_with(policy_dir, revisions, catalogues()) if revisions
                 else load_policy_with(against, (), catalogues()))
        printer = _RejectPrinter("(not written)")

        def on_reject(record, err):
            head = f"{cases.name}:{record.line}" + (f" {err.context}" if err.context else "")
            printer(f"{head}: {err.message}")
        progress = _Progress("what-if")
        try:
            result = compare_population(base, other, cases, as_of=as_of,
                                        limit=None if show_all else limit, on_reject=on_reject,
                                        on_progress=progress)
        finally:
            progress.done()
    if revisions:
        result.other_root = result.base_root + " + " + ", ".join(revisions)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(result.render_text(), nl=False)


# -- generate -------------------------------------------------------------------------

@click.command("generate")
@click.argument("count", metavar="N", type=click.IntRange(0))
@click.option("--seed", type=int, default=0, show_default=True, metavar="S",
              help="The same seed gives the same cases, byte for byte.")
@click.option("--out", "out_path", default="-", metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the cases (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="JSON Lines, or CSV with one column per fact path.")
@click.option("--missing-share", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              metavar="P", help="Share of cases that lose one fact at random.")
@POLICY_OPTION
@guarded
@pipe_safe
def generate(count, seed, out_path, fmt, missing_share, policy_dir):
    """Write N synthetic cases for tests, demos and benchmarks.

    The cases are realistic for 台政办发〔2020〕4号: a mix of the seven programs,
    levels, training kinds, training in and out of the district, prior
    subsidies in history, months of insurance, fees, employment rates, days,
    decision dates across 2019–2021 (and a few after the plan's period), a
    share of missing facts and of ineligible cases; trainings are drawn from
    the policy's catalogues (approved institutions and courses). The
    distributions are in docs/batch.md. Written as they are generated
    (streaming).

    \b
    Examples:
      policy generate 1000 --seed 7 --out cases.jsonl
      policy generate 200 --seed 7 --format csv --out cases.csv
      policy generate 100000 --seed 1 | policy batch - --out decisions.jsonl --jobs 4
    """
    from population.synthetic import generate as gen
    from population.synthetic import write_csv, write_jsonl

    from population.batch import csv_columns, load_policy_with

    policy = load_policy_with(policy_dir, (), catalogues())
    columns = csv_columns(policy) if fmt == "csv" else None
    with _writing(out_path, "cases") as out:
        cases = gen(count, seed, catalog=getattr(policy, "catalog_values", None),
                    missing_share=missing_share)
        n = write_csv(cases, out, columns) if fmt == "csv" else write_jsonl(cases, out)
    if out_path != "-":
        click.echo(f"{n} case(s) written to {out_path} (seed {seed})", err=True)


# -- report ---------------------------------------------------------------------------

@click.command("report")
@click.argument("decisions_path", metavar="DECISIONS.jsonl",
                type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "md", "html"]), default="text",
              show_default=True, help="text, Markdown, or a self-contained HTML page with "
                                      "inline SVG charts (no script, no external file).")
@click.option("--out", "out_path", default="-", metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the report (default: standard output).")
@POLICY_OPTION
@guarded
@pipe_safe
def report(decisions_path, fmt, out_path, policy_dir):
    """Quarterly and yearly report of a `policy batch` decisions file.

    By quarter and by year of each case's decision date: the person-times
    subsidised (eligible decisions) and their amounts, by program and by
    level, and the progress against the plan's targets (document.yaml
    `targets`, from 一 目标任务: 3250 person-times in 2019, at least 10000 in
    2019–2021). 七（一） asks for these quarterly and yearly reports. The
    same decisions file gives the same report, byte for byte.

    Exit 0 when done; 1 for a broken policy; 2 for an unreadable decisions
    file or a line that is not a `policy batch` decision.

    \b
    Examples:
      policy generate 5000 --seed 3 --out cases.jsonl
      policy batch cases.jsonl --out decisions.jsonl
      policy report decisions.jsonl
      policy report decisions.jsonl --format html --out report.html
      policy report decisions.jsonl --format md --out report.md
    """
    from population.batch import load_policy_with
    from population.report import read_report, render

    policy = load_policy_with(policy_dir, (), catalogues())
    text = render(read_report(decisions_path, policy), fmt)
    with _writing(out_path, "report") as out:
        out.write(text)
    if out_path != "-":
        click.echo(f"report written to {out_path}", err=True)


COMMANDS = [batch, diff, generate, report]
