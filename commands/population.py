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
import signal
import sys
import time

import click

from interpreter.identity import OTHER_POLICY_OPTION

from .conventions import DATE, EXIT_OK, FORCE_OPTION, POLICY_OPTION, catalogues, guarded

MAX_REJECTS_SHOWN = 100


def pipe_safe(fn):
    """Stop quietly (exit 0) when the reader of standard output goes away,
    as in `policy generate 1000 | head`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:
            try:  # no second error when Python flushes stdout at exit
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError, AttributeError):
                pass
            sys.exit(EXIT_OK)

    return wrapper


class _RejectPrinter:
    """Reports rejected lines on stderr: at most MAX_REJECTS_SHOWN of them when
    they are also in a rejects file, every one when stderr is their only record
    (``rejects_path`` None)."""

    def __init__(self, rejects_path: str | None, clear: str = ""):
        self.shown = 0
        self.rejects_path = rejects_path
        self.clear = clear

    def __call__(self, message: str):
        from dsl.visible import visible

        message = visible(message)  # a case's newline or escape cannot forge a line
        self.shown += 1
        if self.shown <= MAX_REJECTS_SHOWN or self.rejects_path is None:
            click.echo(f"{self.clear}rejected: {message}", err=True)
        elif self.shown == MAX_REJECTS_SHOWN + 1:
            click.echo(f"{self.clear}… more rejected lines: see {self.rejects_path}", err=True)


class _Discard:
    """Where the rejected lines go when no rejects file is kept."""

    def write(self, text: str) -> None:
        pass


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
        sys.stderr.write(
            f"\r\x1b[K{self.label}: {pct}{summary.cases} cases, {summary.rejected} rejected"
        )
        sys.stderr.flush()

    def done(self):
        if self.on:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


# -- batch ----------------------------------------------------------------------------


@click.command("batch")
@click.argument("cases_path", metavar="CASES", type=click.Path(allow_dash=True))
@click.option(
    "--out",
    "out_path",
    required=True,
    metavar="DECISIONS.jsonl",
    type=click.Path(allow_dash=True),
    help="Where to write the decisions, one JSON object per line ('-': stdout); "
    "with --engine dask, a folder of part files.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 512),
    default=1,
    show_default=True,
    metavar="N",
    help="Worker processes; each loads the policy once. The output "
    "is the same, byte for byte, whatever N.",
)
@POLICY_OPTION
@click.option(
    "--revision",
    "revisions",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Decide under the policy plus this revision file (repeatable).",
)
@click.option(
    "--as-of",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Read the standards in force on this date for every case, instead of "
    "each case's own decision date.",
)
@click.option(
    "--rejects",
    "rejects_path",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Where to write the rejected lines with their error (default: "
    "DECISIONS.rejects.jsonl next to --out when --out is a file; with "
    "--out - or a device such as /dev/null, no file: every rejected "
    "line is reported on stderr).",
)
@click.option(
    "--explain/--no-explain",
    default=False,
    show_default=True,
    help="Write each decision's full explanation (clauses, values, standards, "
    "citations), as `policy eval --format json` does. Slower, bigger.",
)
@click.option(
    "--summary-json",
    "summary_path",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Also write the summary (cases, rejected, outcomes and amounts per "
    "program) as JSON to FILE.",
)
@click.option(
    "--input-format",
    "input_format",
    type=click.Choice(["auto", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="Format of CASES; auto: by the file name (.csv, .jsonl), else by its "
    "first character ('{' is JSON Lines).",
)
@click.option(
    "--history",
    "history_path",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Earlier claims (JSON Lines: id, program, date and the keys of the "
    "policy's real_name_checks) to check this batch against (实名制). "
    "A record with a policy_id other than the policy's is refused (exit 2).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Go on with a batch that was interrupted (Ctrl-C, SIGTERM, a crash): "
    "the chunks it finished are kept, the rest is decided; the output is "
    "the same, byte for byte, as if it had never stopped. Refused when "
    "CASES, the policy, --history, --as-of or --explain changed. Without a "
    "batch to resume, starts from the first line.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 1_000_000),
    default=None,
    metavar="N",
    help="Cases decided, written and recorded at a time (default 1000; with "
    "--engine dask, lines per partition, default 10000): an interrupted "
    "batch goes on after its last finished chunk.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this process and --jobs worker processes. dask: a Dask cluster "
    "(--scheduler, or a LocalCluster of --jobs worker processes on this "
    "machine); CASES may then be a folder or a glob of case files, and --out "
    "is a folder of part files and a manifest (docs/batch.md).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="With --engine dask: the address of a running Dask scheduler "
    "(tcp://HOST:8786), whose workers decide. Without it, a LocalCluster.",
)
@FORCE_OPTION
@OTHER_POLICY_OPTION
@guarded
@pipe_safe
def batch(
    cases_path,
    out_path,
    jobs,
    policy_dir,
    revisions,
    as_of,
    rejects_path,
    explain,
    summary_path,
    input_format,
    history_path,
    resume,
    chunk_size,
    engine,
    scheduler,
    force,
    other_policy,
):
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
    an unreadable CASES file, a CSV header naming no fact, or an output that
    cannot be written.

    Nothing is lost: an output that is the same file as an input (CASES,
    --history, a revision) or as another output is refused before anything
    is written; an existing file is replaced only with --force; every output
    is written to a temporary file and renamed when the batch is complete, so
    a failure (a full disk, a bug) leaves no partial file under its name.

    Restartable: while it runs, the decisions go to DECISIONS.partial and a
    manifest (DECISIONS.manifest.json) records each finished chunk with the
    SHA-256 of CASES and the policy hash. Ctrl-C (or SIGTERM) stops at the
    last finished chunk, keeps it, says how to go on and exits 130; run the
    same command with --resume to finish it. A new run over a partial one is
    refused unless --resume (go on) or --force (start again).

    Real-name checks (实名制): the policy's real_name_checks flag a line
    whose eligible claim repeats one the same person made earlier in the
    batch or in --history more often than a check allows (e.g. the same
    occupation and level twice, or too many in a year); the line gets "flags"
    naming the lines it conflicts with.

    \b
    Examples:
      policy generate 1000 --seed 7 --out cases.jsonl
      policy batch cases.jsonl --out decisions.jsonl
      policy batch cases.jsonl --out decisions.jsonl --jobs 4 --summary-json summary.json
      policy batch cases.csv --out decisions.jsonl --rejects bad.jsonl
      policy generate 100 | policy batch - --out decisions.jsonl --explain
      policy batch cases.jsonl --out decisions.jsonl --jobs 2 --resume
      policy batch 'cases/*.jsonl' --engine dask --jobs 2 --out decisions/
      policy batch cases.jsonl --engine dask --scheduler tcp://10.0.0.5:8786 --out decisions/
    """
    import json

    from interpreter.outputs import Outputs
    from population.batch import (
        default_rejects_path,
        load_policy_with,
        open_cases,
        run_batch,
        spec_for,
    )
    from population.resume import Interrupted, ResumableBatch, identity, resumable

    if engine == "dask" or scheduler:
        return _batch_dask(
            cases_path,
            out_path,
            jobs,
            policy_dir,
            revisions,
            as_of,
            rejects_path,
            explain,
            summary_path,
            input_format,
            history_path,
            resume,
            chunk_size,
            scheduler,
            force,
            other_policy,
        )
    if os.path.isdir(cases_path):
        raise click.UsageError("CASES is a folder: a folder of case files needs --engine dask")
    rejects_path = rejects_path or default_rejects_path(out_path)
    keep = resumable(cases_path, out_path)
    if resume and not keep:
        raise click.UsageError(
            "--resume needs CASES and --out to be files (a batch from "
            "standard input or into standard output cannot be resumed)"
        )
    job = None
    # every output checked against every input and against each other before
    # anything is written; written under their names only when complete
    with Outputs(inputs=[cases_path, history_path, *revisions], force=force) as outs:
        with open_cases(cases_path, input_format) as cases, _interrupted_early():
            policy = load_policy_with(policy_dir, revisions, catalogues())
            spec = spec_for(
                cases,
                policy,
                policy_dir=policy_dir,
                revisions=revisions,
                catalogs=catalogues(),
                as_of=as_of,
                explain=explain,
            )
            if keep:
                ident = identity(
                    cases_name=cases.name,
                    cases_path=cases_path,
                    cases_format=cases.format,
                    policy_hash=policy.hash,
                    history=history_path,
                    as_of=as_of,
                    explain=explain,
                    rejects=rejects_path,
                )
                job = ResumableBatch(
                    outs, out_path, rejects_path, ident, resume=resume, force=force
                )
                out, rejects = job.out, job.rejects
            else:
                out = outs.open(out_path, "decisions file")
                rejects = (
                    outs.open(rejects_path, "rejects file")
                    if rejects_path is not None
                    else _Discard()
                )
            # from here on a Ctrl-C goes through the job (its manifest exists):
            # kept for --resume, however early it comes
            progress: _Progress | None = None
            try:
                if job is not None and job.resumed is not None and job.resumed.chunks:
                    click.echo(
                        f"resuming after line {job.resumed.line - 1} of {cases.name} "
                        f"({job.resumed.summary['cases']} case(s) already done)",
                        err=True,
                    )
                progress = _Progress("batch")
                printer = _RejectPrinter(rejects_path, "\r\x1b[K" if progress.on else "")
                summary_out = outs.open(summary_path, "summary file") if summary_path else None
                with _signals_interrupt() as check:

                    def chunk_done(summary, cases, show=progress):
                        check()
                        show(summary, cases)

                    summary = run_batch(
                        cases,
                        out,
                        rejects,
                        spec=spec,
                        policy=policy,
                        jobs=jobs,
                        on_reject=printer,
                        on_progress=chunk_done,
                        history=history_path,
                        chunk_size=chunk_size,
                        other_policy=other_policy,
                        resume=job.resumed if job else None,
                        on_chunk=job.commit if job else None,
                    )
            except KeyboardInterrupt:
                if progress is not None:
                    progress.done()
                if job is None:
                    raise Interrupted(
                        "interrupted; nothing was kept (a batch from standard "
                        "input or into standard output cannot be resumed)"
                    ) from None
                with _signals_ignored():
                    message = job.suspend()
                raise Interrupted(message) from None
            except BaseException:
                # a failure (a full disk, a bug) keeps the chunks already done
                # for --resume; a batch with nothing done keeps nothing
                if job is not None and job.has_work():
                    with _signals_ignored():
                        message = job.suspend()
                    click.echo(message.replace("interrupted: ", "stopped: ", 1), err=True)
                elif job is not None:
                    job.abandon()
                raise
            finally:
                if progress is not None:
                    progress.done()
        if summary_out is not None:
            data = summary.to_json()
            data.update(input=cases.name, output=out_path, rejects=rejects_path)
            summary_out.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    if job is not None:
        job.finish()
    text = summary.render()
    if summary.rejected:
        text += (
            f"\nrejected lines: {rejects_path}"
            if rejects_path is not None
            else "\nrejected lines: reported above only (give --rejects FILE to keep them)"
        )
    click.echo(text, err=True)


