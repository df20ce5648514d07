"""supporter profiles: orientation date and term start (training and term end existed)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supporter_profile") as batch:
        batch.add_column(sa.Column("oriented_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("term_start", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supporter_profile") as batch:
        batch.drop_column("term_start")
        batch.drop_column("oriented_on")
