"""The end-to-end floor (issue 21): what a programmer would write by hand to
turn a file of JSON Lines cases into a file of JSON Lines decisions of
职业培训补贴, with ``benchmarks/floor.py`` as the rules.

Per line: ``json.loads``; the dates the rules compare made ``datetime.date``
and a record stated none (``{"none": true}``) made a record whose every
field is none; the floor's decision; ``json.dumps`` of (line, program,
outcome, amount, failing clauses), one line written. No validation of the
case (a wrong type, an undeclared field, an impossible date pass unseen or
fail), no explanation, no real-name checks: the least that turns the text
into decided lines. ``benchmarks/run.py`` times it against ``policy batch
--jobs 1``'s loop over the same file and checks that it agrees with the
policy on every line (outcome and amount).

    python benchmarks/floor_e2e.py CASES.jsonl OUT.jsonl
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script: the checkout this file is in
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.floor import PROGRAM, Floor

_date = _dt.date.fromisoformat
DATES = (
    ("application", ("date",)),
    ("certificate", ("date",)),
    ("training", ("start_date", "end_date")),
)


class _Stated:
    """The value of a fact stated none: equal to nothing the rules look for."""


STATED_NONE = _Stated()


class _NoneRecord(dict):
    """A record stated none: every field none."""

    def get(self, key, default=None):
        return STATED_NONE


def read_case(text: str) -> dict:
    case = json.loads(text)
    for name, keys in DATES:
        rec = case.get(name)
        if rec is None:
            continue
        if rec.get("none") is True:
            case[name] = _NoneRecord()
            continue
        for k in keys:
            v = rec.get(k)
            if v is not None:
                rec[k] = _date(v)
    for h in case.get("history") or ():
        v = h.get("date")
        if v is not None:
            h["date"] = _date(v)
    return case


def run(lines, out, floor: Floor) -> int:
    """Decide every line of ``lines`` (text) and write one JSON line each to ``out``."""
    n = 0
    dumps, write = json.dumps, out.write
    for n, text in enumerate(lines, 1):
        if not text.strip():
            continue
        outcome, amount, failing = floor.decide(read_case(text))
        write(
            dumps(
                {
                    "line": n,
                    "program": PROGRAM,
                    "outcome": outcome,
                    "amount": None if amount is None else f"{amount:.2f}",
                    "failing": list(failing),
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    return n


def main(argv=None) -> int:
    from interpreter.loader import load_policy

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    floor = Floor(load_policy().catalog_values)
    with open(args[0], encoding="utf-8") as f, open(args[1], "w", encoding="utf-8") as out:
        run(f, out, floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
