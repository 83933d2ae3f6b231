"""The ledger's tables (SQLAlchemy Core). The migrations in
``ledger/migrations`` create exactly these (a test compares them).

Every value is an integer, a boolean or text, so that a row reads back the
same from SQLite and PostgreSQL and its digest (``ledger.audit``) is the same
on both: money as integer fen, times as ISO 8601 text with the UTC offset,
JSON as canonical text.

    users           who may act, and in which roles (a later API token belongs
                    to a user: tokens(user_id → users.id))
    persons         one row per person (normalised ID number); the row locked
                    while a claim for that person is decided
    applications    the claim as submitted, by whom and when; its review
    facts_recorded  facts added to a claim later (e.g. the employment rate)
    decisions       every decision made for a claim (the JSON of
                    `policy eval --format json`), in order
    grants          one per program a claim was found eligible for: what the
                    limits count, and its amount
    installments    the parts of a grant and their payment
    audit_events    the append-only log, a hash chain over every row written
    audit_head      the last link of the chain (locked while appending)
    api_tokens      the HTTP service's API tokens, hashed (0002)
    passwords       a user's password for the officer pages, scrypt-hashed (0003)
    web_sessions    the officer pages' signed-in sessions, hashed (0003)
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# The Alembic revision the code expects (a test checks it is the head).
HEAD = "0003"

ROLES = ("admin", "caseworker", "reviewer", "finance", "auditor", "read-only")

# applications.status
SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
# grants.status: a proposed grant (awaiting review) already counts against the
# limits, so that two claims cannot both be approved; a rejected or refused one
# does not.
PROPOSED, GRANTED, TURNED_DOWN, REFUSED = "proposed", "approved", "rejected", "refused"
HELD = (PROPOSED, GRANTED)
# installments.status (the first three as the decision says)
PAYABLE, PENDING, NOT_PAYABLE, PAID = "payable", "pending", "refused", "paid"

# The numbers a caller gives to name a row (a claim, a decision's seq, a token)
# are compared with INTEGER columns: 32 bits on PostgreSQL, 64 on SQLite. A
# number beyond the narrower range names no row; sent to the database it would
# overflow the driver (OverflowError, psycopg's "integer out of range"): an
# internal error where the answer is "there is none".
MAX_ROW_NUMBER = 2**31 - 1


def names_a_row(n: int) -> bool:
    """Whether ``n`` could be the number of a row (ids and seqs count from 1)."""
    return 0 < n <= MAX_ROW_NUMBER


metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("roles", String(200), nullable=False),  # space-separated, sorted
    Column("active", Boolean, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=True),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("id_number", String(64), nullable=False, unique=True),  # normalised
    Column("name", String(200), nullable=True),
    Column("created_at", String(40), nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("case_json", Text, nullable=False),  # as submitted
    Column("case_sha256", String(80), nullable=False),
    Column("source", String(300), nullable=True),  # the file it came from
    Column("status", String(20), nullable=False),
    Column("submitted_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("submitted_at", String(40), nullable=False),
    Column("reviewed_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("reviewed_at", String(40), nullable=True),
    Column("review_reason", Text, nullable=True),
    Index("ix_applications_person", "person_id"),
    Index("ix_applications_status", "status"),
)

facts_recorded = Table(
    "facts_recorded",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("path", String(200), nullable=False),
    Column("value_json", Text, nullable=False),
    Column("recorded_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Index("ix_facts_recorded_application", "application_id"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # 1, 2, ... per application
    Column("cause", String(20), nullable=False),  # submit | record
    Column("policy_id", String(100), nullable=False),
    Column("policy_hash", String(80), nullable=False),
    Column("as_of", String(10), nullable=True),
    Column("decision_json", Text, nullable=False),
    Column("made_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("made_at", String(40), nullable=False),
    UniqueConstraint("application_id", "seq", name="uq_decisions_application_seq"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=True),
    Column("program", String(100), nullable=False),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),  # the installments not refused
    Column("decision_date", String(10), nullable=True),
    Column("claims_json", Text, nullable=False),  # real-name claims it makes
    Column("refusal_json", Text, nullable=True),  # why the ledger refused it
    Column("updated_at", String(40), nullable=False),
    UniqueConstraint("application_id", "program", name="uq_grants_application_program"),
    Index("ix_grants_person_status", "person_id", "status"),
)

installments = Table(
    "installments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("grant_id", Integer, ForeignKey("grants.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("installment", String(100), nullable=True),  # the policy's id; NULL: the whole
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("waiting_json", Text, nullable=False),  # facts a pending one waits for
    Column("paid_at", String(40), nullable=True),
    Column("paid_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("reference", String(200), nullable=True),
    UniqueConstraint("grant_id", "seq", name="uq_installments_grant_seq"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("user_name", String(100), nullable=True),
    Column("action", String(40), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("details_json", Text, nullable=False),
    Column("rows_json", Text, nullable=False),  # table → id → row digest
    Column("prev_hash", String(80), nullable=False),
    Column("hash", String(80), nullable=False, unique=True),
    # a claim's trail on its page (migration 0003)
    Index("ix_audit_events_subject", "subject"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(80), nullable=False),
)

# API tokens of `policy serve` (migration 0002): each acts as one user in one
# of its roles; only the token's SHA-256 is stored (service/tokens.py).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("label", String(200), nullable=True),
    Column("token_hash", String(80), nullable=False, unique=True),
    Column("hint", String(12), nullable=False),  # the token's first characters
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=True),
    Column("revoked_at", String(40), nullable=True),
)

# A user's password for signing in to the officer pages (migration 0003): the
# scrypt hash only (ledger/passwords.py), in a table of its own so that a
# user's row, and its digest in the audit chain, stay what they were.
passwords = Table(
    "passwords",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, unique=True),
    Column("hash", String(200), nullable=False),  # scrypt$n$r$p$salt$key
    Column("set_at", String(40), nullable=False),
    Column("set_by", String(100), nullable=True),
)

# Signed-in sessions of the officer pages (migration 0003; web/sessions.py):
# the cookie holds a random secret, the table its SHA-256. Not ledger records:
# outside the audit chain (a sign-in writes no claim), deleted when they end.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(80), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("csrf", String(80), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Index("ix_web_sessions_expires", "expires_at"),
)

# The tables whose rows the audit chain covers, in the order verify reads them.
AUDITED = (
    users,
    persons,
    applications,
    facts_recorded,
    decisions,
    grants,
    installments,
    api_tokens,
    passwords,
)

GENESIS = "sha256:" + "0" * 64
