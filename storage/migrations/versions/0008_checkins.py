"""check-ins: plans, prompts, sealed history, anonymous scores

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _person(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                   name=op.f(f"fk_{table}_person_id_person"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "checkin_plan",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _person("checkin_plan"),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_checkin_plan")),
    )
    op.create_table(
        "checkin_prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _person("checkin_prompt"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_prompt")),
    )
    with op.batch_alter_table("checkin_prompt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_prompt_person_id"), ["person_id"])
    op.create_table(
        "checkin_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        _person("checkin_history"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_history")),
    )
    with op.batch_alter_table("checkin_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_history_person_id"), ["person_id"])
    op.create_table(
        "checkin_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("score", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_score")),
    )
    with op.batch_alter_table("checkin_score", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_score_month"), ["month"])


def downgrade() -> None:
    op.drop_table("checkin_score")
    op.drop_table("checkin_history")
    op.drop_table("checkin_prompt")
    op.drop_table("checkin_plan")
