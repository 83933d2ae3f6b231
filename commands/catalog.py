"""``policy catalog``: check, publish and compare the four catalogues.

Mounted by ``cli.py``; follows ``commands.conventions``. Exit status: 0 ok,
1 the catalogues have errors, 2 bad usage or unreadable input, 3 a bug. Errors are printed as ``file:line:col``
messages (PolicyError.render()), never as a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

import click

from catalogs.check import check_catalogue, check_directory
from catalogs.diff import diff_catalogues, render_md, render_text
from catalogs.loader import default_dir, display_path, load_catalogue_file
from catalogs.model import TITLES, Catalogue
from catalogs.publish import FORMATS, parse_formats, publish
from dsl.errors import PolicyError

from .conventions import EXIT_INPUT as EXIT_USAGE
from .conventions import EXIT_OK, POLICY_OPTION, guarded
from .conventions import EXIT_POLICY as EXIT_ERRORS


def _declared(policy_dir):
    """The policy of ``policy_dir`` when it declares catalogues of its own
    (catalogs.yaml), else None: the commands then work on the bundled policy's
    catalogue files (policy/catalogs) through the typed reader."""
    if policy_dir is None or not (Path(policy_dir) / "catalogs.yaml").exists():
        return None
    from interpreter.loader import load_policy

    return load_policy(policy_dir)


def _print_errors(errors) -> None:
    for err in errors:
        click.echo(err.render(), err=True)


def _fail(err: PolicyError, code: int | None = None):
    click.echo(err.render(), err=True)
    sys.exit(code if code is not None else err.exit_code)


@click.group(
    "catalog",
    help="""Check, publish and compare the catalogues of the policy (the
bundled policy's four: its “四个目录”).

\b
  key_industry.yaml   重点产业职业技能培训指导目录
  general.yaml        一般性职业技能培训目录
  institutions.yaml   职业技能培训机构目录
  demand.yaml         劳动者培训需求目录

Without a folder the commands use the catalogues bundled with the tool.
See docs/catalogs.md.

\b
Exit status: 0 ok
             1 the catalogues have errors (printed as file:line:col)
             2 bad usage or unreadable input""",
)
def catalog():
    pass


@catalog.command(
    "check",
    help="""Validate the four catalogues in DIR (default: the
bundled ones) and report every error as file:line:col.

\b
Checks: the JSON Schema of each file (every violation, not only the first);
duplicate codes; entries neither cited from the text nor marked
'sample: true'; institutions approved for a course in neither training
catalogue or at a level the course does not offer; overlapping or
out-of-order status periods; demands for an unknown course or level.

\b
Examples:
  policy catalog check
  policy catalog check my-catalogs/ --format json""",
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
@guarded
def check_cmd(directory: Path | None, fmt: str, policy_dir):
    policy = _declared(policy_dir)  # errors: file:line:col, exit 1
    if policy is not None:
        counts = {d.id: {"file": d.file, "entries": len(d.entries)} for d in policy.catalogues}
        if fmt == "json":
            click.echo(
                json.dumps(
                    {"ok": True, "policy": policy.document.id, "catalogues": counts, "errors": []},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            total = sum(c["entries"] for c in counts.values())
            click.echo(
                f"ok: {len(counts)} catalogue(s), {total} entries of policy "
                f"{policy.document.id} ({policy.document.number})"
            )
        sys.exit(EXIT_OK)
    try:
        catalogs, errors = check_directory(directory)
    except PolicyError as err:
        if fmt == "json":
            click.echo(
                json.dumps({"ok": False, "errors": [err.to_json()]}, ensure_ascii=False, indent=2)
            )
            sys.exit(EXIT_USAGE)
        _fail(err, EXIT_USAGE)
    counts = {
        c.kind: {
            "file": c.path,
            "entries": len(c.entries),
            "sample_entries": sum(1 for e in c.entries if e.sample),
        }
        for c in catalogs.present()
    }
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "ok": not errors,
                    "directory": catalogs.directory,
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
            click.echo(f"{len(errors)} error(s) in {catalogs.directory}", err=True)
        else:
            total = sum(c["entries"] for c in counts.values())
            click.echo(f"ok: {len(counts)} catalogues, {total} entries in {catalogs.directory}")
    sys.exit(EXIT_ERRORS if errors else EXIT_OK)


@catalog.command(
    "publish",
    help="""Publish the catalogues as a static site into the folder
given by --out.

\b
Writes, for each catalogue KIND:
  KIND.html  a page with a search box and sortable columns (works offline,
             from file://, and prints cleanly)
  KIND.md    Markdown
  KIND.csv   CSV in UTF-8 with a BOM, for machines
  KIND.json  JSON
  KIND.xlsx  the Excel workbook officers open (typed cells, frozen header,
             the sample warning)
and index.html / index.json. Output is byte-identical for the same input,
so two publications can be diffed. Nothing is written when check finds
errors (exit 1).

\b
Examples:
  policy catalog publish --out site
  policy catalog publish --out site --format html,csv --catalogs my-catalogs/""",
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
    help="Folder of the four catalogue files (default: the bundled ones).",
)
@POLICY_OPTION
@guarded
def publish_cmd(out: Path, formats: str, directory: Path | None, force: bool, policy_dir):
    policy = _declared(policy_dir)
    if policy is not None:
        from catalogs import declared

        chosen = [f.strip() for f in formats.split(",") if f.strip() in declared.FORMATS]
        names = [
            n for n in declared.pages(policy) if n == "index.html" or n.rsplit(".", 1)[-1] in chosen
        ]
        existing = [n for n in names if (out / n).exists()]
        if existing and not force:
            click.echo(
                f"{display_path(out / existing[0])}: exists; give --force to replace "
                "the files of an earlier publication",
                err=True,
            )
            sys.exit(EXIT_USAGE)
        written = declared.publish(policy, out, chosen)
        click.echo(
            f"published {len(written)} files to {display_path(out)} (policy {policy.document.id})"
        )
        return
    try:
        kinds = parse_formats(formats)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    try:
        catalogs, errors = check_directory(directory)
    except PolicyError as err:
        _fail(err, EXIT_USAGE)
    if errors:
        _print_errors(errors)
        click.echo(f"not published: {len(errors)} error(s) in {catalogs.directory}", err=True)
        sys.exit(EXIT_ERRORS)
    sources = sorted((directory or default_dir()).glob("*.yaml"))
    written = publish(catalogs, out, kinds, force=force, inputs=tuple(sources))
    click.echo(f"published {len(written)} files to {display_path(out)}")


@catalog.command(
    "diff",
    help="""Show what changed between two editions OLD and NEW of
one catalogue: entries added, removed and changed, field by field.

\b
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
    policy = _declared(policy_dir)
    if policy is not None:
        from catalogs import declared

        r = declared.diff(policy, old, new)
        head = "## " if fmt == "md" else ""
        lines = [
            (
                f"{head}{r['title']} ({r['catalogue']}): {len(r['added'])} added, "
                f"{len(r['removed'])} removed, {len(r['changed'])} changed"
            )
        ]
        lines += [f"{'- ' if fmt == 'md' else '  '}+ {k}" for k in r["added"]]
        lines += [f"{'- ' if fmt == 'md' else '  '}- {k}" for k in r["removed"]]
        for c in r["changed"]:

            def shown(v):
                return (
                    "、".join(map(str, v)) if isinstance(v, list) else "—" if v is None else str(v)
                )

            fields = "; ".join(f"{n}: {shown(a)} → {shown(b)}" for n, (a, b) in c["fields"].items())
            lines.append(f"{'- ' if fmt == 'md' else '  '}~ {c['key']}: {fields}")
        click.echo("\n".join(lines))
        return
    loaded = []
    errors = []
    unusable = False
    paths = [old] if old.resolve() == new.resolve() else [old, new]  # the same file once
    for path in paths:
        cat, errs = load_catalogue_file(path)
        if cat is None:
            unusable = True
        else:
            errs = errs + check_catalogue(cat)
        errors += errs
        loaded.append(cat)
    if errors:
        _print_errors(errors)
        sys.exit(EXIT_USAGE if unusable else EXIT_ERRORS)
    # no error: every file gave its catalogue
    a, b = cast("list[Catalogue]", loaded if len(loaded) == 2 else loaded * 2)
    if a.kind != b.kind:
        click.echo(
            f"{a.path} is a {a.kind} catalogue ({TITLES[a.kind]}) but {b.path} is a "
            f"{b.kind} catalogue ({TITLES[b.kind]}); compare two editions of the "
            "same catalogue",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    result = diff_catalogues(a, b)
    click.echo(render_md(result) if fmt == "md" else render_text(result), nl=False)


__all__ = ["catalog"]
