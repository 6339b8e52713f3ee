"""Opening the store: SQLite tuning, engine reuse, plain errors, no secrets in messages."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.store import db, schema
from app.store.db import StoreError


def _pragma(conn: sa.Connection, name: str):
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_pragmas_on_every_connection(sqlite_url):
    engine = db.connect(sqlite_url)
    for _ in range(2):
        with engine.connect() as conn:
            assert _pragma(conn, "journal_mode") == "wal"
            assert _pragma(conn, "foreign_keys") == 1
            assert _pragma(conn, "busy_timeout") == db.SQLITE_BUSY_TIMEOUT_MS
            assert _pragma(conn, "synchronous") == 1  # NORMAL
        engine.dispose()
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:  # WAL persists in the file itself
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.insert(schema.problems).values(load_id=999, severity="warn", code="x", message="m"))


def _a_load(**values) -> dict:
    return (
        dict(
            kind="home_office",
            file_name="f.csv",
            checksum="0" * 64,
            loaded_at=datetime.now(UTC),
            loaded_by="test",
            rows=0,
            status="active",
        )
        | values
    )


def test_readers_see_committed_state_while_a_load_is_open(engine):
    count = sa.select(sa.func.count()).select_from(schema.loads)
    with engine.connect() as writer:
        transaction = writer.begin()
        writer.execute(sa.insert(schema.loads).values(**_a_load()))
        with engine.connect() as reader:
            assert reader.execute(count).scalar() == 0
        transaction.commit()
    with engine.connect() as reader:
        assert reader.execute(count).scalar() == 1


def test_a_failed_transaction_leaves_nothing(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            conn.execute(sa.insert(schema.loads).values(**_a_load()))
            raise RuntimeError("reader failed half way")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.loads)).scalar() == 0


def test_immediate_transactions_on_sqlite_take_the_write_lock(sqlite_url):
    engine = db.connect(sqlite_url)
    with engine.execution_options(**{db.SQLITE_BEGIN: "IMMEDIATE"}).begin():
        other = sa.create_engine(sqlite_url, connect_args={"timeout": 0.1, "isolation_level": None})
        try:
            with other.connect() as conn, pytest.raises(sa.exc.OperationalError, match="locked"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            other.dispose()


def test_engines_are_cached_per_url(sqlite_url):
    assert db.connect(sqlite_url) is db.connect(sqlite_url)


def test_relative_sqlite_path_is_relative_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "sqlite:///nested/folder/store.sqlite"
    try:
        engine = db.connect(url)
        assert (tmp_path / "nested" / "folder").is_dir()
        assert Path(engine.url.database) == tmp_path / "nested" / "folder" / "store.sqlite"
        db.upgrade(engine)
        assert (tmp_path / "nested" / "folder" / "store.sqlite").is_file()
    finally:
        db.dispose(url)


def test_uninitialised_sqlite_store_says_run_init(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    engine = db.connect(url)
    try:
        with pytest.raises(StoreError) as raised:
            db.check_ready(engine)
        assert str(raised.value) == f"the store at {url} has no tables: run `python -m app init`"
        with pytest.raises(StoreError, match="has no tables"):
            db.store_version(engine)
    finally:
        db.dispose(url)


def test_uninitialised_postgresql_store_says_run_init(postgres_server):
    postgres_server.admin("CREATE DATABASE never_initialised TEMPLATE template0")
    url = postgres_server.url("never_initialised")
    try:
        with pytest.raises(StoreError, match=r"never_initialised has no tables: run `python -m app init`"):
            db.store_version(db.connect(url))
    finally:
        db.dispose(url)
        postgres_server.drop_database("never_initialised")


def test_store_from_a_newer_version_is_refused(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StoreError, match="newer version of Dispersal Monitor"):
        db.check_ready(engine)


def test_ready_store_passes(engine):
    db.check_ready(engine)


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_postgresql_message_masks_the_password():
    url = f"postgresql+psycopg://officer:Hunter2Secret@127.0.0.1:{_closed_port()}/dispersal"
    try:
        for call in (db.current_revision, db.check_ready, db.store_version, db.upgrade):
            with pytest.raises(StoreError) as raised:
                call(db.connect(url))
            message = str(raised.value)
            assert "Hunter2Secret" not in message
            assert "officer:***@127.0.0.1" in message
            assert message.startswith("cannot ")
    finally:
        db.dispose(url)


def test_mask_url():
    assert db.mask_url("postgresql+psycopg://u:p%40ss@h:5432/d") == "postgresql+psycopg://u:***@h:5432/d"
    assert db.mask_url("sqlite:///data/dispersal.sqlite") == "sqlite:///data/dispersal.sqlite"


def test_a_malformed_url_is_a_store_error_without_the_password():
    with pytest.raises(StoreError) as raised:
        db.connect("not a url://user:TopSecret@host/db")
    assert "TopSecret" not in str(raised.value)
    assert "not a database URL" in str(raised.value)


def test_tables_made_without_migrations_are_not_mistaken_for_a_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'hand-made.sqlite'}"
    engine = db.connect(url)
    try:
        schema.metadata.create_all(engine)
        with pytest.raises(StoreError, match="has tables but no schema revision"):
            db.check_ready(engine)
    finally:
        db.dispose(url)


def test_plain_postgresql_urls_use_psycopg(postgres_server):
    name = postgres_server.new_database()
    url = postgres_server.url(name).replace("postgresql+psycopg://", "postgresql://")
    try:
        engine = db.connect(url)
        assert engine.dialect.driver == "psycopg"
        assert db.current_revision(engine) == db.head_revision()
    finally:
        db.dispose(url)
        postgres_server.drop_database(name)
