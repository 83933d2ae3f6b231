"""Differences between two editions of one declared catalogue, for a
publication notice (变更说明).

Entries are matched by the declared key. The result lists the header fields
that changed, the entries added (in the new edition's order), removed (in the
old edition's order) and changed (in the new edition's order) with, for each
changed entry, every field whose value differs, old and new as the published
pages show them (catalogs.show: enum labels, periods, records as text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl.errors import PolicyError, Position
from dsl.visible import visible_lines

from . import show
from .paths import display_path
from .site import md_escape, md_table

# the header of a data file, as the notice names its fields
HEADER = (
    ("title", "名称"),
    ("edition", "版次"),
    ("issued", "发布日期"),
    ("issuer", "发布单位"),
    ("basis", "依据"),
    ("sample", "示例"),
    ("note", "备注"),
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class EntryChange:
    key: str
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CatalogueDiff:
    catalogue: str
    title: str
    old_path: str
    new_path: str
    old_edition: str
    new_edition: str
    header: tuple[FieldChange, ...] = ()
    added: tuple[tuple[str, str], ...] = ()  # (key, name)
    removed: tuple[tuple[str, str], ...] = ()
    changed: tuple[EntryChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.header or self.added or self.removed or self.changed)


class DiffUsageError(PolicyError):
    """Two files that cannot be compared (exit 2)."""

    kind = "usage"
    exit_code = 2


def read_edition(policy: Any, path: Path) -> tuple[Any, list[PolicyError]]:
    """One data file read as the declared catalogue it holds (its
    ``catalogue:``, else the declaration whose data file has its name):
    (the declaration with its entries, errors). Raises DiffUsageError when
    the file cannot be read or names no catalogue of the policy."""
    import copy

    from interpreter import catalogues, schemas
    from interpreter.yamlsource import load_yaml

    shown = display_path(path)
    try:
        src = load_yaml(path, display_name=shown)
    except PolicyError as exc:
        raise DiffUsageError(exc.message, position=exc.position) from None
    data = src.data if isinstance(src.data, dict) else {}
    cid = data.get("catalogue")
    by_id = {d.id: d for d in policy.catalogues}
    base = by_id.get(cid) if cid is not None else None
    if base is None and cid is None:
        base = next((d for d in policy.catalogues if Path(d.file).name == path.name), None)
    if base is None:
        raise DiffUsageError(
            f"the file names no catalogue of the policy {policy.document.id} "
            f"(catalogue: {cid if cid is not None else '(none)'}); its catalogues: "
            + ", ".join(by_id),
            position=Position(shown, 1, 1) if cid is None else src.position(("catalogue",)),
        )
    decl = copy.copy(base)
    decl.entries, decl.positions, decl.meta = [], [], {}
    decl.file = shown
    errors: list[PolicyError] = list(schemas.validate(src, "catalog-data"))
    if not errors:
        schemas.read_dates(src, "catalog-data")
        catalogues.fill(decl, src, policy.enums, errors)
    return decl, errors


def _changes(
    pairs: list[tuple[str, str, dict, Any, Any]], decl: Any = None, tables: dict | None = None
) -> tuple[FieldChange, ...]:
    out = []
    for name, label, d, a, b in pairs:
        if a != b:
            old, new = (show.text(d, v, decl, name, tables) for v in (a, b))
            out.append(FieldChange(name, label, old, new))
    return tuple(out)


def diff_catalogues(old: Any, new: Any, tables: dict | None = None) -> CatalogueDiff:
    """The changes from ``old`` to ``new``, two editions of one declared
    catalogue; ``tables`` (id → rows) for what a field's ``ref`` names."""
    if old.id != new.id:
        raise ValueError(f"cannot compare a {old.id} catalogue with a {new.id} catalogue")
    old_by = {old.key_of(e): e for e in old.entries}
    new_by = {new.key_of(e): e for e in new.entries}
    changed = []
    for key, entry in new_by.items():
        if key in old_by:
            before = old_by[key]
            changes = _changes(
                [(n, new.label(n), d, before.get(n), entry.get(n)) for n, d in new.fields.items()],
                new,
                tables,
            )
            if changes:
                changed.append(
                    EntryChange(show.key_text(new, entry), show.name_of(new, entry), changes)
                )

    def listed(decl: Any, keys: list) -> tuple[tuple[str, str], ...]:
        by = {decl.key_of(e): e for e in decl.entries}
        return tuple((show.key_text(decl, by[k]), show.name_of(decl, by[k])) for k in keys)

    text = {"type": "string"}
    header = _changes(
        [
            (
                k,
                label,
                {"type": "boolean"} if k == "sample" else text,
                old.meta.get(k),
                new.meta.get(k),
            )
            for k, label in HEADER
        ]
    )
    return CatalogueDiff(
        catalogue=new.id,
        title=new.title,
        old_path=old.file,
        new_path=new.file,
        old_edition=str(old.meta.get("edition") or ""),
        new_edition=str(new.meta.get("edition") or ""),
        header=header,
        added=listed(new, [k for k in new_by if k not in old_by]),
        removed=listed(old, [k for k in old_by if k not in new_by]),
        changed=tuple(changed),
    )


