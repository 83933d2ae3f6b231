"""Replay a stored decision (the JSON of `policy eval --format json`) against
the policy as it is now, and say whether it still holds.

An auditor keeps the JSON; it records the facts as read, the decision date and
where it came from, the content hash of every policy file and the revisions
applied. Replaying re-evaluates the same facts at the same date and compares
outcome, amount, failing clauses and missing facts, program by program.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from dsl.errors import CaseError, Position

from .cases import CaseReader, read_case_file
from .evaluate import Evaluator
from .model import Policy
from .render import decision_json

COMPARED = ("outcome", "amount", "failing", "missing")


@dataclass
class Replay:
    holds: bool
    differences: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    stored: dict = field(default_factory=dict)
    now: dict = field(default_factory=dict)


def stored_revisions(path: str | Path) -> list[Path]:
    """The revision files a stored decision applied (that exist here)."""
    data, _raw = read_case_file(path)
    out = []
    for r in (data.get("policy") or {}).get("revisions") or []:
        f = Path(str(r.get("file", "")))
        if f.exists():
            out.append(f)
    return out


def replay(policy: Policy, path: str | Path) -> Replay:
    name = str(path)
    data, _raw = read_case_file(path)
    try:
        case = data["case"]
        facts = case["facts"]
        stored = {d["program"]: d for d in data["decisions"]}
        as_of = (_dt.date.fromisoformat(case["as_of"])
                 if case.get("as_of_source") == "--as-of" else None)
        files = data["policy"]["files"]
    except (KeyError, TypeError, ValueError):
        raise CaseError("not a stored decision: expected the JSON written by "
                        "`policy eval --format json`", position=Position(name)) from None
    reader = CaseReader(policy, numbers_as_text=True)
    converted = reader.convert(facts, name)
    res = Evaluator(policy).decide(converted, as_of=as_of, programs=list(stored),
                                   case_name=name, converted=True)
    out = Replay(True, stored=stored)
    now_files = {k: "sha256:" + v for k, v in policy.files.items()}
    out.changed_files = sorted(k for k in set(files) | set(now_files)
                               if files.get(k) != now_files.get(k))
    if case.get("as_of") != (res.as_of.isoformat() if res.as_of else None):
        out.differences.append(f"decision date: stored {case.get('as_of')}, now "
                               f"{res.as_of.isoformat() if res.as_of else None}")
    for d in res.decisions:
        now = decision_json(policy, d, explain=False)
        out.now[d.program.id] = now
        before = stored[d.program.id]
        for key in COMPARED:
            if before.get(key) != now.get(key):
                out.differences.append(f"{d.program.id}: {key} stored {before.get(key)!r}, "
                                       f"now {now.get(key)!r}")
    out.holds = not out.differences
    return out
