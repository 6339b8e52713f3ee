"""Opening the store, migrating it, and telling an officer plainly when it cannot be used.

SQLite is tuned on every connection (WAL so that the dashboard can read while
a file loads, foreign keys on, a generous busy timeout) and each transaction
starts with an explicit ``BEGIN``, so that a load is one atomic unit and reads
inside a transaction see one consistent state. PostgreSQL needs nothing but a
liveness check on pooled connections.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from app.store import schema

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option naming how a SQLite transaction begins: DEFERRED (default) or IMMEDIATE
#: (takes the write lock at once, so two concurrent loads queue instead of failing).
SQLITE_BEGIN = "sqlite_begin"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class StoreError(Exception):
    """The store cannot be reached or used; the message says what to do, without secrets."""


def mask_url(url: str | URL) -> str:
    """The URL as text with any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _mask_text(text: str, url: URL) -> str:
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def _reason(exc: BaseException, url: URL) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return _mask_text(lines[0] if lines else type(orig).__name__, url)


def _sqlite_file(url: URL) -> str | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event own transactions (pysqlite's implicit ones skip reads and DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    mode = str(conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")).upper()
    if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
        raise ValueError(f"{SQLITE_BEGIN} must be DEFERRED, IMMEDIATE or EXCLUSIVE, not {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


def writing(engine: Engine):
    """A write transaction: ``with db.writing(engine) as conn:``.

    On SQLite it takes the write lock at BEGIN (IMMEDIATE), so a writer that
    reads before it writes waits its turn behind another writer instead of
    failing at once with "database is locked". PostgreSQL ignores the option.
    """
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}).begin()


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the store at {mask_url(url)}: {exc.strerror}") from None
            url = url.set(database=path)
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _cache_key(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            url = url.set(database=path)
    return url.render_as_string(hide_password=False)


def _parse(url: str | URL) -> URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # the only PostgreSQL driver installed
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def connect(url: str) -> Engine:
    """The engine for ``url`` (one per URL per process); does not open a connection yet.

    ``postgresql://`` means ``postgresql+psycopg://``.
    """
    try:
        parsed = _parse(url)
        key = _cache_key(parsed)
    except Exception:
        raise StoreError(
            f"not a database URL: {mask_url(url)!r} (expected e.g. sqlite:///data/dispersal.sqlite)"
        ) from None
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            try:
                engine = _create_engine(parsed)
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(f"cannot open the store at {mask_url(parsed)}: {_reason(exc, parsed)}") from None
            _engines[key] = engine
        return engine


def dispose(url: str | None = None) -> None:
    """Close pooled connections and forget the cached engine for ``url`` (every engine when None)."""
    with _lock:
        if url is None:
            keys = list(_engines)
        else:
            try:
                keys = [_cache_key(_parse(url))]
            except Exception:
                keys = []
        for key in keys:
            engine = _engines.pop(key, None)
            if engine is not None:
                engine.dispose()


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE)


def revisions() -> dict[str, str | None]:
    """Each migration's revision and the one it follows, read from the scripts' own lines.

    Alembic's script directory gives the same answer but imports every migration and half of
    Alembic (about half a second) on each command that only needs to check the store is current.
    """
    found: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        values = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        if values.get("revision"):
            found[values["revision"]] = values.get("down_revision") or None
    return found


def head_revision() -> str:
    """The schema revision this code expects: the one no other migration follows."""
    known = revisions()
    heads = sorted(set(known) - set(known.values()))
    if len(heads) != 1:
        raise StoreError(f"the migrations have {len(heads)} heads ({', '.join(heads)}): merge them")
    return heads[0]


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the latest revision; running it again changes nothing."""
    from alembic import command

    config = _alembic_config()
    try:
        with writing(engine) as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot upgrade the store at {mask_url(engine.url)}: {_reason(exc, engine.url)}") from None


def current_revision(engine: Engine) -> str | None:
    """The schema revision the store is at, None when it was never initialised."""
    version = sa.table("alembic_version", sa.column("version_num"))
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.select(version.c.version_num)).scalar_one_or_none()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {mask_url(engine.url)}: {_reason(exc, engine.url)}") from None


def check_ready(engine: Engine) -> None:
    """Raise StoreError unless the store can be reached and is at the schema this code expects."""
    revision = current_revision(engine)
    where = mask_url(engine.url)
    if revision is None:
        try:
            tables = set(sa.inspect(engine).get_table_names())
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at {where}: {_reason(exc, engine.url)}") from None
        if tables & set(schema.metadata.tables):
            raise StoreError(
                f"the store at {where} has tables but no schema revision, so it was not made by "
                "`python -m app init`: use an empty database"
            )
        raise StoreError(f"the store at {where} has no tables: run `python -m app init`")
    head = head_revision()
    if revision == head:
        return
    if revision in revisions():
        raise StoreError(
            f"the store at {where} is at schema revision {revision}, this version needs {head}: "
            "run `python -m app init` to upgrade it"
        )
    raise StoreError(
        f"the store at {where} was made by a newer version of Dispersal Monitor (schema revision {revision})"
    )


def store_version(engine: Engine) -> int:
    """A number that changes whenever a load is committed or undone: a cheap cache key."""
    try:
        with engine.connect() as conn:
            value = conn.execute(
                sa.select(schema.store_meta.c.value).where(schema.store_meta.c.key == "version")
            ).scalar_one_or_none()
    except sa.exc.SQLAlchemyError as exc:
        check_ready(engine)
        raise StoreError(f"cannot read the store at {mask_url(engine.url)}: {_reason(exc, engine.url)}") from None
    return int(value) if value is not None else 0
