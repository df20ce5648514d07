"""support requests, hidden supporters, declared conflicts, reporting paths

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reporting_path", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("supporter_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("load", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "support_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("seeker", sa.Text(), nullable=False),
        sa.Column("seeker_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"],
            name=op.f("fk_support_request_program_id_program"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"], ["supporter_profile.id"],
            name=op.f("fk_support_request_supporter_id_supporter_profile"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_request")),
    )
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.create_index("ix_support_request_open", ["status", "supporter_id"])
        batch_op.create_index(batch_op.f("ix_support_request_seeker_key"), ["seeker_key"])
        batch_op.create_index(batch_op.f("ix_support_request_supporter_id"), ["supporter_id"])

    op.create_table(
        "hidden_supporter",
        sa.Column("seeker_key", sa.String(length=64), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supporter_id"], ["supporter_profile.id"],
            name=op.f("fk_hidden_supporter_supporter_id_supporter_profile"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seeker_key", "supporter_id", name=op.f("pk_hidden_supporter")),
    )
    op.create_table(
        "declared_conflict",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"],
            name=op.f("fk_declared_conflict_person_id_person"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["person.id"],
            name=op.f("fk_declared_conflict_other_id_person"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "other_id", name=op.f("pk_declared_conflict")),
    )
    with op.batch_alter_table("declared_conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declared_conflict_other_id"), ["other_id"])


def downgrade() -> None:
    op.drop_table("declared_conflict")
    op.drop_table("hidden_supporter")
    op.drop_table("support_request")
    with op.batch_alter_table("supporter_profile", schema=None) as batch_op:
        batch_op.drop_column("load")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("reporting_path")
