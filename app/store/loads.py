"""Writing to the store: one file load is one transaction the caller opens.

Every function takes a ``Connection`` already inside ``engine.begin()``; none
commits. A load never deletes inputs: a corrected file *supersedes* the earlier
load (its rows stay, for the history) and queries read active loads only, so
undoing a load is just flipping statuses back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from app.problems import Problem
from app.store import schema

ACTIVE = "active"
SUPERSEDED = "superseded"
UNDONE = "undone"

_GEOGRAPHY_DELETE_ORDER = (
    schema.area_display,
    schema.sector_weights,
    schema.postcodes,
    schema.population,
    schema.areas,
)


def file_checksum(path: str | Path) -> str:
    """sha256 of the file's bytes, so that loading the same file twice is recognised."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scope_text(scope: str | Iterable[str] | None) -> str | None:
    """A load's scope as stored: comma-joined sorted codes; None means everything."""
    if scope is None:
        return None
    codes = scope.split(",") if isinstance(scope, str) else scope
    cleaned = sorted({str(c).strip() for c in codes if c is not None and str(c).strip()})
    return ",".join(cleaned) or None


def _scope_codes(text: str | None) -> set[str]:
    return set(text.split(",")) if text else set()


def find_active_load(conn: sa.Connection, kind: str, checksum: str) -> int | None:
    """The active load of identical bytes, if any (loading it again should change nothing)."""
    loads = schema.loads
    return conn.execute(
        sa.select(loads.c.id)
        .where(loads.c.kind == kind, loads.c.checksum == checksum, loads.c.status == ACTIVE)
        .order_by(loads.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def start_load(
    conn: sa.Connection,
    *,
    kind: str,
    file_name: str,
    checksum: str,
    period: str | None,
    scope: str | Iterable[str] | None,
    provider: str | None,
    loaded_by: str,
    rows: int,
    details: dict | None = None,
    status: str = ACTIVE,
) -> int:
    """Record a load (active, now, UTC) and return its id; also bumps the store version."""
    load_id = conn.execute(
        sa.insert(schema.loads)
        .values(
            kind=kind,
            file_name=file_name,
            checksum=checksum,
            period=period,
            scope=scope_text(scope),
            provider=provider,
            loaded_at=datetime.now(UTC),
            loaded_by=loaded_by,
            rows=int(rows),
            status=status,
            details=json.dumps(details or {}, default=str, sort_keys=True),
        )
        .returning(schema.loads.c.id)
    ).scalar_one()
    bump_version(conn)
    return load_id


def supersede(
    conn: sa.Connection,
    *,
    kind: str,
    period: str | None,
    scope_codes: set[str] | None,
    provider: str | None,
    new_load_id: int,
) -> list[int]:
    """Mark earlier active loads of the same kind and period whose scope overlaps as superseded.

    A period or provider of None matches loads without one; an empty scope on
    either side means "everything" and so overlaps any scope.
    """
    loads = schema.loads
    query = sa.select(loads.c.id, loads.c.scope).where(
        loads.c.kind == kind,
        loads.c.status == ACTIVE,
        loads.c.id != new_load_id,
        loads.c.period.is_(None) if period is None else loads.c.period == period,
    )
    if provider is not None:
        query = query.where(loads.c.provider == provider)
    new_codes = {c for c in (scope_codes or ()) if c}
    ids = [
        load_id
        for load_id, scope in conn.execute(query.order_by(loads.c.id))
        if not new_codes or not _scope_codes(scope) or new_codes & _scope_codes(scope)
    ]
    if ids:
        conn.execute(sa.update(loads).where(loads.c.id.in_(ids)).values(status=SUPERSEDED, superseded_by=new_load_id))
    return ids


def cover(
    conn: sa.Connection,
    *,
    load_id: int,
    kind: str,
    period: str,
    lad_codes: Iterable[str],
    provider: str | None = None,
    incomplete: Iterable[str] = (),
) -> dict[str, int]:
    """Make ``load_id`` the load in force for each LA of ``lad_codes`` in ``period``.

    Only those LA-periods change hands: every other LA keeps its figures and its
    load, so a one-LA correction never erases its neighbours. Returns, per LA,
    the load that was in force before (the history shows what each replaced).
    """
    coverage = schema.load_coverage
    codes = sorted({c for c in lad_codes if c})
    partial = set(incomplete)
    key = (coverage.c.kind == kind) & (coverage.c.period == period) & (coverage.c.status == ACTIVE)
    key &= coverage.c.provider.is_(None) if provider is None else coverage.c.provider == provider
    replaced: dict[str, int] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        current = key & coverage.c.lad_code.in_(chunk) & (coverage.c.load_id != load_id)
        replaced.update(conn.execute(sa.select(coverage.c.lad_code, coverage.c.load_id).where(current)).tuples().all())
        conn.execute(sa.update(coverage).where(current).values(status=SUPERSEDED, superseded_by=load_id))
    if codes:
        conn.execute(
            sa.insert(coverage),
            [
                {
                    "load_id": load_id,
                    "kind": kind,
                    "period": period,
                    "provider": provider,
                    "lad_code": code,
                    "complete": code not in partial,
                    "status": ACTIVE,
                    "superseded_by": None,
                }
                for code in codes
            ],
        )
    _settle_statuses(conn, set(replaced.values()) | {load_id})
    return replaced


def _settle_statuses(conn: sa.Connection, load_ids: set[int]) -> None:
    """A covering load is active while it is in force for any LA-period, else superseded (undone stays undone)."""
    table, coverage = schema.loads, schema.load_coverage
    for load_id in sorted(load_ids):
        rows = conn.execute(
            sa.select(coverage.c.status, coverage.c.superseded_by).where(coverage.c.load_id == load_id)
        ).all()
        if not rows:
            continue
        status = conn.execute(sa.select(table.c.status).where(table.c.id == load_id)).scalar_one()
        if status == UNDONE:
            continue
        if any(r.status == ACTIVE for r in rows):
            values = {"status": ACTIVE, "superseded_by": None}
        else:
            values = {"status": SUPERSEDED, "superseded_by": max(r.superseded_by or 0 for r in rows) or None}
        conn.execute(sa.update(table).where(table.c.id == load_id).values(**values))


def undo_load(conn: sa.Connection, load_id: int) -> None:
    """Withdraw a load and bring back, LA-period by LA-period, whatever it had replaced.

    Where the load was itself already replaced for an LA-period, the newer load
    stays in charge there: what it had replaced stays superseded, now by the newer one.
    The figures kept at load are the caller's to recompute (:func:`app.ingest.undo_load` does).
    """
    loads = schema.loads
    coverage = schema.load_coverage
    row = conn.execute(sa.select(loads.c.status, loads.c.superseded_by).where(loads.c.id == load_id)).one_or_none()
    if row is None:
        raise LookupError(f"there is no load number {load_id}")
    if row.status == UNDONE:
        raise ValueError(f"load number {load_id} has already been undone")
    own = conn.execute(
        sa.select(
            coverage.c.id,
            coverage.c.kind,
            coverage.c.period,
            coverage.c.provider,
            coverage.c.lad_code,
            coverage.c.status,
            coverage.c.superseded_by,
        ).where(coverage.c.load_id == load_id)
    ).all()
    touched: set[int] = set()
    for entry in own:
        same = (
            (coverage.c.kind == entry.kind)
            & (coverage.c.period == entry.period)
            & (coverage.c.lad_code == entry.lad_code)
            & (coverage.c.superseded_by == load_id)
            & (coverage.c.status == SUPERSEDED)
        )
        same &= coverage.c.provider.is_(None) if entry.provider is None else coverage.c.provider == entry.provider
        touched.update(conn.execute(sa.select(coverage.c.load_id).where(same)).scalars())
        if entry.status == ACTIVE:
            conn.execute(sa.update(coverage).where(same).values(status=ACTIVE, superseded_by=None))
        else:
            conn.execute(sa.update(coverage).where(same).values(superseded_by=entry.superseded_by))
    if own:
        conn.execute(sa.update(coverage).where(coverage.c.load_id == load_id).values(status=UNDONE))
    else:
        replaced = (loads.c.superseded_by == load_id) & (loads.c.status == SUPERSEDED)
        if row.status == ACTIVE:
            conn.execute(sa.update(loads).where(replaced).values(status=ACTIVE, superseded_by=None))
        else:
            conn.execute(sa.update(loads).where(replaced).values(superseded_by=row.superseded_by))
    conn.execute(sa.update(loads).where(loads.c.id == load_id).values(status=UNDONE))
    _settle_statuses(conn, touched)
    bump_version(conn)


def _clip(value: str | None, column: sa.Column) -> str | None:
    length = getattr(column.type, "length", None)
    if value is None or length is None:
        return value
    return value if len(value) <= length else value[: length - 1] + "…"


def add_problems(conn: sa.Connection, load_id: int, problems: list[Problem]) -> None:
    """Keep the problems that did not stop a load, with where they were found."""
    table = schema.problems
    rows = [
        {
            "load_id": load_id,
            "severity": p.severity,
            "code": _clip(p.code, table.c.code),
            "sheet": _clip(p.sheet, table.c.sheet),
            "row": p.row,
            "column": _clip(p.column, table.c.column),
            "message": p.message,
        }
        for p in problems
    ]
    if rows:
        conn.execute(sa.insert(table), rows)


def _integral(series: pd.Series, name: str) -> pd.Series:
    values = pd.to_numeric(series, errors="raise") if series.dtype == object else series
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if not np.array_equal(finite.to_numpy(dtype=float), np.round(finite.to_numpy(dtype=float))):
            raise ValueError(f"column '{name}' must hold whole numbers")
        return values.astype("Int64")
    return values


def _python_values(series: pd.Series, column: sa.Column) -> list:
    """One column as Python scalars with None for missing, ready for any DB-API driver."""
    if isinstance(column.type, sa.Integer) and not pd.api.types.is_bool_dtype(series):
        series = _integral(series, column.name)
    if pd.api.types.is_datetime64_any_dtype(series):
        values = np.array(series.dt.to_pydatetime(), dtype=object)
    elif isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        values = series.to_numpy().astype(object)
    else:
        values = series.to_numpy(dtype=object, na_value=None)
        if series.dtype == object:
            values = np.array([v.item() if isinstance(v, np.generic) else v for v in values], dtype=object)
    missing = series.isna().to_numpy()
    if missing.any():
        values[missing] = None
    return values.tolist()


def _check_lengths(frame: pd.DataFrame, table: sa.Table, columns: list[str]) -> None:
    """Refuse strings too long for their column: PostgreSQL would, SQLite would not; both must agree."""
    for name in columns:
        length = getattr(table.c[name].type, "length", None)
        if length is None or isinstance(table.c[name].type, sa.LargeBinary):
            continue
        series = frame[name]
        if not (pd.api.types.is_string_dtype(series) or series.dtype == object):
            continue
        too_long = series.astype("string").str.len() > length
        if too_long.any():
            first = int(np.flatnonzero(too_long.fillna(False).to_numpy())[0])
            raise ValueError(
                f"column '{name}' of table '{table.name}': {int(too_long.sum())} value(s) longer than "
                f"{length} characters (first in frame row {first + 1})"
            )


def overlong(frame: pd.DataFrame, table: sa.Table, file: str, first: int = 20) -> list[Problem]:
    """Refusals for cells too long for the store (found when a file is checked, not when it is loaded),
    naming the row the officer sees (``source_row``) and the field."""
    problems: list[Problem] = []
    for name in [c.name for c in table.columns if c.name in frame.columns]:
        length = getattr(table.c[name].type, "length", None)
        series = frame[name]
        if (
            length is None
            or isinstance(table.c[name].type, sa.LargeBinary)
            or not (pd.api.types.is_string_dtype(series) or series.dtype == object)
        ):
            continue
        sizes = series.astype("string").str.len()
        too_long = (sizes > length).fillna(False).to_numpy()
        rows = frame["source_row"].to_numpy()[too_long] if "source_row" in frame else [None] * int(too_long.sum())
        for row, size in list(zip(rows, sizes.to_numpy()[too_long]))[:first]:
            problems.append(
                Problem(
                    f"a value of {int(size):,} characters is too long for "
                    f"{name.replace('_', ' ')} (at most {length:,} characters)",
                    file=file,
                    row=None if row is None or row != row else int(row),
                    column=name.replace("_", " "),
                    code="too_long",
                )
            )
    return problems


def _raw(conn: sa.Connection, statement: str, run) -> None:
    """Run ``run(cursor)`` on the driver's cursor, raising driver errors as SQLAlchemy's (e.g. IntegrityError)."""
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        run(cursor)
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
    finally:
        cursor.close()


def _column_list(conn: sa.Connection, table: sa.Table, columns: list[str]) -> str:
    preparer = conn.dialect.identifier_preparer
    return f"{preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)})"


def _copy_postgresql(conn: sa.Connection, table: sa.Table, columns: list[str], rows: list[tuple]) -> None:
    statement = f"COPY {_column_list(conn, table, columns)} FROM STDIN"

    def run(cursor) -> None:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    _raw(conn, statement, run)


def _executemany_sqlite(conn: sa.Connection, table: sa.Table, columns: list[str], rows: list[tuple]) -> None:
    statement = f"INSERT INTO {_column_list(conn, table, columns)} VALUES ({', '.join('?' for _ in columns)})"
    _raw(conn, statement, lambda cursor: cursor.executemany(statement, rows))


def insert_frame(
    conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, load_id: int | None = None, checked: bool = False
) -> int:
    """Bulk-insert the frame's columns that the table has; returns the number of rows.

    Missing values (NA, NaN, NaT) become NULL. Uses the driver's fastest path:
    ``executemany`` on SQLite, ``COPY`` on PostgreSQL. ``checked``: the frame's text was already held to
    this table's lengths (:func:`overlong` found nothing), so it is not measured again.
    """
    if load_id is not None and "load_id" in table.c:
        frame = frame.assign(load_id=load_id)
    columns = [c.name for c in table.columns if c.name in frame.columns]
    if frame.empty or not columns:
        return 0
    if not checked:
        _check_lengths(frame, table, columns)
    rows = list(zip(*(_python_values(frame[name], table.c[name]) for name in columns)))
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _executemany_sqlite(conn, table, columns, rows)
    elif dialect == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_postgresql(conn, table, columns, rows)
    else:
        conn.execute(sa.insert(table), [dict(zip(columns, row)) for row in rows])
    return len(rows)


def _wkb(geometry: pd.Series) -> pd.Series:
    """Accept shapely geometries as well as WKB bytes for ``areas.geometry``."""
    if str(geometry.dtype) == "geometry" or any(hasattr(g, "geom_type") for g in geometry.head(1)):
        import shapely

        return pd.Series(shapely.to_wkb(np.asarray(geometry, dtype=object)), index=geometry.index, dtype=object)
    return geometry


def replace_geography(
    conn: sa.Connection,
    *,
    areas: pd.DataFrame,
    display: pd.DataFrame,
    population: pd.DataFrame,
    postcodes: pd.DataFrame,
    sector_weights: pd.DataFrame,
    load_id: int,
) -> None:
    """Swap in a whole new geography inside the caller's transaction (all or nothing)."""
    for table in _GEOGRAPHY_DELETE_ORDER:
        conn.execute(sa.delete(table))
    if "geometry" in areas.columns:
        areas = pd.DataFrame(areas).assign(geometry=_wkb(areas["geometry"]))
    insert_frame(conn, schema.areas, areas, load_id=load_id)
    insert_frame(conn, schema.area_display, display)
    insert_frame(conn, schema.population, population)
    insert_frame(conn, schema.postcodes, postcodes)
    insert_frame(conn, schema.sector_weights, sector_weights)


def get_meta(conn: sa.Connection, key: str) -> str | None:
    meta = schema.store_meta
    return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: sa.Connection, key: str, value: object) -> None:
    meta = schema.store_meta
    text = None if value is None else str(value)
    if conn.execute(sa.update(meta).where(meta.c.key == key).values(value=text)).rowcount == 0:
        conn.execute(sa.insert(meta).values(key=key, value=text))


def bump_version(conn: sa.Connection) -> int:
    """Increase the store version in one statement, so concurrent loads each get their own number."""
    meta = schema.store_meta
    bumped = conn.execute(
        sa.update(meta)
        .where(meta.c.key == "version")
        .values(value=sa.cast(sa.cast(meta.c.value, sa.Integer) + 1, sa.Text))
        .returning(meta.c.value)
    ).scalar_one_or_none()
    if bumped is None:
        set_meta(conn, "version", 1)
        return 1
    return int(bumped)
