"""Replay a stored decision (the JSON of `policy eval --format json`) against
the policy as it is now, and say whether it still holds.

An auditor keeps the JSON; it records the facts as read, the decision date and
where it came from, the content hash of every policy file and the revisions
applied. Replaying re-evaluates the same facts at the same date and compares
outcome, amount, failing clauses and missing facts, program by program.

Replay verifies, it does not trust (docs/security.md): the policy and the
revisions are the ones the caller names (or the bundled ones), never files a
decision names — a decision file is data from outside, and a forged one could
otherwise bring its own revision to vouch for its own amount. What the
decision says about the policy is compared with the policy used:

- its policy hash must be the hash of the files it lists, else the record was
  altered (the decision does not hold);
- each file that differs, and each revision applied then and not now (or now
  and not then), is named, with how to replay under it (``--revision FILE``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # revisions applied when the decision was made and not now, and the reverse
    revisions_missing: list[dict] = field(default_factory=list)
    revisions_added: list[dict] = field(default_factory=list)
    policy_hash: dict = field(default_factory=dict)  # stored, now, listed (of the files)
    stored: dict = field(default_factory=dict)
    now: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "holds": self.holds,
            "differences": self.differences,
            "changed_files": self.changed_files,
            "revisions_missing": self.revisions_missing,
            "revisions_added": self.revisions_added,
            "policy_hash": self.policy_hash,
        }

    def lines(self) -> list[str]:
        out = []
        for f in self.changed_files:
            out.append(f"policy file changed since the decision: {f}")
        for r in self.revisions_missing:
            out.append(
                f"the decision was made with revision {r['label']} ({r['file']}, "
                f"{r['sha256']}), which is not applied now; give --revision FILE to "
                "replay under it"
            )
        for r in self.revisions_added:
            out.append(
                f"revision {r['label']} ({r['file']}) is applied now but was not "
                "when the decision was made"
            )
        for d in self.differences:
            out.append(f"differs: {d}")
        out.append("the decision still holds" if self.holds else "the decision no longer holds")
        return out


def files_hash(files: dict) -> str:
    """The policy hash of a list of files (name → "sha256:…"), as Policy.hash."""
    h = hashlib.sha256()
    for name in sorted(files):
        digest = str(files[name]).removeprefix("sha256:")
        h.update(name.encode() + b"\0" + digest.encode() + b"\n")
    return "sha256:" + h.hexdigest()


def _revision(r: dict) -> dict:
    digest = str(r.get("sha256") or "").removeprefix("sha256:")
    return {
        "id": str(r.get("id")),
        "label": str(r.get("number") or r.get("id")),
        "file": str(r.get("file")),
        "sha256": "sha256:" + digest,
    }


def replay(policy: Policy, path: str | Path, other_policy: bool = False) -> Replay:
    """``other_policy``: replay a decision made under another policy id (by
    default refused, identity.OtherPolicyError, exit 2)."""
    from .identity import made_under

    name = str(path)
    data, _raw = read_case_file(path)
    try:
        case = data["case"]
        made_id = data["policy"].get("id")
        facts = case["facts"]
        stored = {d["program"]: d for d in data["decisions"]}
        as_of = (
            _dt.date.fromisoformat(case["as_of"]) if case.get("as_of_source") == "--as-of" else None
        )
        files = data["policy"]["files"]
        stored_hash = data["policy"]["hash"]
        stored_revisions = [_revision(r) for r in data["policy"].get("revisions") or []]
        if not (
            isinstance(files, dict)
            and isinstance(stored_hash, str)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
            and all(isinstance(p, str) for p in stored)
        ):
            raise TypeError
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CaseError(
            "not a stored decision: expected the JSON written by `policy eval --format json`",
            position=Position(name),
        ) from None
    made_under(
        policy,
        made_id if isinstance(made_id, str) else None,
        Position(name),
        "decision",
        other_policy,
    )
    # a decision log keeps ID numbers masked (`policy serve --log-input`) and
    # names them: they are left out, as missing facts; a decision that needed
    # one then no longer holds, and the replay says so
    masked = case.get("masked") or []
    if not (isinstance(masked, list) and all(isinstance(m, str) for m in masked)):
        raise CaseError(
            "not a stored decision: case.masked is a list of fact paths", position=Position(name)
        )
    for fact_path in masked:
        facts = _without(facts, fact_path.split("."))
    reader = CaseReader(policy, numbers_as_text=True)
    converted = reader.convert(facts, name)
    known = [p for p in stored if p in policy.programs]
    res = Evaluator(policy).decide(
        converted, as_of=as_of, programs=known or None, case_name=name, converted=True
    )
    out = Replay(True, stored=stored)
    for p in stored:
        if p not in policy.programs:
            out.differences.append(f"{p}: the policy used for the replay has no such program")
    listed = files_hash(files)
    out.policy_hash = {"stored": stored_hash, "of_stored_files": listed, "now": policy.hash}
    if listed != stored_hash:
        out.differences.append(
            f"the decision's policy hash {stored_hash} is not the hash of "
            f"the files it lists ({listed}): the record was altered"
        )
    for r in stored_revisions:
        if files.get(r["file"]) != r["sha256"]:
            out.differences.append(
                f"the decision lists revision {r['label']} ({r['file']}) "
                "but not its file among the policy's files: the record "
                "was altered"
            )
    now_files = {k: "sha256:" + v for k, v in policy.files.items()}
    out.changed_files = sorted(
        k for k in set(files) | set(now_files) if files.get(k) != now_files.get(k)
    )
    now_revisions = [_revision(r) for r in policy.revisions]
    now_digests = {r["sha256"] for r in now_revisions}
    then_digests = {r["sha256"] for r in stored_revisions}
    out.revisions_missing = [r for r in stored_revisions if r["sha256"] not in now_digests]
    out.revisions_added = [r for r in now_revisions if r["sha256"] not in then_digests]
    if case.get("as_of") != (res.as_of.isoformat() if res.as_of else None):
        out.differences.append(
            f"decision date: stored {case.get('as_of')}, now "
            f"{res.as_of.isoformat() if res.as_of else None}"
        )
    for d in res.decisions:
        if d.program.id not in stored:
            continue
        now = decision_json(policy, d, explain=False, day=res.as_of)
        out.now[d.program.id] = now
        before = stored[d.program.id]
        for key in COMPARED:
            if before.get(key) != now.get(key):
                out.differences.append(
                    f"{d.program.id}: {key} stored {before.get(key)!r}, now {now.get(key)!r}"
                )
    out.holds = not out.differences
    return out


def _without(facts: Any, parts: list[str]) -> Any:
    """``facts`` without the value at a dotted path (``[]`` after a name: in
    every item of that list)."""
    if not parts or not isinstance(facts, dict):
        return facts
    head, rest = parts[0], parts[1:]
    key = head.removesuffix("[]")
    if key not in facts:
        return facts
    out = dict(facts)
    if not rest:
        del out[key]
    elif head.endswith("[]") and isinstance(facts[key], list):
        out[key] = [_without(item, rest) for item in facts[key]]
    else:
        out[key] = _without(facts[key], rest)
    return out
