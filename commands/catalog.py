"""``policy catalog``: check, publish and compare the catalogues a policy
declares (its catalogs.yaml; the bundled policy's without --policy).

Mounted by ``cli.py``; follows ``commands.conventions``. Exit status: 0 ok,
1 the catalogues (or the policy) have errors, 2 bad usage or unreadable
input, 3 a bug. Errors are printed as ``file:line:col`` messages
(PolicyError.render()), never as a traceback. Nothing here knows any
particular catalogue: the policy's declarations say what there is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from catalogs.paths import display_path
from catalogs.site import FORMATS
from dsl.errors import ErrorList, PolicyError

from .conventions import EXIT_INPUT as EXIT_USAGE
from .conventions import EXIT_OK, POLICY_OPTION, REVISION_OPTION, guarded
from .conventions import EXIT_POLICY as EXIT_ERRORS


def _policy(policy_dir, revisions=()):
    """The policy of ``policy_dir`` (default: the bundled one) with its
    revisions (its revisions/ folder, then ``revisions``), as every command
    that decides loads it; a broken policy — a revision's catalogue entry
    failing a check included — is its errors as file:line:col, exit 1
    (guarded)."""
    from interpreter.loader import load_policy

    return load_policy(policy_dir, revisions=[str(r) for r in revisions])


def _revised_by(policy) -> list[dict]:
    """The revisions whose catalogue entries the catalogues were checked with
    (file and document number), in the order they were applied."""
    seen: dict[str, dict] = {}
    for c in policy.catalogue_changes:
        seen.setdefault(c.src.name, {"file": c.src.name, "revision": c.revision})
    return list(seen.values())


def _with_revisions(policy) -> str:
    applied = _revised_by(policy)
    if not applied:
        return ""
    names = ", ".join(f"{r['file']} ({r['revision']})" for r in applied)
    return f", with revision{'' if len(applied) == 1 else 's'} {names} applied"


def _print_errors(errors) -> None:
    for err in errors:
        click.echo(err.render(), err=True)


def _fail(err: PolicyError, code: int | None = None):
    click.echo(err.render(), err=True)
    sys.exit(code if code is not None else err.exit_code)


_UNCHECKED = "(the declared checks that read other catalogues run once these errors are fixed)"


def _where(policy, directory) -> str:
    if directory is not None:
        return display_path(directory)
    return f"policy {policy.document.id}"


@click.group(
    "catalog",
    help="""Check, publish and compare the catalogues of the policy: the
ones its catalogs.yaml declares (the bundled policy's without --policy;
another policy's with --policy DIR).

Each catalogue's data file is the one its declaration names; check DIR and
publish --catalogs DIR read the files of the same names from DIR instead (an
edition being prepared). See docs/catalogs.md.

\b
Exit status: 0 ok
             1 the catalogues have errors (printed as file:line:col)
             2 bad usage or unreadable input""",
)
def catalog():
    pass


@catalog.command(
    "check",
    help="""Check the policy's catalogues (or the data files of the same
names in DIR) and report every error as file:line:col.

\b
Checks, all declared in the policy's catalogs.yaml: the file format; every
entry against the declared fields (type, enum values, required fields, no
unknown field); unique keys; dated periods (each ends after it starts; a
list of periods oldest first, not overlapping); the derived tables; and the
declared checks of every entry, written in the rule language (references
between catalogues, cited-or-sample entries, ...).

The catalogues are checked as decisions read them: with the entries the
policy's revisions add or replace (its revisions/ folder, and --revision
FILE) applied — to DIR's files too. An error in such an entry is shown at
its line in the revision file.

\b
Examples:
  policy catalog check
  policy catalog check my-catalogs/ --format json
  policy catalog check --policy my-policy/
  policy catalog check --revision new-institution.yaml""",
)
@click.argument(
    "directory",
    required=False,
    metavar="[DIR]",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: messages on stderr; json: one JSON object on stdout for tools.",
)
@POLICY_OPTION
@REVISION_OPTION
@guarded
def check_cmd(directory: Path | None, fmt: str, policy_dir, revisions):
    from catalogs import show
    from catalogs.read import read

    try:
        policy = _policy(policy_dir, revisions)
    except PolicyError as err:
        # a policy folder whose catalogue files have errors does not load:
        # its errors, as a tool reading --format json expects them
        if fmt != "json":
            raise
        found = err.errors if isinstance(err, ErrorList) else [err]
        click.echo(
            json.dumps(
                {"ok": False, "checked": False, "errors": [e.to_json() for e in found]},
                ensure_ascii=False,
                indent=2,
            )
        )
        sys.exit(err.exit_code)
    try:
        got = read(policy, directory)
    except PolicyError as err:
        if fmt == "json":
            click.echo(
                json.dumps({"ok": False, "errors": [err.to_json()]}, ensure_ascii=False, indent=2)
            )
            sys.exit(EXIT_USAGE)
        _fail(err, EXIT_USAGE)
    counts = {
        d.id: {
            "file": d.file,
            "entries": len(d.entries),
            "sample_entries": sum(1 for e in d.entries if show.is_sample(d, e)),
        }
        for d in got.catalogues
    }
    errors = got.errors
    where = _where(policy, directory)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "ok": not errors,
                    "checked": got.checked,
                    "policy": policy.document.id,
                    "directory": display_path(directory) if directory is not None else None,
                    "revisions": _revised_by(policy),
                    "catalogues": counts,
                    "errors": [e.to_json() for e in errors],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_errors(errors)
        if errors:
            click.echo(f"{len(errors)} error(s) in {where}{_with_revisions(policy)}", err=True)
            if not got.checked:
                click.echo(_UNCHECKED, err=True)
        else:
            total = sum(c["entries"] for c in counts.values())
            n = len(counts)
            click.echo(
                f"ok: {n} catalogue{'' if n == 1 else 's'}, {total} entries in {where}"
                + _with_revisions(policy)
            )
    sys.exit(EXIT_ERRORS if errors else EXIT_OK)


@catalog.command(
    "publish",
    help="""Publish the policy's catalogues as a static site into the