def _batch_dask(
    cases_path,
    out_path,
    jobs,
    policy_dir,
    revisions,
    as_of,
    rejects_path,
    explain,
    summary_path,
    input_format,
    history_path,
    resume,
    chunk_size,
    scheduler,
    force,
    other_policy=False,
):
    """`policy batch --engine dask` (population.distributed)."""
    import json

    from interpreter.outputs import Outputs
    from population.batch import load_policy_with, open_cases, spec_for
    from population.distributed import (
        DaskBatch,
        Source,
        case_files,
        connect,
        identity_of,
        resume_check,
    )
    from population.resume import Interrupted

    if out_path == "-":
        raise click.UsageError("--engine dask writes a folder of part files: give --out FOLDER")
    if rejects_path is not None:
        raise click.UsageError(
            "--rejects: with --engine dask the rejected lines are part "
            "files in the output folder (part-NNNNN.rejects.jsonl)"
        )
    if cases_path == "-":
        raise click.UsageError(
            "--engine dask reads files (a file, a folder or a glob), not standard input"
        )
    files = case_files(cases_path)
    with (
        Outputs(inputs=[*files, history_path, *revisions], force=force) as outs,
        _interrupted_early(),
    ):
        policy = load_policy_with(policy_dir, revisions, catalogues())
        sources = []
        for f in files:
            with open_cases(f, input_format) as cases:
                spec = spec_for(
                    cases,
                    policy,
                    policy_dir=policy_dir,
                    revisions=revisions,
                    catalogs=catalogues(),
                    as_of=as_of,
                    explain=explain,
                )
                sources.append(Source(f, cases.format, spec))
        ident = identity_of(sources, policy, history_path, as_of, explain, chunk_size)
        folder = outs.open_folder(out_path, "decisions folder", resume=resume)
        resume_check(folder, ident)
        summary_out = outs.open(summary_path, "summary file") if summary_path else None
        job = DaskBatch(
            folder,
            sources,
            policy,
            chunk_size=chunk_size,
            history=history_path,
            identity=ident,
            on_reject=_RejectPrinter(out_path),
            other_policy=other_policy,
        )
        done = len(job.done_partitions())
        if done:
            click.echo(f"resuming: {done} partition(s) already done", err=True)
        client, cluster = connect(scheduler, jobs)
        try:
            with _signals_interrupt():
                job.run(client)
        except KeyboardInterrupt:
            folder.keep()
            raise Interrupted(
                f"interrupted: {len(job.partitions)} partition(s) done are kept "
                f"in {folder.partial}; to go on, run the same command again "
                "with --resume"
            ) from None
        except BaseException:
            if folder.precious:  # a lost worker or scheduler, a bug: the work done is kept
                folder.keep()
                click.echo(
                    f"stopped: {len(job.partitions)} partition(s) done are kept in "
                    f"{folder.partial}; to go on, run the same command again with "
                    "--resume",
                    err=True,
                )
            raise
        finally:
            with _signals_ignored():
                _close(client, cluster)
        if summary_out is not None:
            data = job.summary.to_json()
            data.update(input=files, output=out_path, rejects=f"{out_path}/part-*.rejects.jsonl")
            summary_out.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    text = job.summary.render()
    if job.summary.rejected:
        text += f"\nrejected lines: {out_path}/part-*.rejects.jsonl"
    click.echo(text, err=True)


