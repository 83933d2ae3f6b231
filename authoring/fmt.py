"""`policy fmt`: every expression in the policy YAML in canonical form.

Only the text of the expression scalars is rewritten, in place, so comments,
key order, quoting of everything else and blank lines stay exactly as the
officer left them. The canonical text comes from the rule language's
pretty-printer (``dsl.format_expression``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from dsl import ParseError, format_expression
from interpreter.outputs import atomic_write_bytes
from interpreter.yamlsource import load_yaml

# Where expressions live in each kind of file (``*`` is any list index).
EXPRESSION_PATHS: dict[str, list[tuple]] = {
    "program": [
        ("level",),
        ("clauses", "*", "expr"),
        ("let", "*", "expr"),
        ("amount", "expr"),
        ("amount", "cap"),
        ("amount", "installments", "*", "share"),
        ("amount", "installments", "*", "amount"),
        ("amount", "installments", "*", "when"),
    ],
    "definitions": [("definitions", "*", "expr")],
    "document": [("decision_date",), ("programs_applied",), ("case_id",), ("report_level",)],
}
EXPRESSION_PATHS["revision"] = [
    ("programs", "*") + p for p in EXPRESSION_PATHS["program"]
] + EXPRESSION_PATHS["definitions"]


@dataclass
class Change:
    file: str
    line: int
    before: str
    after: str


def kind_of(path: Path) -> str | None:
    if path.parent.name == "programs":
        return "program"
    if path.parent.name == "revisions":
        return "revision"
    if path.name in ("definitions.yaml", "document.yaml"):
        return path.stem
    return None


def policy_files(root: Path) -> list[Path]:
    files = [root / "document.yaml", root / "definitions.yaml"]
    files += sorted((root / "programs").glob("*.yaml"))
    files += sorted((root / "revisions").glob("*.yaml"))
    return [f for f in files if f.exists()]


def _expand(data, pattern: tuple, prefix=()):
    if not pattern:
        yield prefix
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from _expand(item, rest, prefix + (i,))
    elif isinstance(data, dict) and head in data:
        yield from _expand(data[head], rest, prefix + (head,))


def _scalar_text(text: str, style: str | None = None) -> str:
    """How to write ``text`` as a YAML scalar value: in the officer's quoting
    when it was quoted, else plain when that reads back identically, else
    single-quoted."""
    try:
        if (
            style not in ("'", '"')
            and "\n" not in text
            and yaml.safe_load(f"k: {text}") == {"k": text}
        ):
            return text
    except yaml.YAMLError:
        pass
    return "'" + text.replace("'", "''") + "'"


def format_file(path: Path, kind: str | None = None) -> tuple[str, str, list[Change]]:
    """(old text, new text, changes) for one YAML file."""
    kind = kind or kind_of(path)
    src = load_yaml(path)
    text = src.text
    edits = []
    for pattern in EXPRESSION_PATHS.get(kind or "", []):
        for p in _expand(src.data, pattern):
            node = src.nodes.get(p)
            if (
                node is None
                or not isinstance(node.value, str)
                or node.tag != "tag:yaml.org,2002:str"
            ):
                continue
            try:
                canonical = format_expression(node.value)
            except ParseError:
                continue  # `policy check` reports it; fmt never guesses
            if canonical == node.value.strip() and node.style in (None, "", "'", '"'):
                # already canonical; keep the officer's quoting
                continue
            new = _scalar_text(canonical, node.style)
            old = text[node.start_mark.index : node.end_mark.index]
            if old.rstrip() == new:
                continue
            edits.append(
                (
                    node.start_mark.index,
                    node.end_mark.index,
                    new,
                    Change(src.name, node.start_mark.line + 1, node.value.strip(), canonical),
                )
            )
    new_text = text
    for start, end, new, _c in sorted(edits, key=lambda e: e[0], reverse=True):
        old = new_text[start:end]
        # a block scalar's span ends after its trailing newline(s): keep them
        trailing = old[len(old.rstrip("\n")) :] if old.startswith(("|", ">")) else ""
        new_text = new_text[:start] + new + trailing + new_text[end:]
    return text, new_text, [e[3] for e in sorted(edits, key=lambda e: e[0])]


def format_paths(paths: list[Path], write: bool) -> list[Change]:
    changes: list[Change] = []
    for path in paths:
        old, new, file_changes = format_file(path)
        if new != old:
            changes.extend(file_changes)
            if write:
                # whole or not at all, with the file's own mode kept
                atomic_write_bytes(path, new.encode("utf-8"))
    return changes
