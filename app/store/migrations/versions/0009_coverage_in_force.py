"""An index that answers "is this row's load in force for its LA and period" by one lookup.

Every read of Home Office records or property lists asks it once per row;
the index on ``load_id`` alone made each ask scan all the LAs of the load.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_load_coverage_in_force", "load_coverage", ["load_id", "period", "lad_code", "status"])


def downgrade() -> None:
    op.drop_index("ix_load_coverage_in_force", table_name="load_coverage")