def _close(client, cluster) -> None:
    """Close the Dask client and the LocalCluster it started, quietly."""
    import logging

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    with contextlib.suppress(Exception):  # a scheduler already gone
        client.close()
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()


@contextlib.contextmanager
def _interrupted_early():
    """Ctrl-C before the first chunk is under way: nothing to keep yet (an
    earlier partial run is left as it was)."""
    from population.resume import Interrupted

    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted("interrupted before any case was decided") from None


@contextlib.contextmanager
def _signals_interrupt():
    """SIGTERM (a scheduler stopping the job, `kill`) stops a batch as Ctrl-C
    does: at the last finished chunk, kept for --resume. Yields ``check``,
    called after each chunk: the handler raises KeyboardInterrupt wherever
    the main thread is, and where Python swallows an exception (a callback
    run after a fork starts a worker, a ``__del__``: "Exception ignored in")
    the stop was lost and the batch ran to its end (seen under `kill -TERM`
    while the pool started); remembered, it is raised again there."""
    requested: list[int] = []

    def stop(signum, frame):
        requested.append(signum)
        raise KeyboardInterrupt

    def check() -> None:
        if requested:
            raise KeyboardInterrupt

    old = []
    try:
        for s in (signal.SIGTERM, signal.SIGINT):
            # Ctrl-C only where Python would have acted on it (a shell's
            # background job ignores it)
            if s == signal.SIGINT and signal.getsignal(s) is not signal.default_int_handler:
                continue
            old.append((s, signal.signal(s, stop)))
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield check
    finally:
        for s, h in old:
            signal.signal(s, h)


