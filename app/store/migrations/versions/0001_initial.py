"""The initial schema: load history, geography, inputs as received, settings.

Frozen copy of ``app/store/schema.py`` at the first release; later changes get
their own revision (``tests/store/test_migrations.py`` fails when they drift).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_settings",
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("limit_ratio", sa.Float(), nullable=True),
        sa.Column("allocation", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("area_code"),
    )
    op.create_table(
        "loads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=400), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=100), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["loads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loads_kind_period", "loads", ["kind", "period", "status"], unique=False)
    op.create_table(
        "population",
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("source_year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("population", sa.Float(), nullable=True),
        sa.Column("population_0_17", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("area_code", "source_year"),
    )
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("postcode_sector", sa.String(length=6), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("ward_code", sa.String(length=16), nullable=True),
        sa.Column("lad_code", sa.String(length=16), nullable=True),
        sa.Column("placed_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("postcode"),
    )
    op.create_index(op.f("ix_postcodes_postcode_sector"), "postcodes", ["postcode_sector"], unique=False)
    op.create_index(op.f("ix_postcodes_ward_code"), "postcodes", ["ward_code"], unique=False)
    op.create_table(
        "sector_weights",
        sa.Column("postcode_sector", sa.String(length=6), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=False),
        sa.Column("n_postcodes", sa.Integer(), nullable=False),
        sa.Column("weight_postcodes", sa.Float(), nullable=False),
        sa.Column("weight_population", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("postcode_sector", "ward_code"),
    )
    op.create_index(op.f("ix_sector_weights_lad_code"), "sector_weights", ["lad_code"], unique=False)
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "areas",
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=True),
        sa.Column("region_code", sa.String(length=16), nullable=True),
        sa.Column("region_name", sa.String(length=200), nullable=True),
        sa.Column("vintage", sa.String(length=16), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("geometry", sa.LargeBinary(), nullable=True),
        sa.Column("load_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["loads.id"],
        ),
        sa.PrimaryKeyConstraint("area_code"),
    )
    op.create_index(op.f("ix_areas_lad_code"), "areas", ["lad_code"], unique=False)
    op.create_index(op.f("ix_areas_region_code"), "areas", ["region_code"], unique=False)
    op.create_table(
        "ho_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("lad_code", sa.String(length=16), nullable=True),
        sa.Column("local_authority", sa.String(length=200), nullable=True),
        sa.Column("postcode_sector", sa.String(length=6), nullable=False),
        sa.Column("people", sa.Float(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("people_as_written", sa.String(length=20), nullable=True),
        sa.Column("support_type", sa.String(length=40), nullable=True),
        sa.Column("accommodation_type", sa.String(length=60), nullable=True),
        sa.Column("nationality", sa.String(length=100), nullable=True),
        sa.Column("age_band", sa.String(length=20), nullable=True),
        sa.Column("gender", sa.String(length=40), nullable=True),
        sa.Column("household_type", sa.String(length=40), nullable=True),
        sa.Column("uasc", sa.Boolean(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["loads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ho_records_load_id"), "ho_records", ["load_id"], unique=False)
    op.create_index(op.f("ix_ho_records_month"), "ho_records", ["month"], unique=False)
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sheet", sa.String(length=200), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["loads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_problems_load_id"), "problems", ["load_id"], unique=False)
    op.create_table(
        "properties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("property_ref", sa.String(length=100), nullable=True),
        sa.Column("property_key", sa.String(length=400), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("postcode_sector", sa.String(length=6), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("ward_code", sa.String(length=16), nullable=True),
        sa.Column("lad_code", sa.String(length=16), nullable=True),
        sa.Column("bedspaces", sa.Integer(), nullable=True),
        sa.Column("occupied", sa.Float(), nullable=True),
        sa.Column("local_authority", sa.String(length=200), nullable=True),
        sa.Column("property_type", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("accommodation_type", sa.String(length=60), nullable=True),
        sa.Column("date_in_use", sa.String(length=10), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["loads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_properties_load_id"), "properties", ["load_id"], unique=False)
    op.create_index(op.f("ix_properties_quarter"), "properties", ["quarter"], unique=False)
    op.create_table(
        "public_stats",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("load_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("support_type", sa.String(length=40), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("local_authority", sa.String(length=200), nullable=True),
        sa.Column("lad_code", sa.String(length=100), nullable=True),
        sa.Column("accommodation_type", sa.String(length=60), nullable=True),
        sa.Column("accommodation_type_as_published", sa.String(length=100), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["loads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_public_stats_date"), "public_stats", ["date"], unique=False)
    op.create_index(op.f("ix_public_stats_load_id"), "public_stats", ["load_id"], unique=False)
    op.create_table(
        "area_display",
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=16), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["areas.area_code"],
        ),
        sa.PrimaryKeyConstraint("area_code", "detail"),
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(store_meta, [{"key": "version", "value": "0"}])


def downgrade() -> None:
    op.drop_table("area_display")
    op.drop_index(op.f("ix_public_stats_load_id"), table_name="public_stats")
    op.drop_index(op.f("ix_public_stats_date"), table_name="public_stats")
    op.drop_table("public_stats")
    op.drop_index(op.f("ix_properties_quarter"), table_name="properties")
    op.drop_index(op.f("ix_properties_load_id"), table_name="properties")
    op.drop_table("properties")
    op.drop_index(op.f("ix_problems_load_id"), table_name="problems")
    op.drop_table("problems")
    op.drop_index(op.f("ix_ho_records_month"), table_name="ho_records")
    op.drop_index(op.f("ix_ho_records_load_id"), table_name="ho_records")
    op.drop_table("ho_records")
    op.drop_index(op.f("ix_areas_region_code"), table_name="areas")
    op.drop_index(op.f("ix_areas_lad_code"), table_name="areas")
    op.drop_table("areas")
    op.drop_table("store_meta")
    op.drop_index(op.f("ix_sector_weights_lad_code"), table_name="sector_weights")
    op.drop_table("sector_weights")
    op.drop_index(op.f("ix_postcodes_ward_code"), table_name="postcodes")
    op.drop_index(op.f("ix_postcodes_postcode_sector"), table_name="postcodes")
    op.drop_table("postcodes")
    op.drop_table("population")
    op.drop_index("ix_loads_kind_period", table_name="loads")
    op.drop_table("loads")
    op.drop_table("area_settings")
