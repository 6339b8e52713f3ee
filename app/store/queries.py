"""Reading the store into DataFrames named and typed after the schema.

Inputs are read from *active* loads only, so a superseded or undone file
disappears from every figure without being deleted. Dtypes follow the
columns (text as ``string``, nullable integers as ``Int64``, flags as
``bool``/``boolean``), so SQLite and PostgreSQL give identical frames.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from app.store import schema
from app.store.loads import ACTIVE

Bind = sa.Connection | sa.Engine

#: Keeps ``IN (...)`` lists well below every backend's limit on bound parameters.
IN_CHUNK = 5_000


def _dtype(column: sa.ColumnElement) -> str | None:
    kind = column.type
    nullable = getattr(column, "nullable", True)
    if isinstance(kind, sa.Boolean):
        return "boolean" if nullable else "bool"
    if isinstance(kind, sa.Integer):
        return "Int64" if nullable else "int64"
    if isinstance(kind, sa.Float):
        return "float64"
    if isinstance(kind, sa.LargeBinary):
        return None
    if isinstance(kind, (sa.String, sa.Text)):
        return "string"
    return None


def _typed(frame: pd.DataFrame, columns: Iterable[sa.ColumnElement]) -> pd.DataFrame:
    for column in columns:
        name = column.name
        if name not in frame:
            continue
        if isinstance(column.type, sa.DateTime):
            frame[name] = pd.to_datetime(frame[name], utc=True)
            continue
        dtype = _dtype(column)
        if dtype is not None:
            frame[name] = frame[name].astype(dtype)
    return frame


def _frame(bind: Bind, statement: sa.Select) -> pd.DataFrame:
    if isinstance(bind, sa.Engine):
        with bind.connect() as conn:
            return _frame(conn, statement)
    result = bind.execute(statement)
    frame = pd.DataFrame.from_records(result.tuples().all(), columns=list(result.keys()))
    return _typed(frame, statement.selected_columns)


def _scalars(bind: Bind, statement: sa.Select) -> list:
    if isinstance(bind, sa.Engine):
        with bind.connect() as conn:
            return _scalars(conn, statement)
    return list(bind.execute(statement).scalars())


def _active(table: sa.Table) -> sa.ColumnElement[bool]:
    loads = schema.loads
    return table.c.load_id.in_(sa.select(loads.c.id).where(loads.c.status == ACTIVE))


def _in_force(table: sa.Table, period: sa.Column, periods: list[str] | None = None) -> sa.ColumnElement[bool]:
    """Rows whose load is the one in force for their LA and period (rows with no LA: for any LA of the load).

    The (load, period, LA) triples in force are one uncorrelated subquery, read once per statement (SQLite
    builds a transient index of it, PostgreSQL hashes it), rather than one correlated probe per row: about
    twice as fast over a national month. ``periods`` narrows that subquery to the periods asked for.
    """
    coverage = schema.load_coverage
    held = [coverage.c.status == ACTIVE]
    if periods is not None:
        held.append(coverage.c.period.in_(list(periods)))
    triples = sa.select(coverage.c.load_id, coverage.c.period, coverage.c.lad_code).where(*held)
    pairs = sa.select(coverage.c.load_id, coverage.c.period).where(*held)
    return sa.or_(
        sa.tuple_(table.c.load_id, period, table.c.lad_code).in_(triples),
        sa.and_(table.c.lad_code.is_(None), sa.tuple_(table.c.load_id, period).in_(pairs)),
    )


def coverage(
    conn: Bind, kind: str = "home_office", periods: list[str] | None = None, current_only: bool = True
) -> pd.DataFrame:
    """Which load is in force for each (period, LA): the coverage that tells "no data" from zero."""
    table = schema.load_coverage
    query = sa.select(*table.c).where(table.c.kind == kind).order_by(table.c.period, table.c.lad_code, table.c.id)
    if current_only:
        query = query.where(table.c.status == ACTIVE)
    if periods is not None:
        query = query.where(table.c.period.in_(list(periods)))
    return _frame(conn, query)


def is_local_authority(conn: sa.Connection, code: str) -> bool:
    """Whether ``code`` is an LA of the loaded geography (settings, plans and alerts are kept per LA only)."""
    areas_ = schema.areas
    query = sa.select(areas_.c.area_code).where((areas_.c.area_code == code) & (areas_.c.level == "lad"))
    return conn.execute(query).first() is not None


def areas(
    conn: Bind, level: str | None = None, lad_codes: list[str] | None = None, with_geometry: bool = False
) -> pd.DataFrame:
    """Wards, LAs and regions; geometry (WKB) only when asked, as it is large."""
    table = schema.areas
    columns = [c for c in table.c if with_geometry or c.name != "geometry"]
    query = sa.select(*columns).order_by(table.c.area_code)
    if level is not None:
        query = query.where(table.c.level == level)
    if lad_codes is not None:
        query = query.where(table.c.lad_code.in_(list(lad_codes)))
    return _frame(conn, query)


def display_geometry(conn: Bind, detail: str, level: str | None = None) -> pd.DataFrame:
    """GeoJSON text per area at one level of detail (``fine`` / ``coarse``)."""
    display, table = schema.area_display, schema.areas
    query = (
        sa.select(display.c.area_code, display.c.geojson)
        .where(display.c.detail == detail)
        .order_by(display.c.area_code)
    )
    if level is not None:
        query = query.join(table, table.c.area_code == display.c.area_code).where(table.c.level == level)
    return _frame(conn, query)


def population(conn: Bind, source_year: int | None = None) -> pd.DataFrame:
    """Residents by area for one source year, or each area's latest year when None."""
    table = schema.population
    query = sa.select(*table.c).order_by(table.c.area_code)
    if source_year is not None:
        query = query.where(table.c.source_year == int(source_year))
    else:
        latest = (
            sa.select(table.c.area_code, sa.func.max(table.c.source_year).label("latest"))
            .group_by(table.c.area_code)
            .subquery()
        )
        query = query.join(
            latest, sa.and_(latest.c.area_code == table.c.area_code, latest.c.latest == table.c.source_year)
        )
    return _frame(conn, query)


