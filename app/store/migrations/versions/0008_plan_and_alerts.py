"""Dispersal-plan allocations per quarter, and the recipients of the e-mail alerts sent after each load.

An LA's allocation entered before this revision (``area_settings.allocation``) is left where it is: it
stands for every quarter that has no allocation of its own in ``plan_allocations``, so plan against actual
reads as before until an allocation is entered for a quarter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_allocations",
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("bedspaces", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lad_code", "quarter"),
    )
    op.create_table(
        "alert_recipients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lad_code", "email", name="uq_alert_recipients_lad_email"),
    )


def downgrade() -> None:
    op.drop_table("alert_recipients")
    op.drop_table("plan_allocations")
