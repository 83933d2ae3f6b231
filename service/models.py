"""Typed models of the JSON the command line writes, for the OpenAPI document.

They describe ``interpreter.render.result_json`` (what `policy eval --format
json` prints and POST /v1/decisions returns), a line of `policy batch`'s output
and of its rejects, and the problem details of an error. The service does not
build its answers through them (the engine's JSON is sent as it is, byte for
byte what the command line writes); a test validates the command line's real
output against them with ``extra="forbid"``, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MONEY = r"^-?[0-9]+\.[0-9]{2,}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Bilingual(_Model):
    zh: str | None = None
    en: str | None = None


class Citation(_Model):
    clause: str = Field(description="the clause of the source text, by its own numbering")
    document: str | None = Field(
        description="the issuing document (a revision's own number "
        "when a revision added the clause)"
    )
    title: str | None
    quote: str | None = Field(description="the quoted source text")


class CatalogRows(_Model):
    table: str
    match: dict[str, Any]
    rows: list[dict[str, Any]]


class ClauseResult(_Model):
    id: str
    result: bool | None = Field(
        description="true held, false failed, null unknown for lack of facts"
    )
    expr: str = Field(description="the clause as written in the policy")
    at: str = Field(description="file:line:col of the clause")
    explain: Bilingual
    values: dict[str, Any] = Field(
        description="the case values the clause read (numbers as exact text)"
    )
    missing: list[str]
    catalog: list[CatalogRows] | None = None
    cite: list[Citation]
    interpretation: Bilingual | None = None


class StandardUse(_Model):
    id: str
    key: str | None
    value: Any = Field(description="the value in force (exact decimal text)")
    from_: str = Field(alias="from", description="in force since (YYYY-MM-DD)")
    until: str | None
    source: str
    revision: str | None
    label: str | None
    label_en: str | None


class Computed(_Model):
    value: Any
    label: str | None
    label_en: str | None


class Installment(_Model):
    id: str
    label: str
    label_en: str
    amount: str | None = Field(pattern=MONEY)
    status: Literal["payable", "pending", "refused"]
    missing: list[str]


class Decision(_Model):
    program: str
    title: str
    title_en: str
    outcome: Literal["eligible", "ineligible", "undetermined"]
    amount: str | None = Field(
        pattern=MONEY, description="payable now, yuan to the fen, as text; null when nothing is"
    )
    failing: list[str] = Field(description="the clauses that failed")
    missing: list[str] = Field(description="the facts whose absence left the decision open")
    installments: list[Installment] | None = None
    capped_at: str | None = Field(None, pattern=MONEY)
    formula_amount: str | None = Field(None, pattern=MONEY)
    # with explanations
    payee: Bilingual | None = None
    clauses: list[ClauseResult] | None = None
    standards: list[StandardUse] | None = None
    computed: dict[str, Computed] | None = None
    citations: list[Citation] | None = None
    interpretation: list[Bilingual] | None = None
    responsible: list[str] | None = None
    amount_values: dict[str, Any] | None = Field(
        None, description="the case values the amount and its cap read (e.g. an approved total)"
    )
    installment_values: dict[str, dict[str, Any]] | None = Field(
        None, description="per installment id: the case values its condition and share read"
    )


class PolicyRef(_Model):
    id: str
    number: str
    title: str
    hash: str = Field(description="sha256 over every policy, revision and catalogue file")
    files: dict[str, str]
    revisions: list[dict[str, Any]]


class CaseRef(_Model):
    file: str | None = Field(description="the case file (null for a request body)")
    sha256: str | None = Field(description="sha256 of the case as sent, byte for byte")
    as_of: _dt.date | None = Field(description="the decision date")
    as_of_source: Literal["--as-of", "decision_date", "unknown"] = Field(
        description="where the decision date came from: as_of given (--as-of), the "
        "case's own dates, or unknown"
    )
    as_of_missing: list[str]
    facts: dict[str, Any] = Field(
        description="the facts as read (numbers as exact text), so the decision can be replayed"
    )


class DecisionResult(_Model):
    """What `policy eval --format json` prints."""

    format: Literal[1]
    policy: PolicyRef
    case: CaseRef
    decisions: list[Decision]


class BatchCase(_Model):
    sha256: str
    as_of: _dt.date | None
    as_of_source: Literal["--as-of", "decision_date", "unknown"]
    as_of_missing: list[str]
    facts: dict[str, Any] | None = None


class BatchDecision(Decision):
    level: str = Field(description="the level the decision is counted under in reports")


class BatchLine(_Model):
    """One decided line of `policy batch`'s output (and of POST /v1/decisions:batch)."""

    format: Literal[1]
    line: int
    id: str | None = Field(description="who the case is about (the policy's case_id)")
    policy: str = Field(description="the policy hash")
    policy_id: str = Field(
        description="the id of the policy the line was decided under (document.yaml id)"
    )
    case: BatchCase
    decisions: list[BatchDecision]
    flags: list[dict[str, Any]] | None = Field(
        None, description="real-name checks over the limit, naming the lines it conflicts with"
    )


class BatchReject(_Model):
    """A line that could not be decided (`policy batch`'s rejects file)."""

    line: int
    column: int | None
    context: str | None = Field(description="e.g. field applicant.insured_months")
    error: str
    hint: str | None
    text: str = Field(description="the line as sent")


