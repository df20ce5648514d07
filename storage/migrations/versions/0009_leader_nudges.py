"""leader nudges: check-in marks and nudge state

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leader_check",
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["person.id"],
                                name=op.f("fk_leader_check_leader_id_person"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["person.id"],
                                name=op.f("fk_leader_check_report_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("leader_id", "report_id", name=op.f("pk_leader_check")),
    )
    op.create_table(
        "nudge_state",
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("tip", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["person.id"],
                                name=op.f("fk_nudge_state_leader_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("leader_id", name=op.f("pk_nudge_state")),
    )


def downgrade() -> None:
    op.drop_table("nudge_state")
    op.drop_table("leader_check")
