"""Figures computed once, at load, for exactly the LA-months a load changes.

Every Home Office load, property list, geography and undo recomputes, in
its own transaction, the ``area_figures`` rows of the LA-months it affects:

* a Home Office file: the LA-months it covers (replacing or undoing it
  changes those and no others);
* a property list for a quarter: every LA in the months of that quarter and
  the next (a month is apportioned with its own quarter's list, else the
  previous quarter's, and which quarters have lists is decided store-wide);
* a geography: everything (a long job, with progress lines).

Each recomputed month gets a stamp (``figures:<month>`` in ``store_meta``,
the store version that wrote it) so that cached answers for other months
stay valid. The inputs are kept as received: :func:`rebuild` recomputes
every figure from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine

from app.cluster import apportion as ap
from app.cluster import breakdown, position
from app.cluster import coverage as cov
from app.store import db, loads, queries, schema

PENDING = "figures_pending"
REFERENCE = "figures:reference"

Progress = Callable[[str], None]


def month_key(month: str) -> str:
    return f"figures:{month}"


def _next_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year + 1}Q1" if q == 4 else f"{year}Q{q + 1}"


def _months_of(quarter: str) -> list[str]:
    year, q = int(quarter[:4]), int(quarter[-1])
    return [f"{year}-{3 * (q - 1) + m:02d}" for m in (1, 2, 3)]


class Inputs:
    """What every month's computation shares within one transaction, read once.

    ``areas`` and ``weights`` may be given when the caller read them at this very store version (a file
    checked just before its load), so that the load does not read the geography twice.
    """

    def __init__(self, conn: sa.Connection, areas: pd.DataFrame | None = None, weights: pd.DataFrame | None = None):
        self.conn = conn
        self.areas = queries.areas(conn) if areas is None else areas
        self.weights = queries.sector_weights(conn) if weights is None else weights
        self.all_lads = set(self.areas.loc[self.areas["level"] == "lad", "area_code"].astype(str))


def _home_office_months(conn: sa.Connection) -> list[str]:
    coverage = schema.load_coverage
    query = sa.select(coverage.c.period).where(coverage.c.kind == "home_office").distinct()
    return sorted(str(m) for m in conn.execute(query).scalars())


def recompute(
    conn: sa.Connection, month: str, lad_codes: Iterable[str] | None = None, inputs: Inputs | None = None
) -> int:
    """Replace the figures of ``month`` for ``lad_codes`` (None: every LA) and their regions; rows written."""
    inputs = inputs or Inputs(conn)
    areas = inputs.areas
    lads = inputs.all_lads if lad_codes is None else set(lad_codes) & inputs.all_lads
    figures = schema.area_figures
    coverage = cov.covered(queries.coverage(conn, "home_office", periods=[month]))
    if lad_codes is None:
        conn.execute(sa.delete(figures).where(figures.c.month == month))
        records = queries.ho_people(conn, months=[month])
    else:
        codes = sorted(lads)
        for start in range(0, len(codes), 500):
            conn.execute(
                sa.delete(figures).where(
                    figures.c.month == month,
                    figures.c.level.in_([position.WARD, position.LAD]),
                    figures.c.lad_code.in_(codes[start : start + 500]),
                )
            )
        in_force = coverage[coverage["lad_code"].astype(str).isin(lads)]
        load_ids = sorted({int(x) for x in in_force["load_id"]})
        records = queries.ho_people(conn, months=[month], load_ids=load_ids)
    records.index = pd.RangeIndex(len(records))
    written = 0
    if len(records) and lads:
        quarter = ap.quarter_of(month)
        props = pd.concat(
            [queries.properties(conn, quarter=q) for q in (quarter, ap.previous_quarter(quarter))], ignore_index=True
        )
        split = ap.apportion(records, inputs.weights, ap.property_occupancy(props))
        split = cov.in_force(split, records, coverage)
        rows = breakdown.figure_rows(records, split, areas, lads)
        written += loads.insert_frame(conn, figures, rows)

    region_of = areas.loc[areas["level"] == "lad"].set_index("area_code")["region_code"].dropna()
    regions = sorted(set(region_of.reindex(sorted(lads)).dropna().astype(str))) if lads else []
    if regions:
        conn.execute(
            sa.delete(figures).where(
                figures.c.month == month, figures.c.level == position.REGION, figures.c.area_code.in_(regions)
            )
        )
        members = sorted(region_of[region_of.isin(regions)].index.astype(str))
        lad_rows = read(conn, month=month, levels=(position.LAD,), lad_codes=members)
        written += loads.insert_frame(conn, figures, breakdown.region_rows(lad_rows, areas))
    loads.set_meta(conn, month_key(month), _version(conn))
    return written


def _version(conn: sa.Connection) -> int:
    value = loads.get_meta(conn, "version")
    return int(value) if value is not None else 0


def affected(conn: sa.Connection, load_id: int) -> dict[str, set[str] | None]:
    """The LA-months (month -> LAs, None for every LA) whose figures load ``load_id`` changes, loaded or undone."""
    row = conn.execute(
        sa.select(schema.loads.c.kind, schema.loads.c.period).where(schema.loads.c.id == load_id)
    ).one_or_none()
    if row is None:
        return {}
    if row.kind == "geography":
        return dict.fromkeys(_home_office_months(conn))
    coverage = schema.load_coverage
    if row.kind == "home_office":
        found: dict[str, set[str] | None] = {}
        query = sa.select(coverage.c.period, coverage.c.lad_code).where(coverage.c.load_id == load_id)
        for period, lad in conn.execute(query):
            found.setdefault(str(period), set()).add(str(lad))
        return found
    if row.kind == "properties" and row.period:
        wanted = set(_months_of(row.period)) | set(_months_of(_next_quarter(row.period)))
        return {month: None for month in _home_office_months(conn) if month in wanted}
    return {}


def refresh(conn: sa.Connection, load_id: int, progress: Progress | None = None, inputs: Inputs | None = None) -> None:
    """Bring the figures up to date after load ``load_id`` was committed or undone (same transaction)."""
    if loads.get_meta(conn, PENDING):
        rebuild(conn, progress)
        return
    kind = conn.execute(sa.select(schema.loads.c.kind).where(schema.loads.c.id == load_id)).scalar_one_or_none()
    if kind == "geography":
        rebuild(conn, progress)
        return
    changes = affected(conn, load_id)
    inputs = (inputs or Inputs(conn)) if changes else None
    for month in sorted(changes):
        recompute(conn, month, changes[month], inputs)
        if progress:
            progress(f"figures for {month} recomputed")


def rebuild(conn: sa.Connection, progress: Progress | None = None) -> int:
    """Recompute every figure from the inputs as received; returns the months done."""
    conn.execute(sa.delete(schema.area_figures))
    months = _home_office_months(conn)
    inputs = Inputs(conn)
    for number, month in enumerate(months, 1):
        recompute(conn, month, None, inputs)
        if progress:
            progress(f"figures for {month} computed ({number} of {len(months)})")
    meta = schema.store_meta
    conn.execute(sa.delete(meta).where(meta.c.key == PENDING))
    loads.set_meta(conn, REFERENCE, _version(conn))
    return len(months)


def ensure(engine: Engine) -> None:
    """Compute the figures of a store upgraded from before they were kept (once, on first use)."""
    with engine.connect() as conn:
        pending = loads.get_meta(conn, PENDING)
    if pending:
        with db.writing(engine) as conn:
            if loads.get_meta(conn, PENDING):
                rebuild(conn)


def read(
    conn: sa.Connection | Engine,
    *,
    month: str | list[str] | None = None,
    levels: tuple[str, ...] | None = None,
    lad_codes: Iterable[str] | None = None,
    area_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Stored figure rows, narrowed to the months, levels, LAs or areas asked for."""
    table = schema.area_figures
    query = sa.select(*[table.c[name] for name in breakdown.FIGURE_COLUMNS])
    if month is not None:
        months = [month] if isinstance(month, str) else list(month)
        query = query.where(table.c.month.in_(months))
    if levels is not None:
        query = query.where(table.c.level.in_(list(levels)))
    if lad_codes is not None:
        query = query.where(table.c.lad_code.in_(sorted(set(lad_codes))))
    if area_codes is not None:
        query = query.where(table.c.area_code.in_(sorted(set(area_codes))))
    return queries._frame(conn, query)


def stamps(conn: sa.Connection | Engine, months: Iterable[str]) -> tuple:
    """The reference stamp and each month's stamp: a cache key that a load of another month leaves alone."""
    if isinstance(conn, sa.Engine):
        with conn.connect() as connection:
            return stamps(connection, months)
    wanted = [REFERENCE] + [month_key(m) for m in months]
    meta = schema.store_meta
    found = dict(conn.execute(sa.select(meta.c.key, meta.c.value).where(meta.c.key.in_(wanted))).tuples().all())
    return tuple(found.get(key) for key in wanted)
