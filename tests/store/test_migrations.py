"""The Alembic migrations build exactly the tables in ``schema.metadata``, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.store import db, queries, schema


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_creates_every_table(engine):
    assert set(schema.metadata.tables) <= _tables(engine)
    assert "alembic_version" in _tables(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_upgrade_twice_is_a_no_op(engine):
    before_tables, before_rows = _tables(engine), queries.snapshot(engine)
    db.upgrade(engine)
    db.upgrade(engine)
    assert _tables(engine) == before_tables
    assert queries.snapshot(engine) == before_rows
    assert db.current_revision(engine) == db.head_revision()


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []


def test_fresh_store_starts_empty_at_version_zero(engine):
    snapshot = queries.snapshot(engine)
    assert {name: rows for name, rows in snapshot.items() if rows} == {"store_meta": [("version", "0")]}
    assert db.store_version(engine) == 0


def test_upgrade_builds_a_blank_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'blank' / 'store.sqlite'}"
    engine = db.connect(url)
    try:
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert set(schema.metadata.tables) <= _tables(engine)
        assert db.current_revision(engine) == db.head_revision()
    finally:
        db.dispose(url)


def test_upgrade_builds_a_blank_postgresql_database(postgres_server):
    postgres_server.admin("CREATE DATABASE blank_upgrade TEMPLATE template0")
    url = postgres_server.url("blank_upgrade")
    try:
        engine = db.connect(url)
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert set(schema.metadata.tables) <= _tables(engine)
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
    finally:
        db.dispose(url)
        postgres_server.drop_database("blank_upgrade")


def test_revisions_read_from_the_scripts_match_alembic():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(db._alembic_config())
    assert db.head_revision() == scripts.get_current_head()
    assert db.revisions() == {script.revision: script.down_revision for script in scripts.walk_revisions()}
