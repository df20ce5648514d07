"""concerns: supporters' reports to the program office (reporter and text sealed)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("reporter_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["handled_by"], ["person.id"],
                                name=op.f("fk_concern_handled_by_person"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern")),
    )
    op.create_index(op.f("ix_concern_reporter_key"), "concern", ["reporter_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_concern_reporter_key"), table_name="concern")
    op.drop_table("concern")
