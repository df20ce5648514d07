"""pairing rounds: the pool, the rounds (sealed groups) and "did you meet?" answers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pairing_member",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("skip_on", sa.Date(), nullable=True),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("never", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"],
                                name=op.f("fk_pairing_member_program_id_program"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_pairing_member_person_id_person"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("program_id", "person_id", name=op.f("pk_pairing_member")),
    )
    op.create_index(op.f("ix_pairing_member_person_id"), "pairing_member", ["person_id"])
    op.create_table(
        "pairing_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"],
                                name=op.f("fk_pairing_round_program_id_program"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_round")),
        sa.UniqueConstraint("program_id", "held_on",
                            name=op.f("uq_pairing_round_program_id")),
    )
    op.create_table(
        "pairing_answer",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["pairing_round.id"],
                                name=op.f("fk_pairing_answer_round_id_pairing_round"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("round_id", "person_key", name=op.f("pk_pairing_answer")),
    )


def downgrade() -> None:
    op.drop_table("pairing_answer")
    op.drop_table("pairing_round")
    op.drop_index(op.f("ix_pairing_member_person_id"), table_name="pairing_member")
    op.drop_table("pairing_member")
