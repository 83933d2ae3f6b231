"""Typed objects for the four catalogues of the bundled policy (its 五（二）).

Every object remembers where it was written (``position``: file:line:col of
the entry) and, per field, where each value was written (``positions``), so a
later check or a rule that uses the catalogue can point an officer to the line.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dsl.errors import Position

if TYPE_CHECKING:
    from interpreter.yamlsource import Source

KINDS = ("key_industry", "general", "institutions", "demand")
"""The four catalogues, in the order of 五（二）'s list (with institutions
before demand because demand refers to nothing but courses)."""

COURSE_KINDS = ("key_industry", "general")

TITLES = {
    "key_industry": "重点产业职业技能培训指导目录",
    "general": "一般性职业技能培训目录",
    "institutions": "职业技能培训机构目录",
    "demand": "劳动者培训需求目录",
}

STATUSES = ("active", "suspended", "exited")
STATUS_LABELS = {"active": "在册", "suspended": "暂停", "exited": "退出"}
SUBMITTERS = ("worker", "enterprise")
SUBMITTER_LABELS = {"worker": "劳动者", "enterprise": "企业"}
OWNERSHIPS = ("公办", "民办")


@dataclass(frozen=True)
class Cite:
    clause: str
    quote: str


@dataclass(frozen=True)
class Course:
    """An occupation or course of the key-industry or the general catalogue."""

    catalogue: str  # "key_industry" or "general"
    code: str
    name: str
    levels: tuple[str, ...]
    hours: int
    industry: str | None = None
    occupation_code: str | None = None
    high_risk: bool = False
    note: str | None = None
    sample: bool = False
    cite: Cite | None = None
    position: Position = field(default_factory=Position, compare=False)
    positions: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class StatusPeriod:
    """One period of an institution's status; ``until`` None is open-ended.

    Both ends are inclusive. In YAML the start is written ``from``.
    """

    status: str
    start: _dt.date
    until: _dt.date | None
    reason: str
    position: Position = field(default_factory=Position, compare=False)

    def covers(self, day: _dt.date) -> bool:
        return self.start <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class CourseApproval:
    """A course an institution may teach, and at which levels."""

    course: str
    levels: tuple[str, ...]
    position: Position = field(default_factory=Position, compare=False)


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    ownership: str
    licence: str
    courses: tuple[CourseApproval, ...]
    status: tuple[StatusPeriod, ...]
    note: str | None = None
    sample: bool = False
    sample_fields: tuple[str, ...] = ()
    cite: Cite | None = None
    position: Position = field(default_factory=Position, compare=False)
    positions: dict = field(default_factory=dict, compare=False, repr=False)

    def status_on(self, day: _dt.date) -> str | None:
        """The status on ``day``, or None when no period covers it."""
        for period in self.status:
            if period.covers(day):
                return period.status
        return None

    def is_active(self, day: _dt.date) -> bool:
        return self.status_on(day) == "active"

    def teaches(self, course: str, level: str | None = None) -> bool:
        for approval in self.courses:
            if approval.course == course:
                return level is None or level in approval.levels
        return False


@dataclass(frozen=True)
class Demand:
    """A training demand submitted by a worker or an enterprise (提单)."""

    code: str
    submitted_by: str
    submitter: str
    occupation: str
    level: str
    headcount: int
    date: _dt.date
    note: str | None = None
    sample: bool = False
    cite: Cite | None = None
    position: Position = field(default_factory=Position, compare=False)
    positions: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Catalogue:
    """One catalogue file: its header and its entries, in file order."""

    kind: str
    path: str
    title: str
    edition: str
    issued: _dt.date | None  # None only in a catalogue with errors
    issuer: str
    note: str
    entries: tuple
    basis: str | None = None
    sample: bool = False
    position: Position = field(default_factory=Position, compare=False)
    # the loaded YAML (interpreter.yamlsource.Source), for positions and lines
    source: Source | None = field(default=None, compare=False, repr=False)
    # codes of every entry written, including those dropped for schema errors,
    # so that a reference to an invalid entry is not also reported as dangling
    all_codes: frozenset = field(default=frozenset(), compare=False, repr=False)

    def by_code(self) -> dict:
        """Entries by code; with duplicate codes (a check error) the first wins."""
        out: dict = {}
        for entry in self.entries:
            out.setdefault(entry.code, entry)
        return out

    def codes(self) -> list[str]:
        return [entry.code for entry in self.entries]

    @property
    def has_samples(self) -> bool:
        return self.sample or any(e.sample or getattr(e, "sample_fields", ()) for e in self.entries)


@dataclass(frozen=True)
class Catalogs:
    """The four catalogues together. A missing or unreadable one is None."""

    key_industry: Catalogue | None = None
    general: Catalogue | None = None
    institutions: Catalogue | None = None
    demand: Catalogue | None = None
    directory: str | None = None

    def get(self, kind: str) -> Catalogue | None:
        return getattr(self, kind)

    def present(self) -> list[Catalogue]:
        return [c for c in (self.get(k) for k in KINDS) if c is not None]

    def courses(self) -> dict[str, Course]:
        """Every course of the two training catalogues by code."""
        out: dict[str, Course] = {}
        for kind in COURSE_KINDS:
            cat = self.get(kind)
            if cat is not None:
                for code, course in cat.by_code().items():
                    out.setdefault(code, course)
        return out

    def institution(self, code: str) -> Institution | None:
        if self.institutions is None:
            return None
        return self.institutions.by_code().get(code)
