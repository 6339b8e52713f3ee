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

    @cached_property
    def apportioned(self) -> ap.Apportioned:
        return ap.apportion(self.records, self.weights, ap.property_occupancy(self.properties))

    @cached_property
    def people(self) -> pd.DataFrame:
        mask = position.counted(self.records, self.settings)
        return position.people_by_area(self.records, self.apportioned, self.areas, mask)

    @cached_property
    def supported_by_la(self) -> pd.DataFrame:
        """Everyone supported (every support and accommodation type) per month and LA, as the published table counts."""
        everyone = position.people_by_area(self.records, self.apportioned, self.areas)
        las = everyone[everyone["level"] == position.LAD]
        return las[["month", "area_code", "people"]].rename(columns={"area_code": "lad_code"})

    @cached_property
    def table(self) -> pd.DataFrame:
        """The monitoring table for every level and month."""
        pop = position.population_by_area(self.areas, self.population)
        return position.monitoring_table(self.people, self.areas, pop, self.settings, self.limit_overrides)

    @property
    def months(self) -> list[str]:
        return sorted(self.records["month"].dropna().unique())

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
    records.index = pd.RangeIndex(len(records))
    limit_overrides = overrides.set_index("area_code")["limit_ratio"] if len(overrides) else pd.Series(dtype=float)
    snap = Snapshot(version, areas, pop, weights, records, props, limit_overrides, settings)
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


def to_json(frame: pd.DataFrame) -> str:
    return json.dumps(json.loads(frame.to_json(orient="records")), indent=1)


def changes(engine: Engine, settings: Settings, *, month: str, lad: str | None = None):
    """What changed from the month before to ``month`` (:func:`app.cluster.changes.what_changed`)."""
    return changes_in(snapshot(engine, settings), month, lad)


def changes_in(snap: Snapshot, month: str, lad: str | None = None):
    from app.cluster import changes as ch

    return ch.what_changed(snap.table, month, lad=lad, missing=_without_records(snap, month),
                           missing_before=_without_records(snap, ch.previous_month(month)))


def _without_records(snap: Snapshot, month: str) -> set[str]:
    """LAs with no Home Office record in ``month`` (taken as "no file" where the table has no ``no_data``)."""
    if month not in set(snap.records["month"]):
        return set()
    las = set(snap.areas.loc[snap.areas["level"] == "lad", "area_code"])
    return las - set(snap.records.loc[snap.records["month"] == month, "lad_code"].dropna())