def population_years(conn: Bind) -> list[int]:
    table = schema.population
    return [int(y) for y in _scalars(conn, sa.select(table.c.source_year).distinct().order_by(table.c.source_year))]


def postcodes(conn: Bind, postcodes: list[str] | None = None) -> pd.DataFrame:
    """Postcode units and the wards they were placed in; only the given units when a list is passed."""
    table = schema.postcodes
    query = sa.select(*table.c).order_by(table.c.postcode)
    if postcodes is None:
        return _frame(conn, query)
    wanted = sorted({p for p in postcodes if isinstance(p, str)})
    chunks = [
        _frame(conn, query.where(table.c.postcode.in_(wanted[i : i + IN_CHUNK])))
        for i in range(0, len(wanted), IN_CHUNK)
    ]
    if not chunks:
        return _frame(conn, query.where(sa.false()))
    return pd.concat(chunks, ignore_index=True)


def sector_weights(conn: Bind) -> pd.DataFrame:
    table = schema.sector_weights
    return _frame(conn, sa.select(*table.c).order_by(table.c.postcode_sector, table.c.ward_code))


def ho_records(
    conn: Bind, months: list[str] | None = None, lad_codes: list[str] | None = None, load_ids: list[int] | None = None
) -> pd.DataFrame:
    """Home Office records in force for their LA-month, in the order they were loaded (of ``load_ids`` if given)."""
    table = schema.ho_records
    chosen = None if months is None else list(months)
    query = sa.select(*table.c).where(_in_force(table, table.c.month, chosen)).order_by(table.c.month, table.c.id)
    if chosen is not None:
        query = query.where(table.c.month.in_(chosen))
    if lad_codes is not None:
        query = query.where(table.c.lad_code.in_(list(lad_codes)))
    if load_ids is not None:
        query = query.where(table.c.load_id.in_([int(i) for i in load_ids]))
    return _frame(conn, query)


def ho_people(conn: Bind, months: list[str], load_ids: list[int] | None = None) -> pd.DataFrame:
    """People of the records in force, summed per load, month, LA, sector, accommodation and support type.

    All that figuring needs (apportionment is linear in people), in about a third of the rows of
    :func:`ho_records`, added up by the database.
    """
    table = schema.ho_records
    keys = [
        table.c.load_id,
        table.c.month,
        table.c.lad_code,
        table.c.postcode_sector,
        table.c.accommodation_type,
        table.c.support_type,
    ]
    query = (
        sa.select(*keys, sa.func.sum(table.c.people).label("people"))
        .where(_in_force(table, table.c.month, list(months)), table.c.month.in_(list(months)))
        .group_by(*keys)
        .order_by(*keys)
    )
    if load_ids is not None:
        query = query.where(table.c.load_id.in_([int(i) for i in load_ids]))
    return _frame(conn, query)


def months(conn: Bind) -> list[str]:
    """Months for which some LA has Home Office data in force, oldest first."""
    table = schema.load_coverage
    query = sa.select(table.c.period).where(table.c.kind == "home_office", table.c.status == ACTIVE)
    return _scalars(conn, query.distinct().order_by(table.c.period))