@contextlib.contextmanager
def _signals_ignored():
    """A second Ctrl-C while the partial files are cut and the manifest
    written would leave them half done: ignored for that moment."""
    try:
        old = [(s, signal.signal(s, signal.SIG_IGN)) for s in (signal.SIGINT, signal.SIGTERM)]
    except ValueError:
        old = []
    try:
        yield
    finally:
        for s, h in old:
            signal.signal(s, h)


# -- diff -----------------------------------------------------------------------------


@click.command("diff")
@click.argument("cases_path", metavar="CASES", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--revision",
    "revisions",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Compare the policy with the policy plus this revision file (repeatable).",
)
@click.option(
    "--against",
    "against",
    default=None,
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True),
    help="Compare the policy with a second policy folder.",
)
@POLICY_OPTION
@click.option(
    "--as-of",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Decide every case on this date instead of its own decision date.",
)
@click.option("--all", "show_all", is_flag=True, help="List every changed case.")
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    metavar="N",
    help="How many changed cases to list.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "html", "json"]),
    default="text",
    show_default=True,
    help="text, Markdown or an HTML page (with a chart of the budget delta by "
    "program and level) for people; json for machines (stable keys).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the text, Markdown and HTML.",
)
@click.option(
    "--input-format",
    "input_format",
    type=click.Choice(["auto", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="Format of CASES (as for batch).",
)
@click.option(
    "--out",
    "out_path",
    default="-",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the comparison (default: standard output).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 512),
    default=1,
    show_default=True,
    metavar="N",
    help="Worker processes; each loads both policies once. The comparison "
    "is the same, byte for byte, whatever N.",
)
@FORCE_OPTION
@OTHER_POLICY_OPTION
@guarded
@pipe_safe
def diff(
    cases_path,
    revisions,
    against,
    policy_dir,
    as_of,
    show_all,
    limit,
    fmt,
    lang,
    input_format,
    out_path,
    jobs,
    force,
    other_policy,
):
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
      policy diff cases.jsonl --against revised-policy/ --jobs 2
      policy diff cases.jsonl --against revised-policy/ --format html --out diff.html
    """
    import json

    from interpreter.outputs import Outputs
    from population.batch import open_cases
    from population.whatif import compare_population, load_pair

    if bool(revisions) == bool(against):
        raise click.UsageError("give either --revision FILE or --against DIR (one of them)")
    with Outputs(inputs=[cases_path, *revisions], force=force) as outs:
        out = outs.open(out_path, "comparison")
        with open_cases(cases_path, input_format) as cases:
            load = (policy_dir, tuple(revisions), against, catalogues())
            base, other = load_pair(*load)
            if against:
                # a what-if compares two versions of one policy, not two policies
                from dsl.errors import Position
                from interpreter.identity import made_under

                made_under(
                    base,
                    other.document.id,
                    Position(str(against)),
                    "policy folder (--against)",
                    other_policy,
                )
            printer = _RejectPrinter("(not written)")

            def on_reject(record, err):
                head = f"{cases.name}:{record.line}" + (f" {err.context}" if err.context else "")
                printer(f"{head}: {err.message}")

            progress = _Progress("what-if")
            try:
                result = compare_population(
                    base,
                    other,
                    cases,
                    as_of=as_of,
                    limit=None if show_all else limit,
                    on_reject=on_reject,
                    on_progress=progress,
                    jobs=jobs,
                    load=load,
                )
            finally:
                progress.done()
        if revisions:
            result.other_root = result.base_root + " + " + ", ".join(revisions)
        if fmt == "json":
            out.write(
                json.dumps(result.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            )
        else:
            from interpreter import who
            from population.whatif import render

            titles = {}
            for p in (other, base):  # the base's title wins for a program of both
                titles.update(
                    {
                        pid: prog.title if lang == "zh" else prog.title_en
                        for pid, prog in p.programs.items()
                    }
                )
            # the ID numbers of the changed cases masked, as in every text for people
            out.write(render(result, fmt, lang, titles, lambda v: who.shown_id(base, v)))


# -- generate -------------------------------------------------------------------------


@click.command("generate")
@click.argument("count", metavar="N", type=click.IntRange(0))
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    metavar="S",
    help="The same seed gives the same cases, byte for byte.",
)
@click.option(
    "--out",
    "out_path",
    default="-",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the cases (default: standard output).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines, or CSV with one column per fact path.",
)
@click.option(
    "--missing-share",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="P",
    help="Share of cases that lose one fact at random (default: as the policy's "
    "population.yaml says).",
)
@POLICY_OPTION
@FORCE_OPTION
@guarded
@pipe_safe
def generate(count, seed, out_path, fmt, missing_share, policy_dir, force):
    """Write N synthetic cases for tests, demos and benchmarks.

    The cases are those the policy's population.yaml describes: its
    scenarios (a mix of its programs, with the levels, kinds, dates, amounts
    and histories of their applicants), drawn against its facts, its standards
    and its catalogues, with a share of missing facts and of ineligible cases;
    a program no scenario applies for (one a revision adds) gets cases drawn
    from its facts' declarations. The format and the bundled policy's
    distributions are in docs/batch.md. A policy without population.yaml is
    refused (exit 2), a wrong one is reported at its file:line:col (exit 1),
    before anything is written. Written as they are generated (streaming).

    \b
    Examples:
      policy generate 1000 --seed 7 --out cases.jsonl
      policy generate 200 --seed 7 --format csv --out cases.csv
      policy generate 100000 --seed 1 | policy batch - --out decisions.jsonl --jobs 4
    """
    from interpreter.outputs import Outputs
    from population.batch import csv_columns, load_policy_with
    from population.distributions import load_population
    from population.synthetic import generate as gen
    from population.synthetic import write_csv, write_jsonl

    policy = load_policy_with(policy_dir, (), catalogues())
    columns = csv_columns(policy) if fmt == "csv" else None
    catalog = getattr(policy, "catalog_values", None)
    # the policy's population.yaml, read and checked before anything is written
    population = load_population(policy, catalog)
    with Outputs(force=force) as outs:
        out = outs.open(out_path, "cases file")
        cases = gen(
            count,
            seed,
            policy=policy,
            catalog=catalog,
            missing_share=missing_share,
            population=population,
        )
        n = write_csv(cases, out, columns) if fmt == "csv" else write_jsonl(cases, out)
    if out_path != "-":
        click.echo(f"{n} case(s) written to {out_path} (seed {seed})", err=True)


# -- report ---------------------------------------------------------------------------


@click.command("report")
@click.argument(
    "decisions_path", metavar="DECISIONS.jsonl", type=click.Path(dir_okay=False, allow_dash=True)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "html"]),
    default="text",
    show_default=True,
    help="text, Markdown, or a self-contained HTML page with "
    "inline SVG charts (no script, no external file).",
)
@click.option(
    "--out",
    "out_path",
    default="-",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the report (default: standard output).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the report.",
)
@POLICY_OPTION
@FORCE_OPTION
@OTHER_POLICY_OPTION
@guarded
@pipe_safe
def report(decisions_path, fmt, out_path, lang, policy_dir, force, other_policy):
    """Quarterly and yearly report of a `policy batch` decisions file.

    By quarter and by year of each case's decision date: the person-times
    subsidised (eligible decisions) and their amounts, by program and by
    level, and the progress against the targets of the policy (document.yaml
    `targets`); the report's title and its note on what it counts are the
    policy's words (document.yaml `report`). The same decisions file gives
    the same report, byte for byte.

    Exit 0 when done; 1 for a broken policy; 2 for an unreadable decisions
    file, a line that is not a `policy batch` decision, or a line made under
    another policy than the one used (--other-policy reads it anyway).

    \b
    Examples:
      policy generate 5000 --seed 3 --out cases.jsonl
      policy batch cases.jsonl --out decisions.jsonl
      policy report decisions.jsonl
      policy report decisions.jsonl --format html --out report.html
      policy report decisions.jsonl --format md --out report.md
    """
    from interpreter.outputs import Outputs
    from population.batch import load_policy_with
    from population.report import read_report, render

    policy = load_policy_with(policy_dir, (), catalogues())
    with Outputs(inputs=[decisions_path], force=force) as outs:
        out = outs.open(out_path, "report")  # refused before the decisions are read
        out.write(render(read_report(decisions_path, policy, other_policy), fmt, lang))
    if out_path != "-":
        click.echo(f"report written to {out_path}", err=True)


COMMANDS = [batch, diff, generate, report]
