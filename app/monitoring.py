"""The cluster position computed from the store, for the CLI and the dashboard.

Ward figures are derived on read from the sector-level records as loaded
(so a property list loaded later improves earlier months' apportionment);
results are cached per store version, which every load bumps.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from sqlalchemy import Engine

from app.cluster import apportion as ap
from app.cluster import coverage as cov
from app.cluster import position, reconcile
from app.config import Settings
from app.store import db, queries


@dataclass
class Snapshot:
    """Everything the core needs, read from the store at one version."""

    version: int
    areas: pd.DataFrame
    population: pd.DataFrame
    weights: pd.DataFrame
    records: pd.DataFrame
    properties: pd.DataFrame
    limit_overrides: pd.Series
    settings: Settings
    #: (month, LA) pairs a load is in force for: :func:`app.cluster.coverage.covered`.
    covered: pd.DataFrame

    @cached_property
    def apportioned(self) -> ap.Apportioned:
        split = ap.apportion(self.records, self.weights, ap.property_occupancy(self.properties))
        return cov.in_force(split, self.records, self.covered)

    @cached_property
    def people(self) -> pd.DataFrame:
        mask = position.counted(self.records, self.settings)
        return position.people_by_area(self.records, self.apportioned, self.areas, mask, self.covered)

    @cached_property
    def supported_by_la(self) -> pd.DataFrame:
        """Everyone supported (every support and accommodation type) per month and LA, as the published table counts.

        An LA-month no file covers has no row: it is not a zero to compare.
        """
        everyone = position.people_by_area(self.records, self.apportioned, self.areas, covered=self.covered)
        everyone = everyone[everyone["people"].notna()]
        las = everyone[everyone["level"] == position.LAD]
        return las[["month", "area_code", "people"]].rename(columns={"area_code": "lad_code"})

    @cached_property
    def table(self) -> pd.DataFrame:
        """The monitoring table for every level and month."""
        pop = position.population_by_area(self.areas, self.population)
        return position.monitoring_table(self.people, self.areas, pop, self.settings, self.limit_overrides)

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
    """The current snapshot of the store, read once per store version."""
    version = db.store_version(engine)
    key = (str(engine.url), version, settings)
    with _lock:
        if key in _cache:
            return _cache[key]
    with engine.connect() as conn:
        areas = queries.areas(conn)
        pop = queries.population(conn, settings.population_year)
        weights = queries.sector_weights(conn)
        records = queries.ho_records(conn)
        props = queries.properties(conn)
        overrides = queries.area_settings(conn)
        covered = cov.covered(queries.coverage(conn, "home_office"))
    records.index = pd.RangeIndex(len(records))
    limit_overrides = overrides.set_index("area_code")["limit_ratio"] if len(overrides) else pd.Series(dtype=float)
    snap = Snapshot(version, areas, pop, weights, records, props, limit_overrides, settings, covered)
    with _lock:
        for stale in [k for k in _cache if k[0] == key[0]]:
            del _cache[stale]
        _cache[key] = snap
    return snap


def summary(
    engine: Engine, settings: Settings, *, level: str, month: str, lad: str | None = None
) -> pd.DataFrame:
    """The ``summary`` command's table (interface.md), rounded and ordered."""
    snap = snapshot(engine, settings)
    table = snap.table
    rows = table[(table["level"] == level) & (table["month"] == month)]
    if lad:
        if level == position.REGION:
            region = snap.areas.loc[snap.areas["area_code"] == lad, "region_code"]
            rows = rows[rows["area_code"].isin(region)]
        else:
            rows = rows[rows["lad_code"] == lad]
    return position.format_summary(rows)


def reconciliation(engine: Engine, settings: Settings, *, month: str, against: str,
                   lad: str | None = None) -> pd.DataFrame:
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
