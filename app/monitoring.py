"""The cluster position read from the store, for the CLI and the dashboard.

Ward figures are computed at load time (:mod:`app.materialise`) for the
LA-months each load changes; here they are read back for the month and
scope asked, and turned into the monitoring table with the current
settings (counted types, limit ratio), so no process holds all history.
The inputs themselves (records, property lists, apportionment) are read
only when a caller asks for them.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from functools import cached_property

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine

from app import materialise
from app.cluster import apportion as ap
from app.cluster import breakdown, position, reconcile
from app.cluster import coverage as cov
from app.config import Settings
from app.store import db, queries, schema


class Snapshot:
    """The store at one version: small reference frames at once, figures and inputs when asked."""

    def __init__(
        self,
        version: int,
        engine: Engine,
        settings: Settings,
        areas: pd.DataFrame,
        population: pd.DataFrame,
        limit_overrides: pd.Series,
        covered: pd.DataFrame,
    ):
        self.version = version
        self.engine = engine
        self.settings = settings
        self.areas = areas
        self.population = population
        self.limit_overrides = limit_overrides
        #: (month, LA) pairs a load is in force for: :func:`app.cluster.coverage.covered`.
        self.covered = covered
        self._tables: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def weights(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return queries.sector_weights(conn)

    @cached_property
    def records(self) -> pd.DataFrame:
        """Every record in force (read only on demand: it grows with history)."""
        with self.engine.connect() as conn:
            records = queries.ho_records(conn)
        records.index = pd.RangeIndex(len(records))
        return records

    def records_for(self, months: list[str]) -> pd.DataFrame:
        """The records in force for a few months only (a preview needs its month and the one before)."""
        with self.engine.connect() as conn:
            records = queries.ho_records(conn, months=sorted(set(months)))
        records.index = pd.RangeIndex(len(records))
        return records

    def properties_for(self, months: list[str]) -> pd.DataFrame:
        """The property lists that can serve these months: each month's quarter and the one before."""
        quarters = {ap.quarter_of(m) for m in months}
        quarters |= {ap.previous_quarter(q) for q in quarters}
        with self.engine.connect() as conn:
            found = [queries.properties(conn, quarter=q) for q in sorted(quarters)]
        return pd.concat(found, ignore_index=True)

    @cached_property
    def properties(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return queries.properties(conn)

    @cached_property
    def apportioned(self) -> ap.Apportioned:
        split = ap.apportion(self.records, self.weights, ap.property_occupancy(self.properties))
        return cov.in_force(split, self.records, self.covered)

    @cached_property
    def _population_by_area(self) -> pd.DataFrame:
        return position.population_by_area(self.areas, self.population)

    def _figures(self, months: list[str], levels: tuple[str, ...], lad_codes: list[str] | None) -> pd.DataFrame:
        read_levels = set(levels) | ({position.LAD} if position.REGION in levels else set())
        with self.engine.connect() as conn:
            rows = materialise.read(conn, month=months, levels=tuple(sorted(read_levels)))
        if lad_codes is not None:
            rows = rows[(rows["level"] == position.REGION) | rows["lad_code"].isin(lad_codes)]
        return rows

    def people_for(
        self,
        months: list[str],
        levels: tuple[str, ...] = position.LEVELS,
        lad_codes: list[str] | None = None,
        counted: bool = True,
    ) -> pd.DataFrame:
        """:func:`app.cluster.position.people_by_area` for some months (and LAs), from the stored figures."""
        rows = self._figures(months, levels, lad_codes)
        return breakdown.people_from_figures(
            rows,
            self.areas,
            self.covered,
            months,
            self.settings if counted else None,
            levels,
            None if lad_codes is None else set(lad_codes),
        )

    def table_for(
        self, month: str | list[str], level: str | None = None, lad_codes: list[str] | None = None
    ) -> pd.DataFrame:
        """The monitoring table for one month (or a few) and level (None: every level), optionally some LAs.

        Regions are not narrowed by ``lad_codes``. Kept for the last few questions asked.
        """
        months = [month] if isinstance(month, str) else list(month)
        levels = position.LEVELS if level is None else (level,)
        key = (tuple(months), levels, None if lad_codes is None else tuple(sorted(lad_codes)))
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
        people = self.people_for(months, levels, lad_codes)
        table = position.monitoring_table(
            people, self.areas, self._population_by_area, self.settings, self.limit_overrides
        )
        table = table[table["level"].isin(levels)].reset_index(drop=True)
        with self._lock:
            self._tables[key] = table
            while len(self._tables) > 16:
                self._tables.popitem(last=False)
        return table

    def series(self, area_codes: list[str], months: list[str] | None = None) -> pd.DataFrame:
        """A narrow (area, month) series for trends: the monitoring-table rows of those areas only."""
        months = months if months is not None else self.months
        codes = set(area_codes)
        levels = tuple(
            sorted(
                set(
                    self.areas.loc[self.areas["area_code"].isin(codes), "level"].map(
                        {"ward": position.WARD, "lad": position.LAD}
                    )
                )
                | {position.REGION}
            )
        )
        lads = sorted(
            set(self.areas.loc[self.areas["area_code"].isin(codes), "lad_code"].dropna().astype(str))
            | (codes & set(self.areas.loc[self.areas["level"] == "lad", "area_code"]))
        )
        table = self.table_for(months, None if len(levels) > 1 else levels[0], lads or None)
        return table[table["area_code"].isin(codes)].reset_index(drop=True)

    @cached_property
    def people(self) -> pd.DataFrame:
        return self.people_for(self.months)

    @cached_property
    def supported_by_la(self) -> pd.DataFrame:
        """Everyone supported (every support and accommodation type) per month and LA, as the published table counts.

        An LA-month no file covers has no row: it is not a zero to compare.
        """
        everyone = self.people_for(self.months, (position.LAD,), counted=False)
        everyone = everyone[everyone["people"].notna() & (everyone["level"] == position.LAD)]
        return (
            everyone[["month", "area_code", "people"]].rename(columns={"area_code": "lad_code"}).reset_index(drop=True)
        )

    @cached_property
    def table(self) -> pd.DataFrame:
        """The monitoring table for every level and month (prefer :meth:`table_for`: it reads one month)."""
        if not self.months:
            return self.table_for([])
        return self.table_for(self.months)

    @property
    def months(self) -> list[str]:
        """Months some LA has data for, oldest first."""
        return sorted(set(self.covered["month"].dropna().astype(str)))

    def reporting(self, month: str, lad_codes: list[str] | None = None) -> dict:
        """Which LAs (of ``lad_codes``, else all) reported for ``month``: :func:`app.cluster.coverage.reporting`."""
        lads = self.areas[self.areas["level"] == "lad"]
        if lad_codes is not None:
            lads = lads[lads["area_code"].isin(lad_codes)]
        return cov.reporting(self.covered, lads, month)

    def latest_complete_month(self, lad_codes: list[str] | None = None) -> str | None:
        """The latest month every LA in scope reported (pages open on it), else the latest month with any data."""
        codes = lad_codes if lad_codes is not None else self.areas.loc[self.areas["level"] == "lad", "area_code"]
        return cov.latest_complete(self.covered, list(codes), self.months)

    @property
    def population_year(self) -> int | None:
        years = self.population["source_year"].dropna()
        return int(years.max()) if len(years) else None


_cache: dict[tuple[str, int, Settings], Snapshot] = {}
_lock = threading.Lock()


def snapshot(engine: Engine, settings: Settings) -> Snapshot:
    """The current snapshot of the store, read once per store version (small: no records, no figures)."""
    materialise.ensure(engine)
    version = db.store_version(engine)
    key = (str(engine.url), version, settings)
    with _lock:
        if key in _cache:
            return _cache[key]
    with engine.connect() as conn:
        areas = queries.areas(conn)
        pop = queries.population(conn, settings.population_year)
        overrides = queries.area_settings(conn)
        covered = cov.covered(queries.coverage(conn, "home_office"))
    limit_overrides = overrides.set_index("area_code")["limit_ratio"] if len(overrides) else pd.Series(dtype=float)
    snap = Snapshot(version, engine, settings, areas, pop, limit_overrides, covered)
    with _lock:
        for stale in [k for k in _cache if k[0] == key[0]]:
            del _cache[stale]
        _cache[key] = snap
    return snap


_answers: OrderedDict = OrderedDict()
_answers_lock = threading.Lock()


def summary(engine: Engine, settings: Settings, *, level: str, month: str, lad: str | None = None) -> pd.DataFrame:
    """The ``summary`` command's table (interface.md), rounded and ordered: one month, one scope, read alone.

    Answers are kept per (month stamp, scope): a load of another month leaves them valid.
    """
    materialise.ensure(engine)
    key = (str(engine.url), materialise.stamps(engine, [month]), settings, level, month, lad)
    with _answers_lock:
        if key in _answers:
            _answers.move_to_end(key)
            return _answers[key].copy()
    with engine.connect() as conn:
        if lad:
            lads = queries.areas(conn, level="lad")
            if level == position.REGION:
                region = lads.loc[lads["area_code"] == lad, "region_code"].dropna()
                scope = sorted(lads.loc[lads["region_code"].isin(region), "area_code"].astype(str))
            else:
                scope = [lad]
            areas = queries.areas(conn, lad_codes=scope)
        else:
            scope = None
            areas = queries.areas(conn)
        if scope:
            areas = pd.concat(
                [areas, lads[lads["area_code"].isin(scope) & ~lads["area_code"].isin(areas["area_code"])]]
            )
        pop = queries.population(conn, settings.population_year)
        overrides = queries.area_settings(conn)
        covered = cov.covered(queries.coverage(conn, "home_office", periods=[month]))
        levels = (level, position.LAD) if level == position.REGION else (level,)
        rows = materialise.read(conn, month=month, levels=levels, lad_codes=scope if level != position.REGION else None)
    if scope and level == position.REGION:
        rows = rows[(rows["level"] == position.REGION) | rows["lad_code"].isin(scope)]
    limit_overrides = overrides.set_index("area_code")["limit_ratio"] if len(overrides) else pd.Series(dtype=float)
    people = breakdown.people_from_figures(
        rows, areas, covered, [month], settings, (level,), set(scope) if scope else None
    )
    table = position.monitoring_table(people, areas, position.population_by_area(areas, pop), settings, limit_overrides)
    rows = table[(table["level"] == level) & (table["month"] == month)]
    if lad:
        if level == position.REGION:
            region = areas.loc[areas["area_code"] == lad, "region_code"]
            rows = rows[rows["area_code"].isin(region)]
        else:
            rows = rows[rows["lad_code"] == lad]
    answer = position.format_summary(rows)
    with _answers_lock:
        _answers[key] = answer
        while len(_answers) > 64:
            _answers.popitem(last=False)
    return answer.copy()


def months_loaded(engine: Engine) -> list[str]:
    """Months some LA has Home Office data for, oldest first (:attr:`Snapshot.months`, without a snapshot)."""
    with engine.connect() as conn:
        return [str(m) for m in queries.months(conn)]


def is_area(engine: Engine, code: str) -> bool:
    """Whether ``code`` names an area (ward, LA or region) of the loaded geography."""
    table = schema.areas
    with engine.connect() as conn:
        return conn.execute(sa.select(table.c.area_code).where(table.c.area_code == code)).first() is not None


def month_reporting(engine: Engine, month: str, lad_codes: list[str] | None = None) -> dict:
    """:meth:`Snapshot.reporting` for one month, reading that month's coverage only."""
    with engine.connect() as conn:
        lads = queries.areas(conn, level="lad")
        covered = cov.covered(queries.coverage(conn, "home_office", periods=[month]))
    if lad_codes is not None:
        lads = lads[lads["area_code"].isin(lad_codes)]
    return cov.reporting(covered, lads, month)


def reconciliation(
    engine: Engine, settings: Settings, *, month: str, against: str, lad: str | None = None
) -> pd.DataFrame:
    """Home Office counts against the provider's lists (per sector) or the published table (per LA)."""
    snap = snapshot(engine, settings)
    if against == "published":
        with engine.connect() as conn:
            published = queries.public_stats(conn)
        table = reconcile.published_comparison(snap.supported_by_la, published)
        table = table[table["month"] == month]
    else:
        records = reconcile.with_sector_la(snap.records, snap.weights)
        table = reconcile.sector_reconciliation(records, snap.properties, month)
    if lad:
        table = table[table["lad_code"] == lad]
    return table.reset_index(drop=True)


def published_months(engine: Engine) -> list[str]:
    """Months (quarter ends) the loaded published table gives figures for."""
    with engine.connect() as conn:
        published = queries.public_stats(conn)
    return sorted(published["date"].astype(str).str.slice(0, 7).unique())


def to_json(frame: pd.DataFrame) -> str:
    return json.dumps(json.loads(frame.to_json(orient="records")), indent=1)


def changes(engine: Engine, settings: Settings, *, month: str, lad: str | None = None):
    """What changed from the month before to ``month`` (:func:`app.cluster.changes.what_changed`)."""
    return changes_in(snapshot(engine, settings), month, lad)


def changes_in(snap: Snapshot, month: str, lad: str | None = None):
    """The changes into ``month``; LAs no file covers carry status ``no_data`` in the table and are listed as such."""
    from app.cluster import changes as ch

    return ch.what_changed(snap.table, month, lad=lad)
