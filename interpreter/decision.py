"""What an evaluation produces: decisions and their explanation, as data.

The evaluator records these; ``interpreter.render`` turns them into text or
JSON. Outcomes: eligible, ineligible, undetermined.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from collections.abc import Mapping

from .model import Clause, Installment, Program

ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
UNDETERMINED = "undetermined"


@dataclass(slots=True)
class ClauseResult:
    clause: Clause
    result: bool | None                 # None: unknown for lack of facts
    missing: tuple[str, ...] = ()
    values: dict[str, object] = field(default_factory=dict)   # fact path -> value used
    # catalogue rows the clause looked at: [(table, {field: key}, [row, ...])]
    catalog_rows: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.clause.id


@dataclass
class StandardUse:
    id: str
    key: str | None
    value: Decimal
    start: _dt.date
    until: _dt.date | None
    source: str
    revision: str | None = None


@dataclass
class InstallmentResult:
    installment: Installment
    amount: Decimal | None
    status: str                         # payable | pending | refused
    missing: tuple[str, ...] = ()


class _NoLets(Mapping):
    """The lets of a decision without explanation: empty, shared, read-only."""

    __hash__ = object.__hash__

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


_NO_LETS = _NoLets()


@dataclass(slots=True)
class Decision:
    program: Program
    outcome: str
    amount: Decimal | None
    values: tuple                       # each clause's value, in program order
    missing: list[str]
    # the defaults are shared and immutable: a decision without explanation
    # (a batch) builds nothing more than the five fields above
    standards: list[StandardUse] | tuple = ()
    installments: list[InstallmentResult] | tuple = ()
    formula_amount: Decimal | None = None   # before the cap
    capped_at: Decimal | None = None
    lets: Mapping[str, object] = _NO_LETS
    _clauses: list | None = field(default=None, repr=False, compare=False)

    @property
    def clauses(self) -> list[ClauseResult]:
        """One ClauseResult per clause, built when first asked for (a batch
        without explanations never asks)."""
        if self._clauses is None:
            self._clauses = [
                ClauseResult(c, v) if v is True or v is False
                else ClauseResult(c, None, tuple(sorted(v.missing)))
                for c, v in zip(self.program.clauses, self.values)]
        return self._clauses

    @property
    def failing(self) -> list[str]:
        return [c.id for c, v in zip(self.program.clauses, self.values) if v is False]

    @property
    def unknown(self) -> list[str]:
        return [c.id for c, v in zip(self.program.clauses, self.values)
                if v is not True and v is not False]


@dataclass(slots=True)
class CaseResult:
    decisions: list[Decision]
    as_of: _dt.date | None
    as_of_source: str                   # "--as-of", "decision_date" or "unknown"
    as_of_missing: tuple[str, ...] = ()
    case_name: str | None = None
    case_sha256: str | None = None
    facts: dict | None = None