def properties(conn: Bind, quarter: str | None = None, provider: str | None = None) -> pd.DataFrame:
    """Provider properties in force for their LA and quarter."""
    table = schema.properties
    query = (
        sa.select(*table.c)
        .where(_in_force(table, table.c.quarter, None if quarter is None else [quarter]))
        .order_by(table.c.quarter, table.c.provider, table.c.id)
    )
    if quarter is not None:
        query = query.where(table.c.quarter == quarter)
    if provider is not None:
        query = query.where(table.c.provider == provider)
    return _frame(conn, query)


def quarters(conn: Bind) -> list[str]:
    """Quarters for which some LA has a property list in force, oldest first."""
    table = schema.load_coverage
    query = sa.select(table.c.period).where(table.c.kind == "properties", table.c.status == ACTIVE)
    return _scalars(conn, query.distinct().order_by(table.c.period))


def public_stats(conn: Bind, lad_codes: list[str] | None = None) -> pd.DataFrame:
    """Published LA statistics of active loads."""
    table = schema.public_stats
    query = sa.select(*table.c).where(_active(table)).order_by(table.c.date, table.c.lad_code, table.c.id)
    if lad_codes is not None:
        query = query.where(table.c.lad_code.in_(list(lad_codes)))
    return _frame(conn, query)


def coverage_by_load(conn: Bind) -> pd.Series:
    """Per load, in words: the LAs it is in force for and those another load has since replaced."""
    table = schema.load_coverage
    frame = _frame(conn, sa.select(table.c.load_id, table.c.lad_code, table.c.status, table.c.superseded_by))
    names = dict(_frame(conn, sa.select(schema.areas.c.area_code, schema.areas.c.area_name)).itertuples(index=False))
    words: dict[int, str] = {}
    for load_id, rows in frame.groupby("load_id"):
        parts = []
        current = rows.loc[rows["status"] == ACTIVE, "lad_code"].map(lambda c: names.get(c, c))
        if len(current):
            parts.append(", ".join(sorted(current)))
        for newer, replaced in rows[rows["status"] == "superseded"].groupby("superseded_by"):
            las = ", ".join(sorted(replaced["lad_code"].map(lambda c: names.get(c, c))))
            parts.append(f"replaced by load {int(newer)} for {las}")
        words[int(load_id)] = "; ".join(parts)
    return pd.Series(words, dtype="string")


def load_history(conn: Bind) -> pd.DataFrame:
    """Every load, newest first, with ``n_problems`` (data-quality records kept with it)."""
    loads, problems_table = schema.loads, schema.problems
    counts = (
        sa.select(problems_table.c.load_id, sa.func.count().label("n_problems"))
        .group_by(problems_table.c.load_id)
        .subquery()
    )
    n_problems = sa.func.coalesce(counts.c.n_problems, 0).label("n_problems")
    query = (
        sa.select(*loads.c, n_problems).outerjoin(counts, counts.c.load_id == loads.c.id).order_by(loads.c.id.desc())
    )
    frame = _frame(conn, query)
    frame["n_problems"] = frame["n_problems"].astype("int64")
    return frame


def problems(conn: Bind, load_id: int | None = None, active_only: bool = True) -> pd.DataFrame:
    """Data-quality records, with the kind, file and period of the load they belong to."""
    table, loads = schema.problems, schema.loads
    query = (
        sa.select(*table.c, loads.c.kind, loads.c.file_name, loads.c.period, loads.c.status.label("load_status"))
        .join(loads, loads.c.id == table.c.load_id)
        .order_by(table.c.load_id, table.c.id)
    )
    if load_id is not None:
        query = query.where(table.c.load_id == load_id)
    if active_only:
        query = query.where(loads.c.status == ACTIVE)
    return _frame(conn, query)


def area_settings(conn: Bind) -> pd.DataFrame:
    table = schema.area_settings
    return _frame(conn, sa.select(*table.c).order_by(table.c.area_code))


def plan_allocations(conn: Bind) -> pd.DataFrame:
    """Allocations entered per quarter: ``lad_code``, ``quarter``, ``bedspaces``, ``note``."""
    table = schema.plan_allocations
    return _frame(conn, sa.select(*table.c).order_by(table.c.lad_code, table.c.quarter))


def alert_recipients(conn: Bind) -> pd.DataFrame:
    """Who receives the e-mail alerts: ``id``, ``lad_code``, ``email``, ``role``, ``added_at``, ``added_by``."""
    table = schema.alert_recipients
    return _frame(conn, sa.select(*table.c).order_by(table.c.lad_code, table.c.email))


def snapshot(conn: Bind) -> dict[str, list[tuple]]:
    """Every table's rows in primary-key order: equal snapshots mean an unchanged store."""
    if isinstance(conn, sa.Engine):
        with conn.connect() as connection:
            return snapshot(connection)
    return {
        table.name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
        for table in schema.metadata.sorted_tables
    }
