"""Coverage by LA and period: a file replaces exactly the LA-months it covers.

Existing Home Office and property loads are given one coverage row per LA of
their scope, with the load's own status, so an upgraded store shows the same
figures as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "load_coverage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=True),
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["load_id"], ["loads.id"]),
        sa.ForeignKeyConstraint(["superseded_by"], ["loads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_load_coverage_load_id", "load_coverage", ["load_id"])
    op.create_index("ix_load_coverage_key", "load_coverage", ["kind", "period", "lad_code", "status"])
    bind = op.get_bind()
    loads = sa.table(
        "loads",
        sa.column("id"),
        sa.column("kind"),
        sa.column("period"),
        sa.column("scope"),
        sa.column("provider"),
        sa.column("status"),
        sa.column("superseded_by"),
    )
    coverage = sa.table(
        "load_coverage",
        sa.column("load_id"),
        sa.column("kind"),
        sa.column("period"),
        sa.column("provider"),
        sa.column("lad_code"),
        sa.column("complete"),
        sa.column("status"),
        sa.column("superseded_by"),
    )
    rows = [
        {
            "load_id": load.id,
            "kind": load.kind,
            "period": load.period,
            "provider": load.provider,
            "lad_code": code,
            "complete": True,
            "status": load.status,
            "superseded_by": load.superseded_by,
        }
        for load in bind.execute(
            sa.select(loads).where(loads.c.kind.in_(["home_office", "properties"]), loads.c.period.is_not(None))
        )
        for code in (load.scope or "").split(",")
        if code
    ]
    if rows:
        bind.execute(sa.insert(coverage), rows)


def downgrade() -> None:
    op.drop_index("ix_load_coverage_key", table_name="load_coverage")
    op.drop_index("ix_load_coverage_load_id", table_name="load_coverage")
    op.drop_table("load_coverage")
