"""Real-name checks over a batch (七（三） 实行培训人员实名制管理).

A single case cannot see that the same person claims twice in one batch, or
already claimed in another. The checks are data, in document.yaml::

    real_name_checks:
      - id: same_occupation_level
        label: 同一职业同一等级不可重复享受
        person: applicant.id              # the fact that identifies a person
        programs: [vocational_training]   # eligible decisions of these count
        key: {occupation: certificate.occupation, level: certificate.level}
        max: 1                            # at most this many per person and key
        per: ever                         # or: year (calendar year of the decision date)
        cite: {clause: 六（一）, quote: 同一职业同一等级不可重复享受}

The batch flags a decision whose claim goes over ``max`` and names the lines
(or history records) it conflicts with. A history file (JSON Lines, one
earlier claim per line: ``{"id": ..., "program": ..., "date": "YYYY-MM-DD",
KEY: value, ...}`` with the key names of the checks) brings earlier batches in.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path

from dsl.errors import CaseError, Position

from .evaluate import lookup


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    person: str
    programs: tuple[str, ...]
    key: tuple[tuple[str, str], ...]        # (name, fact path)
    max: int
    per: str                                # "ever" | "year"
    cite: dict | None = None


def checks_of(policy) -> list[Check]:
    out = []
    for c in policy.document.raw.get("real_name_checks") or []:
        out.append(Check(c["id"], c.get("label", c["id"]), c["person"],
                         tuple(c["programs"]), tuple((c.get("key") or {}).items()),
                         int(c.get("max", 1)), c.get("per", "ever"), c.get("cite")))
    return out


def claims(checks: list[Check], res) -> tuple:
    """(check id, person, key values, period) for each eligible decision that counts."""
    out = []
    eligible = {d.program.id for d in res.decisions if d.outcome == "eligible"}
    for check in checks:
        hit = [p for p in check.programs if p in eligible]
        if not hit:
            continue
        person = lookup(res.facts, check.person)
        if not isinstance(person, str):
            continue        # no identity: nothing to match (the caseworker sees the case)
        values = tuple(_plain(lookup(res.facts, path)) for _name, path in check.key)
        if any(v is None for v in values):
            continue
        period = (res.as_of.year if check.per == "year" and res.as_of else None)
        if check.per == "year" and period is None:
            continue
        for program in hit:
            out.append((check.id, person, values, period, program))
    return tuple(out)


def _plain(v):
    if v is None or type(v).__name__ == "Unknown":
        return None
    return v.isoformat() if isinstance(v, _dt.date) else str(v)


class Registry:
    """What each person has claimed so far in this batch (and in the history)."""

    def __init__(self, checks: list[Check]):
        self.checks = {c.id: c for c in checks}
        self.seen: dict[tuple, list[str]] = {}
        self.flagged = 0

    def load_history(self, path: str | Path) -> int:
        name = str(path)
        count = 0
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    person, program = rec["id"], rec["program"]
                    date = _dt.date.fromisoformat(rec["date"])
                except (ValueError, KeyError, TypeError):
                    raise CaseError("a history record needs id, program and date (YYYY-MM-DD)",
                                    position=Position(name, n)) from None
                for check in self.checks.values():
                    if program not in check.programs:
                        continue
                    values = tuple(None if rec.get(k) is None else str(rec[k])
                                   for k, _p in check.key)
                    if any(v is None for v in values):
                        continue
                    period = date.year if check.per == "year" else None
                    self.seen.setdefault((check.id, person, values, period), []).append(
                        f"{name}:{n}")
                count += 1
        return count

    def add(self, where: str, found: tuple) -> list[dict]:
        """Record the claims of one case; the flags for those over the limit."""
        flags = []
        for check_id, person, values, period, program in found:
            check = self.checks[check_id]
            key = (check_id, person, values, period)
            earlier = self.seen.setdefault(key, [])
            if len(earlier) >= check.max:
                flags.append({
                    "check": check_id, "label": check.label, "program": program,
                    "person": person,
                    "key": {name: v for (name, _p), v in zip(check.key, values)},
                    **({"year": period} if period is not None else {}),
                    "max": check.max, "conflicts_with": list(earlier),
                    **({"cite": check.cite} if check.cite else {}),
                })
            earlier.append(where)
        if flags:
            self.flagged += 1
        return flags
