"""The property consultation log (Asylum Accommodation Use Protocol).

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=True),
        sa.Column("lad_code", sa.String(length=16), nullable=True),
        sa.Column("bedspaces", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=True),
        sa.Column("property_type", sa.String(length=60), nullable=True),
        sa.Column("is_hmo", sa.Boolean(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=True),
        sa.Column("response", sa.String(length=32), nullable=False),
        sa.Column("response_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_proposals_lad_code"), "proposals", ["lad_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_proposals_lad_code"), table_name="proposals")
    op.drop_table("proposals")
