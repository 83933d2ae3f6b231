"""Differences between two editions of one catalogue, for a publication notice.

Entries are matched by code. The result lists the header fields that changed,
the entries added (in the new edition's order), removed (in the old edition's
order) and changed (in the new edition's order) with, for each changed entry,
every field whose value differs, old and new as display text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from dsl.visible import visible_lines

from .model import TITLES, Catalogue
from .publish import md_escape, md_table
from .records import LABELS, entry_record, fields_for, header_record, show


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class EntryChange:
    code: str
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CatalogueDiff:
    kind: str
    old_path: str
    new_path: str
    old_edition: str
    new_edition: str
    header: tuple[FieldChange, ...] = ()
    added: tuple[tuple[str, str], ...] = ()  # (code, name)
    removed: tuple[tuple[str, str], ...] = ()
    changed: tuple[EntryChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.header or self.added or self.removed or self.changed)


def _name(entry) -> str:
    # an institution or a course has a name, a demand its submitter
    return cast(str, getattr(entry, "name", None) or getattr(entry, "submitter", ""))


def _field_changes(fields: list[str], old: dict, new: dict) -> tuple[FieldChange, ...]:
    out = []
    keys = fields + [k for k in list(old) + list(new) if k not in fields]
    for key in dict.fromkeys(keys):
        a, b = old.get(key), new.get(key)
        if a != b:
            out.append(FieldChange(key, show(key, a), show(key, b)))
    return tuple(out)


def diff_catalogues(old: Catalogue, new: Catalogue) -> CatalogueDiff:
    """The changes from ``old`` to ``new`` (both the same kind of catalogue)."""
    if old.kind != new.kind:
        raise ValueError(f"cannot compare a {old.kind} catalogue with a {new.kind} catalogue")
    old_by, new_by = old.by_code(), new.by_code()
    fields = fields_for(new.kind)
    changed = []
    for code, entry in new_by.items():
        if code in old_by:
            changes = _field_changes(fields, entry_record(old_by[code]), entry_record(entry))
            if changes:
                changed.append(EntryChange(code, _name(entry), changes))
    header_fields = ["title", "edition", "issued", "issuer", "basis", "sample", "note"]
    return CatalogueDiff(
        kind=new.kind,
        old_path=old.path,
        new_path=new.path,
        old_edition=old.edition,
        new_edition=new.edition,
        header=_field_changes(header_fields, header_record(old), header_record(new)),
        added=tuple((c, _name(e)) for c, e in new_by.items() if c not in old_by),
        removed=tuple((c, _name(e)) for c, e in old_by.items() if c not in new_by),
        changed=tuple(changed),
    )


def _label(key: str) -> str:
    return f"{key}（{LABELS[key]}）" if key in LABELS else key


def render_text(d: CatalogueDiff) -> str:
    lines = [
        f"{d.kind} ({TITLES[d.kind]}): {d.old_edition} -> {d.new_edition}",
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
    lines += [f"  + {code} {name}" for code, name in d.added]
    lines.append(f"removed ({len(d.removed)}):")
    lines += [f"  - {code} {name}" for code, name in d.removed]
    lines.append(f"changed ({len(d.changed)}):")
    for ch in d.changed:
        lines.append(f"  ~ {ch.code} {ch.name}")
        lines += [
            f"      {c.field}: {c.old or '(none)'} -> {c.new or '(none)'}" for c in ch.changes
        ]
    # a catalogue value holding a newline or an escape is shown escaped (dsl.visible)
    return visible_lines(lines) + "\n"


def render_md(d: CatalogueDiff) -> str:
    title = TITLES[d.kind]
    out = [
        f"# {md_escape(title)}变更说明",
        "",
        f"- 原版次：{md_escape(d.old_edition)}（{md_escape(d.old_path)}）",
        f"- 新版次：{md_escape(d.new_edition)}（{md_escape(d.new_path)}）",
        f"- 新增 {len(d.added)} 条，删除 {len(d.removed)} 条，变更 {len(d.changed)} 条",
        "",
    ]
    if d.empty:
        out += ["两版之间没有变化。", ""]
        return "\n".join(out)
    if d.header:
        out += [
            "## 目录信息变更",
            "",
            md_table(
                ["字段", "原内容", "新内容"], [[_label(c.field), c.old, c.new] for c in d.header]
            ),
            "",
        ]
    if d.added:
        out += ["## 新增条目", "", md_table(["代码", "名称"], [list(a) for a in d.added]), ""]
    if d.removed:
        out += ["## 删除条目", "", md_table(["代码", "名称"], [list(r) for r in d.removed]), ""]
    if d.changed:
        rows = [
            [ch.code, ch.name, _label(c.field), c.old, c.new]
            for ch in d.changed
            for c in ch.changes
        ]
        out += ["## 变更条目", "", md_table(["代码", "名称", "字段", "原内容", "新内容"], rows), ""]
    return "\n".join(out)
