"""The store's tables (SQLAlchemy Core). Alembic migrations in ``app/store/migrations`` create them.

Plain types only (geometry as WKB bytes and GeoJSON text), so that SQLite
and PostgreSQL hold exactly the same data without a spatial extension.
Inputs are kept as received (sector-level counts, property rows); ward
figures are derived from them on read, so they can always be rebuilt.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: One row per file loaded (or refused after parsing): the load history.
loads = Table(
    "loads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # geography / home_office / properties / public_stats
    Column("file_name", String(400), nullable=False),
    Column("checksum", String(64), nullable=False),  # sha256 of the file bytes
    Column("period", String(16)),  # YYYY-MM or YYYYQn
    Column("scope", Text),  # what the load covers: comma-joined sorted LA codes (a national file lists ~360)
    Column("provider", String(100)),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("loaded_by", String(100), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active / superseded / undone
    Column("superseded_by", Integer, ForeignKey("loads.id")),
    Column("details", Text),  # JSON: what the reader detected (sheet, layout, totals)
)
Index("ix_loads_kind_period", loads.c.kind, loads.c.period, loads.c.status)

#: Which load supplies each LA's figures for each period: one row per (load, period, LA) it covers.
#: A file replaces exactly the LA-periods it covers; ``status`` says whether this load is the one in force
#: for that LA-period (``active``), was replaced by ``superseded_by``, or was undone. An LA-period with no
#: active row has no data, which is not zero.
load_coverage = Table(
    "load_coverage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("load_id", Integer, ForeignKey("loads.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # home_office / properties
    Column("period", String(16), nullable=False),  # YYYY-MM or YYYYQn
    Column("provider", String(100)),  # property lists replace per provider
    Column("lad_code", String(16), nullable=False),
    Column("complete", Boolean, nullable=False),  # False: the file covers the LA only in part (e.g. suppressed rows)
    Column("status", String(16), nullable=False),
    Column("superseded_by", Integer, ForeignKey("loads.id")),
)
Index(
    "ix_load_coverage_key",
    load_coverage.c.kind,
    load_coverage.c.period,
    load_coverage.c.lad_code,
    load_coverage.c.status,
)
Index(
    "ix_load_coverage_in_force",
    load_coverage.c.load_id,
    load_coverage.c.period,
    load_coverage.c.lad_code,
    load_coverage.c.status,
)

#: Data-quality records: problems that did not stop a load.
problems = Table(
    "problems",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("load_id", Integer, ForeignKey("loads.id"), nullable=False, index=True),
    Column("severity", String(16), nullable=False),
    Column("code", String(64), nullable=False),
    Column("sheet", String(200)),
    Column("row", Integer),
    Column("column", String(200)),
    Column("message", Text, nullable=False),
)

#: Wards, local authorities and regions, with map geometry.
areas = Table(
    "areas",
    metadata,
    Column("area_code", String(16), primary_key=True),
    Column("level", String(8), nullable=False),  # ward / lad / region
    Column("area_name", String(200), nullable=False),
    Column("lad_code", String(16), index=True),  # parent LA for wards, itself for LAs, NULL for regions
    Column("region_code", String(16), index=True),
    Column("region_name", String(200)),
    Column("vintage", String(16)),  # e.g. WD24, LAD24
    Column("area_km2", Float),  # measured in British National Grid
    Column("geometry", LargeBinary),  # WKB, WGS84 (EPSG:4326), repaired
    Column("load_id", Integer, ForeignKey("loads.id")),
)

#: Simplified, gap-free display geometry at several levels of detail.
area_display = Table(
    "area_display",
    metadata,
    Column("area_code", String(16), ForeignKey("areas.area_code"), primary_key=True),
    Column("detail", String(16), primary_key=True),  # fine / coarse
    Column("geojson", Text, nullable=False),  # GeoJSON geometry, WGS84, rounded
)

#: Residents, total and aged 0-17, by area and source year.
population = Table(
    "population",
    metadata,
    Column("area_code", String(16), primary_key=True),
    Column("source_year", Integer, primary_key=True),
    Column("level", String(8), nullable=False),
    Column("population", Float),  # NULL when unknown (never zero)
    Column("population_0_17", Float),
    Column("source", String(200)),
)

#: Postcode units placed in wards.
postcodes = Table(
    "postcodes",
    metadata,
    Column("postcode", String(8), primary_key=True),
    Column("postcode_sector", String(6), nullable=False, index=True),
    Column("lat", Float),
    Column("lon", Float),
    Column("ward_code", String(16), index=True),
    Column("lad_code", String(16)),
    Column("placed_by", String(32)),  # lookup / point_in_polygon / unplaced
)

#: For each postcode sector, the wards it overlaps and the weights used to apportion its counts.
sector_weights = Table(
    "sector_weights",
    metadata,
    Column("postcode_sector", String(6), primary_key=True),
    Column("ward_code", String(16), primary_key=True),
    Column("lad_code", String(16), nullable=False, index=True),
    Column("n_postcodes", Integer, nullable=False),
    Column("weight_postcodes", Float, nullable=False),
    Column("weight_population", Float),
)

#: Per-area rules: agreed variations of the limit and full-dispersal-plan allocations.
area_settings = Table(
    "area_settings",
    metadata,
    Column("area_code", String(16), primary_key=True),
    Column("limit_ratio", Float),  # residents per supported person, e.g. 200
    Column("allocation", Integer),  # agreed dispersal bedspaces
    Column("note", Text),
)

#: Full-dispersal-plan allocations per quarter (``YYYYQn``). A quarter with no row here takes the LA's standing
#: ``area_settings.allocation`` (what a store had before allocations were kept per quarter).
plan_allocations = Table(
    "plan_allocations",
    metadata,
    Column("lad_code", String(16), primary_key=True),
    Column("quarter", String(6), primary_key=True),
    Column("bedspaces", Integer, nullable=False),
    Column("note", Text),
)

#: Who receives the "what changed" e-mail after each load, per LA, and what they may read in it: ``role`` is
#: ``officer`` (the LA's and its wards' figures) or ``member`` (aggregates only, as members' pages).
alert_recipients = Table(
    "alert_recipients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lad_code", String(16), nullable=False),
    Column("email", String(254), nullable=False),
    Column("role", String(16), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", String(100), nullable=False),
    UniqueConstraint("lad_code", "email", name="uq_alert_recipients_lad_email"),
)

#: Home Office monthly restricted data, at postcode sector level as received.
ho_records = Table(
    "ho_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("load_id", Integer, ForeignKey("loads.id"), nullable=False, index=True),
    Column("month", String(7), nullable=False, index=True),
    Column("lad_code", String(16)),  # resolved from local_authority, NULL when the file names none
    Column("local_authority", String(200)),
    Column("postcode_sector", String(6), nullable=False),
    Column("people", Float, nullable=False),
    Column("suppressed", Boolean, nullable=False),
    Column("people_as_written", String(20)),
    Column("support_type", String(40)),
    Column("accommodation_type", String(60)),
    Column("nationality", String(100)),
    Column("age_band", String(20)),
    Column("gender", String(40)),
    Column("household_type", String(40)),
    Column("uasc", Boolean),
    Column("source_row", Integer),
)

#: Provider quarterly property lists.
properties = Table(
    "properties",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("load_id", Integer, ForeignKey("loads.id"), nullable=False, index=True),
    Column("provider", String(100), nullable=False),
    Column("quarter", String(6), nullable=False, index=True),
    Column("property_ref", String(100)),
    Column("property_key", String(400), nullable=False),
    Column("address", Text),
    Column("postcode", String(8)),
    Column("postcode_sector", String(6)),
    Column("lat", Float),
    Column("lon", Float),
    Column("ward_code", String(16)),
    Column("lad_code", String(16)),
    Column("bedspaces", Integer),
    Column("occupied", Float),
    Column("local_authority", String(200)),
    Column("property_type", String(60)),
    Column("status", String(40)),
    Column("accommodation_type", String(60)),
    Column("date_in_use", String(10)),
    Column("source_row", Integer),
)

#: Home Office published statistics (Asy_D11), all UK LAs and quarters.
public_stats = Table(
    "public_stats",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("load_id", Integer, ForeignKey("loads.id"), nullable=False, index=True),
    Column("date", String(10), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("quarter", Integer, nullable=False),
    Column("support_type", String(40)),
    Column("region", String(100)),
    Column("local_authority", String(200)),
    Column("lad_code", String(100)),
    Column("accommodation_type", String(60)),
    Column("accommodation_type_as_published", String(100)),
    Column("people", Integer, nullable=False),
)

#: People per (month, area) as apportioned at load time, split by accommodation and support type so that
#: any counted-types setting is applied on read. Derived from the inputs above: ``python -m app rebuild``
#: recomputes it. Only LA-months some load covers have rows; an LA-month with none is "no data".
area_figures = Table(
    "area_figures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("month", String(7), nullable=False),
    Column("level", String(8), nullable=False),  # ward / la / region
    Column("area_code", String(16), nullable=False),
    Column("lad_code", String(16), nullable=False),  # the ward's or LA's own LA; '' for a region
    Column("accommodation_type", String(60), nullable=False),  # '' when the file gave none
    Column("support_type", String(40), nullable=False),  # '' when the file gave none
    Column("people", Float, nullable=False),  # an LA's include its unallocated people
    Column("unallocated", Float, nullable=False),
    Column("method", String(16), nullable=False),
)
Index("ix_area_figures_month", area_figures.c.month, area_figures.c.level, area_figures.c.lad_code)
Index("ix_area_figures_area", area_figures.c.area_code, area_figures.c.month)

#: Small facts about the store (geography vintage, population year...).
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
)

#: Property consultations under the Asylum Accommodation Use Protocol: the provider's proposal and the LA's answer.
proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("postcode", String(8), nullable=False),
    Column("ward_code", String(16)),
    Column("lad_code", String(16), index=True),
    Column("bedspaces", Integer, nullable=False),
    Column("provider", String(100)),
    Column("property_type", String(60)),
    Column("is_hmo", Boolean, nullable=False),
    Column("received_date", Date),
    Column("response", String(32), nullable=False),  # pending / supported / objected / no response / withdrawn
    Column("response_date", Date),
    Column("notes", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
)

#: Log-in accounts. Only a password hash is kept; ``auth_version`` changes on log-out, password change,
#: role change and removal, so that every session issued before is refused at once.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", Text),  # argon2id; NULL for an account that signs in only through single sign-on
    Column("role", String(16), nullable=False),  # admin / regional / officer / member
    Column("lad_code", String(16)),  # the officer's or member's LA
    Column("region_code", String(16)),  # the regional user's region (NULL: every LA in the store)
    Column("sso_subject", String(255), unique=True),  # OIDC "iss|sub" for single sign-on later
    Column("auth_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("password_changed_at", DateTime(timezone=True)),
    Column("last_login_at", DateTime(timezone=True)),
)

#: Who did what, when: log-ins (failed too), uploads, loads, undo, exports, views of property-level data.
#: Append-only: the migration adds triggers that refuse UPDATE and DELETE on both databases.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("what", String(400)),
    Column("details", Text),  # JSON; never addresses or counts below LA
    Column("remote_addr", String(64)),
)
Index("ix_audit_log_action_at", audit_log.c.action, audit_log.c.at)
Index("ix_audit_log_what_action", audit_log.c.what, audit_log.c.action)