folder given by --out.

\b
Writes, for each catalogue ID the policy declares:
  ID.html  a page with a search box and sortable columns (works offline,
           from file://, and prints cleanly)
  ID.md    Markdown
  ID.csv   CSV in UTF-8 with a BOM, for machines
  ID.json  JSON
  ID.xlsx  the Excel workbook officers open (typed cells, frozen header,
           the sample warning)
and index.html / index.json. The titles, column labels and the site's
preamble are the policy's data (catalogs.yaml and the data files); every
page names the policy and its hash. Output is byte-identical for the same
input, so two publications can be diffed. Nothing is written when the
check finds errors (exit 1).

\b
Examples:
  policy catalog publish --out site
  policy catalog publish --out site --format html,csv --catalogs my-catalogs/
  policy catalog publish --policy my-policy/ --out site

The entries the policy's revisions add or replace (its revisions/ folder,
and --revision FILE) are published with the rest, as decisions read them.""",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder to write into (created if missing; other files are left alone; "
    "a file of the same name is replaced only with --force).",
)
@click.option("--force", is_flag=True, help="Replace the files of an earlier publication in DIR.")
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated formats among html, md, csv, json, xlsx.",
)
@click.option(
    "--catalogs",
    "directory",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Read the catalogue data files from DIR (the file names the policy's "
    "declarations give) instead of the policy's own.",
)
@POLICY_OPTION
@REVISION_OPTION
@guarded
def publish_cmd(
    out: Path, formats: str, directory: Path | None, force: bool, policy_dir, revisions
):
    from catalogs.read import data_file, read
    from catalogs.site import parse_formats, publish, site_of

    try:
        kinds = parse_formats(formats)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    policy = _policy(policy_dir, revisions)
    try:
        got = read(policy, directory)
    except PolicyError as err:
        _fail(err, EXIT_USAGE)
    errors = got.errors
    if errors:
        _print_errors(errors)
        click.echo(
            f"not published: {len(errors)} error(s) in {_where(policy, directory)}"
            + _with_revisions(policy),
            err=True,
        )
        if not got.checked:
            click.echo(_UNCHECKED, err=True)
        sys.exit(EXIT_ERRORS)
    if directory is not None:
        sources = [directory / data_file(d) for d in got.catalogues]
    else:
        sources = [Path(policy.root).parent / d.file for d in got.catalogues]
    sources += [Path(r) for r in revisions]
    written = publish(
        site_of(policy, got.catalogues, got.tables), out, kinds, force=force, inputs=tuple(sources)
    )
    click.echo(
        f"published {len(written)} files to {display_path(out)} (policy {policy.document.id})"
    )


@catalog.command(
    "diff",
    help="""Show what changed between two editions OLD and NEW of one
catalogue of the policy: entries added, removed and changed (matched by the
declared key), field by field, as the published pages show them.

Which catalogue a file holds is its `catalogue:` (else its file name).
Use --format md for the publication notice (变更说明).

\b
Examples:
  policy catalog diff 2020/general.yaml 2021/general.yaml
  policy catalog diff old.yaml new.yaml --format md > notice.md""",
)
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md"]),
    default="text",
    show_default=True,
    help="text for the terminal, md (Markdown) for a notice.",
)
@POLICY_OPTION
@guarded
def diff_cmd(old: Path, new: Path, fmt: str, policy_dir):
    from catalogs.diff import diff_catalogues, read_edition, render_md, render_text

    policy = _policy(policy_dir)
    editions = []
    errors: list = []
    paths = [old] if old.resolve() == new.resolve() else [old, new]  # the same file once
    for path in paths:
        try:
            decl, errs = read_edition(policy, path)
        except PolicyError as err:
            _fail(err, EXIT_USAGE)
        editions.append(decl)
        errors += errs
    if errors:
        _print_errors(errors)
        sys.exit(EXIT_ERRORS)
    a, b = editions if len(editions) == 2 else editions * 2
    if a.id != b.id:
        click.echo(
            f"{a.file} is the {a.id} catalogue ({a.title}) but {b.file} is the "
            f"{b.id} catalogue ({b.title}); compare two editions of the same catalogue",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    result = diff_catalogues(a, b, policy.catalog_values)
    click.echo(render_md(result) if fmt == "md" else render_text(result), nl=False)


__all__ = ["catalog"]
