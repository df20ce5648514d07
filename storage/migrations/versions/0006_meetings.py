"""meetings, their cells, supporters' meeting options

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supporter_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("modes", sa.JSON(), nullable=False,
                                      server_default='["video", "phone", "chat"]'))
        batch_op.add_column(sa.Column("video_link", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("place", sa.Text(), nullable=False, server_default=""))

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["support_request.id"],
                                name=op.f("fk_meeting_request_id_support_request"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supporter_id"], ["supporter_profile.id"],
                                name=op.f("fk_meeting_supporter_id_supporter_profile"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("uid", name=op.f("uq_meeting_uid")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_request_id"), ["request_id"])
        batch_op.create_index(batch_op.f("ix_meeting_starts_at"), ["starts_at"])
        batch_op.create_index(batch_op.f("ix_meeting_supporter_id"), ["supporter_id"])

    op.create_table(
        "meeting_cell",
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("cell", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"],
                                name=op.f("fk_meeting_cell_meeting_id_meeting"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supporter_id"], ["supporter_profile.id"],
                                name=op.f("fk_meeting_cell_supporter_id_supporter_profile"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("supporter_id", "cell", name=op.f("pk_meeting_cell")),
    )
    with op.batch_alter_table("meeting_cell", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_cell_meeting_id"), ["meeting_id"])


def downgrade() -> None:
    op.drop_table("meeting_cell")
    op.drop_table("meeting")
    with op.batch_alter_table("supporter_profile", schema=None) as batch_op:
        batch_op.drop_column("place")
        batch_op.drop_column("video_link")
        batch_op.drop_column("modes")