class BatchEnd(_Model):
    """The last line of a batch that was stopped: by its time limit ("time limit"),
    or because the decision log could not be written ("decision-log")."""

    stopped: str
    problem: Problem


class FieldProblem(_Model):
    field: str | None = Field(description="the field path, e.g. applicant.insured_months")
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None


class Problem(_Model):
    """application/problem+json (RFC 9457); the wording of the command line."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


BatchEnd.model_rebuild()


# -- the policy as a resource ------------------------------------------------------------


class ProgramSummary(_Model):
    id: str
    title: str
    title_en: str
    source: str
    revision: str | None


class PolicyInfo(_Model):
    id: str
    number: str
    title: str
    title_en: str | None
    issuer: str
    issued: _dt.date
    period_from: _dt.date | None
    period_until: _dt.date | None
    hash: str
    files: dict[str, str]
    revisions: list[dict[str, Any]]
    programs: list[ProgramSummary]
    service: dict[str, str] = Field(description="the name and version of the software")


class StandardValue(_Model):
    id: str
    label: str | None
    label_en: str | None
    type: str
    key: str | None = Field(description="the enum a table of values is keyed by")
    value: Any = Field(description="the value in force on as_of (a table: key → value)")
    from_: str = Field(alias="from")
    until: str | None
    source: str
    revision: str | None
    cite: list[Citation]


class Standards(_Model):
    as_of: _dt.date
    standards: list[StandardValue]


class SourceText(_Model):
    clause: str
    document: str | None
    title: str | None
    quote: str | None
    text: str | None = Field(description="the whole clause of the source text")


class ProgramClause(_Model):
    id: str
    expr: str
    at: str
    explain: Bilingual
    interpretation: Bilingual | None
    cite: list[SourceText]


class ProgramInfo(_Model):
    id: str
    title: str
    title_en: str
    payee: Bilingual
    responsible: list[str]
    source: str
    revision: str | None
    clauses: list[ProgramClause]
    amount: dict[str, Any]
    cite: list[SourceText]


class Catalog(_Model):
    id: str
    rows: list[Any]


class Health(_Model):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = {}


# -- the ledger (ledger.model's to_json) ----------------------------------------------------


class LedgerInstallment(_Model):
    id: int
    installment: str | None = Field(
        description="the policy's installment id; null: the whole grant at once"
    )
    label: str | None
    amount: str = Field(pattern=MONEY)
    status: Literal["payable", "pending", "refused", "paid"]
    waiting_for: list[str]
    paid_at: str | None
    paid_by: str | None
    reference: str | None


class LedgerGrant(_Model):
    id: int
    program: str
    title: str
    status: Literal["proposed", "approved", "rejected", "refused"]
    amount: str = Field(pattern=MONEY)
    decision_date: str | None
    refusal: dict[str, Any] | None = Field(description="why the ledger refused it (a limit)")
    installments: list[LedgerInstallment]


class FactRecorded(_Model):
    path: str
    value: Any
    recorded_by: str
    recorded_at: str


class Application(_Model):
    """A claim as the ledger holds it: as submitted, its review, its current
    decision (the JSON of `policy eval --format json`) and what was granted."""

    id: int
    status: Literal["submitted", "approved", "rejected"]
    person: str | None = Field(
        description="the person's ID number, normalised; masked (e.g. 3704**********441X) "
        "for a role that does not see ID numbers whole (read-only), as are the ID numbers "
        "in the claim, its facts and its decision"
    )
    name: str | None = Field(
        description="the applicant's name; masked as the policy declares (facts.yaml "
        "`mask`, e.g. 张*三) for a role that does not see it whole (read-only), as it is "
        "in the claim"
    )
    source: str | None
    case: dict[str, Any] = Field(description="the claim as submitted")
    case_sha256: str
    submitted_by: str
    submitted_at: str
    reviewed_by: str | None
    reviewed_at: str | None
    review_reason: str | None
    facts_recorded: list[FactRecorded]
    decision_seq: int
    decision: DecisionResult
    grants: list[LedgerGrant]


class ApplicationSummary(_Model):
    id: int
    status: Literal["submitted", "approved", "rejected"]
    person: str | None = Field(
        description="the person's ID number, normalised; masked for a role that does not "
        "see ID numbers whole (read-only)"
    )
    submitted_by: str
    submitted_at: str
    programs: list[dict[str, Any]] = Field(description="per program: outcome, amount, grant status")


class Payment(_Model):
    application: int
    program: str
    installment: str | None
    amount: str = Field(pattern=MONEY)
    paid_at: str
    paid_by: str
    reference: str | None


class PublicityColumn(_Model):
    id: str
    label: str | None
    label_en: str | None


class Publicity(_Model):
    from_: str | None = Field(alias="from")
    until: str
    document: dict[str, Any]
    columns: list[PublicityColumn]
    rows: list[dict[str, Any]] = Field(description="names and ID numbers masked")


class VerifyFinding(_Model):
    kind: str
    where: str
    message: str


class VerifyReport(_Model):
    ok: bool
    events: int
    head: str
    rows: int
    decisions: int
    problems: list[VerifyFinding]
    notes: list[str]
