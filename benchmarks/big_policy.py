#!/usr/bin/env python3
"""A policy ten times the bundled one, generated as data (issue 21, point 4).

    python benchmarks/big_policy.py OUT_DIR [--copies 10] [--policy DIR]

writes OUT_DIR/policy: the bundled policy folder (its own tests left out)
with each program copied under new ids — ``<id>_copy2`` ... ``<id>_copyN`` —
so 7 programs become 70. A copy is its program's file with two edits made as
text: its ``id`` and its titles (``（副本2）`` / `` (copy 2)``); its rules are
the original's, word for word (one that reads the history of its program by
id, ``h.program == "vocational_training"``, reads the original's), so every
copy decides every case as its original does, which the benchmark checks.
The new ids are added to the ``program`` enum of facts.yaml, so a case may
apply for a copy, and beside their originals in every program list of
document.yaml (a real-name check covers a copy as it covers the original, and
so gives it the same clause). Nothing is written by hand: the
benchmark (benchmarks/run.py, rows g) generates the folder afresh each run
and loads it with ``load_policy`` before timing anything.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_ids(program_id: str, copies: int) -> list[str]:
    return [f"{program_id}_copy{k}" for k in range(2, copies + 1)]


def copied_program(text: str, program_id: str, new_id: str, k: int) -> str:
    """The program file ``text`` of ``program_id`` as the copy ``new_id``."""
    out, n = re.subn(rf"(?m)^id: {re.escape(program_id)}$", f"id: {new_id}", text)
    if n != 1:
        raise ValueError(f"{program_id}: no single top-level 'id: {program_id}' line")
    out = re.sub(r"(?m)^(title: .*)$", rf"\g<1>（副本{k}）", out, count=1)
    return re.sub(r"(?m)^(title_en: .*)$", rf"\g<1> (copy {k})", out, count=1)


def with_enum_values(facts_text: str, old: list[str], new: list[str]) -> str:
    """facts.yaml with ``new`` appended to the flow list that holds exactly ``old``
    (the ``program`` enum)."""
    line = "values: [" + ", ".join(old) + "]"
    if facts_text.count(line) != 1:
        raise ValueError("facts.yaml: the program enum is not the one line " + line)
    return facts_text.replace(line, "values: [" + ", ".join(old + new) + "]")


def with_copies_listed(document_text: str, copies: dict[str, list[str]]) -> str:
    """document.yaml with each program list (``programs: [a, b]``) naming the
    copies of every program it names, after the originals."""

    def extend(m):
        ids = [v.strip() for v in m.group(2).split(",") if v.strip()]
        return m.group(1) + "[" + ", ".join(ids + [c for i in ids for c in copies.get(i, ())]) + "]"

    return re.sub(r"(?m)^(\s*programs: )\[([^\]]*)\]", extend, document_text)


def generate(out: Path, copies: int = 10, source: Path | None = None) -> Path:
    """Write the enlarged policy under ``out``; returns its folder."""
    source = source or ROOT / "policy"
    dest = out / "policy"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.py"))
    programs = sorted((dest / "programs").glob("*.yaml"))
    ids = []
    new_ids = []
    for path in programs:
        text = path.read_text(encoding="utf-8")
        m = re.search(r"(?m)^id: (\S+)$", text)
        if m is None:
            raise ValueError(f"{path.name}: no top-level id")
        pid = m.group(1)
        ids.append(pid)
        for k, new_id in enumerate(copy_ids(pid, copies), start=2):
            (path.parent / f"{new_id}.yaml").write_text(
                copied_program(text, pid, new_id, k), encoding="utf-8"
            )
            new_ids.append(new_id)
    document = dest / "document.yaml"
    document.write_text(
        with_copies_listed(
            document.read_text("utf-8"), {pid: copy_ids(pid, copies) for pid in ids}
        ),
        encoding="utf-8",
    )
    facts = dest / "facts.yaml"
    enum = re.search(
        r"(?m)^  program:\n(?:    .*\n)*?    values: \[([^\]]*)\]", facts.read_text("utf-8")
    )
    if enum is None:
        raise ValueError("facts.yaml: no program enum")
    old = [v.strip() for v in enum.group(1).split(",")]
    if sorted(old) != sorted(ids):
        raise ValueError(f"facts.yaml: the program enum {old} is not the programs {ids}")
    facts.write_text(with_enum_values(facts.read_text("utf-8"), old, new_ids), encoding="utf-8")
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python benchmarks/big_policy.py", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("out", metavar="OUT_DIR", help="the folder to write OUT_DIR/policy into")
    ap.add_argument(
        "--copies", type=int, default=10, help="programs per bundled program (default 10)"
    )
    ap.add_argument(
        "--policy", default=None, metavar="DIR", help="the policy to enlarge (default: bundled)"
    )
    args = ap.parse_args(argv)
    if args.copies < 1:
        ap.error("--copies: at least 1")
    dest = generate(Path(args.out), args.copies, Path(args.policy) if args.policy else None)
    print(dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
