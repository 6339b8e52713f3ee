"""Alembic environment: always run programmatically by ``app.store.db.upgrade`` with an open connection.

Offline (SQL script) mode is supported for reviewing a migration by hand.
Batch mode is on so that later migrations can alter SQLite tables.
"""

from __future__ import annotations

from alembic import context

from app.store.schema import metadata

#: Any constant: serialises concurrent ``init`` runs on one PostgreSQL database.
PG_MIGRATION_LOCK = 72_230_001


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through app.store.db.upgrade(engine)")
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
