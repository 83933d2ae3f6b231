"""The catalogues a policy declares, as the policy ships them or read from
another folder of data files (``policy catalog check DIR``,
``publish --catalogs DIR``; an edition being prepared).

Read from a folder, each declared catalogue's data file is the file of the
same name in it (``catalogs/general.yaml`` → ``DIR/general.yaml``), checked
exactly as the policy's own: the file format, every entry against the
declared fields (types, keys, periods), the derived tables and the declared
checks — the engine's functions (interpreter.catalogues), not a copy of them.
The entries the policy's revisions add or replace are applied to such a
folder as to the policy's own files, before the tables and the checks: the
catalogues are checked as the decisions would read them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl import types as T
from dsl.errors import PolicyError, PolicyFileError, Position

from .paths import display_path


class CatalogueUsageError(PolicyError):
    """The folder or the policy cannot be used at all (exit 2)."""

    kind = "usage"
    exit_code = 2


@dataclass
class Read:
    """The catalogues as read: the declarations with their entries, the
    catalogue and table id → rows, every error found, and whether the checks
    that read other catalogues (catalog.ID) ran: they need every entry read
    without error, or an entry dropped for its errors would look missing."""

    catalogues: list
    tables: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    checked: bool = True


def data_file(decl: Any) -> str:
    """The file name of a declaration's data file (``catalogs/general.yaml`` → ``general.yaml``)."""
    return Path(decl.file).name


def read(policy: Any, directory: Path | str | None = None) -> Read:
    """The policy's catalogues, from ``directory`` when given.

    Without ``directory``: the policy's own catalogues (already checked when
    the policy loaded). Raises CatalogueUsageError when the policy declares
    no catalogue, or the folder holds none of its data files.
    """
    if not policy.catalogues:
        raise CatalogueUsageError(
            f"the policy {policy.document.id} declares no catalogue (no catalogs.yaml)",
            position=Position(display_path(policy.root)),
        )
    if directory is None:
        return Read(list(policy.catalogues), dict(policy.catalog_values))
    from interpreter import catalogues, schemas
    from interpreter.catalogues import Source
    from interpreter.changes import apply_entries
    from interpreter.yamlsource import load_yaml

    directory = Path(directory)
    decls = []
    for base in policy.catalogues:
        decl = copy.copy(base)
        decl.entries, decl.positions, decl.meta, decl.revised = [], [], {}, {}
        decl.file = display_path(directory / data_file(base))
        decls.append(decl)
    present = {d.id for d in decls if (directory / data_file(d)).is_file()}
    if not present:
        raise CatalogueUsageError(
            "none of the catalogue files of the policy is in this folder (expected "
            + ", ".join(data_file(d) for d in decls)
            + ")",
            position=Position(display_path(directory)),
        )
    errors: list[PolicyError] = []
    values: dict = {}
    data_srcs: dict[str, Source] = {}
    for decl in decls:
        if decl.id not in present:
            errors.append(
                PolicyFileError(
                    f"missing catalogue file {data_file(decl)} ({decl.title})",
                    position=Position(decl.file),
                )
            )
            continue
        try:
            src = load_yaml(directory / data_file(decl), display_name=decl.file)
        except PolicyError as exc:
            errors.append(exc)
            continue
        problems = schemas.validate(src, "catalog-data")
        errors.extend(problems)
        entries = src.data.get("entries") if isinstance(src.data, dict) else None
        if problems and not isinstance(entries, list):
            continue
        # a wrong header (an issue date written another way) is its own
        # error: the entries are still read and checked, every error at once
        schemas.read_dates(src, "catalog-data")
        data_srcs[decl.id] = src
        catalogues.fill(decl, src, policy.enums, errors)
    # the revisions' entries, on the files this folder holds (a missing file
    # is its own error above)
    revised = [c for c in policy.catalogue_changes if c.data["catalogue"] in data_srcs]
    apply_entries(
        revised,
        [d for d in decls if d.id in data_srcs],
        policy.enums,
        errors,
        catalogues.read_entry,
        applied_to=display_path(directory),
    )
    checked = not errors
    cat_path = Path(policy.root) / "catalogs.yaml"
    cat_src = load_yaml(cat_path, display_name=display_path(cat_path))
    schemas.read_dates(cat_src, "catalogs")
    types = {d.id: T.ListType("list", catalogues.entry_type(d, policy.enums)) for d in decls}
    values.update({d.id: d.entries for d in decls})
    if checked:
        # the tables and the checks between catalogues need every catalogue
        # whole, as when the policy loads
        n = len(errors)
        catalogues.derive(cat_src, decls, policy.enums, types, values, errors)
        if len(errors) == n:
            catalogues.run_checks(decls, cat_src, data_srcs, policy.enums, types, values, errors)
    else:
        # the checks of an entry on its own (reading no catalog.ID) still
        # run on the entries that were read: every error at once
        own = []
        for decl in decls:
            if decl.id in data_srcs:
                alone = copy.copy(decl)
                alone.checks = [c for c in decl.checks if not _reads_catalogues(c["expr"])]
                own.append(alone)
        catalogues.run_checks(own, cat_src, data_srcs, policy.enums, types, values, errors)
    rank = {d.file: i for i, d in enumerate(decls)}
    errors.sort(
        key=lambda e: (
            rank.get(e.position.source or "", len(rank)),
            e.position.line or 0,
            e.position.column or 0,
        )
    )
    return Read(decls, values, errors, checked)


def _reads_catalogues(expr: str) -> bool:
    """Whether a check's expression reads catalog.ID (a check that does not
    parse is taken as one that does: the policy's load reported it)."""
    from dsl import ast, parse

    try:
        tree = parse(expr)
    except PolicyError:
        return True
    return any(isinstance(n, ast.Name) and n.id == "catalog" for n in ast.walk(tree))


__all__ = ["CatalogueUsageError", "Read", "data_file", "read"]