def render_text(d: CatalogueDiff) -> str:
    lines = [
        f"{d.catalogue} ({d.title}): {d.old_edition} -> {d.new_edition}",
        f"  old: {d.old_path}",
        f"  new: {d.new_path}",
    ]
    if d.empty:
        lines.append("no changes")
        return visible_lines(lines) + "\n"
    if d.header:
        lines.append("header:")
        lines += [f"  {c.field}: {c.old or '(none)'} -> {c.new or '(none)'}" for c in d.header]
    lines.append(f"added ({len(d.added)}):")
    lines += [f"  + {key} {name}".rstrip() for key, name in d.added]
    lines.append(f"removed ({len(d.removed)}):")
    lines += [f"  - {key} {name}".rstrip() for key, name in d.removed]
    lines.append(f"changed ({len(d.changed)}):")
    for ch in d.changed:
        lines.append(f"  ~ {ch.key} {ch.name}".rstrip())
        lines += [
            f"      {c.field}: {c.old or '(none)'} -> {c.new or '(none)'}" for c in ch.changes
        ]
    # a catalogue value holding a newline or an escape is shown escaped (dsl.visible)
    return visible_lines(lines) + "\n"


def render_md(d: CatalogueDiff) -> str:
    out = [
        f"# {md_escape(d.title)}变更说明",
        "",
        f"- 原版次：{md_escape(d.old_edition)}（{md_escape(d.old_path)}）",
        f"- 新版次：{md_escape(d.new_edition)}（{md_escape(d.new_path)}）",
        f"- 新增 {len(d.added)} 条，删除 {len(d.removed)} 条，变更 {len(d.changed)} 条",
        "",
    ]
    if d.empty:
        out += ["两版之间没有变化。", ""]
        return "\n".join(out)

    def label(c: FieldChange) -> str:
        return f"{c.field}（{c.label}）" if c.label != c.field else c.field

    if d.header:
        out += [
            "## 目录信息变更",
            "",
            md_table(["字段", "原内容", "新内容"], [[label(c), c.old, c.new] for c in d.header]),
            "",
        ]
    if d.added:
        out += ["## 新增条目", "", md_table(["代码", "名称"], [list(a) for a in d.added]), ""]
    if d.removed:
        out += ["## 删除条目", "", md_table(["代码", "名称"], [list(r) for r in d.removed]), ""]
    if d.changed:
        rows = [[ch.key, ch.name, label(c), c.old, c.new] for ch in d.changed for c in ch.changes]
        out += ["## 变更条目", "", md_table(["代码", "名称", "字段", "原内容", "新内容"], rows), ""]
    return "\n".join(out)


__all__ = [
    "CatalogueDiff",
    "DiffUsageError",
    "EntryChange",
    "FieldChange",
    "diff_catalogues",
    "read_edition",
    "render_md",
    "render_text",
]
