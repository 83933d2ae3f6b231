"""What an evaluation produces: decisions and their explanation, as data.

The evaluator records these; ``interpreter.render`` turns them into text or
JSON. Outcomes: eligible, ineligible, undetermined.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NoReturn

from dsl.records import Record

from .model import Clause, Installment, Program

ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
UNDETERMINED = "undetermined"


class ClauseResult(tuple):
    """One clause of an explained decision: its result and the case values it
    read. A tuple underneath, so that the evaluator can build the twelve or so
    of a decision with ``tuple.__new__(ClauseResult, fields)``, without a
    Python call each."""

    __slots__ = ()

    def __new__(
        cls,
        clause: Clause,
        result: bool | None,
        missing: tuple[str, ...] = (),
        values: dict[str, object] | None = None,
        catalog_rows: list | tuple = (),
    ) -> ClauseResult:
        return tuple.__new__(
            cls, (clause, result, missing, {} if values is None else values, catalog_rows)
        )

    if TYPE_CHECKING:
        # what the item getters below give, as mypy reads them

        @property
        def clause(self) -> Clause: ...
        @property
        def result(self) -> bool | None: ...
        @property
        def missing(self) -> tuple[str, ...]: ...
        @property
        def catalog_rows(self) -> list | tuple: ...
    else:
        clause = property(itemgetter(0))
        result = property(itemgetter(1))  # None: unknown for lack of facts
        missing = property(itemgetter(2))
        # catalogue rows the clause looked at: [(table, {field: key}, [row, ...])]
        catalog_rows = property(itemgetter(4))

    @property
    def values(self) -> dict[str, object]:
        """Fact path -> the value the clause used. The evaluator may give,
        instead of a dict, (every value read for the decision, this clause's
        paths): the dict is then made when asked for."""
        v = self[3]
        if v.__class__ is dict:
            return v
        found, paths = v
        return {p: found[p] for p in paths}

    @property
    def id(self) -> str:
        return self[0].id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClauseResult):
            return NotImplemented
        return (self[0], self[1], self[2], self.values, list(self[4])) == (
            other[0],
            other[1],
            other[2],
            other.values,
            list(other[4]),
        )

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    # unhashable, as a mutable value is; typeshed declares __hash__ a method
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ClauseResult({self[0].id}, {self[1]}, missing={self[2]})"


class StandardUse(Record):
    id: str
    key: str | None
    value: Decimal
    start: _dt.date
    until: _dt.date | None
    source: str
    revision: str | None = None
    cite: tuple = ()  # a revision's own words for this value

    # written out (Record's own takes a microsecond more): one is made for
    # every standard a decision reads; the fields above, in their order
    def __init__(
        self,
        id: str,
        key: str | None,
        value: Decimal,
        start: _dt.date,
        until: _dt.date | None,
        source: str,
        revision: str | None = None,
        cite: tuple = (),
    ) -> None:
        self.id = id
        self.key = key
        self.value = value
        self.start = start
        self.until = until
        self.source = source
        self.revision = revision
        self.cite = cite


class InstallmentResult(Record):
    installment: Installment
    amount: Decimal | None
    status: str  # payable | pending | refused
    missing: tuple[str, ...] = ()
    # with explanations: the case values its condition and share read (e.g. the
    # employment rate a balance waits for), so a refusal or a wait is explained
    values: dict | None = None

    # written out, as StandardUse's: one for every installment a decision pays
    def __init__(
        self,
        installment: Installment,
        amount: Decimal | None,
        status: str,
        missing: tuple[str, ...] = (),
        values: dict | None = None,
    ) -> None:
        self.installment = installment
        self.amount = amount
        self.status = status
        self.missing = missing
        self.values = values


class _NoLets(Mapping):
    """The lets of a decision without explanation: empty, shared, read-only."""

    __hash__ = object.__hash__

    def __getitem__(self, key: object) -> NoReturn:
        raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


_NO_LETS = _NoLets()


class Decision:
    """One program's decision for a case.

    The five fields of the constructor are all a decision without explanation
    (a batch) has; the others are class-level defaults, shared and immutable,
    set on the instance only when there is something to say."""

    __slots__ = ("__dict__", "amount", "missing", "outcome", "program", "values")

    standards: list[StandardUse] | tuple = ()
    installments: list[InstallmentResult] | tuple = ()
    formula_amount: Decimal | None = None  # before the cap (set when there is a cap)
    capped_at: Decimal | None = None
    floored_at: Decimal | None = None  # raised to the floor (amount.floor)
    lets: Mapping[str, object] = _NO_LETS
    amount_values: Mapping[str, object] = _NO_LETS  # with explanations: the facts the amount read
    _clauses: list | None = None

    def __init__(
        self,
        program: Program,
        outcome: str,
        amount: Decimal | None,
        values: tuple,
        missing: list[str],
    ):
        self.program = program
        self.outcome = outcome
        self.amount = amount
        self.values = values  # each clause's value, in program order
        self.missing = missing

    _COMPARED = (
        "program",
        "outcome",
        "amount",
        "values",
        "missing",
        "standards",
        "installments",
        "formula_amount",
        "capped_at",
        "floored_at",
        "lets",
    )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Decision:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._COMPARED)

    # unhashable, as a mutable value is; typeshed declares __hash__ a method
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Decision({self.program.id}, {self.outcome}, amount={self.amount}, "
            f"missing={self.missing})"
        )

    @property
    def clauses(self) -> list[ClauseResult]:
        """One ClauseResult per clause, built when first asked for (a batch
        without explanations never asks)."""
        if self._clauses is None:
            self._clauses = [
                ClauseResult(c, v)
                if v is True or v is False
                else ClauseResult(c, None, tuple(sorted(v.missing)))
                for c, v in zip(self.program.clauses, self.values)
            ]
        return self._clauses

    @property
    def failing(self) -> list[str]:
        return [c.id for c, v in zip(self.program.clauses, self.values) if v is False]

    @property
    def unknown(self) -> list[str]:
        return [
            c.id
            for c, v in zip(self.program.clauses, self.values)
            if v is not True and v is not False
        ]


class CaseResult:
    """The decisions for one case, and the decision date they were taken on."""

    __slots__ = (
        "as_of",
        "as_of_missing",
        "as_of_source",
        "case_name",
        "case_sha256",
        "decisions",
        "facts",
    )

    def __init__(
        self,
        decisions: list[Decision],
        as_of: _dt.date | None,
        as_of_source: str,
        as_of_missing: tuple[str, ...] = (),
        case_name: str | None = None,
        case_sha256: str | None = None,
        facts: dict | None = None,
    ):
        self.decisions = decisions
        self.as_of = as_of
        self.as_of_source = as_of_source  # "--as-of", "decision_date" or "unknown"
        self.as_of_missing = as_of_missing
        self.case_name = case_name
        self.case_sha256 = case_sha256
        self.facts = facts

    def __repr__(self) -> str:
        return f"CaseResult({self.case_name}, as_of={self.as_of}, {self.decisions})"
