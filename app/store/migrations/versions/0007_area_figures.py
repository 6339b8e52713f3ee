"""Figures materialised at load: apportioned people per (month, level, area, accommodation and support type).

The table starts empty; a store that already holds Home Office loads is
marked for a rebuild, which the first read (or ``python -m app rebuild``)
does, so an upgraded store shows the same figures as before.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_figures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("accommodation_type", sa.String(length=60), nullable=False),
        sa.Column("support_type", sa.String(length=40), nullable=False),
        sa.Column("people", sa.Float(), nullable=False),
        sa.Column("unallocated", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_area_figures_month", "area_figures", ["month", "level", "lad_code"])
    op.create_index("ix_area_figures_area", "area_figures", ["area_code", "month"])
    meta = sa.table("store_meta", sa.column("key"), sa.column("value"))
    loads = sa.table("loads", sa.column("id"), sa.column("kind"))
    bind = op.get_bind()
    if bind.execute(sa.select(loads.c.id).where(loads.c.kind == "home_office").limit(1)).first() is not None:
        bind.execute(sa.delete(meta).where(meta.c.key == "figures_pending"))
        bind.execute(sa.insert(meta).values(key="figures_pending", value="1"))


def downgrade() -> None:
    op.drop_index("ix_area_figures_area", table_name="area_figures")
    op.drop_index("ix_area_figures_month", table_name="area_figures")
    op.drop_table("area_figures")
    meta = sa.table("store_meta", sa.column("key"), sa.column("value"))
    op.get_bind().execute(sa.delete(meta).where(meta.c.key.like("figures%")))
