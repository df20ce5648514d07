"""the connection arc: meeting outcomes, referrals, goals, anonymous surveys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referrals", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("goals", sa.Text(), nullable=True))
    op.create_table(
        "survey_invite",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_survey_invite")),
    )
    with op.batch_alter_table("survey_invite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_invite_expires_at"), ["expires_at"])
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
    )
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_answer_month"), ["month"])
        batch_op.create_index(batch_op.f("ix_survey_answer_program"), ["program"])


def downgrade() -> None:
    op.drop_table("survey_answer")
    op.drop_table("survey_invite")
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.drop_column("goals")
        batch_op.drop_column("referrals")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("outcome")
