"""The loaded policy: plain records (``dsl.records``), built once by the loader.

Nothing here knows any particular program: these are the shapes every policy
has (a document, its clauses, facts, dated standards, programs of clauses).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import MutableMapping
from decimal import Decimal
from types import CodeType
from typing import TYPE_CHECKING

from dsl import Environment, Expression
from dsl.errors import Position
from dsl.records import Record, field

if TYPE_CHECKING:
    from .masks import Mask


class Text(Record, frozen=True):
    """A sentence in Chinese and in English (and where it is written)."""

    zh: str
    en: str
    position: Position | None = field(default=None, compare=False)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class Citation(Record, frozen=True):
    clause: str  # id in clauses.yaml, e.g. 六（一）
    quote: str | None = None
    document: str | None = None  # id of one of document.yaml `documents`; None: the policy's own

    @property
    def key(self) -> str:
        return clause_key(self.document, self.clause)


def clause_key(document: str | None, clause: str) -> str:
    """The key of a clause in ``Policy.clauses``: its id in the policy's own
    document, ``document:id`` in another source document (clause numbers need
    only be unique within one document)."""
    return clause if document is None else f"{document}:{clause}"


class SourceClause(Record):
    id: str
    title: str | None
    title_en: str | None
    text: str
    position: Position
    document: str | None = None  # the issuing document's number, when not the policy's own
    responsible: str | None = None  # a task-division row's 责任单位 (kept out of the text)
    document_id: str | None = None  # id in document.yaml `documents`, when not the policy's own


class Money(Record, frozen=True):
    """How amounts are paid (document.yaml ``money``): to ``places`` decimal
    places (2: the fen), rounded by ``rounding``."""

    places: int = 2
    rounding: str = "half_up"


class Document(Record):
    id: str
    number: str
    title: str
    title_en: str | None
    issuer: str
    issued: _dt.date
    period_from: _dt.date | None
    period_until: _dt.date | None
    jurisdiction: str
    raw: dict
    money: Money = Money()


class EnumDecl(Record):
    name: str
    values: tuple[str, ...]
    label: str | None
    label_en: str | None


class Constraint(Record):
    """A condition between the fields of a record that every case must meet
    (facts.yaml ``constraints``): false refuses the case, naming ``field``."""

    rule: Rule  # over the record's fields, by their names
    field: str
    reads: tuple[str, ...]  # the fields it reads, in the order written
    message: Text


class FactDecl(Record):
    """One declared fact (a leaf or a record/list) at a dotted path."""

    path: str
    type: str  # string | number | money | boolean | date | enum | record | list
    label: str | None
    label_en: str | None
    description: str | None = None
    description_en: str | None = None
    enum: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    fields: dict[str, FactDecl] = field(default_factory=dict)
    items: FactDecl | None = None
    example: object = None
    position: Position | None = None
    informational: bool = False  # kept for the record; no rule needs to read it
    display: str | None = None  # how people see a number: "percent" (0.85 → 85%)
    format: str | None = None  # a declared format of a string (interpreter.formats)
    # how a string is shown to one who may not see it whole (interpreter.masks)
    mask: Mask | None = None
    min_items: int | None = None  # for a list: the fewest and most items a case may give
    max_items: int | None = None
    integer: bool = False  # for number/money: whole numbers only
    none: Text | None = None  # may be stated known none ({"none": true}): what it means
    constraints: list[Constraint] = field(default_factory=list)  # for a record

    def label_for(self, lang: str) -> str:
        if lang == "en":
            return self.label_en or self.label or self.path
        return self.label or self.label_en or self.path


class StandardVersion(Record):
    start: _dt.date
    until: _dt.date | None
    value: Decimal | dict[str, Decimal]  # or key -> Decimal
    source: str  # the file (or revision) that supplied it
    position: Position | None = None
    revision: str | None = None  # issuing document of a revision, if any
    cite: tuple = ()  # the revision's own words for a changed value

    def covers(self, day: _dt.date) -> bool:
        return self.start <= day and (self.until is None or day <= self.until)


class Standard(Record):
    id: str
    label: str | None
    label_en: str | None
    type: str  # money | number
    key: str | None  # enum name for a table
    cite: tuple[Citation, ...]
    versions: list[StandardVersion]
    position: Position | None = None
    display: str | None = None  # how people see a number: "percent" (0.85 → 85%)

    def at(self, day: _dt.date) -> StandardVersion | None:
        found = None
        for v in self.versions:  # later versions win when they overlap
            if v.covers(day):
                found = v
        return found


class Rule(Record):
    """A checked and compiled expression with where it was written."""

    text: str
    expression: Expression
    position: Position
    source: str


class Definition(Record):
    id: str
    rule: Rule
    label: Text | None


class Clause(Record):
    id: str
    program: str
    rule: Rule
    cite: tuple[Citation, ...]
    explain: Text
    interpretation: Text | None = None
    # a clause that only asks for facts to be known (the facts a real-name
    # check compares): true or unknown, never false
    requirement: bool = False


class RealNameCheck(Record):
    """A real-name check of document.yaml (七（三）): at most ``max`` eligible
    claims of ``programs`` per person and key (ever, or per calendar year).
    ``person`` and the key values are checked expressions over the case."""

    id: str
    label: str
    label_en: str | None
    person: Rule
    programs: tuple[str, ...]
    key: tuple[tuple[str, Rule], ...]
    max: int
    per: str  # "ever" | "year"
    cite: tuple[Citation, ...]
    position: Position


class Installment(Record):
    id: str
    label: Text
    share: Rule | None
    amount: Rule | None
    when: Rule | None
    cite: tuple[Citation, ...] = ()


class Amount(Record):
    rule: Rule
    cap: Rule | None
    rounding: str  # half_up | half_even | down | up (to the policy's places)
    explain: Text | None
    cite: tuple[Citation, ...]
    installments: list[Installment]
    interpretation: Text | None = None
    floor: Rule | None = None


class Program(Record):
    id: str
    title: str
    title_en: str
    cite: tuple[Citation, ...]
    payee: Text
    responsible: tuple[str, ...]
    lets: list[Definition]
    clauses: list[Clause]
    amount: Amount
    source: str
    position: Position
    interpretation: Text | None = None
    revision: str | None = None  # the revision that issued or replaced it
    level: Rule | None = None  # the level counted in reports (else the document's)


class Policy(Record):
    root: str
    document: Document
    clauses: dict[str, SourceClause]
    enums: dict[str, EnumDecl]
    facts: dict[str, FactDecl]  # roots
    standards: dict[str, Standard]
    definitions: dict[str, Definition]
    # a dict, or the programs built when first asked for (interpreter.lazyprograms)
    programs: MutableMapping[str, Program]
    env: Environment
    decision_date: Rule | None
    programs_applied: Rule | None
    files: dict[str, str]  # file name -> sha256 of its bytes
    revisions: list[dict] = field(default_factory=list)
    warnings: list = field(default_factory=list)
    catalog_values: dict = field(default_factory=dict)  # catalog.NAME → value
    case_id: Rule | None = None  # who a case is about (batch, what-if)
    case_name: Rule | None = None  # their name, shown beside the id (interpreter.who)
    report_level: Rule | None = None  # the level counted in reports by default
    real_name_checks: list[RealNameCheck] = field(default_factory=list)
    notice: dict | None = None  # the words of the decision notice (notice.yaml)
    # further source documents (document.yaml `documents`): id → its fields
    documents: dict = field(default_factory=dict)
    # catalogues the policy declares and ships (catalogs.yaml; interpreter.catalogues)
    catalogues: list = field(default_factory=list)
    # the catalogue entries its revisions add or replace (interpreter.changes),
    # applied again to another edition of the data files (catalog check DIR)
    catalogue_changes: list = field(default_factory=list, compare=False, repr=False)
    # the compiled code of its generated programs, by the SHA-256 of their
    # source (dsl.codegen.generate_function): kept in the policy cache when
    # there is one (interpreter.cache.CompiledCode), else for this process
    compiled: MutableMapping[str, CodeType] = field(default_factory=dict, compare=False, repr=False)

    def clause(self, cite: Citation) -> SourceClause | None:
        """The source clause a citation names (in whichever document)."""
        return self.clauses.get(cite.key)

    def clause_cited(self, number: str | None, clause: str) -> SourceClause | None:
        """The source clause of a rendered citation: the document's number (as
        decisions name it) and the clause id."""
        for c in self.clauses.values():
            if c.id == clause and (c.document or self.document.number) == (
                number or self.document.number
            ):
                return c
        return self.clauses.get(clause)

    def fact(self, path: str) -> FactDecl | None:
        """The declaration at a dotted path (``history[].date`` for list items)."""
        parts = path.replace("[]", "").split(".")
        decl = self.facts.get(parts[0])
        for p in parts[1:]:
            if decl is None:
                return None
            if decl.type == "list" and decl.items is not None:
                decl = decl.items
            decl = decl.fields.get(p)
        return decl

    @property
    def hash(self) -> str:
        # every decision names it: hashing the file digests again each time
        # cost ~14 µs a decision (a third of a lean one). Remembered with the
        # digests it was made from, so a changed ``files`` is hashed anew.
        key = tuple(self.files.items())
        memo = self.__dict__.get("_hash_memo")
        if memo is not None and memo[0] == key:
            return memo[1]
        import hashlib

        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\n")
        value = "sha256:" + h.hexdigest()
        self.__dict__["_hash_memo"] = (key, value)
        return value
