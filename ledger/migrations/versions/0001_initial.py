"""The first ledger: users, persons, applications, facts recorded, decisions,
grants, installments, and the audit chain.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "sha256:" + "0" * 64


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("id_number", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id"), nullable=True),
        sa.Column("case_json", sa.Text, nullable=False),
        sa.Column("case_sha256", sa.String(80), nullable=False),
        sa.Column("source", sa.String(300), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("reviewed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("reviewed_at", sa.String(40), nullable=True),
        sa.Column("review_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_applications_person", "applications", ["person_id"])
    op.create_index("ix_applications_status", "applications", ["status"])
    op.create_table(
        "facts_recorded",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_facts_recorded_application", "facts_recorded", ["application_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("policy_id", sa.String(100), nullable=False),
        sa.Column("policy_hash", sa.String(80), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=True),
        sa.Column("decision_json", sa.Text, nullable=False),
        sa.Column("made_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("made_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("application_id", "seq", name="uq_decisions_application_seq"),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id"), nullable=True),
        sa.Column("program", sa.String(100), nullable=False),
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("decision_date", sa.String(10), nullable=True),
        sa.Column("claims_json", sa.Text, nullable=False),
        sa.Column("refusal_json", sa.Text, nullable=True),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("application_id", "program", name="uq_grants_application_program"),
    )
    op.create_index("ix_grants_person_status", "grants", ["person_id", "status"])
    op.create_table(
        "installments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("grant_id", sa.Integer, sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("installment", sa.String(100), nullable=True),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("waiting_json", sa.Text, nullable=False),
        sa.Column("paid_at", sa.String(40), nullable=True),
        sa.Column("paid_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.UniqueConstraint("grant_id", "seq", name="uq_installments_grant_seq"),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("details_json", sa.Text, nullable=False),
        sa.Column("rows_json", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(80), nullable=False),
        sa.Column("hash", sa.String(80), nullable=False, unique=True),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(80), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    for table in (
        "audit_head",
        "audit_events",
        "installments",
        "grants",
        "decisions",
        "facts_recorded",
        "applications",
        "persons",
        "users",
    ):
        op.drop_table(table)
